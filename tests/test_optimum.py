"""Hugging Face Optimum's `ORTModelForSequenceClassification` loads an EdgeMIN bundle (pruned: uneven heads, FFN widths;
INT8) and gives the logits EdgeMIN's own runner gives. Optimum pins transformers < 5, so it lives in the side environment
the benchmarks use (`.venv-optimum`, made by `make bench-venv`); without it the test says so and skips."""
import json, subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
OPTIMUM_PY = ROOT/'.venv-optimum'/'bin'/'python'

def test_optimum_loads_a_pruned_int8_bundle(tmp_path):
    if not OPTIMUM_PY.is_file(): pytest.skip(f"no Optimum environment at {OPTIMUM_PY} (`make bench-venv` creates it)")
    from edgemin.data import tiny_task
    from edgemin.models import tiny_model, slice_layer
    from edgemin.quantize import QuantizeConfig, quantize
    from edgemin.bundle import save_bundle
    data = tiny_task(n_dev=16)
    m = slice_layer(slice_layer(tiny_model(layers=3, hidden=32, heads=4, ffn=64, vocab=len(data.tokenizer)), 0, keep_heads=[1, 3]), 2, keep_neurons=range(20))
    q, rec = quantize(m, QuantizeConfig(), data)
    b = save_bundle(q, tmp_path/'bundle', data.tokenizer, rec)
    x = np.random.RandomState(0).randint(5, len(data.tokenizer), (3, 7))
    prog = ("import sys, json, numpy as np, torch\nfrom optimum.onnxruntime import ORTModelForSequenceClassification as M\n"
            f"m = M.from_pretrained({str(b)!r}, file_name='model.onnx')\n"
            "x = torch.tensor(json.loads(sys.argv[1]))\n"
            "print(json.dumps(m(input_ids=x, attention_mask=torch.ones_like(x), token_type_ids=torch.zeros_like(x)).logits.tolist()))")
    r = subprocess.run([str(OPTIMUM_PY), '-c', prog, json.dumps(x.tolist())], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    got = np.array(json.loads(r.stdout.strip().splitlines()[-1]))
    want = q(input_ids=torch.as_tensor(x), attention_mask=torch.ones(3, 7, dtype=torch.long)).logits
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-4)

def test_sentence_transformers_onnx_backend_loads_an_embedder(tmp_path):
    """sentence-transformers' ONNX route (`SentenceTransformer(folder, backend="onnx")`, Optimum underneath) reads an EdgeMIN
    embedder folder (`save_embedder` + `export_embedder` into onnx/) and gives EdgeMIN's vectors. A narrower student with a
    projection is not for this route (its `Dense` would apply twice: see 13a_embed); plain-shaped students are."""
    if not OPTIMUM_PY.is_file(): pytest.skip(f"no Optimum environment at {OPTIMUM_PY} (`make bench-venv` creates it)")
    from edgemin.data import load_tokenizer
    from edgemin.embed import load_encoder, make_embedder, save_embedder, export_embedder, encode
    tok = load_tokenizer('minilm-l6')                          # a real WordPiece tokenizer, which transformers 4 reads too
    enc = make_embedder(load_encoder('minilm-l6'), layers=1)   # one layer of all-MiniLM-L6-v2, its mean pooling and normalisation
    f = save_embedder(enc, tmp_path/'embedder', tok); export_embedder(enc, f/'onnx'/'model.onnx')
    texts = ['good movie', 'a dull and awful film', 'great acting but a bad plot']
    prog = ("import sys, json\nfrom sentence_transformers import SentenceTransformer\n"
            f"m = SentenceTransformer({str(f)!r}, backend='onnx', device='cpu')\n"
            "print(json.dumps(m.encode(json.loads(sys.argv[1]), convert_to_numpy=True).tolist()))")
    r = subprocess.run([str(OPTIMUM_PY), '-c', prog, json.dumps(texts)], capture_output=True, text=True, env={'HF_HUB_OFFLINE': '1', 'PATH': '/usr/bin:/bin'})
    assert r.returncode == 0, r.stderr[-2000:]
    got = np.array(json.loads(r.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(got, encode(enc, tok, texts), rtol=1e-4, atol=1e-5)
