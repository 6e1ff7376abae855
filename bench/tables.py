"""Arithmetic and tables over the results files that several scripts share (compare.md, recipe.md and README's
Results section). Plain Python, no EdgeMIN import."""
import statistics

def margin_kept(e: dict, base: dict, const: dict, metric: str) -> float | None:
    "The share of the teacher's margin over the constant prediction that `e` keeps (None without a constant baseline)."
    if not const or metric not in const.get('dev', {}): return None
    c = const['dev'][metric]
    return (e['dev'][metric] - c) / (base['dev'][metric] - c) if base['dev'][metric] != c else None

RETENTION_BAR = 0.97    # #24: the final INT8 model keeps at least this share of the teacher's dev score in every setting

def stage_losses(e: dict, metric: str, dist: str, pruned: str, final: str, teacher: str = 'teacher fp32 (PyTorch)') -> dict[str, float]:
    "Points of the teacher's dev `metric` (as shares) lost at each stage of a compare.py pipeline run: distillation, pruning and recovery, INT8."
    keep = lambda k: e[k]['dev'][metric] / e[teacher]['dev'][metric]
    return {'distillation': 1 - keep(dist), 'pruning and recovery': keep(dist) - keep(pruned), 'INT8': keep(pruned) - keep(final)}

def path_dev(paths: dict, name: str) -> float:
    "The dev score of PyTorch path `name` in torch_paths.json: its own, or that of the path whose arithmetic it repeats."
    o = paths[name]
    return o['dev'] if 'dev' in o else paths[o['same_as']]['dev']

def mean_std(v) -> tuple[float, float]:
    "Mean and sample standard deviation of the values `v` (std 0 for a single value)."
    v = list(v)
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)

def recipe_table(r: dict) -> list[str]:
    "bench/recipe.py's results, one row per recipe: dev accuracy after each stage (mean ± std over seeds) and the final retention."
    lines = ['| recipe | seeds | distilled | pruned | recovered | final INT8 | retention |', '|---|---:|---:|---:|---:|---:|---:|']
    for name, runs in r['runs'].items():
        if not runs: continue
        ms = {k: mean_std(x[k] for x in runs.values()) for k in ('distilled', 'pruned', 'recovered', 'final')}
        cells = ' | '.join(f"{m:.4f} ± {sd:.4f}" if len(runs) > 1 else f"{m:.4f}" for m, sd in ms.values())   # no spread from one seed
        lines.append(f"| {name} | {len(runs)} | {cells} | {ms['final'][0] / r['teacher_dev']:.1%} |")
    return lines

def chosen_on(heldout: float | None) -> str:
    "Where a benchmark's runs chose their checkpoints, as reports say it (`heldout`: the share held out of the compression data, if any)."
    return f"a heldout {heldout:.0%} of the compression data, never on dev" if heldout else "the dev split (measured before the heldout split existed)"

def over_seeds(e: dict, metric: str) -> list[float]:
    "An entry's dev `metric` over its training seeds: seed 0 (the entry's own score), then those compare.py's --seeds added."
    return [e['dev'][metric]] + [d[metric] for _, d in sorted(e.get('dev_seeds', {}).items(), key=lambda kv: int(kv[0]))]

def seeds_cell(v: list[float]) -> str:
    "A score over seeds as reports write it: '0.8784' for one seed, '0.8771 ± 0.0012 (3 seeds)' for several."
    m, sd = mean_std(v)
    return f"{m:.4f}" if len(v) == 1 else f"{m:.4f} ± {sd:.4f} ({len(v)} seeds)"
