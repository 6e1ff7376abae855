"""Sweeps and ablations on a tiny task: configurations run in parallel worker processes, failures are reported per
configuration, tables and plots are written; Ray runs the same jobs when it is installed."""
import json
from pathlib import Path
import numpy as np
import pytest

from edgemin.data import tiny_tokenizer
from edgemin.models import tiny_model
from edgemin.checkpoint import save_model
from edgemin.runconfig import RunConfig
from edgemin.sweeps import sweep, ablate, run_many, sweep_configs

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny')
    words = 'good bad movie film plot acting fine dull great awful'.split()
    tk = tiny_tokenizer(words); rng = np.random.default_rng(0)
    (root/'SST-2').mkdir()
    rows = lambda n: ''.join(f"{' '.join(rng.choice(words[2:], 4))} {'good' if i % 2 else 'bad'}\t{i % 2}\n" for i in range(n))
    (root/'SST-2'/'train.tsv').write_text('sentence\tlabel\n' + rows(64)); (root/'SST-2'/'dev.tsv').write_text('sentence\tlabel\n' + rows(32))
    ck = save_model(tiny_model(layers=4, hidden=64, heads=4, ffn=256, vocab=len(tk)), root/'teacher', tk)
    return RunConfig.from_dict(dict(teacher=str(ck), data=dict(data_dir=str(root), train_fraction=None, max_length=16),
                                    finetune=dict(epochs=4, lr=1e-2, batch_size=16), student=dict(layers=2),
                                    distill=dict(max_steps=4, lr=5e-3, batch_size=16),
                                    prune=dict(heads=0.25, ffn=0.25, calib_batches=1, recover_steps=2, lr=5e-3, batch_size=16),
                                    profile=dict(seq_len=16, batch_sizes=[1], runs=2, typical_len=False)))

def test_sweep_in_parallel(tiny, tmp_path):
    rows = sweep(tiny, {'prune.heads': [0.25, 0.5], 'quantize.mode': ['dynamic', 'fp16']}, tmp_path, workers=2)
    assert [r['name'] for r in rows] == ['heads-0.25_mode-dynamic', 'heads-0.25_mode-fp16', 'heads-0.5_mode-dynamic', 'heads-0.5_mode-fp16']
    assert all('error' not in r for r in rows), rows
    assert rows[0]['params'] > rows[2]['params']
    assert json.loads((tmp_path/'sweep.json').read_text()) == rows
    assert (tmp_path/'sweep_size_mb.png').is_file() and 'heads-0.5_mode-fp16' in (tmp_path/'sweep.md').read_text()
    assert (tmp_path/'heads-0.5_mode-dynamic'/'report.json').is_file()

def test_ablation_over_seeds(tiny, tmp_path):
    rows = ablate(tiny, tmp_path, seeds=[0, 1], variants=['distill>prune>quantize', 'prune>distill>quantize', 'no quantize'], workers=2)
    assert [(r['name'], r['seeds']) for r in rows] == [('distill>prune>quantize', 2), ('prune>distill>quantize', 2), ('no quantize', 2)]
    assert all(0 <= r['metric'] <= 1 and r['metric_std'] >= 0 for r in rows)
    assert rows[2]['size_mb'] > rows[0]['size_mb']                       # without quantization the model stays larger
    assert 'prune>distill>quantize' in (tmp_path/'ablation.md').read_text()

def test_a_failing_configuration_is_reported(tiny, tmp_path):
    bad = RunConfig.from_dict({**tiny.to_dict(), 'data': {**tiny.to_dict()['data'], 'data_dir': str(tmp_path/'none')}})
    res = run_many([('bad', bad)], tmp_path)
    assert 'error' in res[0] and 'does not exist' in res[0]['error']

def _measured(results: list) -> dict:
    "What each configuration's run measured, timings aside: per stage its metrics, parameters, size and FLOPs."
    return {r['name']: [(s['stage'], s['metrics'], s['params'], s['size_bytes'], s['flops']) for s in r['report']['stages']]
            for r in results}

def test_ray_cluster_measures_what_the_process_pool_measures(tiny, tmp_path):
    import ray                                              # in the dev extra: this test runs in `make test`, never skipped
    configs = sweep_configs(tiny, {'prune.heads': [0.25, 0.5]})
    pool = run_many(configs, tmp_path/'pool', workers=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)   # a local cluster of two CPUs, started by the test
    try: on_ray = run_many(configs, tmp_path/'ray', workers=2, ray=True)
    finally: ray.shutdown()
    assert all('error' not in r for r in pool + on_ray), [r.get('error') for r in pool + on_ray]
    assert [r['name'] for r in on_ray] == [r['name'] for r in pool] == ['heads-0.25', 'heads-0.5']
    assert _measured(on_ray) == _measured(pool)
    assert all((tmp_path/'ray'/n/'report.json').is_file() for n in ('heads-0.25', 'heads-0.5'))
