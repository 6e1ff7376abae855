"The benchmark's own arithmetic: the constant-prediction floor that compare.py reports beside every setting."
import sys
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT/'bench'))
from compare import constant_baseline, margin_kept      # noqa: E402  (margin_kept lives in readme.py)
from edgemin.data import prepare, tiny_tokenizer        # noqa: E402

@pytest.mark.parametrize('task,tdir', [('rte', 'RTE'), ('mrpc', 'MRPC')])
def test_constant_baseline_scores_the_training_majority_on_dev(glue_dir, manifest, task, tdir):
    "The floor is the training majority class answered for every dev example, scored by the task's own metrics."
    d = prepare(task, tiny_tokenizer(), max_length=16, data_dir=glue_dir)
    tr, dv = manifest[tdir, 'train']['labels'], manifest[tdir, 'dev']['labels']
    major = max(tr, key=tr.get)
    b = constant_baseline(d)
    assert d.task.raw_labels[d.task.label_names.index(b['prediction'])] == major
    acc = dv[major] / sum(dv.values())
    assert b['dev']['accuracy'] == pytest.approx(acc)
    if 'f1' in b['dev']:            # every answer positive: precision is the positive share, recall 1
        assert b['dev']['f1'] == pytest.approx(2 * acc / (acc + 1) if major == '1' else 0.0)

def test_no_constant_floor_for_regression(glue_dir):
    assert constant_baseline(prepare('stsb', tiny_tokenizer(), max_length=16, data_dir=glue_dir, max_train=50)) == {}

def test_margin_kept():
    const = {'prediction': 'a', 'dev': {'accuracy': 0.5}}
    e = lambda v: {'dev': {'accuracy': v}}
    assert margin_kept(e(0.7), e(0.9), const, 'accuracy') == pytest.approx(0.5)
    assert margin_kept(e(0.7), e(0.5), const, 'accuracy') is None          # teacher at the floor: no margin to keep
    assert margin_kept(e(0.7), e(0.9), {}, 'accuracy') is None
