"""Distillation objectives side by side on SST-2 (10% of its training data) with the fine-tuned offline teacher, for
students of three widths, each started from the teacher's own weights (width-pruned) and from random weights.

Students: 4x384 (12 heads; teacher layers 0, 1, 3, 4), 4x256 (8 heads, FFN 1024) and 4x192 (6 heads, FFN 768).
`teacher` init: the same layers, cut to the student's width by `make_student`'s importance scores on 8 training
batches (hidden channels by activation, heads and FFN neurons by Michel et al.'s gradient score); `random` init:
fresh weights. Every objective gets the same step budget (its phases share it, see edgemin.distill.recipe), over
3 seeds. Objectives: EdgeMIN's recipes (`minilmv2-kd`, MiniLMv2 with logit KD in one phase, in both of MiniLMv2's
loss forms; `general+minilmv2-kd`, half the steps on MiniLMv2 relations over unlabelled GLUE training sentences
first, the other half on the task; `minilmv2`, relations then KD) and the classic ones at their papers' settings. MiniLM v1 and TinyBERT pair
the teacher's heads one to one with the student's, so they run on the 12-head student only.

    python bench/distill.py                         # the full grid, resumable (about 3 hours on an idle 2-core CPU)
    python bench/distill.py --students 4x256 4x192 --objectives minilmv2-kd hinton pkd   # a slice of it
    python bench/distill.py --grid --students 4x192 --objectives minilmv2-kd hinton pkd   # equal lr x T grids chosen on heldout training data, then 3 seeds
    python bench/distill.py --grid --tuned-at 150 --steps 600 --seeds 0 --students 4x192 \
        --objectives minilmv2-kd hinton pkd general-kd+minilmv2-kd general-kd+hinton          # the 150-step choices at 600 steps
    python bench/distill.py --smoke                 # a 2-minute check that everything runs (not written to results)
    python bench/distill.py --render                # rewrite distill.md from distill.json

With --grid every objective gets the same small grid (lr x temperature), each point trained on 90% of the training subset and
chosen on the other 10% (heldout, stratified), never on dev; `general-kd+X` first spends half the steps on unlabelled SST-2
training sentences with the teacher's soft targets alone (and MiniLMv2's relations for EdgeMIN's recipe), then runs X.

Results: bench/results/distill.json and distill.md, rewritten after every run (a re-run skips finished runs).
The teacher comes from the cache of bench/teacher.py (same recipe); it is fine-tuned first if it is missing.
"""
import argparse, dataclasses, datetime, json, os, statistics, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
from settings import RESULTS
from common import task_data, teacher as cached_teacher, write_atomic, glue_dir
from edgemin.data import get_task
from edgemin.distill import make_student, recipe, distill, general_phase, DistillConfig, Phase, MiniLMv2, HintonKD
from edgemin.runconfig import DataSpec
from edgemin.train import evaluate
from edgemin.profile import profile, environment

def _paper_form(**kw) -> DistillConfig:
    "MiniLMv2 (the paper's loss form: relations summed, KL per sequence) with logit KD in one phase."
    c = recipe('minilmv2-kd', **kw)
    return dataclasses.replace(c, phases=(dataclasses.replace(c.phases[0], objectives=(MiniLMv2(form='paper'), HintonKD())),))

def _with_general(max_steps: int, **kw) -> DistillConfig:
    "Half the steps MiniLMv2 relations on unlabelled GLUE training sentences (general distillation), then MiniLMv2 + KD on the task."
    g = max_steps // 2
    c = recipe('minilmv2-kd', max_steps=max_steps - g, **kw)
    return dataclasses.replace(c, phases=(Phase((MiniLMv2(),), max_steps=g, data='glue'), *c.phases))

def _with_general_kd(base: str, max_steps: int, **kw) -> DistillConfig:
    "Half the steps on unlabelled SST-2 training sentences (`general_phase`: the recipe's relations, soft targets alone), then `base`."
    g = max_steps // 2
    c = recipe(base, max_steps=max_steps - g, **kw)
    return dataclasses.replace(c, phases=(general_phase(c, 'glue:sst2', g), *c.phases))

OBJECTIVES = {'minilmv2-kd': lambda **kw: recipe('minilmv2-kd', **kw), 'minilmv2-kd-paper': _paper_form, 'general+minilmv2-kd': _with_general,
              'general-kd+minilmv2-kd': lambda **kw: _with_general_kd('minilmv2-kd', **kw), 'general-kd+hinton': lambda **kw: _with_general_kd('hinton', **kw),
              **{n: (lambda n: lambda **kw: recipe(n, **kw))(n) for n in ('minilmv2', 'hinton', 'pkd', 'distilbert', 'mlkd', 'minilm', 'tinybert')}}
