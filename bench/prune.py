"""Structured pruning on SST-2 (10% of the training data): dev accuracy, parameters and latency against the fraction
of heads removed, for Michel importance, gradient-norm importance and random order, with and without recovery;
and FFN pruning. Run for the fine-tuned offline teacher and for a distilled 4x384 student.

    python bench/prune.py              # budget: about 50 min on an idle 2-core CPU, resumable
    python bench/prune.py --smoke      # a quick end-to-end check (not written to results)

Results: bench/results/prune.json, prune.md and prune_*.png, rewritten after every point.
The teacher comes from the cache of bench/teacher.py (same recipe); the student is distilled here once and cached.
"""
import argparse, datetime, json, copy, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
from settings import RESULTS
from common import task_data, teacher as cached_teacher, student as cached_student, write_atomic
import numpy as np
from edgemin.models import shapes
from edgemin.checkpoint import apply_shapes
from edgemin.train import evaluate
from edgemin.distill import distill, DistillConfig, Phase, HintonKD
from edgemin.prune import PruneConfig, importance, normalize_by_layer, prune_once
from edgemin.profile import latency, count_params, environment

KINDS = ['michel', 'grad_norm', 'random']
HEAD_FRACS = [round(0.1 * i, 1) for i in range(10)]
FFN_FRACS = [round(0.1 * i, 1) for i in range(6)]
RECOVER_FRACS = [0.2, 0.4, 0.6, 0.8]

def plots(res: dict, out: Path):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    for model in res['models']:
        pts = [p for p in res['points'] if p['model'] == model and p['what'] == 'heads']
        if not pts: continue
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        for kind, c in zip(KINDS, ['C0', 'C1', 'C2']):
            for rec, ls in ((False, '-'), (True, '--')):
                q = sorted((p for p in pts if p['importance'] == kind and p['recovered'] == rec), key=lambda p: p['fraction'])
                if not q: continue
                lab = f"{kind}{' + recovery' if rec else ''}"
                ax[0].plot([p['fraction'] for p in q], [p['dev']['accuracy'] for p in q], ls, color=c, marker='o', label=lab)
        q = sorted((p for p in pts if p['importance'] == 'michel' and not p['recovered']), key=lambda p: p['fraction'])
        ax[1].plot([p['fraction'] for p in q], [p['params'] / 1e6 for p in q], marker='o')
        q = [p for p in q if p.get('latency_ms') is not None]
        ax[2].plot([p['fraction'] for p in q], [p['latency_ms'] for p in q], marker='o')
        ax[0].axhline(res['models'][model]['dev']['accuracy'] - 0.01, color='grey', lw=0.8, ls=':', label='unpruned - 1 point')
        for a, t in zip(ax, ['dev accuracy', 'parameters (M)', 'latency, batch 1 x 128 tokens (ms)']):
            a.set_xlabel('fraction of heads removed'); a.set_title(t); a.grid(alpha=0.3)
        ax[0].legend(fontsize=8); fig.suptitle(f'Head pruning: {model} (SST-2 dev)'); fig.tight_layout()
        fig.savefig(out/f'prune_heads_{model}.png', dpi=110); plt.close(fig)
        q = sorted((p for p in res['points'] if p['model'] == model and p['what'] == 'ffn'), key=lambda p: p['fraction'])
        if not q: continue
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        ax[0].plot([p['fraction'] for p in q], [p['dev']['accuracy'] for p in q], marker='o', label='michel')
        ax[0].axhline(res['models'][model]['dev']['accuracy'] - 0.01, color='grey', lw=0.8, ls=':', label='unpruned - 1 point')
        ax[1].plot([p['fraction'] for p in q], [p['params'] / 1e6 for p in q], marker='o')
        t = [p for p in q if p.get('latency_ms') is not None]
        ax[2].plot([p['fraction'] for p in t], [p['latency_ms'] for p in t], marker='o')
        for a, ttl in zip(ax, ['dev accuracy', 'parameters (M)', 'latency, batch 1 x 128 tokens (ms)']):
            a.set_xlabel('fraction of FFN neurons removed'); a.set_title(ttl); a.grid(alpha=0.3)
        ax[0].legend(fontsize=8); fig.suptitle(f'FFN pruning, no recovery: {model} (SST-2 dev)'); fig.tight_layout()
        fig.savefig(out/f'prune_ffn_{model}.png', dpi=110); plt.close(fig)

