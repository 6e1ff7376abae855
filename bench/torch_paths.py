"""The PyTorch teacher of a compare.py setting on each CPU path PyTorch offers, side by side: eager (what compare.py
times), TorchScript traced and frozen, torch.compile (inductor), bfloat16 autocast (eager and compiled) where the CPU
has bfloat16 instructions, and PyTorch's dynamic INT8 (eager and traced). Each with its dev metric (a path that changes
the arithmetic is scored on dev; traced and compiled fp32 paths are checked equal to eager on dev batches) and its
latency at batch 1 x 128 tokens, batch 1 x the task's typical length and batch 32 x 128, timed in interleaved passes.
This is how compare.md's PyTorch baselines are known to be at their best path, or by how much they are not.
Needs the setting's teacher (bench/compare.py trains it); run it alone.

    python bench/torch_paths.py --setting mrpc      # results: bench/results/torch_paths.json (one entry per setting) and .md
"""
import argparse, datetime, json, os, sys, time, types
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
import numpy as np
import torch
from torch import nn
from settings import RESULTS, SETTINGS
from common import write_atomic, task_data
from edgemin.checkpoint import load_model
from edgemin.quantize import QuantizeConfig, quantize
from edgemin.profile import latency, environment
from edgemin.train import evaluate

SHAPES = lambda typ: [(1, 128), (1, typ), (32, 128)]

class Path_(nn.Module):
    "A model run one way: `kind` eager, trace (traced and frozen per input shape) or compile; `bf16` under CPU autocast."
    def __init__(self, model: nn.Module, kind: str = 'eager', bf16: bool = False):
        super().__init__()
        self.model, self.kind, self.bf16, self.config, self._traced = model.eval(), kind, bf16, model.config, {}
        if kind == 'compile': self._compiled = torch.compile(model)
    def _run(self, kw: dict):
        if self.kind == 'eager': return self.model(**kw).logits
        if self.kind == 'compile': return self._compiled(**kw).logits
        key = tuple((k, tuple(v.shape)) for k, v in sorted(kw.items()))
        if key not in self._traced:      # a trace bakes in the shapes it saw: one per input shape
            self._traced[key] = torch.jit.freeze(torch.jit.trace(self.model, example_kwarg_inputs=kw, strict=False).eval())
        out = self._traced[key](**kw)
        return out['logits'] if isinstance(out, dict) else out[0]
    def forward(self, **kw):
        with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=self.bf16):
            return types.SimpleNamespace(logits=self._run(kw).float())

def bf16_instructions() -> bool:
    "Does this CPU compute in bfloat16 natively (AVX512-BF16 or AMX-BF16)? Without them autocast only emulates it, slowly."
    try: flags = set(Path('/proc/cpuinfo').read_text().split())
    except OSError: return False
    return bool(flags & {'avx512_bf16', 'amx_bf16'})

