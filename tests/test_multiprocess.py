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
