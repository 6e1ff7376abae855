"""Check EdgeMIN on a GPU machine: the tiny pipeline, several GPUs against one, a short real distillation with mixed
precision, and the distilled student's latency. Prints what it measured; exits non-zero on any error.

    bash tools/gpu_check.sh                  # on a machine with a GPU (writes bench/results/gpu_check.json and .md)
    python tools/gpu_check.py --allow-cpu    # the same steps on a CPU, shortened: checks this script itself

The real distillation needs SST-2 in GLUE's classic layout (--data-dir or $EDGEMIN_GLUE_DIR) and the offline teacher
(`pip install -e ".[offline]"`) or any Hub id with --teacher.
"""
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def step(name: str, fn, out: dict):
    "Run one check, print and keep what it measured; any exception fails the whole script."
    t0 = time.perf_counter()
    print(f'== {name}', flush=True)
    res = fn()
    res['seconds'] = round(time.perf_counter() - t0, 1)
    out[name] = res
    print(json.dumps(res, indent=1), flush=True)


def environment() -> dict:
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    import transformers, accelerate
    return {'python': platform.python_version(), 'torch': torch.__version__, 'cuda': torch.version.cuda,
            'transformers': transformers.__version__, 'accelerate': accelerate.__version__, 'gpus': gpus,
            'bf16': bool(gpus) and torch.cuda.is_bf16_supported(), 'cpu': platform.processor() or platform.machine()}


def tiny_pipeline(tmp: Path) -> dict:
    "Every stage of `edgemin run` on the tiny setup; training must have run on the GPU."
    from edgemin.runconfig import RunConfig
    from edgemin.runner import run, tiny_setup
    cfg = tiny_setup(tmp/'tiny')
    rep = run(RunConfig.from_dict(cfg), tmp/'tiny-run', progress=False)
    distill = json.loads((tmp/'tiny-run'/'distill'/'record.json').read_text())
    devices = sorted({p['device'] for p in distill['phases']})
    return {'stages': [s['stage'] for s in rep.data['stages']], 'training_devices': devices,
            'final_accuracy': rep.data['stages'][-1]['metrics']['accuracy']}


def several_gpus(tmp: Path, n: int) -> dict:
    "tests/multiprocess_run.py on n GPUs against one process: every stage's weights close (GPU kernels are not bit-exact)."
    from safetensors.torch import load_file
    runs = {}
    for k, cmd in (('one', [sys.executable]), ('several', [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu',
                   '--num_processes', str(n), '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no'])):
        out = tmp/k
        subprocess.run([*cmd, str(ROOT/'tests'/'multiprocess_run.py'), str(out)], check=True, cwd=ROOT)
        runs[k] = out
    worst = {}
    for f in sorted(runs['one'].glob('*.safetensors')):
        a, b = load_file(str(f)), load_file(str(runs['several']/f.name))
        worst[f.stem] = max((a[x].float() - b[x].float()).abs().max().item() for x in a)
    bad = {k: v for k, v in worst.items() if v > 1e-2}
    if bad: raise AssertionError(f'{n} GPUs trained other weights than one process: {bad}')
    return {'processes': n, 'max_weight_difference': worst}


def distillation(args, tmp: Path, device_ok: bool) -> dict:
    "Fine-tune the teacher on SST-2 10%, distil a 4-layer student with EdgeMIN's default recipe, mixed precision on a GPU."
    from edgemin.data import prepare
    from edgemin.distill import make_student, recipe, distill
    from edgemin.teacher import finetune_teacher
    from edgemin.train import FinetuneConfig, _mixed_precision
    steps = args.steps if device_ok else 10
    data = prepare('sst2', args.teacher, max_length=128, data_dir=args.data_dir, train_fraction=0.1 if device_ok else 0.01, seed=0)
    teacher, trec = finetune_teacher(args.teacher, data, FinetuneConfig(epochs=1 if device_ok else 0.1, batch_size=32, lr=5e-5),
                                     cache=tmp/'cache', progress=False)
    student = make_student(teacher, layers=4, data=data)
    cfg = recipe('minilmv2-kd', max_steps=steps, batch_size=32, lr=1e-4, mixed_precision='auto')
    s, rec = distill(student, teacher, data, cfg, progress=False)
    return {'teacher_dev': trec.best['dev']['accuracy'], 'student_dev': rec.dev['accuracy'], 'steps': steps,
            'device': rec.phases[-1]['device'], 'mixed_precision': _mixed_precision('auto'), 'seconds_per_step': rec.seconds_per_step,
            'student': s}


