"""How one model's latency drifts on this machine with nothing else changing: a compare.py setting's EdgeMIN model,
loaded once in a fresh process, timed at batch 1 x 128 tokens again and again for a few minutes (each point the median
of a short burst), then the same with the session's threads not spinning. It tells whether a difference between two
latencies measured at different moments can be trusted here, and why compare.py times its models in interleaved passes.
Run it alone.

    python bench/drift.py --setting mrpc --minutes 3      # results: bench/results/drift.json and drift.md
"""
import argparse, datetime, json, os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
import numpy as np
from settings import RESULTS, FINAL
from common import write_atomic, pipeline_run
from edgemin.runtime import OnnxClassifier, SessionSettings
from edgemin.profile import latency, environment

def series(model, seconds: float, burst: int) -> list[list[float]]:
    "[[seconds since start, median ms of a burst of `burst` runs], ...] for `seconds`."
    out, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        ms = latency(model, 1, 128, warmup=1, min_runs=burst, min_seconds=0.0, max_runs=burst)['median_ms']
        out.append([round(time.perf_counter() - t0, 2), round(ms, 3)])
    return out

def modes(ms: np.ndarray) -> dict:
    "Two levels by 1-D 2-means: the median and share of each; `bimodal` when both hold 10% of the points and lie 20% apart."
    lo_c, hi_c = np.percentile(ms, 10), np.percentile(ms, 90)
    for _ in range(50):
        fast = np.abs(ms - lo_c) <= np.abs(ms - hi_c)
        lo_c, hi_c = np.median(ms[fast]), (np.median(ms[~fast]) if (~fast).any() else hi_c)
    share = float(fast.mean())
    return {'bimodal': bool(min(share, 1 - share) >= 0.1 and hi_c >= 1.2 * lo_c), 'fast_ms': float(lo_c), 'fast_share': share,
            'slow_ms': float(hi_c), 'slow_share': 1 - share}

def windows(points: list, width: float = 10.0) -> list[float]:
    "The median of each `width`-second window of the series: how long a level lasts."
    p = np.array(points)
    return [float(np.median(p[(p[:, 0] >= a) & (p[:, 0] < a + width), 1])) for a in np.arange(0, p[-1, 0], width)
            if ((p[:, 0] >= a) & (p[:, 0] < a + width)).any()]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--setting', default='mrpc')
    ap.add_argument('--minutes', type=float, default=3.0, help='per session kind (two kinds)')
    ap.add_argument('--burst', type=int, default=20, help='runs per point')
    ap.add_argument('--render', action='store_true', help='only summarise drift.json again (no timing)')
    args = ap.parse_args(argv)
    if args.render:
        res = json.loads((RESULTS/'drift.json').read_text())
        for o in res['kinds'].values():
            ms = np.array([p[1] for p in o['points']]); o.update(windows_10s_ms=windows(o['points']), **modes(ms))
        write_atomic(RESULTS/'drift.json', json.dumps(res, indent=1)); write_atomic(RESULTS/'drift.md', render_md(res)); print(render_md(res)); return
    st = json.loads((RESULTS/'compare.json').read_text())['settings'].get(args.setting)
    if not st: raise SystemExit(f"bench/results/compare.json has no setting {args.setting!r}: run bench/compare.py --settings {args.setting} first")
    bundle = pipeline_run(args.setting, st)/'quantize'
    out = {}
    for kind, spin in (('threads spin between runs (ONNX Runtime default)', '1'), ('threads do not spin', '0')):
        m = OnnxClassifier.from_bundle(bundle)
        if spin == '0':                    # the same session settings with spinning off
            base = m.settings
            class _NoSpin(SessionSettings):
                def options(self):
                    so = super().options(); so.add_session_config_entry('session.intra_op.allow_spinning', '0'); return so
            m.settings = _NoSpin(graph_optimization=base.graph_optimization, threads=base.threads, measured=base.measured)
            m._session = None
        pts = series(m, 60 * args.minutes, args.burst)
        ms = np.array([p[1] for p in pts])
        out[kind] = dict(points=pts, p10_ms=float(np.percentile(ms, 10)), median_ms=float(np.median(ms)), p90_ms=float(np.percentile(ms, 90)),
                         max_over_min=float(ms.max() / ms.min()), windows_10s_ms=windows(pts), **modes(ms))
        print(kind, {k: v for k, v in out[kind].items() if k != 'points'}, flush=True)
    res = dict(updated=datetime.datetime.now().isoformat(timespec='seconds'), environment=environment(), load_1m=round(os.getloadavg()[0], 2),
               setting=args.setting, model=FINAL, bundle=str(bundle), minutes=args.minutes, burst=args.burst, kinds=out)
    write_atomic(RESULTS/'drift.json', json.dumps(res, indent=1)); write_atomic(RESULTS/'drift.md', render_md(res))
    print(render_md(res))

def render_md(r: dict) -> str:
    e = r['environment']
    lines = ['# Latency drift of one model on this machine', '',
             f"Generated by `python bench/drift.py --setting {r['setting']} --minutes {r['minutes']}` on {r['updated']}; {e['cpu']}, "
             f"{e['physical_cores']} cores, load {r['load_1m']}. {r['model']} of the {r['setting']} setting, one ONNX Runtime session in a "
             f"fresh process, timed at batch 1 × 128 tokens for {r['minutes']} minutes per kind; each point is the median of {r['burst']} runs.", '',
             '| session | points | p10 ms | median ms | p90 ms | max / min | two levels? |', '|---|---:|---:|---:|---:|---:|---|']
    for k, o in r['kinds'].items():
        two = (f"yes: {o['fast_ms']:.2f} ms ({o['fast_share']:.0%} of points) and {o['slow_ms']:.2f} ms ({o['slow_share']:.0%})"
               if o['bimodal'] else 'no')
        lines.append(f"| {k} | {len(o['points'])} | {o['p10_ms']:.2f} | {o['median_ms']:.2f} | {o['p90_ms']:.2f} | {o['max_over_min']:.2f} | {two} |")
    lines += ['', 'Median of each 10-second window, in order (how long a level lasts):', '']
    lines += [f"- {k}: " + ', '.join(f"{x:.2f}" for x in o['windows_10s_ms']) for k, o in r['kinds'].items()]
    return '\n'.join(lines) + '\n'

if __name__ == '__main__':
    main()