def claim(res: dict, model: str) -> str:
    "How many heads can go (Michel ranking, no recovery) with at most a 1-point accuracy loss."
    base = res['models'][model]['dev']['accuracy']
    ok = [p['fraction'] for p in res['points'] if p['model'] == model and p['what'] == 'heads' and p['importance'] == 'michel'
          and not p['recovered'] and p['dev']['accuracy'] >= base - 0.01]
    upto = max(ok) if ok else 0.0
    return (f"{model}: with Michel importance and no recovery, up to {upto:.0%} of the heads go with at most a 1-point loss "
            f"(unpruned {base:.4f}). Michel et al. report up to ~40% for BERT-base; "
            + ("that holds here." if upto >= 0.4 else "that does not hold for this smaller model here."))

def _ms(p: dict, res: dict) -> str:
    if p.get('latency_ms') is None: return '(not yet timed)'
    passes = res.get('latency', {}).get(shape_key(p['model'], p['shapes']), {}).get('passes_ms')
    return f"{p['latency_ms']:.1f}" + (f" ({min(passes):.1f}–{max(passes):.1f})" if passes else '')

def render_md(res: dict) -> str:
    env = res['environment']
    lines = ['# Structured pruning on SST-2 (10% of the training data)', '',
             f"Generated by `python bench/prune.py` on {res['updated']}; machine: {env['cpu']} ({env['logical_cores']} cores, "
             f"{env['torch_threads']} threads), torch {env['torch']}. Budget: about 50 minutes on an idle 2-core CPU.", '',
             f"Importance from {res['calib_batches']} calibration batches of 32 (task loss); heads ranked globally, scores L2-normalised per "
             f"layer; one-shot removal at each fraction from the same scores. Recovery: logit KD from the unpruned model, "
             f"{res['recover_steps']} steps. Latency: CPU forward pass, batch 1, 128 tokens; each distinct shape timed in {res.get('latency_rounds', '?')} interleaved passes (median of the pass medians, with their range: this shared CPU's speed drifts by tens of percent between passes; load average recorded in the JSON).", '']
    lines += [f"- {claim(res, m)}" for m in res['models']] + ['']
    for model in res['models']:
        lines += [f"## {model}", '', f"![head pruning](prune_heads_{model}.png)", '', f"![FFN pruning](prune_ffn_{model}.png)", '',
                  '| what | importance | fraction | recovered | dev accuracy | parameters | latency ms (range over passes) |', '|---|---|---:|---|---:|---:|---:|']
        for p in sorted((p for p in res['points'] if p['model'] == model), key=lambda p: (p['what'], p['importance'], p['recovered'], p['fraction'])):
            lines.append(f"| {p['what']} | {p['importance']} | {p['fraction']:.0%} | {'yes' if p['recovered'] else 'no'} | "
                         f"{p['dev']['accuracy']:.4f} | {p['params']:,} | {_ms(p, res)} |")
        lines.append('')
    return '\n'.join(lines) + '\n'

def shape_key(model: str, s: dict) -> str:
    return f"{model}|{s['heads']}|{s['ffn']}"