STUDENTS = {'4x384': dict(layers=4), '4x256': dict(layers=4, hidden=256, heads=8, ffn=1024),
            '4x192': dict(layers=4, hidden=192, heads=6, ffn=768)}
INITS = {'teacher': dict(init='every_other', width='activation'), 'random': dict(init='random')}
NEEDS_EQUAL_HEADS = {'minilm', 'tinybert'}        # compare heads one to one: only the 12-head student
EDGEMIN = ('minilmv2-kd', 'minilmv2-kd-paper', 'general+minilmv2-kd', 'general-kd+minilmv2-kd', 'minilmv2')
# --grid: every objective gets the same grid, each point chosen on a heldout 10% of the training data (never on dev)
GRID = dict(lr=(5e-5, 1e-4, 2e-4), temperature=(2.0, 5.0))
HELDOUT = DataSpec().heldout    # the pipeline's heldout share

def with_temperature(cfg: DistillConfig, T: float) -> DistillConfig:
    "`cfg` with the temperature of every objective that has one set to `T`."
    sub = lambda o: dataclasses.replace(o, temperature=T) if hasattr(o, 'temperature') else o
    return dataclasses.replace(cfg, phases=tuple(dataclasses.replace(p, objectives=tuple(map(sub, p.objectives))) for p in cfg.phases))

def base_objective(obj: str) -> str:
    "The task objective whose grid choice a general-phase variant reuses ('general-kd+hinton' -> 'hinton')."
    return obj.split('+')[-1]

def chosen(runs: list, student: str, objective: str, steps: int) -> dict | None:
    "The grid point with the best heldout score among the complete grid's first-seed runs, or None while the grid is incomplete."
    g = [r for r in runs if r.get('grid') and r['student'] == student and r['objective'] == objective and r['steps'] == steps]
    return max(g, key=lambda r: (r['heldout'], -r['lr'])) if len(g) == len(GRID['lr']) * len(GRID['temperature']) else None

def summarize(runs: list) -> list:
    "Mean and std over seeds per (task, student, init, objective, steps)."
    groups = {}
    runs = [r for r in runs if not r.get('protocol')]          # the heldout-tuned runs have their own tables
    for r in runs: groups.setdefault((r['task'], r['student'], r.get('init', 'teacher'), r['objective'], int(r['key'].split('|')[5])), []).append(r)
    out = []
    for (task, st, init, obj, steps), rs in groups.items():
        main = get_task(task).main_metric
        v = [r['dev'][main] for r in rs]
        out.append(dict(task=task, student=st, init=init, objective=obj, steps=steps, seeds=len(rs), mean=statistics.mean(v),
                        std=statistics.stdev(v) if len(v) > 1 else 0.0, retention=statistics.mean(r['retention'] for r in rs),
                        s_per_step=statistics.mean(r['seconds_per_step'][0] for r in rs), params=rs[0]['params']['student'],
                        ))
    return out

