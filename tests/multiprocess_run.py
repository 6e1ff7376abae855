"""Every training stage of EdgeMIN on a tiny model, written so the same file runs in one process or under a launcher.

    python tests/multiprocess_run.py OUT                                     # one process
    accelerate launch --multi_gpu --num_processes 2 tests/multiprocess_run.py OUT   # two (on CPUs: gloo)
    torchrun --nproc_per_node 2 tests/multiprocess_run.py OUT                # the same, with PyTorch's launcher

The first process writes each stage's final weights (`OUT/<stage>.safetensors`) and records (`OUT/<stage>.json`);
`tests/test_multiprocess.py` runs it both ways and compares. Dropout is off, so one process and N processes (which
split every batch among them) must train the same weights up to float rounding.
"""
import json, os, sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from edgemin.data import tiny_task
from edgemin.distill import RECIPES, make_student, recipe, distill
from edgemin.models import tiny_model
from edgemin.prune import PruneConfig, prune
from edgemin.quantize import qat
from edgemin.train import FinetuneConfig, finetune

out = Path(sys.argv[1])
main = int(os.environ.get('RANK', '0')) == 0
if main: out.mkdir(parents=True, exist_ok=True)

def keep(name: str, model, rec: dict):
    "The first process writes what a stage produced."
    if not main: return
    save_file({k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}, str(out/f'{name}.safetensors'))
    (out/f'{name}.json').write_text(json.dumps(rec, default=str))

data = tiny_task(n_train=64, n_dev=32)
base = tiny_model(vocab=len(data.tokenizer))
base.config.hidden_dropout_prob = base.config.attention_probs_dropout_prob = 0.0   # the same arithmetic in 1 or N processes
for m in base.modules():
    if isinstance(m, torch.nn.Dropout): m.p = 0.0

# fine-tuning in length-grouped batches, with a training state saved every 2 steps (one writer, the others wait)
teacher, r = finetune(base, data, FinetuneConfig(epochs=2, lr=1e-2, batch_size=16, seed=0, length_groups=2), progress=False,
                      checkpoint=out/'state', checkpoint_every=2)
from accelerate import PartialState
moved = max((a - b).abs().max().item() for a, b in zip(teacher.state_dict().values(), base.state_dict().values()))
keep('finetune', teacher, {'step_losses': r.step_losses, 'dev': r.history[-1]['dev'], 'moved': moved,
                           'processes': PartialState().num_processes, 'state_left': (out/'state'/'train_state.pt').exists()})

# distillation: every recipe, into a narrower student (its projections are trained parameters outside the model)
student0 = make_student(teacher, layers=1, hidden=8, heads=4, ffn=16, data=data)
for name in RECIPES:
    s, dr = distill(student0, teacher, data, recipe(name, max_steps=4, lr=1e-2, batch_size=16, seed=0), progress=False)
    keep(f'distill-{name}', s, {'step_losses': [x for p in dr.phases for x in p['step_losses']], 'dev': dr.dev})

# pruning: importance from gradients, then a short recovery distillation
p, pr = prune(teacher, data, PruneConfig(heads=0.5, ffn=0.25, calib_batches=2, calib_batch_size=16,
                                         recover=recipe('hinton', max_steps=4, lr=1e-2, batch_size=16)), progress=False)
keep('prune', p, {'kept_heads': pr.kept_heads, 'head_importance': pr.head_importance, 'step_losses': pr.recovery[-1]['phases'][-1]['step_losses']})

# quantization-aware training
q, qr = qat(teacher, data, recipe('hinton', max_steps=4, lr=1e-3, batch_size=16))
keep('qat', q, {'step_losses': qr.phases[-1]['step_losses'], 'dev': qr.dev})
if main: (out/'done').write_text('ok')