def time_shapes(res: dict, models: dict, rounds: int = 5):
    """Latency depends on the shapes alone, so time each distinct pruned shape once, not each point. All shapes are timed
    in `rounds` interleaved passes (so slow drift on a shared CPU hits every shape alike) and the median of the
    per-pass medians is kept; the spread across passes is recorded too."""
    todo = {}
    for p in res['points']: todo.setdefault(shape_key(p['model'], p['shapes']), (p['model'], p['shapes']))
    for name in models: todo.setdefault(shape_key(name, res['models'][name]['shapes']), (name, res['models'][name]['shapes']))
    nets = {}
    for k, (name, s) in todo.items():
        m = copy.deepcopy(models[name]); apply_shapes(m, s); nets[k] = m   # weights do not matter for timing
    runs = {k: [] for k in nets}
    for r in range(rounds):
        for k, m in nets.items():
            t = latency(m, batch=1, seq_len=128, min_runs=10, min_seconds=0.5); runs[k].append((t['median_ms'], t['load_1m']))
        print(f'latency pass {r + 1}/{rounds} done', flush=True)
    res['latency_rounds'] = rounds
    res['latency'] = {k: dict(median_ms=float(np.median([v for v, _ in r])), passes_ms=[round(v, 3) for v, _ in r],
                              load_1m=[l for _, l in r]) for k, r in runs.items()}
    for p in res['points']: p['latency_ms'] = res['latency'][shape_key(p['model'], p['shapes'])]['median_ms']
    for name in models: res['models'][name]['latency_ms'] = res['latency'][shape_key(name, res['models'][name]['shapes'])]['median_ms']

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--calib-batches', type=int, default=16)
    ap.add_argument('--recover-steps', type=int, default=100)
    ap.add_argument('--student-steps', type=int, default=600)
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--render', action='store_true', help='only rewrite prune.md and the plots from prune.json')
    args = ap.parse_args(argv)
    out = RESULTS; out.mkdir(parents=True, exist_ok=True)
    if args.render:
        res = json.loads((out/'prune.json').read_text())
        write_atomic(out/'prune.md', render_md(res)); plots(res, out); return
    data = task_data('sst2')
    teacher = cached_teacher(data)                      # before --smoke cuts dev: the cached teacher's key covers the dev split
    if args.smoke:
        data = data.take(64)
        args.calib_batches, args.recover_steps, args.student_steps = 2, 2, 4
    jpath = out/('prune_smoke.json' if args.smoke else 'prune.json')
    res = json.loads(jpath.read_text()) if jpath.is_file() and not args.smoke else {'points': [], 'models': {}}
    for p in res['points']: p.pop('latency_ms', None)   # retimed at the end, all shapes together
    res.update(environment=environment(), calib_batches=args.calib_batches, recover_steps=args.recover_steps)
    def save():
        res['updated'] = datetime.datetime.now().isoformat(timespec='seconds')
        write_atomic(jpath, json.dumps(res, indent=1))
        if not args.smoke: write_atomic(out/'prune.md', render_md(res)); plots(res, out)
    models = {'teacher': teacher, 'student-4x384': cached_student(teacher, data, args.student_steps)}
    rcfg = DistillConfig(phases=(Phase((HintonKD(),), max_steps=args.recover_steps),), lr=1e-4, batch_size=32)
    for name, model in models.items():
        if name not in res['models']:
            res['models'][name] = {'dev': evaluate(model, data), 'params': count_params(model)['total'], 'shapes': shapes(model)}
        done = {(p['model'], p['what'], p['importance'], p['fraction'], p['recovered']) for p in res['points']}
        def point(what, kind, frac, recovered, m):
            res['points'].append(dict(model=name, what=what, importance=kind, fraction=frac, recovered=recovered,
                                      dev=evaluate(m, data), params=count_params(m)['total'], shapes=shapes(m)))
            save(); print(name, what, kind, frac, recovered, res['points'][-1]['dev'], flush=True)
        for kind in KINDS:
            hs, fs = importance(model, data, kind, batches=args.calib_batches, batch_size=32, seed=0)
            hs = normalize_by_layer(hs)
            for frac in HEAD_FRACS:
                if (name, 'heads', kind, frac, False) not in done:
                    m = copy.deepcopy(model); prune_once(m, hs, fs, PruneConfig(), frac, 0.0); point('heads', kind, frac, False, m)
            if kind == 'michel':
                for frac in FFN_FRACS:
                    if (name, 'ffn', kind, frac, False) not in done:
                        m = copy.deepcopy(model); prune_once(m, hs, fs, PruneConfig(), 0.0, frac); point('ffn', kind, frac, False, m)
            if name == 'teacher' or kind == 'michel':
                for frac in RECOVER_FRACS:
                    if (name, 'heads', kind, frac, True) not in done:
                        m = copy.deepcopy(model); prune_once(m, hs, fs, PruneConfig(), frac, 0.0)
                        m, _ = distill(m, model, data, rcfg, progress=False, teacher_dev=res['models'][name]['dev'])
                        point('heads', kind, frac, True, m)
            if args.smoke: break
    time_shapes(res, models, rounds=2 if args.smoke else 5)
    save()

if __name__ == '__main__':
    main()