def render_md(res: dict) -> str:
    env = res.get('environment', {})
    tdev = res['teacher_dev']['sst2']['accuracy']
    lines = ['# Distillation objectives and student widths on SST-2 (10% of the training data)', '',
             f"Generated by `python bench/distill.py` on {res['updated']}; machine: {env.get('cpu')} ({env.get('logical_cores')} cores), "
             f"torch {env.get('torch')}.", '',
             f"Teacher: all-MiniLM-L6-v2 fine-tuned on 10% of SST-2 (dev accuracy {tdev:.4f}). "
             f"Each objective: the same number of optimizer steps (the steps column; 150 unless shown) at batch {res['batch_size']}, lr {res['lr']}; two-phase recipes give "
             "3/4 of the steps to the first phase. Students: 4 layers (teacher layers 0, 1, 3, 4) of width 384 (12 heads), 256 "
             "(8 heads, FFN 1024) or 192 (6 heads, FFN 768). Init `teacher`: cut out of those teacher layers by importance "
             "(hidden channels by activation, heads and FFN neurons by Michel et al.'s score, 8 training batches); `random`: fresh "
             f"weights. {' and '.join(sorted(NEEDS_EQUAL_HEADS))} pair the teacher's heads one to one with the student's: 12-head "
             "student only. Dev accuracy, mean ± std over seeds; retention = student / teacher. A constant prediction scores 0.5092.", '']
    summ = summarize(res['runs'])
    for st in STUDENTS:
        rows = sorted((s for s in summ if s['task'] == 'sst2' and s['student'] == st), key=lambda s: (s['steps'], s['init'] != 'teacher', -s['mean']))
        if not rows: continue
        lines += [f'## {st}', '', '| steps | init | objective | dev (mean ± std) | retention | seeds | s/step (phase 1) | parameters |',
                  '|---:|---|---|---|---:|---:|---:|---:|']
        for s in rows:
            name = f"**{s['objective']}** (EdgeMIN)" if s['objective'] in EDGEMIN else s['objective']
            lines.append(f"| {s['steps']} | {s['init']} | {name} | {s['mean']:.4f} ± {s['std']:.4f} | {s['retention']:.1%} | {s['seeds']} | "
                         f"{s['s_per_step']:.3f} | {s['params']:,} |")
        lines.append('')
    lines += render_tuned(res['runs'])
    if res.get('overhead'): lines += [f"Relation loss cost: {res['overhead']}", '']
    for n in res.get('notes', []): lines += [f"Note: {n}", '']
    if res.get('profiles'):
        lines += ['## Students', '', '| student | parameters | size | FLOPs (128 tokens) | latency bs1 (ms, median) | latency bs32 (ms) |',
                  '|---|---:|---:|---:|---:|---:|']
        for name, p in res['profiles'].items():
            lat = {l['batch']: l['median_ms'] for l in p['latency'] if l['seq_len'] == 128}
            lines.append(f"| {name} | {p['params']['total']:,} | {p['size_bytes'] / 1e6:.1f} MB | {p['flops']['total'] / 1e9:.2f} G | "
                         f"{lat.get(1, float('nan')):.1f} | {lat.get(32, float('nan')):.1f} |")
    return '\n'.join(lines) + '\n'

def overhead(res: dict, batch_size: int) -> str | None:
    "The default recipe's step against Hinton KD's, both a full forward and backward pass of the student (same student, same run)."
    by = {(s['student'], s['objective']): s for s in summarize([r for r in res['runs'] if 'measured' in r]) if s['init'] == 'teacher' and s['steps'] == 150}
    for st in ('4x256', '4x192', '4x384'):                 # rows of this machine only: s/step compares within one host
        a, b = by.get((st, 'minilmv2-kd')), by.get((st, 'hinton'))
        if a and b:
            return (f"a step of EdgeMIN's default recipe (MiniLMv2 + KD, {st} student, batch {batch_size}) takes {a['s_per_step']:.3f} s "
                    f"against {b['s_per_step']:.3f} s for Hinton KD alone ({a['s_per_step'] / b['s_per_step'] - 1:+.0%}); both run the "
                    "teacher forward and the student forward and backward through every layer, so the difference is the cost of the relations.")
    return None

def choice_for(runs: list, student: str, objective: str, steps: int) -> dict | None:
    "The grid point a run of `objective` at `steps` used: the grid at the same budget, else the grid at another one (--tuned-at)."
    for g in [steps, *sorted({r['steps'] for r in runs if r.get('grid')})]:
        c = chosen(runs, student, base_objective(objective), g)
        if c: return c
    return None

def tuned_run(res: dict, data, teacher, tdev: dict, st: str, obj: str, steps: int, seed: int, lr: float, T: float,
              batch_size: int, grid: bool, save) -> None:
    "One heldout-protocol run (a grid point, or a chosen point at another seed or budget), skipped when already recorded."
    key = f'sst2|{st}|teacher|{obj}|{seed}|{steps}|{batch_size}|{lr}|T={T}|heldout'
    if any(r['key'] == key for r in res['runs']): return
    student = make_student(teacher, seed=seed, data=data, **STUDENTS[st], **INITS['teacher'])
    cfg = with_temperature(OBJECTIVES[obj](max_steps=steps, lr=lr, batch_size=batch_size, seed=seed), T)
    s, rec = distill(student, teacher, data, cfg, progress=False, teacher_dev=tdev)
    held = evaluate(s, data, 'heldout')['accuracy']
    res['runs'].append(dict(key=key, task='sst2', train_fraction=0.1, student=st, init='teacher', objective=obj, seed=seed, steps=steps,
                            lr=lr, temperature=T, grid=grid, protocol='heldout', heldout=held, dev=rec.dev, retention=rec.retention,
                            params=rec.params, wall_time_s=rec.wall_time_s, seconds_per_step=rec.seconds_per_step,
                            general=rec.general, measured=datetime.datetime.now().isoformat(timespec='minutes'), load=os.getloadavg()[0]))
    save()
    print(f"heldout protocol: sst2 {st} {obj} lr {lr} T {T} seed {seed} {steps} steps: heldout {held:.4f}, dev {rec.dev['accuracy']:.4f} "
          f"({rec.wall_time_s:.0f} s)", flush=True)

