"Training under a launcher with two processes (gloo on CPUs) gives what one process gives (issue #30)."
import json, os, subprocess, sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT/'tests'/'multiprocess_run.py'
STAGES = ['finetune', 'prune', 'qat'] + [f'distill-{r}' for r in
          ('minilmv2', 'minilmv2-kd', 'minilm', 'hinton', 'distilbert', 'pkd', 'tinybert', 'mlkd', 'task')]

def _run(cmd: list, out: Path):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'TQDM_DISABLE': '1', 'HF_HUB_OFFLINE': '1'}
    p = subprocess.run([*cmd, str(SCRIPT), str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and (out/'done').is_file(), p.stdout[-3000:] + p.stderr[-6000:]

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    one, two = tmp_path_factory.mktemp('one'), tmp_path_factory.mktemp('two')
    _run([sys.executable], one)
    bindir = Path(sys.executable).parent
    _run([str(bindir/'accelerate'), 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
          '--mixed_precision', 'no', '--dynamo_backend', 'no'], two)
    return one, two

def test_two_processes_really_ran(runs):
    one, two = (json.loads((d/'finetune.json').read_text()) for d in runs)
    assert (one['processes'], two['processes']) == (1, 2)
    assert one['moved'] > 1e-2 and two['moved'] > 1e-2           # training changed the weights
    assert not one['state_left'] and not two['state_left']        # the saved training state is removed at the end

@pytest.mark.parametrize('stage', STAGES)
def test_same_result_as_one_process(runs, stage):
    one, two = runs
    a, b = load_file(str(one/f'{stage}.safetensors')), load_file(str(two/f'{stage}.safetensors'))
    assert a.keys() == b.keys()
    for k in a: torch.testing.assert_close(b[k], a[k], atol=2e-3, rtol=1e-3, msg=lambda m: f'{stage} {k}: {m}')
    ra, rb = (json.loads((d/f'{stage}.json').read_text()) for d in runs)
    assert len(ra['step_losses']) == len(rb['step_losses']) > 0
    assert max(abs(x - y) for x, y in zip(ra['step_losses'], rb['step_losses'])) < 1e-3
    if 'kept_heads' in ra: assert ra['kept_heads'] == rb['kept_heads']

def test_edgemin_run_under_a_launcher(tmp_path):
    "The whole pipeline from the CLI on two processes: one writer of the run directory and the teacher cache, one report."
    from edgemin.runner import tiny_setup
    from transformers import AutoModel, AutoTokenizer
    cfg = tiny_setup(tmp_path/'setup')
    bare = tmp_path/'bare'                                                   # an encoder without a task head: the teacher stage
    AutoModel.from_pretrained(cfg['teacher']).save_pretrained(bare)         # fine-tunes it, and caches the result
    AutoTokenizer.from_pretrained(cfg['teacher']).save_pretrained(bare)
    c = json.loads((bare/'config.json').read_text())                        # as a plain transformers encoder saves it
    (bare/'config.json').write_text(json.dumps({k: v for k, v in c.items() if not k.startswith('edgemin_')}))
    cfg['teacher'] = str(bare)
    (tmp_path/'config.json').write_text(json.dumps(cfg))
    bindir = Path(sys.executable).parent
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'TQDM_DISABLE': '1', 'HF_HUB_OFFLINE': '1', 'EDGEMIN_CACHE': str(tmp_path/'cache'),
           'TMPDIR': str(tmp_path/'scratch')}
    (tmp_path/'scratch').mkdir()
    p = subprocess.run([str(bindir/'accelerate'), 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
                        '--mixed_precision', 'no', '--dynamo_backend', 'no', str(bindir/'edgemin'), 'run', str(tmp_path/'config.json'),
                        '--out', str(tmp_path/'run')], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-6000:]
    assert p.stdout.count('report: ') == 1                                   # printed by the first process only
    rep = json.loads((tmp_path/'run'/'report.json').read_text())
    assert [s['stage'] for s in rep['stages']] == ['teacher', 'distill', 'prune', 'quantize']
    assert all(l['median_ms'] > 0 for s in rep['stages'] for l in s['latency'])
    teacher = json.loads((tmp_path/'run'/'teacher'/'record.json').read_text())
    assert teacher['fine_tuned'] and teacher['steps'] == 40                # 64 examples / 16 a batch x 10 epochs: the global batch
    assert len(list((tmp_path/'cache'/'teachers').iterdir())) == 1           # one cache entry, no leftovers
    assert not list((tmp_path/'scratch').glob('edgemin-process-*'))          # the other process's scratch copy is gone
