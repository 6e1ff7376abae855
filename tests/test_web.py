"""An EdgeMIN bundle (a classifier, or a sentence embedder) runs in the browser with transformers.js, unchanged: headless Chromium opens the bundle's own web demo
(`edgemin.bundle.web_demo`) from a localhost server, with transformers.js and ONNX Runtime Web installed from npm (pinned,
no CDN), classifies 300 SST-2 dev sentences, and agrees with onnxruntime in Python on at least 99% of them.

The model is all-MiniLM-L6-v2 (offline package) with its classification head fitted to 2,000 SST-2 training sentences
(logistic regression on its pooled features), quantized to an INT8 bundle: a real decision boundary in a few seconds.
Needs Chromium and npm, like the other browser tests (EDGEMIN_SKIP_BROWSER=1 skips them)."""
import os, shutil
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if os.environ.get('EDGEMIN_SKIP_BROWSER') == '1': pytest.skip('EDGEMIN_SKIP_BROWSER=1', allow_module_level=True)
GLUE = os.environ.get('EDGEMIN_GLUE_DIR') or str(ROOT.parent/'shared'/'data'/'glue')
N_DEV = 300

@pytest.fixture(scope='module')
def transformers_js() -> Path:
    "node_modules with @huggingface/transformers at the version the bundle's page names, installed from npm once into EdgeMIN's cache."
    from edgemin.bundle import install_transformers_js
    if not shutil.which('npm'): pytest.fail("no npm: install Node.js (`apt-get install npm`), or set EDGEMIN_SKIP_BROWSER=1")
    return install_transformers_js()

@pytest.fixture(scope='module')
def bundles(tmp_path_factory):
    "A short fine-tune of all-MiniLM-L6-v2 on SST-2, as an INT8 bundle and as a float bundle, side by side under one folder."
    from edgemin.data import prepare
    from edgemin.teacher import load_teacher
    from edgemin.train import finetune, FinetuneConfig
    from edgemin.quantize import QuantizeConfig, quantize
    from edgemin.runtime import export_onnx, OnnxClassifier
    from edgemin.bundle import save_bundle
    data = prepare('sst2', 'minilm-l6', max_length=128, data_dir=GLUE, train_fraction=0.03, seed=0)
    model = load_teacher('minilm-l6', task=data.task, seed=0)
    model, _ = finetune(model, data.take(64), FinetuneConfig(epochs=2, batch_size=32, lr=1e-4, length_groups=10, keep_best=False), progress=False)
    model.config.edgemin_task = 'sst2'
    root = tmp_path_factory.mktemp('web')
    q, rec = quantize(model, QuantizeConfig(), data.take(64))
    fp = OnnxClassifier(export_onnx(model, root/'float.onnx'), model.config)
    return {'int8': save_bundle(q, root/'int8', data.tokenizer, rec), 'fp32': save_bundle(fp, root/'fp32', data.tokenizer)}, data

def _chromium() -> str:
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: pytest.fail("no Chromium: `apt-get install chromium` (or `make browser-deps`), or set EDGEMIN_SKIP_BROWSER=1")
    return exe

def _in_browser(folder: Path, texts: list[str], call: str = 'classify') -> list:
    "Open `folder`'s web page in headless Chromium from a localhost server and run the page's `call` (classify, embed) on `texts` there."
    from playwright.sync_api import sync_playwright
    from edgemin.bundle import serve
    srv = serve(folder.parent)
    try:
        with sync_playwright() as p:
            br = p.chromium.launch(executable_path=_chromium(), args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])
            page = br.new_page()
            errors = []; page.on('pageerror', lambda e: errors.append(str(e)))
            page.goto(f'http://127.0.0.1:{srv.server_port}/{folder.name}/index.html')
            page.wait_for_function('window.ready !== undefined', timeout=60_000)
            assert page.evaluate('window.ready'), errors
            got = page.evaluate(f'texts => {call}(texts)', texts)
            br.close()
    finally: srv.shutdown()
    assert len(got) == len(texts) and not errors, errors
    return got

# The page classifies one sentence at a time, so Python does too. Dynamic INT8 quantizes each MatMul's input with one
# scale over the whole batch, pad positions included: a padded batch moves every sentence's logits a little (measured on
# this test's bundle: 97.7% label agreement with the browser when Python runs batches of 32, 99.7% at batch 1, largest
# probability gap 0.21 -> 0.06). At batch 1 both bundles are held to the 99% the issue asks for.
AGREE = {'int8': 0.99, 'fp32': 0.99}
CONFIDENT = 0.65

