"""An EdgeMIN bundle on 64-bit ARM (aarch64), emulated: PyPI's aarch64 onnxruntime wheel, run by an arm64 Python from
Debian under qemu-user, against x86 onnxruntime on the same inputs. Correctness only: emulated timings mean nothing, so
none are taken.

Set-up (`--setup`, Debian, as root): installs qemu-user-static, adds Debian's arm64 architecture to apt, downloads the
arm64 packages of Python 3.11 and the C libraries it needs and unpacks them into a private root (nothing is installed
for arm64 system-wide), and installs onnxruntime's and numpy's aarch64 wheels from PyPI into it. One fix is needed:
under qemu-user, /proc/cpuinfo shows the x86 host, and ONNX Runtime's CPU detection crashes on it, so the private root
holds an aarch64 /proc/cpuinfo (two Neoverse-N1 cores; qemu-user reads files from the root given by -L first). qemu emulates
a Neoverse-N1 (ARMv8.2 with dot products: AWS Graviton2's core) to match: with `-cpu max` (ARMv9, SVE2, I8MM) this qemu
(7.2) gave wrong INT8 logits (labels agreed on 50% of 300 sentences, confident ones flipped), and with `-cpu cortex-a72`
(ARMv8.0) the wheel stops on an illegal instruction.

    python bench/arm.py --setup                  # once (downloads about 60 MB)
    python bench/arm.py                          # the demo's bundle (runs/sst2-offline/quantize), 300 SST-2 dev sentences
    python bench/arm.py --bundle DIR --n 300

Results: bench/results/arm.json and arm.md.
"""
import argparse, datetime, gzip, json, os, shutil, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import ROOT, RESULTS
from common import write_atomic, glue_dir

ARM = Path(os.environ.get('EDGEMIN_CACHE', Path.home()/'.cache'/'edgemin'))/'arm64'
ORT_VERSION = '1.32.0'          # the x86 side's version: the same release on both architectures
DEBS = ['libc6', 'python3.11-minimal', 'libpython3.11-minimal', 'libpython3.11-stdlib', 'libexpat1', 'zlib1g', 'libssl3', 'libffi8',
        'libstdc++6', 'libgcc-s1', 'libbz2-1.0', 'liblzma5', 'libsqlite3-0', 'libuuid1', 'libncursesw6', 'libtinfo6', 'libreadline8',
        'libcrypt1', 'libdb5.3', 'libgdbm6', 'libnsl2', 'libtirpc3']
CPUINFO = ''.join(f"processor\t: {i}\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid "
                  "asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\n"
                  "CPU revision\t: 1\n\n" for i in range(2))
QEMU = ['qemu-aarch64-static', '-cpu', 'neoverse-n1', '-L', str(ARM/'root'), '-E', f"PYTHONPATH={ARM/'site'}", str(ARM/'root'/'usr'/'bin'/'python3.11')]

def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0: raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{(r.stderr or r.stdout)[-1500:]}")
    return r.stdout

def setup():
    "The private arm64 root with Python 3.11, onnxruntime and numpy (see the module docstring)."
    if not shutil.which('qemu-aarch64-static'): run(['apt-get', 'install', '-y', 'qemu-user-static'])
    if 'arm64' not in run(['dpkg', '--print-foreign-architectures']).split():
        run(['dpkg', '--add-architecture', 'arm64']); run(['apt-get', 'update'])
    debs = ARM/'debs'; debs.mkdir(parents=True, exist_ok=True)
    run(['apt-get', 'download', *[f'{d}:arm64' for d in DEBS]], cwd=debs)
    for f in sorted(debs.glob('*.deb')): run(['dpkg', '-x', str(f), str(ARM/'root')])
    (ARM/'root'/'proc').mkdir(parents=True, exist_ok=True); (ARM/'root'/'proc'/'cpuinfo').write_text(CPUINFO)
    run([sys.executable, '-m', 'pip', 'install', '-q', '--target', str(ARM/'site'), '--python-version', '3.11', '--implementation', 'cp',
         *[a for p in ('manylinux2014_aarch64', 'manylinux_2_17_aarch64', 'manylinux_2_28_aarch64') for a in ('--platform', p)],
         '--only-binary=:all:', f'onnxruntime=={ORT_VERSION}', 'numpy'])
    print(run([*QEMU, '-c', "import onnxruntime, numpy, platform; print(platform.machine(), 'onnxruntime', onnxruntime.__version__, 'numpy', numpy.__version__)"]).strip())

ARM_SCRIPT = """
import sys, json, platform, numpy as np, onnxruntime as ort
d = sys.argv[1]
s = ort.InferenceSession(d + '/model.onnx', providers=['CPUExecutionProvider'])
names = {i.name for i in s.get_inputs()}
feeds = np.load(d + '/inputs.npz')
out = []
for i in range(int(feeds['n'])):
    f = {k: feeds[f'{k}_{i}'] for k in ('input_ids', 'attention_mask', 'token_type_ids') if k in names}
    out.append(s.run(None, f)[0][0])
np.save(d + '/arm_logits.npy', np.array(out))
print(json.dumps({'machine': platform.machine(), 'onnxruntime': ort.__version__, 'python': platform.python_version()}))
"""