def gpu_latency(model) -> dict:
    "Median milliseconds of the student's forward pass on the GPU (CUDA events), fp32 and half precision, and on the CPU."
    from edgemin.profile import latency
    res = {'cpu_bs1x128_ms': latency(model.cpu(), 1, 128)['median_ms']}
    if not torch.cuda.is_available(): return res
    m = model.cuda().eval()
    half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    for batch in (1, 32):
        ids = torch.randint(1000, 2000, (batch, 128), device='cuda')
        mask = torch.ones_like(ids)
        for label, ctx in (('fp32', torch.autocast('cuda', enabled=False)), (str(half).split('.')[-1], torch.autocast('cuda', dtype=half))):
            with torch.no_grad(), ctx:
                for _ in range(10): m(input_ids=ids, attention_mask=mask)
                times = []
                for _ in range(50):
                    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    a.record(); m(input_ids=ids, attention_mask=mask); b.record(); torch.cuda.synchronize()
                    times.append(a.elapsed_time(b))
            res[f'gpu_{label}_bs{batch}x128_ms'] = round(sorted(times)[len(times) // 2], 3)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--allow-cpu', action='store_true', help='run the steps on a CPU (shortened) to check this script')
    ap.add_argument('--data-dir', default=os.environ.get('EDGEMIN_GLUE_DIR'), help='GLUE in the classic layout (SST-2/)')
    ap.add_argument('--teacher', default='minilm-l6', help="teacher checkpoint (default the offline all-MiniLM-L6-v2)")
    ap.add_argument('--steps', type=int, default=300, help='distillation steps on the GPU')
    ap.add_argument('--write', action='store_true', help='write bench/results/gpu_check.json and .md')
    args = ap.parse_args()
    gpu = torch.cuda.is_available()
    if not gpu and not args.allow_cpu: sys.exit('gpu_check: no CUDA GPU visible to PyTorch (torch.cuda.is_available() is False); '
                                                'use --allow-cpu only to check the script itself')
    if not args.data_dir: sys.exit('gpu_check: give --data-dir or set EDGEMIN_GLUE_DIR (GLUE in the classic layout, with SST-2/)')
    out = {'when': time.strftime('%Y-%m-%d %H:%M:%S'), 'on_gpu': gpu}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        step('environment', environment, out)
        step('tiny_pipeline', lambda: tiny_pipeline(tmp), out)
        if gpu and not all(d.startswith('cuda') for d in out['tiny_pipeline']['training_devices']):
            raise AssertionError(f"training ran on {out['tiny_pipeline']['training_devices']}, not on the GPU")
        if torch.cuda.device_count() > 1: step('several_gpus', lambda: several_gpus(tmp, torch.cuda.device_count()), out)
        held = {}
        def dist():
            r = distillation(args, tmp, gpu); held['student'] = r.pop('student'); return r
        step('distillation', dist, out)
        if gpu and not out['distillation']['device'].startswith('cuda'): raise AssertionError('distillation did not run on the GPU')
        step('latency', lambda: gpu_latency(held['student']), out)
    print('gpu_check: all steps passed')
    if args.write and gpu:
        res = ROOT/'bench'/'results'
        (res/'gpu_check.json').write_text(json.dumps(out, indent=1) + '\n')
        lines = ['# GPU check', '', f"`bash tools/gpu_check.sh`, {out['when']}: {', '.join(out['environment']['gpus'])}, "
                 f"torch {out['environment']['torch']} (CUDA {out['environment']['cuda']}).", '',
                 '| check | result |', '|---|---|']
        lines += [f"| {k} | `{json.dumps({x: y for x, y in v.items() if x != 'seconds'})}` ({v['seconds']} s) |"
                  for k, v in out.items() if isinstance(v, dict)]
        (res/'gpu_check.md').write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
