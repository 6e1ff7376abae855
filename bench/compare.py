"""EdgeMIN against its anchors and against what a user would do instead, measured side by side in one run.

For each setting (a task, the teacher's training data, the compression data):
- the fine-tuned fp32 teacher, run by PyTorch and by ONNX Runtime;
- what a user would do without EdgeMIN: the teacher quantized by Hugging Face Optimum's ONNX Runtime quantizer
  (bench/optimum_quantize.py, in .venv-optimum) and by PyTorch dynamic INT8;
- classic students at equal size (4x384, initialised from teacher layers) and equal step budget: Hinton KD,
  DistilBERT-style, PKD, TinyBERT-style, and MiniLMv2 (relations, then KD);
- EdgeMIN's pipeline (distill -> prune -> quantize) with the library's default distillation recipe (`--recipe`
  to choose; it is recorded per setting) and its variants: without quantization, without pruning, without
  vocabulary trimming, pruning the teacher before distilling, and the other recipes in the distillation stage
  (DistilBERT-style; MiniLMv2 relations before the soft targets; both together in one phase).
Every model is measured by the same code: file size, parameters, FLOPs, latency at batch 1 and 32 (128 tokens and
the dev set's median length), dev metric, and ratios against the fp32 teacher of the same setting. The headline
ratios (teacher fp32 PyTorch vs the final INT8 model) are timed again at the end in interleaved passes. Beside them,
the dev score of a constant prediction (the training data's majority class): the floor a retention figure is read against.

    python bench/compare.py                       # the SST-2 headline setting (about 100 min on an idle 2-core CPU: eight 600-step distillations at ~0.75 s a step are most of it)
    python bench/compare.py --settings sst2 sst2-teacher10 mrpc rte cola stsb   # all settings (about 7 hours)
    python bench/compare.py --smoke               # a quick end-to-end check on 64 dev sentences (not written to results)
    python bench/compare.py --train-only          # train and keep every model without measuring (can share the CPU)
    python bench/compare.py --recipe minilmv2-kd  # another pipeline recipe: a measured setting keeps what it can and re-times
    python bench/compare.py --render              # compare.md and summary.json written again from compare.json (no measuring)
    python bench/compare.py --settings sst2 cola mrpc --seeds 3   # seeds 1-2 of every distillation-stage student after seed 0
                                                  # (dev only, no timing: can share the CPU; about 12 distillations a setting)

Results: bench/results/compare.json and compare.md (rewritten after every entry, resumable), and
bench/results/summary.json (the headline ratios against the targets). Models live under ~/.cache/edgemin/bench.
"""
import argparse, functools, datetime, json, shutil, statistics, subprocess, sys, time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
from settings import (ROOT, RESULTS, SETTINGS, HEADLINE, RECIPE_DIRS, RECIPE_LABELS, FINAL, PRUNED, LENGTH_GROUPS, TEACHER_NAMES, ANCHORS, SETTING_TARGETS, CUT_VARIANTS, target_cell,
                      default_steps, pipeline_dir, recipe_of, teacher_of, student_of, student_label)
from common import task_data, teacher_dir, write_atomic, edgemin_config, compare_work, interleaved_passes
from tables import margin_kept, path_dev, chosen_on, over_seeds, seeds_cell, stage_losses, RETENTION_BAR
from edgemin.data import get_task, compute_metrics
from edgemin.checkpoint import load_model, save_model
from edgemin.distill import make_student
from edgemin.train import evaluate
from edgemin.teacher import cache_dir
from edgemin.distill import recipe, distill
from edgemin.runtime import export_onnx, OnnxClassifier
from edgemin.quantize import QuantizeConfig, quantize
from edgemin.runconfig import RunConfig, DataSpec, StudentSpec, DistillSpec, PruneSpec, ProfileSpec
from edgemin.runner import run, check_run_dir
from edgemin.profile import profile, latency, environment, count_params, flops, peak_memory, integer_parts, roofline

# the variants every setting gets (the "no pruning, no quantization, other orders"); the headline setting also
# gets the ablations of vocabulary trimming and of the distillation objective
CORE_VARIANTS = ('no-prune', 'prune-first')
EXTRA_VARIANTS = ('no-vocab', 'recipes')

CLASSIC = ['hinton', 'distilbert', 'pkd', 'tinybert']       # MiniLMv2 is EdgeMIN's own distillation stage
DEFAULT_RECIPE = DistillSpec().recipe       # the library's default for the pipeline's distillation stage
HELDOUT = DataSpec().heldout                # the pipeline's heldout share: the classic students choose checkpoints on the same split
VARIANT_NAMES = {'no-quant': PRUNED, 'no-prune': 'EdgeMIN without pruning (distill -> quantize)',
                 'no-vocab': 'EdgeMIN without vocabulary trimming', 'prune-first': 'EdgeMIN, teacher pruned first (prune -> distill -> quantize)'}

def distilled_name(recipe: str) -> str:
    "The entry of the pipeline's distillation stage (the name predates other recipes for 'minilmv2')."
    return 'student MiniLMv2 (EdgeMIN distill stage)' if recipe == 'minilmv2' else f'student {RECIPE_LABELS[recipe]} (EdgeMIN distill stage)'

def ablation_name(recipe: str) -> str:
    "The entry of the whole pipeline with `recipe` in its distillation stage, when it is not the default."
    return f'EdgeMIN, {RECIPE_LABELS[recipe]} (distill -> prune -> quantize)'

def switch_recipe(st: dict, old: str, new: str) -> list[str]:
    """A setting measured with pipeline recipe `old`, now run with `new`: entries of the same models are renamed (the old
    pipeline becomes a recipe ablation and its distillation stage a classic student, the ablation of `new` becomes the
    pipeline), the variants built on the old distillation stage are dropped to be measured again, and every batch-1
    interleaved timing is dropped so the setting is re-timed in one set of passes. Returns the dropped entries."""
    e = st['entries']
    renames = {FINAL: ablation_name(old), distilled_name(old): f'student {RECIPE_LABELS[old]}', ablation_name(new): FINAL}
    moved = {renames[k]: v for k, v in e.items() if k in renames}
    dropped = [k for k in e if k in VARIANT_NAMES.values()]
    kept = {k: v for k, v in e.items() if k not in renames and k not in dropped}
    st['entries'] = {**kept, **moved}
    for v in st['entries'].values(): v.pop('bs1_interleaved', None)
    st.pop('headline', None)
    return dropped