def compare(bundle: Path, n: int) -> dict:
    "x86 and emulated aarch64 onnxruntime logits of the bundle on `n` SST-2 dev sentences, tokenized once on x86."
    import numpy as np, onnxruntime as ort
    from tokenizers import Tokenizer
    texts = [l.split('\t')[0] for l in gzip.open(Path(glue_dir())/'SST-2'/'dev.tsv.gz', 'rt').read().splitlines()[1:n + 1]]
    tok = Tokenizer.from_file(str(bundle/'tokenizer.json')); tok.enable_truncation(128)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(bundle/'model.onnx', Path(tmp)/'model.onnx')
        feeds = {'n': np.array(len(texts))}
        for i, t in enumerate(texts):
            e = tok.encode(t)
            feeds.update({f'input_ids_{i}': np.array([e.ids], np.int64), f'attention_mask_{i}': np.array([e.attention_mask], np.int64),
                          f'token_type_ids_{i}': np.array([e.type_ids], np.int64)})
        np.savez(Path(tmp)/'inputs.npz', **feeds)
        info = json.loads(run([*QEMU, '-c', ARM_SCRIPT, tmp]).strip().splitlines()[-1])
        arm = np.load(Path(tmp)/'arm_logits.npy')
    s = ort.InferenceSession(str(bundle/'model.onnx'), providers=['CPUExecutionProvider'])
    names = {i.name for i in s.get_inputs()}
    x86 = np.array([s.run(None, {k: feeds[f'{k}_{i}'] for k in ('input_ids', 'attention_mask', 'token_type_ids') if k in names})[0][0]
                    for i in range(len(texts))])
    diff = np.abs(arm - x86)
    p = np.exp(x86 - x86.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    flips = np.nonzero(arm.argmax(1) != x86.argmax(1))[0]
    return dict(n=len(texts), arm=info, max_abs_logit_diff=float(diff.max()), mean_abs_logit_diff=float(diff.mean()),
                label_agreement=float((arm.argmax(1) == x86.argmax(1)).mean()),
                flips=[dict(text=texts[i], x86_prob=round(float(p[i].max()), 3)) for i in flips])

def render(res: dict) -> str:
    c = res['compare']
    return '\n'.join([
        '# An EdgeMIN bundle on 64-bit ARM (emulated)', '',
        f"Generated by `python bench/arm.py` on {res['updated']}; bundle `{res['bundle']}`; x86 side: {res['environment']['cpu']}, onnxruntime "
        f"{res['environment']['onnxruntime']}; ARM side: {c['arm']['machine']} Python {c['arm']['python']} (Debian arm64) with PyPI's aarch64 "
        f"onnxruntime {c['arm']['onnxruntime']}, under qemu-user {res['qemu']} (`-cpu neoverse-n1`). Correctness only: no timing is taken under emulation.", '',
        f"On {c['n']} SST-2 dev sentences, tokenized once: the labels agree on **{c['label_agreement']:.1%}**; the logits differ by at most "
        f"{c['max_abs_logit_diff']:.3f} (mean {c['mean_abs_logit_diff']:.4f}). The INT8 products run on different kernels on each "
        "architecture (x86 VNNI against ARM's), so the logits are close, not equal"
        + (f"; the labels that differ are near-ties (x86 probability {', '.join(str(f['x86_prob']) for f in c['flips'][:8])})." if c['flips'] else '.'), ''])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--setup', action='store_true')
    ap.add_argument('--bundle', default=str(ROOT/'runs'/'sst2-offline'/'quantize'))
    ap.add_argument('--n', type=int, default=300)
    args = ap.parse_args(argv)
    if args.setup: return setup()
    if not (ARM/'site'/'onnxruntime').is_dir(): raise SystemExit(f"no arm64 root at {ARM}: run `python bench/arm.py --setup` first")
    b = Path(args.bundle)
    if not (b/'model.onnx').is_file(): raise SystemExit(f"{b} is no bundle: run `make demo` first, or pass --bundle")
    from edgemin.profile import environment
    res = dict(bundle=str(b.relative_to(ROOT) if b.is_relative_to(ROOT) else b), environment=environment(),
               qemu=run(['qemu-aarch64-static', '--version']).split()[2], compare=compare(b, args.n),
               updated=datetime.datetime.now().isoformat(timespec='seconds'))
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_atomic(RESULTS/'arm.json', json.dumps(res, indent=1)); write_atomic(RESULTS/'arm.md', render(res))
    print(render(res))

if __name__ == '__main__':
    main()