@pytest.mark.parametrize('precision', ['fp32', 'int8'])
def test_the_bundle_classifies_in_the_browser_as_in_python(bundles, transformers_js, precision):
    from edgemin.bundle import web_demo
    from edgemin.runtime import OnnxClassifier
    from edgemin.train import predict
    folders, data = bundles
    b = folders[precision]
    if not (b.parent/'lib').exists(): (b.parent/'lib').symlink_to(transformers_js, target_is_directory=True)
    web_demo(b, library='../lib/@huggingface/transformers/dist/transformers.min.js', wasm='../lib/onnxruntime-web/dist/')
    dev = data.take(N_DEV)
    texts = [str(t) for t in dev.raw[dev.eval_split]['sentence']]
    logits, labels = predict(OnnxClassifier.from_bundle(b), dev, dev.eval_split, batch_size=1)
    want = [dev.task.label_names[i] for i in logits.argmax(-1)]
    got = _in_browser(b, texts)
    agree = np.mean([g['label'] == w for g, w in zip(got, want)])
    prob = torch.softmax(torch.as_tensor(logits), -1).max(-1).values.tolist()
    off = [(t, g, w, round(p_, 3)) for t, g, w, p_ in zip(texts, got, want, prob) if g['label'] != w]
    assert not [o for o in off if o[3] >= CONFIDENT], f"{precision}: labels differ where Python is confident: {[o for o in off if o[3] >= CONFIDENT][:5]}"
    assert agree >= AGREE[precision], f"{precision}: the browser agrees with onnxruntime in Python on {agree:.1%} of {len(texts)} dev sentences; first: {off[:5]}"
    acc_web = np.mean([g['label'] == dev.task.label_names[int(l)] for g, l in zip(got, labels)])
    acc_py = np.mean(logits.argmax(-1) == labels)
    assert acc_py > 0.75 and abs(acc_web - acc_py) <= 0.02, (acc_web, acc_py)


# Sentence embeddings (issue #29): a narrowed student of all-MiniLM-L6-v2 (2 layers x 256, projected back to 384 by
# the ridge fit `make_embedder` does) with its vocabulary trimmed to the tokens of 1,000 training sentences (dev words
# outside it spelled with kept pieces by the folder's trimmed tokenizer), run by transformers.js' feature-extraction
# pipeline with the folder's pooling and normalisation, one sentence at a time as the page sends them, against ONNX
# Runtime in Python at batch 1 reading text with the same folder's tokenizer.
EMBED_COSINE = {'fp32': 0.9999, 'int8': 0.99}    # the least cosine allowed between a browser vector and Python's
# (measured here, 2026-12-06: fp32 least 1.000000; INT8 least 0.9969, mean 0.9984: WASM's integer kernels round differently)

@pytest.fixture(scope='module')
def embedders(tmp_path_factory):
    from edgemin.data import load_task
    from edgemin.embed import export_embedder, load_encoder, make_embedder, quantize_embedder, save_embedder
    from edgemin.data import load_tokenizer
    teacher, tok = load_encoder('minilm-l6'), load_tokenizer('minilm-l6')
    train = [str(s) for s in load_task('sst2', data_dir=GLUE, splits=['train'])['train']['sentence'][:1000]]
    student = make_embedder(teacher, train, tok, layers=2, hidden=256, seed=0)
    assert student.proj is not None
    from edgemin.embed import sentence_data
    from edgemin.vocab import trim_to_task
    v = trim_to_task(student.model, sentence_data(train, tok, held_out=train[:10]))
    assert v['split'] and v['after'] < 0.5 * v['before'], v
    root = tmp_path_factory.mktemp('embed-web')
    out = {}
    for precision in ('fp32', 'int8'):
        folder = save_embedder(student, root/precision, tok)
        fp = export_embedder(student, folder/'onnx'/'model.onnx')
        if precision == 'int8': quantize_embedder(fp, folder/'onnx'/'model_quantized.onnx', student.arch.family)
        out[precision] = folder
    return out

@pytest.mark.parametrize('precision', ['fp32', 'int8'])
def test_the_embedder_embeds_in_the_browser_as_in_python(embedders, transformers_js, precision):
    from edgemin.data import load_task
    from edgemin.embed import OnnxEmbedder, embed_web_demo, encode
    from edgemin.data import load_tokenizer
    f = embedders[precision]
    tok = load_tokenizer(f)                                                  # the folder's own, trimmed with the vocabulary
    if not (f.parent/'lib').exists(): (f.parent/'lib').symlink_to(transformers_js, target_is_directory=True)
    embed_web_demo(f, library='../lib/@huggingface/transformers/dist/transformers.min.js', wasm='../lib/onnxruntime-web/dist/')
    texts = [str(s) for s in load_task('sst2', data_dir=GLUE, splits=['validation'])['validation']['sentence'][:100]]
    graph = f/'onnx'/('model_quantized.onnx' if precision == 'int8' else 'model.onnx')
    want = encode(OnnxEmbedder(graph), tok, texts, batch_size=1)
    spelled = sum(a != b for a, b in zip(tok(texts)['input_ids'], load_tokenizer('minilm-l6')(texts)['input_ids']))
    assert len(tok.get_vocab()) < 15000 and spelled >= 10, spelled            # dev words outside the kept vocabulary, spelled in pieces
    got = np.array(_in_browser(f, texts, call='embed'), dtype=np.float32)
    assert got.shape == want.shape == (len(texts), 384)                     # the teacher's width: the projection ran in the graph
    cos = (got * want).sum(-1) / (np.linalg.norm(got, axis=-1) * np.linalg.norm(want, axis=-1))
    assert np.allclose(np.linalg.norm(got, axis=-1), 1, atol=1e-4)          # normalised, as the folder declares
    print(f"{precision}: least cosine {cos.min():.6f}, mean {cos.mean():.6f} over {len(texts)} sentences")
    assert cos.min() >= EMBED_COSINE[precision], f"{precision}: least cosine {cos.min():.5f}, mean {cos.mean():.5f}"