RECHECK_TOL = 1e-4       # a re-scored model whose dev metric moved more than this is named in compare.md
def moved(got: float, want: float) -> bool: return abs(got - want) > RECHECK_TOL
TARGETS = {'size_ratio': 10.0, 'latency_ratio_bs1': 4.0, 'accuracy_retention': 0.985}
# the runtime issue's targets (#25) for the SST-2 headline setting: EdgeMIN's final model against the strongest Optimum INT8
# teacher, × smaller, × faster at batch 1 (128 tokens and the typical length) and at batch 32 × 128, at most this many points behind
PEER_TARGETS = {'size_ratio': 4.0, 'bs1': 3.0, 'bs1_typical': 3.0, 'bs32': 3.0, 'points_behind': 0.5}
OPTIMUM = 'teacher INT8, Optimum ORT quantizer'
OPTIMUM_PY = ROOT/'.venv-optimum'/'bin'/'python'

OPTIMUM_LEVELS = ('none', 'O1', 'O2', 'O3')      # ORTOptimizer's levels for a CPU (O4 adds fp16, for GPUs)

def optimum_presets(isa: dict, machine: str | None = None) -> list[str]:
    "Optimum's dynamic quantization presets this CPU runs, from its ISA flags (`edgemin.profile.environment()['isa']`)."
    import platform
    if (machine or platform.machine()) in ('aarch64', 'arm64'): return ['arm64']
    return [p for p, f in (('avx512_vnni', 'avx512_vnni'), ('avx512', 'avx512f'), ('avx2', 'avx2')) if isa.get(f)]

def optimum_int8(tdir: Path, out: Path, config, runs: int = 20) -> tuple[Path, dict]:
    """The teacher quantized by Optimum at its strongest here (in its own venv, see bench/optimum_quantize.py): every
    ORTOptimizer level with every preset the CPU supports, the fastest at batch 1 x 128 tokens kept; its ONNX file and
    what was tried (each candidate's median latency)."""
    if not OPTIMUM_PY.is_file():
        raise FileNotFoundError(f"{OPTIMUM_PY} is missing: `make bench-venv` (or python -m venv .venv-optimum && "
                                ".venv-optimum/bin/pip install torch==2.13.0 optimum-onnx onnxruntime) creates it")
    if (out/'choice.json').is_file():           # chosen before: not timed again
        info = json.loads((out/'choice.json').read_text()); return Path(info['onnx']), info
    tried = []
    for preset in optimum_presets(environment()['isa']):
        for level in OPTIMUM_LEVELS:
            d = out/f'{preset}-{level}'
            if not (d/'optimum.json').is_file():
                subprocess.run([str(OPTIMUM_PY), str(ROOT/'bench'/'optimum_quantize.py'), str(tdir), str(d), '--isa', preset, '--optimize', level], check=True)
            info = json.loads((d/'optimum.json').read_text())
            info['bs1_128_ms'] = latency(OnnxClassifier(info['onnx'], config), 1, 128, min_runs=runs, min_seconds=1.0)['median_ms']
            tried.append(info)
    best = min(tried, key=lambda i: i['bs1_128_ms'])
    info = {**best, 'chosen_by': 'fastest at batch 1 x 128 of the candidates',
            'candidates': [{k: i[k] for k in ('preset', 'optimize', 'bs1_128_ms')} for i in tried]}
    write_atomic(out/'choice.json', json.dumps(info, indent=1))
    return Path(best['onnx']), info

def constant_baseline(data) -> dict:
    "Dev metrics of a model that ignores its input and always answers the training data's majority class (none for regression)."
    if data.task.is_regression: return {}       # a constant has no correlation to report
    y = np.asarray(data.encoded['train']['label'], dtype=int)
    c = int(np.bincount(y, minlength=data.task.num_labels).argmax())
    dev = np.asarray(data.encoded[data.eval_split]['label'])
    return dict(prediction=data.task.label_names[c], dev=compute_metrics(data.task, np.full(len(dev), c), dev))

def seed_stages(src: Path, dst: Path, cfg: RunConfig, stages: list[str]):
    "Start run `dst` with completed stages copied from run `src` (same configuration up to those stages)."
    check_run_dir(dst, cfg)
    for s in stages:
        if not (dst/s/'record.json').is_file() and (src/s/'record.json').is_file():
            shutil.rmtree(dst/s, ignore_errors=True); shutil.copytree(src/s, dst/s)

def _roof(e: dict, gemm: dict | None, cpu: str | None = None) -> str:
    "The roofline cells of entry `e` (at peak | INT8 share), from bench/gemm.py's peaks at the entry's thread count; blanks where unknown."
    lat1 = next((l for l in e['latency'] if l['batch'] == 1 and l['seq_len'] == 128), None)
    if not gemm or lat1 is None or 'int_parts' not in e: return ' | '
    peaks = gemm['peaks'].get(str(lat1['threads']))
    if not peaks or (cpu and cpu != gemm['environment']['cpu']): return ' | '
    r = roofline(e['flops'], _bs1(e), {k: v['gops'] for k, v in peaks.items()}, e['int_parts'])
    return f"{r['fraction']:.0%} | " + (f"{r['int8_share']:.0%}" if e['int_parts'] else '')