def run_grid(args, res: dict, data, teacher, tdev: dict, save) -> None:
    "--grid: each objective's grid at `--steps` (first seed), then its chosen point at every seed; with --tuned-at N, the choice of the grid at N steps."
    data = data.holdout(HELDOUT)                       # checkpoints and grid points are chosen on this part of the training data
    gsteps = args.tuned_at or args.steps
    for st in args.students:
        for obj in args.objectives:
            if args.tuned_at is None and base_objective(obj) == obj:
                for lr in GRID['lr']:
                    for T in GRID['temperature']:
                        tuned_run(res, data, teacher, tdev, st, obj, args.steps, args.seeds[0], lr, T, args.batch_size, True, save)
            c = chosen(res['runs'], st, base_objective(obj), gsteps)
            if c is None:
                print(f"{st} {obj}: the grid of {base_objective(obj)} at {gsteps} steps is not complete; run it first (--grid --steps {gsteps})"); continue
            for seed in args.seeds:
                tuned_run(res, data, teacher, tdev, st, obj, args.steps, seed, c['lr'], c['temperature'], args.batch_size, False, save)

def render_tuned(runs: list) -> list:
    "The heldout-protocol tables: every grid point, then each objective's chosen point over seeds."
    runs = [r for r in runs if r.get('protocol') == 'heldout']
    if not runs: return []
    lines = ['## Tuned on held-out training data', '',
             f"Every objective gets the same grid (lr {', '.join(map(str, GRID['lr']))} × temperature "
             f"{', '.join(map(str, GRID['temperature']))}: the temperature of every objective that has one) at the grid's step budget, "
             f"first seed. {HELDOUT:.0%} of the training data is held out (stratified): checkpoints (keep_best) and the grid point are "
             "chosen on it, never on dev; dev is only reported. A variant with a general phase (`general-kd+X`) reuses X's choice. "
             "The general phase: half the steps on unlabelled SST-2 training sentences (the teacher's soft targets at alpha = 1, plus "
             "MiniLMv2's relations for EdgeMIN's recipe), no heldout or dev sentence among them.", '',
             '### Grid', '', '| student | steps | objective | lr | T | heldout | dev |', '|---|---:|---|---:|---:|---:|---:|']
    for r in sorted((r for r in runs if r.get('grid')), key=lambda r: (r['student'], r['steps'], r['objective'], r['lr'], r['temperature'])):
        lines.append(f"| {r['student']} | {r['steps']} | {r['objective']} | {r['lr']} | {r['temperature']} | {r['heldout']:.4f} | {r['dev']['accuracy']:.4f} |")
    lines += ['', '### Chosen points', '', '| student | steps | objective | lr | T | heldout (mean) | dev (mean ± std) | retention | seeds |',
              '|---|---:|---|---:|---:|---:|---|---:|---:|']
    for t in tuned_summary(runs):
        name = f"**{t['objective']}** (EdgeMIN)" if t['objective'] in EDGEMIN else t['objective']
        lines.append(f"| {t['student']} | {t['steps']} | {name} | "
                     f"{t['lr']} | {t['temperature']} | {t['heldout']:.4f} | {t['mean']:.4f} ± {t['std']:.4f} | {t['retention']:.1%} | {t['seeds']} |")
    return lines + ['']

