"""What the benchmarks share: the GLUE location, the cached fine-tuned teacher (bench/teacher.py's 10% recipe), a
distilled 4x384 student cached once, atomic result writes."""
import os
from pathlib import Path

from edgemin.data import prepare
from edgemin.models import load_model, make_student, save_model
from edgemin.finetune import FinetuneConfig, finetune_teacher, cache_dir
from edgemin.distill import recipe, distill

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT/'bench'/'results'
# bench/teacher.py's recipe for a 10% subset: a teacher fine-tuned there is a cache hit here.
TEACHER_10PCT = FinetuneConfig(epochs=5.0, batch_size=16, lr=1e-4, eval_batch_size=128, weight_decay=0.01,
                               warmup_ratio=0.1, max_grad_norm=1.0, seed=0)

def glue_dir() -> str:
    return os.environ.get('EDGEMIN_GLUE_DIR') or str(ROOT.parent/'shared'/'data'/'glue')

FULL_RECIPE = dict(batch_size=32, lr=1e-4, eval_batch_size=128, weight_decay=0.01, warmup_ratio=0.1, max_grad_norm=1.0, seed=0)

def task_data(task: str = 'sst2', fraction: float = 0.1, max_length: int = 128):
    "The task's training subset (stratified, seed 0; `fraction=1.0` for all of it), tokenized for the offline teacher."
    return prepare(task, 'minilm-l6', max_length=max_length, data_dir=glue_dir(),
                   train_fraction=None if fraction >= 1.0 else fraction, seed=0)

def teacher_config(data, fraction: float = 0.1) -> FinetuneConfig:
    "bench/teacher.py's recipe for a subset (`fraction` < 1) or the whole training split."
    if fraction < 1.0: return TEACHER_10PCT
    return FinetuneConfig(epochs=1.0 if data.task.name == 'sst2' else 2.0, **FULL_RECIPE)

def teacher(data, fraction: float = 0.1):
    "The offline teacher fine-tuned on `data` with bench/teacher.py's recipe for that fraction (cached)."
    return finetune_teacher('minilm-l6', data, teacher_config(data, fraction))[0]

def student(teacher_model, data, steps: int = 600):
    "A 4x384 student (teacher layers 0, 1, 3, 4) distilled with EdgeMIN's MiniLMv2 recipe, cached."
    path = cache_dir()/'bench'/f'student-4x384-{data.fingerprint()}-{steps}'
    if (path/'model.safetensors').is_file(): return load_model(path)
    s, _ = distill(make_student(teacher_model, layers=4), teacher_model, data, recipe('minilmv2', max_steps=steps, lr=1e-4, batch_size=32))
    save_model(s, path, data.tokenizer)
    return s

def write_atomic(path: Path, text: str):
    tmp = path.with_suffix(path.suffix + '.tmp'); tmp.write_text(text); tmp.replace(path)

def teacher_dir(data, fraction: float = 0.1) -> Path:
    "The cache directory of `teacher(data, fraction)` (fine-tuning it first if needed): a model directory for the pipeline."
    from edgemin.finetune import teacher_key
    teacher(data, fraction)
    path = cache_dir()/'teachers'/f"{data.task.name}-minilm-l6-{teacher_key('minilm-l6', data, teacher_config(data, fraction))}"
    if not (path/'record.json').is_file(): raise FileNotFoundError(f"expected the cached teacher at {path}")
    return path