def render_md(res: dict) -> str:
    env = res['environment']
    isa = ', '.join(k for k, v in env['isa'].items() if v) or 'no INT8 extensions'
    lines = ['# EdgeMIN against its anchors and the alternatives', '',
             f"Generated by `python bench/compare.py` on {res['updated']}; machine: {env['cpu']} ({env['logical_cores']} cores; {isa}), "
             f"torch {env['torch']}, onnxruntime {env['onnxruntime']}. Budget on an idle 2-core CPU: about 100 minutes for the SST-2 "
             "headline setting, about 35 (CoLA) to 80 (STS-B) minutes for each other setting (the sequence length sets the cost of a step).", '',
             "Every student of a setting has the same shape, named in its section (from all-MiniLM-L6-v2: 4 layers x 384, teacher layers 0, 1, 3, 4), "
             "and the same number of distillation steps at batch 32 "
             "(3 epochs of the compression data, at most 600 steps). EdgeMIN: the distillation recipe named in each setting's budget, then heads and FFN neurons "
             "pruned (Michel importance) with the vocabulary trimmed to the tokens of the training data (a dev word outside it is spelled "
             "with kept word pieces), recovery by logit distillation (at most one epoch), "
             "then ONNX Runtime dynamic INT8 with INT8 embeddings. Every setting has the variants without pruning, without quantization "
             "and with the teacher pruned first; the headline setting also ablates vocabulary trimming and the distillation recipe. "
             "Latency: median CPU forward pass, all cores. The bs1 ms column "
             "(batch 1, 128 tokens) is the median over interleaved passes in which every model of the setting is timed in turn, so "
             "that the CPU's drift between entries measured at different times cancels; the other latency columns come from each "
             "entry's own profile (@N: the task's typical length, the median token count of its dev examples). × columns are ratios against the fp32 PyTorch teacher of the same setting.", '']
    gemm = json.loads((RESULTS/'gemm.json').read_text()) if (RESULTS/'gemm.json').is_file() else None
    if gemm:
        ge = gemm['environment']
        lines += [f"The last two columns set batch 1 × 128 tokens against this CPU's matrix-product peaks measured by `bench/gemm.py` "
                  f"({ge['cpu']}, {gemm['updated']}; a figure is shown only where the setting was timed on that CPU): *at peak* is the time "
                  "the model's products would take at the INT8 peak (its integer products) and the fp32 peak (the rest) over its measured "
                  "latency; *INT8 share* is its integer operations per second over the whole pass as a share of the INT8 peak "
                  "(`edgemin.profile.roofline`).", '']
    for sname, st in res['settings'].items():
        task = get_task(st['task']); m = task.main_metric
        tname = TEACHER_NAMES[st.get('teacher', 'minilm-l6')]
        lines += [f"## {sname}: {st['task']}, teacher {tname} trained on {st['teacher_fraction']:.0%}, compression on {st['compression_fraction']:.0%} of the training data", '']
        if st.get('student') and st.get('teacher_layers'):
            lines += [f"Students: {student_label(st['student'], st['teacher_layers'])}." + (
                f" Training batches grouped by length ({LENGTH_GROUPS[sname]} batches a group) for every model of the setting." if sname in LENGTH_GROUPS else ''), '']
        a = st.get('args') or res.get('args')
        if a: lines += [f"Budget: {a['steps']} distillation steps per student; {a['heads']:.0%} of heads and {a['ffn']:.0%} of FFN neurons pruned, "
                        f"at most {a['recover_steps']} recovery steps; the pipeline's distillation recipe: {recipe_of(st)} "
                        f"({RECIPE_LABELS[recipe_of(st)]}); checkpoints chosen on {chosen_on(a.get('heldout'))}.", '']
        if st.get('environment'):
            se = st['environment']
            lines += [f"Measured on {st['measured']}: {se['cpu']} ({se['logical_cores']} cores), torch {se['torch']}, "
                      f"transformers {se.get('transformers', '?')}, onnxruntime {se['onnxruntime']}.", '']
        const = st.get('constant')
        if const and m in const['dev']:
            lines += [f"A constant prediction (always {const['prediction']!r}, the training data's majority class) scores {m} "
                      f"{const['dev'][m]:.4f} on dev: a retention figure is read against that floor, not against zero.", '']
        if st.get('headline'):
            h = st['headline']
            mk = margin_kept(st['entries'][h['final']], st['entries']['teacher fp32 (PyTorch)'], const, m)
            lines += [f"Headline (teacher fp32 PyTorch vs {h['final']}, batch-1 latency re-timed in {h['rounds']} interleaved passes): "
                      f"**{h['size_ratio']:.1f}× smaller**, **{h['latency_ratio_bs1']:.1f}× faster** at batch 1 × 128 tokens, "
                      f"**{h['accuracy_retention']:.1%}** of the teacher's dev {m}"
                      + (f" ({mk:.0%} of its margin over the constant prediction)" if mk is not None else '') + '.', '']
            lines += targets_note(sname, h)
        lines += optimum_note(sname, st, m)
        lines += wall_note(st) + anchors_note(sname)
        for v, why in CUT_VARIANTS.get(sname, {}).items(): lines += [f"Left out of this setting: {VARIANT_NAMES[v]}; {why}.", '']
        typ = st.get('typical_len')
        lines += [f"| model | size MB | params | GFLOPs | bs1 ms | bs32 ms | bs1 ms @{typ} | bs32 ms @{typ} | dev {m} | × smaller | × faster bs1 | retention | at peak | INT8 share |",
                  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
        base = st['entries'].get('teacher fp32 (PyTorch)')
        for name, e in st['entries'].items():
            lat = {(l['batch'], l['seq_len']): l['median_ms'] for l in e['latency']}
            lat[1, 128] = _bs1(e)
            r = ratios(e, base, m) if base else {}
            lines.append(f"| {name} | {e['size_bytes'] / 1e6:.1f} | {e['params']['total'] / 1e6:.1f} M | {e['flops']['total'] / 1e9:.2f} | "
                         f"{lat.get((1, 128), float('nan')):.1f} | {lat.get((32, 128), float('nan')):.0f} | {lat.get((1, typ), float('nan')):.1f} | "
                         f"{lat.get((32, typ), float('nan')):.0f} | "
                         f"{e['dev'][m]:.4f} | {r.get('size_ratio', float('nan')):.1f} | {r.get('latency_ratio_bs1', float('nan')):.1f} | "
                         f"{r.get('accuracy_retention', float('nan')):.1%} | {_roof(e, gemm, (st.get('environment') or {}).get('cpu'))} |")
        lines.append('')
        lines += seeds_note(st, m) + retention_note(st, m)
        lines += torch_paths_note(sname, m)
        chk = {n: e['dev_recheck'] for n, e in st['entries'].items() if 'dev_recheck' in e}
        if chk:
            off = [f"{n} ({v:.4f} vs {st['entries'][n]['dev'][m]:.4f})" for n, v in chk.items() if moved(v, st['entries'][n]['dev'][m])]
            lines += [f"Reproducibility: each of the {len(chk)} models was loaded or rebuilt (same seed) for the interleaved passes and scored "
                      "on dev again: " + (f"{len(off)} differ from the recorded score: {'; '.join(off)}." if off else "every score equals the recorded one."), '']
    return '\n'.join(lines) + '\n'

def retention_note(st: dict, m: str) -> list[str]:
    """Under a setting whose final model keeps less than RETENTION_BAR of the teacher's dev score: where the points go, stage by
    stage, and what the other measured pipelines and the best distillation-stage student keep (what it would take, from measurements)."""
    h, e = st.get('headline'), st['entries']
    dist = distilled_name(recipe_of(st))
    if not h or h['accuracy_retention'] >= RETENTION_BAR or not all(k in e for k in (dist, PRUNED, FINAL)): return []
    base = e['teacher fp32 (PyTorch)']
    keep = lambda k: e[k]['dev'][m] / base['dev'][m]
    loss = stage_losses(e, m, dist, PRUNED, FINAL)
    worst = max(loss, key=loss.get)
    alts = [f"{n} {keep(n):.1%} at {base['size_bytes'] / x['size_bytes']:.1f}× smaller" for n, x in e.items()
            if n.startswith('EdgeMIN') and n not in (FINAL, PRUNED)]
    seeds = {n: over_seeds(x, m) for n, x in e.items() if n.startswith('student ')}
    best = max(seeds, key=lambda n: statistics.mean(seeds[n]))
    kept = lambda n: f"{statistics.mean(seeds[n]) / base['dev'][m]:.1%}" + (f" (mean of {len(seeds[n])} seeds)" if len(seeds[n]) > 1 else '')
    return [f"Short of #24's bar of {RETENTION_BAR:.0%} retention in every setting ({h['accuracy_retention']:.1%}). Points of the teacher's "
            f"dev {m} lost at each stage of the pipeline's run (seed 0; negative: gained): {', '.join(f'{k} {v * 100:.1f}' for k, v in loss.items())}; most in {worst}. "
            f"Other pipelines measured here: {'; '.join(alts) if alts else 'none'}. Before pruning, the best distillation-stage student, "
            f"{best.removeprefix('student ')}, keeps {kept(best)}" + ('.' if best == dist else f"; EdgeMIN's stage {kept(dist)}.") , '']

TARGET_WORDS = {'size_ratio': 'smaller on disk', 'latency_ratio_bs1': 'faster at batch 1 × 128 tokens', 'accuracy_retention': "of the teacher's dev score"}

def setting_targets(sname: str, h: dict) -> dict:
    "A setting's own targets (settings.SETTING_TARGETS) against its headline: each with its goal, the measured value and whether it is met."
    return {k: dict(goal=g, measured=round(h[k], 4), met=h[k] >= g) for k, g in SETTING_TARGETS.get(sname, {}).items()}

def targets_note(sname: str, h: dict) -> list[str]:
    "One line naming the setting's own targets, met or missed, under its headline."
    t = setting_targets(sname, h)
    if not t: return []
    return ["This setting's targets: " + '; '.join(f"≥ {target_cell(k, v['goal'])} {TARGET_WORDS[k]}: {target_cell(k, v['measured'])}, "
                                                  + ('met' if v['met'] else '**missed**') for k, v in t.items()) + '.', '']

def against_optimum(st: dict, m: str) -> dict | None:
    """EdgeMIN's final model against the setting's strongest Optimum INT8 teacher: × smaller, × faster at batch 1 × 128
    (interleaved passes), batch 1 × the typical length and batch 32 × 128 (each entry's profile), and points of dev `m` behind."""
    e = st['entries']; q, f = e.get(OPTIMUM), e.get(FINAL)
    if not q or not f: return None
    typ = st.get('typical_len')
    lat = lambda x, b, n: _bs1(x) if (b, n) == (1, 128) else next((l['median_ms'] for l in x['latency'] if (l['batch'], l['seq_len']) == (b, n)), float('nan'))
    out = dict(size_ratio=q['size_bytes'] / f['size_bytes'], bs1=lat(q, 1, 128) / lat(f, 1, 128), bs1_typical=lat(q, 1, typ) / lat(f, 1, typ),
               bs32=lat(q, 32, 128) / lat(f, 32, 128), points_behind=100 * (q['dev'][m] - f['dev'][m]), typical_len=typ,
               optimum={k: (q.get('info') or {}).get(k) for k in ('preset', 'optimize')})
    out['met'] = {k: out[k] <= g if k == 'points_behind' else out[k] >= g for k, g in PEER_TARGETS.items()}
    return out

def optimum_note(sname: str, st: dict, m: str) -> list[str]:
    "One line: EdgeMIN's final model against the strongest Optimum INT8 teacher, judged on #25's targets in the headline setting."
    g = against_optimum(st, m)
    if not g: return []
    o = g['optimum']
    said = lambda k: (' (met)' if g['met'][k] else ' (**missed**)') if sname == HEADLINE else ''
    behind = g['points_behind']
    return [f"Against the strongest Optimum INT8 teacher ({o['preset']} preset, graph optimization {o['optimize']}), EdgeMIN's final model is "
            f"{g['size_ratio']:.1f}× smaller{said('size_ratio')}, {g['bs1']:.1f}× faster at batch 1 × 128 tokens{said('bs1')}, "
            f"{g['bs1_typical']:.1f}× at batch 1 × {g['typical_len']}{said('bs1_typical')} and {g['bs32']:.1f}× at batch 32 × 128{said('bs32')}, "
            f"{abs(behind):.1f} points of dev {m} {'behind' if behind > 0 else 'ahead'}{said('points_behind')}"
            + (f" (targets of this headline setting: ≥ {PEER_TARGETS['size_ratio']:g}× smaller, ≥ {PEER_TARGETS['bs1']:g}× faster at each "
               f"shape, at most {PEER_TARGETS['points_behind']:g} point behind)." if sname == HEADLINE else '.'), '']

def wall_note(st: dict) -> list[str]:
    "Wall time of the setting's teacher fine-tuning and of each stage of EdgeMIN's pipeline, where recorded."
    wall = ((st['entries'].get(FINAL) or {}).get('info') or {}).get('pipeline_wall_time_s') or {}
    parts = ([f"teacher fine-tuning {st['teacher_wall_time_s'] / 60:.0f} min"] if st.get('teacher_wall_time_s') else []) + \
            [f"{k} {v / 60:.1f} min" for k, v in wall.items() if v is not None and k != 'teacher']
    return [f"Wall time as recorded when each was trained (longer where it shared the CPU with other work): {', '.join(parts)}.", ''] if parts else []

def anchors_note(sname: str) -> list[str]:
    "The papers' own figures for their students of BERT-base, beside a BERT-base-size setting (not measured here)."
    if sname not in ANCHORS: return []
    return ["Anchors from the papers (their hardware and tasks, not measured here): " + '; '.join(ANCHORS[sname]) + '.', '']

def torch_paths_note(sname: str, m: str) -> list[str]:
    "What bench/torch_paths.py found for this setting's teacher: PyTorch's faster CPU paths than the eager one timed above."
    f = RESULTS/'torch_paths.json'
    tp = json.loads(f.read_text())['settings'].get(sname) if f.is_file() else None
    if not tp: return []
    p, eager = tp['paths'], tp['paths']['fp32 eager']['median_ms']['1x128']
    best = {}                                # the fastest path of each precision
    for n, o in p.items():
        k = n.split(' ')[0]
        if k not in best or o['median_ms']['1x128'] < p[best[k]]['median_ms']['1x128']: best[k] = n
    said = '; '.join(f"{n} {eager / p[n]['median_ms']['1x128']:.1f}× (dev {m} {path_dev(p, n):.4f})" for n in best.values())
    return [f"The PyTorch rows above run eagerly. PyTorch's fastest CPU path for the same teacher in each precision, at batch 1 × 128 "
            f"tokens, as many times faster than eager fp32: {said} (`python bench/torch_paths.py --setting {sname}`, "
            f"{tp['environment']['cpu']}, {tp['updated']}; bench/results/torch_paths.md). Against PyTorch at its fastest, the × faster "
            "column's speed-ups shrink by that factor.", '']

def seeds_note(st: dict, m: str) -> list[str]:
    "Under a setting whose students ran several training seeds (--seeds): each distillation-stage student's mean ± std, best first."
    ss = {n: over_seeds(e, m) for n, e in st['entries'].items() if e.get('dev_seeds')}
    if not ss: return []
    order = sorted(ss, key=lambda n: -statistics.mean(ss[n]))
    return [f"Distillation-stage students over training seeds (dev {m}, mean ± sample std; the table above shows seed 0; the heldout "
            "split and every other setting stay those of seed 0): " + '; '.join(f"{n.removeprefix('student ')} {seeds_cell(ss[n])}" for n in order) + '.', '']

def _lat(e, b=1, n=128):
    return next(l['median_ms'] for l in e['latency'] if l['batch'] == b and l['seq_len'] == n)

def _bs1(e) -> float:
    "Batch-1 latency at 128 tokens: the median of the interleaved passes when measured, else the entry's own profile."
    return e['bs1_interleaved']['median_ms'] if 'bs1_interleaved' in e else _lat(e)

def ratios(e: dict, base: dict, metric: str) -> dict:
    return dict(size_ratio=base['size_bytes'] / e['size_bytes'], latency_ratio_bs1=_bs1(base) / _bs1(e),
                accuracy_retention=e['dev'][metric] / base['dev'][metric])

def summary(res: dict) -> dict | None:
    "bench/results/summary.json: the headline setting's ratios against the targets, and both teachers' numbers."
    st = res['settings'].get('sst2')
    if not st or not st.get('headline'): return None
    h = st['headline']
    out = {k: round(h[k], 4) for k in TARGETS}
    out.update(targets=TARGETS, met={k: h[k] >= v for k, v in TARGETS.items()},
               setting=dict(task='sst2', teacher='all-MiniLM-L6-v2 fine-tuned on 100% of SST-2 train', compression_data='10% of SST-2 train (stratified, seed 0)',
                            final_model=h['final'], recipe=recipe_of(st), teacher_dev_accuracy=h['teacher_dev'], final_dev_accuracy=h['final_dev'],
                            teacher_size_bytes=h['teacher_size'], final_size_bytes=h['final_size'],
                            teacher_bs1_ms=h['teacher_bs1_ms'], final_bs1_ms=h['final_bs1_ms'], latency_rounds=h['rounds']),
               teachers={s: {'teacher_fraction': v['teacher_fraction'], 'dev': v['entries']['teacher fp32 (PyTorch)']['dev']}
                         for s, v in res['settings'].items() if v['task'] == 'sst2' and 'teacher fp32 (PyTorch)' in v['entries']},
               environment=st.get('environment', res['environment']), generated=st.get('measured', res['updated']), source='bench/compare.py -> bench/results/compare.json')
    # the settings with their own targets (the BERT-base-size teacher's), for README's headline beside the first teacher's
    out['against_optimum'] = against_optimum(st, 'accuracy')   # the runtime issue's targets (PEER_TARGETS)
    out['peer_targets'] = PEER_TARGETS
    out['other_teachers'] = {n: _other_teacher(n, v) for n, v in res['settings'].items() if n in SETTING_TARGETS and v.get('headline')}
    # every EdgeMIN variant against the same targets (batch-1 latency from the interleaved passes, as the headline)
    base = st['entries']['teacher fp32 (PyTorch)']
    out['variants'] = {n: {**{k: round(v, 4) for k, v in ratios(e, base, 'accuracy').items()},
                           'met': {k: v >= TARGETS[k] for k, v in ratios(e, base, 'accuracy').items()}}
                       for n, e in st['entries'].items() if n.startswith('EdgeMIN')}
    return out

def _other_teacher(sname: str, st: dict) -> dict:
    "summary.json's record of a setting with its own targets: its teacher, headline, targets and Optimum's INT8 teacher (for README's block)."
    h, q = st['headline'], st['entries'].get(OPTIMUM)
    return dict(teacher=TEACHER_NAMES[st['teacher']], teacher_fraction=st['teacher_fraction'], compression_fraction=st['compression_fraction'],
                task=st['task'], teacher_dev=h['teacher_dev'], final_dev=h['final_dev'], teacher_size_bytes=h['teacher_size'],
                final_size_bytes=h['final_size'], teacher_bs1_ms=h['teacher_bs1_ms'], final_bs1_ms=h['final_bs1_ms'],
                targets=setting_targets(sname, h), measured=st.get('measured'),
                optimum=dict(dev=q['dev'][get_task(st['task']).main_metric], size_bytes=q['size_bytes'], bs1_ms=_bs1(q)) if q else None)

def write_reports(res: dict, out: Path):
    "compare.md and, once the headline setting is measured, summary.json, from the results `res`, into `out`."
    write_atomic(out/'compare.md', render_md(res))
    if (s := summary(res)): write_atomic(out/'summary.json', json.dumps(s, indent=1))

def parse_args(argv=None) -> argparse.Namespace:
    "compare.py's command line (see the module docstring)."
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--settings', nargs='+', default=['sst2'], choices=list(SETTINGS))
    ap.add_argument('--steps', type=int, default=None, help="distillation steps of every student (default: 3 epochs of the setting's compression data, at most 600)")
    ap.add_argument('--heads', type=float, default=0.4)
    ap.add_argument('--ffn', type=float, default=0.3)
    ap.add_argument('--recover-steps', type=int, default=200)
    ap.add_argument('--runs', type=int, default=20, help='timed runs per latency entry (at batch 32: a quarter)')
    ap.add_argument('--rounds', type=int, default=7, help='interleaved passes of the headline latency')
    ap.add_argument('--recipe', default=DEFAULT_RECIPE, choices=list(RECIPE_DIRS),
                    help=f'the pipeline\'s distillation recipe (default: the library default, {DEFAULT_RECIPE}); the others are ablated in the headline setting')
    ap.add_argument('--seeds', type=int, default=1, help='training seeds of every distillation-stage student (EdgeMIN\'s stage and the classic '
                    'students): seeds after the first are scored on dev only, no timing (safe beside other work); reports give mean ± std')
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--train-only', action='store_true', help='only train and keep the models (no measurement; safe to run beside other work)')
    ap.add_argument('--render', action='store_true', help='only write compare.md and summary.json again from compare.json (no training, no timing)')
    return ap.parse_args(argv)

def load_results(jpath: Path, smoke: bool) -> dict:
    "The results measured so far in `jpath` (none for --smoke), each setting with its budget (older files kept one for all)."
    res = json.loads(jpath.read_text()) if jpath.is_file() and not smoke else {'settings': {}}
    res.update(environment=environment())
    legacy = res.pop('args', None)          # results written before budgets were per setting: they all used these
    for st in res['settings'].values():
        if legacy and not st.get('args'): st['args'] = legacy
    return res

def saver(res: dict, jpath: Path, out: Path, smoke: bool) -> Callable[[], None]:
    "The function that writes `res` to `jpath` and, outside --smoke, the reports into `out`: called after every entry."
    def save():
        res['updated'] = datetime.datetime.now().isoformat(timespec='seconds')
        write_atomic(jpath, json.dumps(res, indent=1))
        if not smoke: write_reports(res, out)
    return save

def settle_budget(st: dict, sname: str, args: argparse.Namespace, n_train: int, jpath: Path) -> dict:
    "The setting's budget from the command line, recorded in `st`: a new recipe renames what it can, other steps or pruning stop the run."
    budget = dict(steps=args.steps or default_steps(n_train), heads=args.heads, ffn=args.ffn,
                  recover_steps=args.recover_steps, runs=args.runs, rounds=args.rounds, recipe=args.recipe, heldout=HELDOUT)
    # settings measured before the recipe was recorded used minilmv2; before the heldout split existed, they chose on dev
    old = {'recipe': 'minilmv2', 'heldout': 0.0, **(st.get('args') or budget)}
    if st['entries'] and old['recipe'] != args.recipe:
        gone = switch_recipe(st, old['recipe'], args.recipe)
        print(f"[{sname}] pipeline recipe {old['recipe']} -> {args.recipe}: its entries renamed, {len(gone)} variants to measure again, "
              "every model re-timed", flush=True)
        old['recipe'] = args.recipe
    diff = {k: (old.get(k), v) for k, v in budget.items() if k in ('steps', 'heads', 'ffn', 'recover_steps', 'heldout') and old.get(k) != v}
    if st['entries'] and diff:
        raise SystemExit(f"{jpath}: setting {sname!r} was measured with {', '.join(f'{k}={a}' for k, (a, b) in diff.items())}, not "
                         f"{', '.join(f'{k}={b}' for k, (a, b) in diff.items())}; pass those values, or delete the setting from the file to redo it")
    st['args'] = budget
    return budget

def measure(model, extra: dict, data, typ: int, runs: int, t0: float) -> dict:
    "An entry of compare.json: `model`'s dev metrics, parameters, file size, FLOPs, latency and memory (`extra`: its info)."
    if '_size_bytes' in extra:      # a PyTorch-quantized model: no safetensors file; counted on its float shape
        shape = extra.pop('_shape')
        p = dict(params=count_params(shape), size_bytes=extra.pop('_size_bytes'), flops=flops(shape, 128), memory=peak_memory(model, 1, 128),
                 latency=[latency(model, b, n, min_runs=runs, min_seconds=1.0) for b in (1, 32) for n in dict.fromkeys((128, typ))])
    else: p = profile(model, seq_len=128, batch_sizes=(1, 32), typical_len=typ, runs=runs, min_seconds=1.0).to_dict()
    return dict(dev=evaluate(model, data), params=p['params'], size_bytes=p['size_bytes'], flops=p['flops'],
                latency=p['latency'], memory=p['memory'], seconds=round(time.perf_counter() - t0, 1), info=extra,
                int_parts=list(integer_parts(model)))

@dataclass
class Setting:
    "One setting being measured: what its models are built from, and each entry's maker in the order the entries are added."
    name: str                       # a key of SETTINGS
    st: dict                        # its part of compare.json, updated in place
    data: object                    # the compression data; its dev split scores every model
    tdir: Path                      # the fine-tuned teacher's model directory
    typ: int                        # the task's typical length: the median token count of its dev examples
    args: argparse.Namespace        # the command line with this setting's budget
    wd: Path                        # its work directory: models and pipeline runs
    save: Callable[[], None]        # writes the results; called after every entry
    makers: dict = field(default_factory=dict)      # entry name -> the function that builds (or loads) its model

    @property
    def task(self) -> str: return SETTINGS[self.name][0]
    @property
    def metric(self) -> str: return get_task(self.task).main_metric
    @property
    def variants(self) -> tuple:
        return tuple(v for v in CORE_VARIANTS + (EXTRA_VARIANTS if self.name == HEADLINE else ()) if v not in CUT_VARIANTS.get(self.name, {}))
    @property
    def student(self) -> dict: return student_of(self.name)
    @property
    def length_groups(self) -> int | None: return LENGTH_GROUPS.get(self.name)

    def config(self, **kw) -> RunConfig:
        "EdgeMIN's pipeline in this setting at its budget (`kw`: stages, vocab, name, recipe)."
        return edgemin_config(self.task, self.tdir, SETTINGS[self.name][2], self.args, student=self.student, length_groups=self.length_groups, **kw)

    def entry(self, name: str, make: Callable):
        "Measure the model `make()` returns, unless this entry is done."
        self.makers[name] = make
        if name in self.st['entries']: return
        if self.args.train_only:        # build and keep the model, measure later when the CPU is free
            if name.startswith('teacher'): return
            make(); print(f"[{self.name}] {name}: trained", flush=True); return
        t0 = time.perf_counter()
        model, extra = make()
        self.st['entries'][name] = measure(model, extra or {}, self.data, self.typ, self.args.runs, t0)
        self.save(); print(f"[{self.name}] {name}: {self.st['entries'][name]['dev']} {_lat(self.st['entries'][name]):.1f} ms", flush=True)

def open_setting(sname: str, res: dict, args: argparse.Namespace, work: Path, jpath: Path, save: Callable[[], None]) -> Setting:
    "Setting `sname` ready to measure: its teacher (fine-tuned if not cached), its data, its record in `res` and its budget."
    task, tfrac, cfrac = SETTINGS[sname]
    ck = teacher_of(sname)
    tdata = task_data(task, tfrac, checkpoint=ck)
    tdir = teacher_dir(tdata, tfrac, ck)
    data = task_data(task, cfrac, checkpoint=ck)
    if args.smoke: data = data.take(64)
    typ = int(np.median([len(x) for x in data.encoded[data.eval_split]['input_ids']]))
    st = res['settings'].setdefault(sname, {'task': task, 'teacher_fraction': tfrac, 'compression_fraction': cfrac, 'entries': {}})
    trec = json.loads((tdir/'record.json').read_text())
    st.update(teacher=ck, teacher_dir=str(tdir), teacher_layers=json.loads((tdir/'config.json').read_text())['num_hidden_layers'],
              teacher_wall_time_s=trec.get('wall_time_s'), student=student_of(sname), typical_len=typ, constant=constant_baseline(data))
    budget = settle_budget(st, sname, args, len(data.encoded['train']), jpath)
    return Setting(sname, st, data, tdir, typ, argparse.Namespace(**{**vars(args), **budget}), work/sname, save)

def add_teachers(s: Setting):
    "The fp32 teacher under PyTorch and ONNX Runtime, and INT8 as a user would quantize it without EdgeMIN; returns the teacher."
    teacher, tdir, wd = load_model(s.tdir), s.tdir, s.wd
    s.entry('teacher fp32 (PyTorch)', lambda: (teacher, {'source': str(tdir)}))
    s.entry('teacher fp32 (ONNX Runtime)', lambda: (OnnxClassifier(export_onnx(teacher, wd/'teacher-fp32'/'model.onnx'), teacher.config), None))
    def optimum():
        path, info = optimum_int8(tdir, wd/'teacher-optimum', teacher.config, s.args.runs)
        return OnnxClassifier(path, teacher.config), info
    s.entry(OPTIMUM, optimum)
    def torch_dynamic():
        q, rec = quantize(teacher, QuantizeConfig(backend='torch'), s.data, workdir=wd/'teacher-torch-dynamic')
        return q, {'size_note': 'state dict as torch.save writes it', '_size_bytes': rec.size_bytes, '_shape': teacher}
    s.entry('teacher INT8, PyTorch dynamic', torch_dynamic)
    return teacher

def run_pipeline(s: Setting) -> tuple[Path, dict]:
    "EdgeMIN's full pipeline with the setting's recipe, run or resumed: its run directory and each stage's wall time."
    R = s.args.recipe
    main_dir = s.wd/f'edgemin{pipeline_dir(R)}'
    full = s.config(recipe=R)
    if R != 'minilmv2':         # the same configuration may have run as the recipe's ablation: start from its stages
        seed_stages(s.wd/RECIPE_DIRS[R], main_dir, full, ['teacher', 'distill', 'prune', 'quantize'])
    rep = run(full, main_dir, progress=False)
    return main_dir, ({st['stage']: st['wall_time_s'] for st in rep.data['stages']} if hasattr(rep, 'data') else {})

def ablation(s: Setting, main_dir: Path, r: str) -> Path:
    "The whole pipeline with recipe `r` in the distillation stage (run directories named as when `r` was ablated)."
    d = RECIPE_DIRS[r]
    cfg = s.config(name=d, recipe=r)
    seed_stages(main_dir, s.wd/d, cfg, ['teacher'])
    run(cfg, s.wd/d, progress=False)
    return s.wd/d

def variant(s: Setting, main_dir: Path, name: str, stages: tuple, vocab: bool = True, reuse: tuple = ('teacher', 'distill')):
    "The pipeline with other `stages` (or without vocabulary trimming), starting from the stages `reuse` of the full run: its last model."
    R = s.args.recipe
    d = s.wd/f'{name}{pipeline_dir(R)}'
    cfg = s.config(stages=stages, vocab=vocab, name=name, recipe=R)
    seed_stages(main_dir, d, cfg, list(reuse))
    run(cfg, d, progress=False)
    last = d/stages[-1]
    return (OnnxClassifier.from_bundle(last) if stages[-1] == 'quantize' else load_model(last)), {'stages': list(stages), 'recipe': R}

def classic_student(s: Setting, teacher, obj: str, seed: int):
    "Classic student `obj` at the setting's budget with training seed `seed`, distilled once and kept: the model and its wall time."
    path = s.wd/(f'student-{obj}-heldout' + (f'-seed{seed}' if seed else ''))   # kept, so that an interrupted run does not distill it again
    if (path/'record.json').is_file():
        return load_model(path), json.loads((path/'record.json').read_text())['wall_time_s']
    cfg = recipe(obj, max_steps=s.args.steps, lr=1e-4, batch_size=32, seed=seed, length_groups=s.length_groups)
    data = s.data.holdout(HELDOUT, seed=0)  # the pipeline's split for every seed: checkpoints chosen on it, as EdgeMIN's are
    st, rec = distill(make_student(teacher, **s.student, data=data, seed=seed), teacher, data, cfg, progress=False)
    rd = rec.to_dict()
    save_model(st, path, s.data.tokenizer); (path/'record.json').write_text(json.dumps(rd, default=str))
    return st, rd.get('wall_time_s')

def add_students(s: Setting, teacher, pipe: Callable[[], tuple[Path, dict]]):
    "The pipeline's distillation stage, then the classic students at its size and step budget (each kept once distilled)."
    R = s.args.recipe
    s.entry(distilled_name(R), lambda: (load_model(pipe()[0]/'distill'), {'wall_time_s': pipe()[1].get('distill'), 'recipe': R}))
    for obj in CLASSIC:
        def classic(obj=obj):
            model, wall_s = classic_student(s, teacher, obj, 0)
            return model, {'wall_time_s': wall_s}
        s.entry(f'student {obj}', classic)
    if R != 'minilmv2':         # MiniLMv2 in the classic set: the relation-first recipe's distillation stage
        s.entry(f"student {RECIPE_LABELS['minilmv2']}", lambda: (load_model(ablation(s, pipe()[0], 'minilmv2')/'distill'), {'recipe': 'minilmv2'}))

def add_seeds(s: Setting, teacher):
    """Seeds 1 .. --seeds - 1 of every distillation-stage student (the pipeline's stage with its recipe, the classic students and,
    where it is not the pipeline's recipe, the relation-first one), each scored on dev into its entry's `dev_seeds`. No timing
    or profile: a seed changes no shape. The heldout split stays the one of seed 0, so every seed chooses on the same sentences."""
    if s.args.seeds < 2: return
    R = s.args.recipe
    def stage(r: str, k: int):
        "The pipeline's distillation stage alone with recipe `r` and seed `k` (kept in its own run directory)."
        d = s.wd/f'seed{k}-distill-{r}'
        cfg = replace(s.config(stages=('distill',), name=f'{r} seed {k}', recipe=r), seed=k)
        run(cfg, d, progress=False)
        return load_model(d/'distill')
    others = {f'student {o}': (lambda k, o=o: classic_student(s, teacher, o, k)[0]) for o in CLASSIC}
    if R != 'minilmv2': others[f"student {RECIPE_LABELS['minilmv2']}"] = lambda k: stage('minilmv2', k)
    # EdgeMIN's stage first, then the others by their seed-0 score, best first: a run cut short has the comparison that matters
    seed0 = lambda n: s.st['entries'][n]['dev'][s.metric] if n in s.st['entries'] else float('-inf')
    makers = {distilled_name(R): lambda k: stage(R, k), **{n: others[n] for n in sorted(others, key=seed0, reverse=True)}}
    for k in range(1, s.args.seeds):
        for name, make in makers.items():
            e = s.st['entries'].get(name)
            if e is None or str(k) in e.get('dev_seeds', {}): continue     # seed 0 first (the entry), each seed once
            e.setdefault('dev_seeds', {})[str(k)] = evaluate(make(k), s.data)
            s.save(); print(f"[{s.name}] {name} seed {k}: {e['dev_seeds'][str(k)]}", flush=True)

def add_edgemin(s: Setting, pipe: Callable[[], tuple[Path, dict]]):
    "EdgeMIN without quantization and whole, its variants, and the whole pipeline with each other distillation recipe."
    R = s.args.recipe
    s.entry(VARIANT_NAMES['no-quant'], lambda: (load_model(pipe()[0]/'prune'), {'wall_time_s': pipe()[1].get('prune')}))
    s.entry(FINAL, lambda: (OnnxClassifier.from_bundle(pipe()[0]/'quantize'), {'pipeline_wall_time_s': pipe()[1], 'recipe': R}))
    s.entry(VARIANT_NAMES['no-prune'], lambda: variant(s, pipe()[0], 'no-prune', ('distill', 'quantize')))
    if 'no-vocab' in s.variants:
        s.entry(VARIANT_NAMES['no-vocab'], lambda: variant(s, pipe()[0], 'no-vocab', ('distill', 'prune', 'quantize'), vocab=False))
    if 'prune-first' in s.variants:
        s.entry(VARIANT_NAMES['prune-first'], lambda: variant(s, pipe()[0], 'prune-first', ('prune', 'distill', 'quantize'), reuse=('teacher',)))
    # the same pipeline with each other recipe in the distillation stage: the DistilBERT-style objective (soft targets,
    # labels, hidden-state cosine), MiniLMv2 relations before the soft targets, or both together in one phase
    # (in another setting, only a recipe's pipeline kept from before a recipe switch: its model is on disk, so it is re-timed with the rest)
    for r in RECIPE_DIRS:
        if r != R and ('recipes' in s.variants or ablation_name(r) in s.st['entries']):
            s.entry(ablation_name(r), lambda r=r: (OnnxClassifier.from_bundle(ablation(s, pipe()[0], r)/'quantize'), {'recipe': r}))

def add_models(s: Setting):
    "Every entry of the setting, built or loaded and measured unless done, in the order of compare.md."
    teacher = add_teachers(s)
    # EdgeMIN's pipeline, run (or resumed) when the first entry built from it is: before the classic students, as its distillation
    # stage is also the MiniLMv2 student of the classic set; never when every entry is measured (a --seeds rerun needs none of it)
    pipe = functools.cache(lambda: run_pipeline(s))
    add_students(s, teacher, pipe)
    add_edgemin(s, pipe)
    add_seeds(s, teacher)
    s.st['entries'] = {**{n: s.st['entries'][n] for n in s.makers if n in s.st['entries']}, **s.st['entries']}   # the order of this code

def recheck(s: Setting, models: dict):
    "Score every model on dev again: one rebuilt since it was measured (a fresh cache retrains it with the same seed) must score as recorded."
    m = s.metric
    for n, mdl in models.items():
        s.st['entries'][n]['int_parts'] = list(integer_parts(mdl))     # which products run in INT8 (the roofline column)
        got, want = evaluate(mdl, s.data)[m], s.st['entries'][n]['dev'][m]
        s.st['entries'][n]['dev_recheck'] = got
        if moved(got, want): print(f"[{s.name}] {n}: dev {m} now {got:.4f}, recorded {want:.4f}", flush=True)

def retime(s: Setting) -> dict[str, list[float]]:
    "Every entry scored on dev again and its batch-1 latency re-timed in interleaved passes (free of the CPU's drift between entries); the passes."
    models = {n: s.makers[n]()[0] for n in s.st['entries'] if n in s.makers}      # every model is cached: loads, no training
    recheck(s, models)
    passes = interleaved_passes(models, s.args.rounds, s.args.runs)
    for n, ps in passes.items(): s.st['entries'][n]['bs1_interleaved'] = dict(rounds=s.args.rounds, passes_ms=ps, median_ms=float(np.median(ps)))
    return passes

def headline(st: dict, passes: dict, rounds: int, m: str) -> dict:
    "The setting's headline: the fp32 PyTorch teacher against EdgeMIN's final model, batch-1 latency from the interleaved passes."
    t1, f1 = passes['teacher fp32 (PyTorch)'], passes[FINAL]
    te, fe = st['entries']['teacher fp32 (PyTorch)'], st['entries'][FINAL]
    return dict(final=FINAL, rounds=rounds, teacher_bs1_passes=t1, final_bs1_passes=f1,
                teacher_bs1_ms=float(np.median(t1)), final_bs1_ms=float(np.median(f1)),
                teacher_size=te['size_bytes'], final_size=fe['size_bytes'], teacher_dev=te['dev'][m], final_dev=fe['dev'][m],
                size_ratio=te['size_bytes'] / fe['size_bytes'], latency_ratio_bs1=float(np.median(t1)) / float(np.median(f1)),
                accuracy_retention=fe['dev'][m] / te['dev'][m])

def measure_setting(s: Setting):
    "Every entry of the setting measured, then all re-timed together; its headline, machine and time recorded."
    add_models(s)
    if s.args.train_only: return
    if s.st.get('headline') and all('bs1_interleaved' in e for e in s.st['entries'].values()):
        for n, e in s.st['entries'].items():        # entries measured before the roofline column: which products are INT8 (no timing)
            if 'int_parts' not in e and n in s.makers: e['int_parts'] = list(integer_parts(s.makers[n]()[0]))
        s.save(); return                # every entry already re-timed: rerunning a finished setting measures nothing again
    passes = retime(s)
    s.st['headline'] = headline(s.st, passes, s.args.rounds, s.metric)
    s.st.update(environment=environment(), measured=datetime.datetime.now().isoformat(timespec='seconds'))  # this setting's machine and time
    s.save()

def main(argv=None):
    "Measure the settings named on the command line into compare.json and the reports (with --render: only write the reports again)."
    args = parse_args(argv)
    if args.render: return write_reports(json.loads((RESULTS/'compare.json').read_text()), RESULTS)
    if args.smoke: args.steps, args.recover_steps, args.runs, args.rounds = 4, 2, 2, 2
    out = RESULTS; out.mkdir(parents=True, exist_ok=True)
    jpath = out/('compare_smoke.json' if args.smoke else 'compare.json')
    res = load_results(jpath, args.smoke)
    work = compare_work(args.smoke)
    if args.smoke: shutil.rmtree(work, ignore_errors=True)
    save = saver(res, jpath, out, args.smoke)
    for sname in args.settings: measure_setting(open_setting(sname, res, args, work, jpath, save))
    save()

if __name__ == '__main__':
    main()
