"""Teacher baseline: fine-tune the offline teacher (all-MiniLM-L6-v2) on SST-2, MRPC, RTE, CoLA and STS-B with 10%
and 100% of the training data, then evaluate and profile it. Every later stage reports against these numbers.

    python bench/teacher.py                      # everything (budget: about 60 min on an idle 2-core CPU), resumable
    python bench/teacher.py --fractions 0.1      # only the 10% teachers (about 16 min)
    python bench/teacher.py --profile-only       # re-profile the cached teachers (run it on an idle machine)

Results: bench/results/teacher.json and teacher.md, rewritten after every finished run, so an interrupted run keeps
what it finished; a re-run skips runs already in the JSON with the same settings. Teachers are cached in
$EDGEMIN_CACHE (see edgemin.finetune.finetune_teacher), so the pipeline reuses them.

A DistilBERT teacher (distilbert-base-uncased, online): `--checkpoint distilbert-base-uncased --tag distilbert`.
"""
import argparse, datetime, json, os, platform, sys, time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
from settings import RESULTS
from common import TEACHER_BASE, teacher_recipe, write_atomic, glue_dir as default_glue_dir
from edgemin.data import prepare, get_task
from edgemin.train import FinetuneConfig, evaluate
from edgemin.teacher import finetune_teacher

TASKS = ['sst2', 'mrpc', 'rte', 'cola', 'stsb']

def glue_dir() -> str:
    "The GLUE copy the teachers are fine-tuned on (exits when it is missing: there is nothing to fine-tune on)."
    d = default_glue_dir()
    if not Path(d, 'SST-2').is_dir(): sys.exit(f'no GLUE data at {d}: set EDGEMIN_GLUE_DIR')
    return d

def run_key(task, frac, checkpoint, cfg) -> str:
    "A run's identity. Unset (None) settings are left out, so adding an optional field to FinetuneConfig keeps old keys valid."
    conf = cfg if isinstance(cfg, dict) else cfg.to_dict()
    conf = {k: v for k, v in conf.items() if v is not None}
    return json.dumps({'task': task, 'fraction': frac, 'checkpoint': checkpoint, 'config': conf}, sort_keys=True)

def same_run(stored: dict, key: str) -> bool:
    "Whether a stored run has `key` (its key recomputed, so keys written by older versions still match)."
    k = json.loads(stored['key'])
    return run_key(k['task'], k['fraction'], k['checkpoint'], k['config']) == key

def token_lengths(data, split) -> dict:
    lens = np.array([len(x) for x in data.encoded[split]['input_ids']])
    return {'p50': int(np.percentile(lens, 50)), 'p90': int(np.percentile(lens, 90)), 'max': int(lens.max())}

def finetune_all(args, results: dict, save):
    gd = glue_dir()
    plan = [(f, t) for f in args.fractions for t in args.tasks]
    plan.sort(key=lambda ft: (ft[0], ft[1] == 'sst2'))          # small runs first, SST-2 100% last
    for frac, task in plan:
        cfg = FinetuneConfig(**{**TEACHER_BASE, **teacher_recipe(task, frac)})
        key = run_key(task, frac, args.checkpoint, cfg)
        if any(same_run(r, key) for r in results['runs']):
            print(f'skip {task} {frac:.0%}: already in results'); continue
        t0 = time.perf_counter()
        data = prepare(task, args.checkpoint, max_length=128, data_dir=gd, train_fraction=None if frac == 1.0 else frac, seed=0)
        model, rec = finetune_teacher(args.checkpoint, data, cfg, progress=not args.quiet)
        dev = rec.best['dev']
        results['runs'].append({
            'key': key, 'task': task, 'train_fraction': frac, 'train_examples': rec.train_examples,
            'epochs': cfg.epochs, 'config': cfg.to_dict(), 'dev': dev, 'main_metric': get_task(task).main_metric,
            'best_epoch': rec.best['epoch'], 'history': rec.history, 'train_wall_s': rec.wall_time_s,
            'train_samples_per_s': rec.samples_per_s, 'cache': rec.cache, 'teacher_path': rec.path,
            'dev_tokens': token_lengths(data, data.eval_split), 'total_wall_s': round(time.perf_counter() - t0, 1)})
        save()
        print(f"{task} {frac:.0%}: dev {dev} ({rec.cache}, {rec.wall_time_s:.0f} s)")

def profile_all(args, results: dict, save):
    from edgemin.profile import profile
    from edgemin.checkpoint import load_model
    done = set()
    for r in sorted(results['runs'], key=lambda r: -r['train_fraction']):
        if r['task'] in done or not r.get('teacher_path') or not Path(r['teacher_path']).is_dir(): continue
        done.add(r['task'])
        p = profile(r['teacher_path'], seq_len=128, batch_sizes=(1, 32), typical_len=r['dev_tokens']['p50'],
                    **({'runs': args.profile_runs} if args.profile_runs else {}))
        results['profiles'][r['task']] = p.to_dict()
        save()
        print(f"profiled {r['task']} teacher")

