"""A real pruned model (the demo's: uneven heads, narrower FFNs, a trimmed vocabulary) loads with plain transformers:
through the registered Auto classes where EdgeMIN is installed, and through the folder's own modeling file with
`trust_remote_code=True` where it is not. The tiny models of every family are checked in nbs/05_checkpoint.ipynb; this
one needs a finished `make demo` run (or EDGEMIN_DEMO_RUN naming a run directory) and says it skipped otherwise."""
import json, os, subprocess, sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
RUN = Path(os.environ.get('EDGEMIN_DEMO_RUN', ROOT/'runs'/'sst2-offline'))
SENTENCES = ["a gorgeous, witty, seductive movie.", "the acting is amateurish and the plot makes no sense.",
             "it's not a bad film, just a forgettable one.", "an absolute joy from start to finish"]

@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    if not (RUN/'prune'/'model.safetensors').is_file():
        pytest.skip(f"no demo run at {RUN} (run `make demo`, or set EDGEMIN_DEMO_RUN)")
    from edgemin.checkpoint import load_model, save_model
    from transformers import AutoTokenizer
    model = load_model(RUN/'prune')             # a run made before EdgeMIN named its own model types loads as before
    out = save_model(model, tmp_path_factory.mktemp('hub')/'sst2-pruned', AutoTokenizer.from_pretrained(RUN/'prune'))
    return model, out

def _inputs(folder: Path) -> dict:
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    return dict(tok(SENTENCES, padding=True, return_tensors='pt'))

def test_the_demo_model_loads_with_transformers_auto_classes(demo):
    from transformers import AutoModelForSequenceClassification
    from edgemin.models import shapes
    model, folder = demo
    cfg = json.loads((folder/'config.json').read_text())
    assert cfg['model_type'] == 'edgemin_bert' and (folder/'modeling_edgemin.py').is_file()
    hf = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    assert shapes(hf) == shapes(model) and len(set(shapes(hf)['heads'])) > 1          # uneven heads, as pruned
    x = _inputs(folder)
    with torch.no_grad(): assert torch.equal(hf(**x).logits, model(**x).logits)

def test_the_demo_model_loads_without_edgemin_through_its_own_code(demo):
    model, folder = demo
    prog = ("import sys, json; sys.modules['edgemin'] = None\n"
            "import torch\nfrom transformers import AutoModelForSequenceClassification as A, AutoTokenizer\n"
            f"f = {str(folder)!r}\n"
            "m = A.from_pretrained(f, trust_remote_code=True).eval()\n"
            "x = dict(AutoTokenizer.from_pretrained(f, trust_remote_code=True)(json.loads(sys.argv[1]), padding=True, return_tensors='pt'))\n"
            "with torch.no_grad(): print(json.dumps(m(**x).logits.tolist()))")
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'HF_MODULES_CACHE': str(folder.parent/'modules')}
    r = subprocess.run([sys.executable, '-c', prog, json.dumps(SENTENCES)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    with torch.no_grad(): want = model(**_inputs(folder)).logits
    got = [l for l in r.stdout.splitlines() if l.startswith("[[")]
    assert got, r.stdout[-2000:]
    torch.testing.assert_close(torch.tensor(json.loads(got[-1])), want, rtol=1e-5, atol=1e-5)