def tuned_summary(runs: list) -> list:
    "Each objective's chosen grid point per student and budget: mean heldout and dev over seeds (best dev first), as distill.json's 'tuned'."
    runs = [r for r in runs if r.get('protocol') == 'heldout']
    groups, out = {}, []
    for r in runs: groups.setdefault((r['student'], r['steps'], r['objective'], r['lr'], r['temperature']), []).append(r)
    for (st, steps, obj, lr, T), rs in groups.items():
        c = choice_for(runs, st, obj, steps)
        if c is None or (c['lr'], c['temperature']) != (lr, T): continue      # a grid point that was not chosen
        v = [r['dev']['accuracy'] for r in rs]
        out.append(dict(student=st, steps=steps, objective=obj, lr=lr, temperature=T, heldout=statistics.mean(r['heldout'] for r in rs),
                        mean=statistics.mean(v), std=statistics.stdev(v) if len(v) > 1 else 0.0,
                        retention=statistics.mean(r['retention'] for r in rs), seeds=len(rs)))
    return sorted(out, key=lambda t: (t['student'], t['steps'], -t['mean']))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=150)
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--objectives', nargs='+', default=list(OBJECTIVES), choices=list(OBJECTIVES))
    ap.add_argument('--students', nargs='+', default=list(STUDENTS), choices=list(STUDENTS))
    ap.add_argument('--inits', nargs='+', default=list(INITS), choices=list(INITS))
    ap.add_argument('--grid', action='store_true', help="the heldout protocol: each objective's grid (GRID) chosen on heldout training data")
    ap.add_argument('--tuned-at', type=int, help='with --grid: run the points chosen on the grid at this many steps (at --steps, every seed)')
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--render', action='store_true', help='only rewrite distill.md from distill.json')
    ap.add_argument('--note', help='add this note (e.g. on how the CPU was shared) to the results')
    args = ap.parse_args(argv)
    out = RESULTS; out.mkdir(parents=True, exist_ok=True)
    jpath = out/('distill_smoke.json' if args.smoke else 'distill.json')
    res = json.loads(jpath.read_text()) if jpath.is_file() and not args.smoke else {'runs': [], 'profiles': {}, 'teacher_dev': {}}
    if args.note and args.note not in res.setdefault('notes', []): res['notes'].append(args.note)
    if args.render:
        res['tuned'] = tuned_summary(res['runs'])
        write_atomic(jpath, json.dumps(res, indent=1)); write_atomic(out/'distill.md', render_md(res)); return
    if args.smoke: args.steps, args.seeds = 4, [0]
    res.update(steps=args.steps, batch_size=args.batch_size, lr=args.lr, environment=environment())
    def save():
        res['updated'] = datetime.datetime.now().isoformat(timespec='seconds')
        res['overhead'] = overhead(res, args.batch_size)
        res['tuned'] = tuned_summary(res['runs'])
        write_atomic(jpath, json.dumps(res, indent=1))
        if not args.smoke: write_atomic(out/'distill.md', render_md(res))

    os.environ.setdefault('EDGEMIN_GLUE_DIR', glue_dir())      # the general phases' unlabelled sentences ('glue:sst2') come from there
    data = task_data('sst2', 0.1)
    teacher = cached_teacher(data, 0.1)                 # before --smoke cuts dev: the cached teacher's key covers the dev split
    if args.smoke: data = data.take(64)
    tdev = res['teacher_dev'].get('sst2') if not args.smoke else None
    tdev = tdev or evaluate(teacher, data); res['teacher_dev']['sst2'] = tdev
    if args.grid:
        run_grid(args, res, data, teacher, tdev, save); save(); return
    for st in args.students:
        for init in args.inits:
            if st == '4x384' and init == 'random': continue       # the teacher's own width: nothing to compare
            for obj in args.objectives:
                if st != '4x384' and obj in NEEDS_EQUAL_HEADS: continue
                for seed in args.seeds:
                    key = f'sst2|{st}|{init}|{obj}|{seed}|{args.steps}|{args.batch_size}|{args.lr}'
                    if any(r['key'] == key for r in res['runs']): continue
                    student = make_student(teacher, seed=seed, data=data, **STUDENTS[st], **INITS[init])
                    cfg = OBJECTIVES[obj](max_steps=args.steps, lr=args.lr, batch_size=args.batch_size, seed=seed)
                    s, rec = distill(student, teacher, data, cfg, progress=False, teacher_dev=tdev)
                    res['runs'].append(dict(key=key, task='sst2', train_fraction=0.1, student=st, init=init, objective=obj, seed=seed,
                                            dev=rec.dev, retention=rec.retention, params=rec.params, wall_time_s=rec.wall_time_s,
                                            seconds_per_step=rec.seconds_per_step, losses=[p['history'][-1]['losses'] for p in rec.phases],
                                            measured=datetime.datetime.now().isoformat(timespec='minutes'), load=os.getloadavg()[0]))
                    save()
                    print(f"sst2 {st} {init} {obj} seed {seed}: {rec.dev['accuracy']:.4f} ({rec.wall_time_s:.0f} s)", flush=True)
        if st not in res['profiles'] and not args.smoke:      # size and speed depend on the shape, not the weights
            res['profiles'][st] = profile(make_student(teacher, **STUDENTS[st], init='random'), seq_len=128, batch_sizes=(1, 32), runs=10).to_dict()
            save()
    save()

if __name__ == '__main__':
    main()