def render_md(results: dict) -> str:
    env = results.get('environment', {})
    out = [f"# Teacher baseline: {results['checkpoint']} fine-tuned on GLUE", '',
           f"Generated by `python bench/teacher.py` on {results['updated']}. Machine: {env.get('cpu', platform.processor())}, "
           f"{env.get('logical_cores', os.cpu_count())} cores, torch {torch.__version__}. Budget: about 60 minutes for every run on this "
           "machine when it runs alone (SST-2 with 100% of its training data takes about 20 of them).", '',
           f"Recipe: AdamW, lr {TEACHER_BASE['lr']}, warm-up {TEACHER_BASE['warmup_ratio']:.0%} then linear decay, gradient clipping at "
           f"{TEACHER_BASE['max_grad_norm']}, max length 128, seed {TEACHER_BASE['seed']}; a 10% subset (stratified, seed 0): 5 epochs at batch 16; "
           "the full training split: 2 epochs at batch 32 (SST-2: 1 epoch). One dev evaluation per epoch; the best is kept and "
           "reported (so dev numbers are the selected epoch's, as is usual for GLUE dev results).", '',
           'Train time and samples/s (evaluation included) were measured while other work shared the 2 cores (the runs of '
           '2026-11-23, and SST-2 100% on 2026-11-24): read them as lower bounds on throughput; the dev metrics are unaffected.', '',
           '| task | train data | examples | epochs | dev metrics | main metric | train time | samples/s |',
           '|---|---|---:|---:|---|---:|---:|---:|']
    for r in sorted(results['runs'], key=lambda r: (TASKS.index(r['task']) if r['task'] in TASKS else 99, r['train_fraction'])):
        m = ', '.join(f'{k} {v:.4f}' for k, v in r['dev'].items() if k != 'loss')
        out.append(f"| {r['task']} | {r['train_fraction']:.0%} | {r['train_examples']:,} | {r['epochs']:g} | {m} | "
                   f"{r['dev'][r['main_metric']]:.4f} | {r['train_wall_s']:.0f} s | {r['train_samples_per_s']:.1f} |")
    missing = [f'{t} {f:.0%}' for f in results['plan']['fractions'] for t in results['plan']['tasks']
               if not any(r['task'] == t and r['train_fraction'] == f for r in results['runs'])]
    if missing: out += ['', f"Not finished in this run: {', '.join(missing)}."]
    if results['profiles']:
        out += ['', '## Profile of the fine-tuned teacher', '',
                'Latency is the median (p90) of repeated CPU forward passes; FLOPs = 2 × MACs of the matrix products at '
                'batch 1, sequence 128.', '']
        from edgemin.profile import Profile
        for task, p in results['profiles'].items():
            out += [f'### {task} teacher', '', Profile.from_dict(p)._repr_markdown_(), '']
    return '\n'.join(out) + '\n'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--tasks', nargs='+', default=TASKS)
    ap.add_argument('--fractions', nargs='+', type=float, default=[0.1, 1.0])
    ap.add_argument('--checkpoint', default='minilm-l6')
    ap.add_argument('--tag', default='teacher', help='results file name stem')
    ap.add_argument('--profile-only', action='store_true')
    ap.add_argument('--no-profile', action='store_true')
    ap.add_argument('--profile-runs', type=int, default=None)
    ap.add_argument('--quiet', action='store_true')
    ap.add_argument('--render-only', action='store_true', help='rewrite the Markdown from the JSON, run nothing')
    args = ap.parse_args(argv)
    out = RESULTS
    out.mkdir(parents=True, exist_ok=True)
    jpath, mpath = out/f'{args.tag}.json', out/f'{args.tag}.md'
    results = json.loads(jpath.read_text()) if jpath.is_file() else {'runs': [], 'profiles': {}}
    if args.render_only: write_atomic(mpath, render_md(results)); return     # from the JSON as it is: its machine and plan, not this run's
    results.update(checkpoint=args.checkpoint, plan={'tasks': args.tasks, 'fractions': args.fractions})
    try:
        from edgemin.profile import environment
        results['environment'] = environment()
    except ImportError: pass
    def save():
        results['updated'] = datetime.datetime.now().isoformat(timespec='seconds')
        write_atomic(jpath, json.dumps(results, indent=1))
        write_atomic(mpath, render_md(results))
    if not args.profile_only: finetune_all(args, results, save)
    if not args.no_profile: profile_all(args, results, save)
    save()

if __name__ == '__main__':
    main()