def dev_batches_equal(a: nn.Module, b: nn.Module, data, n: int = 64) -> float:
    "Largest |logit difference| of two paths on the first `n` dev examples, one example at a time (no padding)."
    worst = 0.0
    for ex in data.encoded[data.eval_split].select(range(min(n, len(data.encoded[data.eval_split])))):
        kw = {k: torch.tensor([ex[k]]) for k in ('input_ids', 'attention_mask') if k in ex}
        worst = max(worst, float((a(**kw).logits - b(**kw).logits).abs().max()))
    return worst

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--setting', default='mrpc', choices=list(SETTINGS))
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--runs', type=int, default=20)
    args = ap.parse_args(argv)
    st = json.loads((RESULTS/'compare.json').read_text())['settings'].get(args.setting)
    if not st: raise SystemExit(f"bench/results/compare.json has no setting {args.setting!r}: run bench/compare.py --settings {args.setting} first")
    task, _, frac = SETTINGS[args.setting]
    data, teacher, typ = task_data(task, frac), load_model(st['teacher_dir']), st['typical_len']
    metric = data.task.main_metric
    int8, _ = quantize(teacher, QuantizeConfig(backend='torch'), None)
    bf16_ok = bf16_instructions()
    paths = {'fp32 eager': Path_(teacher), 'fp32 TorchScript (traced, frozen)': Path_(teacher, 'trace'),
             'fp32 torch.compile': Path_(teacher, 'compile')}
    if bf16_ok: paths.update({'bf16 autocast eager': Path_(teacher, bf16=True), 'bf16 autocast torch.compile': Path_(teacher, 'compile', bf16=True)})
    paths.update({'INT8 dynamic eager': Path_(int8), 'INT8 dynamic TorchScript (traced, frozen)': Path_(int8, 'trace')})
    out = {}
    for name, p in paths.items():
        t0 = time.perf_counter()
        same_as = 'fp32 eager' if name.startswith('fp32') else 'INT8 dynamic eager' if name.startswith('INT8') else None
        if same_as and name != same_as:      # the same arithmetic as eager: checked, not re-scored
            o = dict(same_as=same_as, max_abs_logit_diff=dev_batches_equal(paths[same_as], p, data))
        else: o = dict(dev=evaluate(p, data)[metric])
        o['prepare_s'] = round(time.perf_counter() - t0, 1)
        o['passes_ms'] = {f"{b}x{n}": [] for b, n in SHAPES(typ)}
        out[name] = o
        print(f"{name}: {o}", flush=True)
    for _ in range(args.rounds):                # interleaved: every path timed once per pass, so drift cancels
        for name, p in paths.items():
            for b, n in SHAPES(typ):
                out[name]['passes_ms'][f"{b}x{n}"].append(latency(p, b, n, min_runs=args.runs if b == 1 else max(3, args.runs // 4), min_seconds=0.5)['median_ms'])
    for o in out.values(): o['median_ms'] = {k: float(np.median(v)) for k, v in o['passes_ms'].items()}
    path = RESULTS/'torch_paths.json'
    res = json.loads(path.read_text()) if path.is_file() else {'settings': {}}
    res['settings'][args.setting] = dict(updated=datetime.datetime.now().isoformat(timespec='seconds'), environment=environment(),
                                         load_1m=round(os.getloadavg()[0], 2), metric=metric, typical_len=typ, rounds=args.rounds,
                                         torch=torch.__version__, bf16_instructions=bf16_ok, paths=out)
    write_atomic(path, json.dumps(res, indent=1)); write_atomic(RESULTS/'torch_paths.md', render_md(res))
    print(render_md(res))

def render_md(res: dict) -> str:
    lines = ['# The PyTorch teacher on each CPU path', '', "Generated by `python bench/torch_paths.py`: a compare.py setting's fine-tuned "
             "teacher run by PyTorch in every way it offers on a CPU; the median of interleaved passes. compare.md times the eager path; "
             "the last column says how much faster the fastest path is at batch 1 × 128 tokens.", '']
    for sname, s in res['settings'].items():
        e, typ, p = s['environment'], s['typical_len'], s['paths']
        eager = p['fp32 eager']['median_ms']
        lines += [f"## {sname} ({e['cpu']}, {e['physical_cores']} cores, torch {s['torch']}, {s['updated']}, load {s['load_1m']}, {s['rounds']} passes)", '',
                  f"| path | dev {s['metric']} | bs1 ms ×128 | bs1 ms ×{typ} | bs32 ms ×128 | × eager fp32 bs1 ×128 |", '|---|---:|---:|---:|---:|---:|']
        for n, o in p.items():
            dev = f"{o['dev']:.4f}" if 'dev' in o else f"= {o['same_as']} (logits within {o['max_abs_logit_diff']:.0e})"
            m = o['median_ms']
            lines.append(f"| {n} | {dev} | {m['1x128']:.1f} | {m[f'1x{typ}']:.1f} | {m['32x128']:.0f} | {eager['1x128'] / m['1x128']:.2f} |")
        best = min((n for n in p if n.startswith('fp32')), key=lambda n: p[n]['median_ms']['1x128'])
        lines += ['', f"Fastest fp32 path at batch 1 × 128: {best} ({p[best]['median_ms']['1x128']:.1f} ms against eager's {eager['1x128']:.1f} ms).", '']
    return '\n'.join(lines) + '\n'

if __name__ == '__main__':
    main()
