"""What the benchmarks share: the GLUE location, bench/teacher.py's fine-tuning recipe and the cached teacher it makes,
a distilled 4x384 student cached once, EdgeMIN's pipeline at compare.py's budget and where compare.py keeps its runs,
atomic result writes."""
import os
from pathlib import Path

from settings import ROOT
from edgemin.data import prepare
from edgemin.checkpoint import load_model, save_model
from edgemin.distill import make_student
from edgemin.train import FinetuneConfig
from edgemin.teacher import finetune_teacher, cache_dir
from edgemin.distill import recipe, distill
from edgemin.quantize import QuantizeConfig
from edgemin.runconfig import RunConfig, DataSpec, StudentSpec, DistillSpec, PruneSpec, ProfileSpec

# bench/teacher.py's recipe (a teacher fine-tuned there is a cache hit here). Small training sets get smaller batches
# and more epochs, so that they still see a useful number of optimizer steps; SST-2's full 67k examples get one epoch,
# which takes most of the budget on a 2-core CPU.
TEACHER_BASE = dict(lr=1e-4, eval_batch_size=128, weight_decay=0.01, warmup_ratio=0.1, max_grad_norm=1.0, seed=0)

def teacher_recipe(task: str, frac: float, checkpoint: str = 'minilm-l6') -> dict:
    "Epochs, batch size (and where they differ from TEACHER_BASE, learning rate and batching) of the teacher fine-tuned on `frac` of `task`."
    if checkpoint == 'mpnet-base':      # BERT-base size: BERT's own fine-tuning settings (Devlin et al. 2019: batch 32, lr 2e-5, 3 epochs)
        return dict(epochs=3.0, batch_size=32, lr=2e-5, length_groups=10, keep_best=False)   # the last epoch: nothing chosen on dev
    if frac < 1.0: return dict(epochs=5.0, batch_size=16)
    return dict(epochs=1.0 if task == 'sst2' else 2.0, batch_size=32)

def glue_dir() -> str:
    return os.environ.get('EDGEMIN_GLUE_DIR') or str(ROOT.parent/'shared'/'data'/'glue')

def task_data(task: str = 'sst2', fraction: float = 0.1, max_length: int = 128, checkpoint: str = 'minilm-l6'):
    "The task's training subset (stratified, seed 0; `fraction=1.0` for all of it), tokenized for the offline teacher `checkpoint`."
    return prepare(task, checkpoint, max_length=max_length, data_dir=glue_dir(),
                   train_fraction=None if fraction >= 1.0 else fraction, seed=0)

def teacher_config(data, fraction: float = 0.1, checkpoint: str = 'minilm-l6') -> FinetuneConfig:
    "bench/teacher.py's recipe for a subset (`fraction` < 1) or the whole training split."
    return FinetuneConfig(**{**TEACHER_BASE, **teacher_recipe(data.task.name, fraction, checkpoint)})

def teacher(data, fraction: float = 0.1, checkpoint: str = 'minilm-l6', checkpoint_every: int = 0):
    "The offline teacher fine-tuned on `data` with bench/teacher.py's recipe for that fraction (cached; resumable with `checkpoint_every`)."
    return finetune_teacher(checkpoint, data, teacher_config(data, fraction, checkpoint), checkpoint_every=checkpoint_every)[0]

def student(teacher_model, data, steps: int = 600):
    "A 4x384 student (teacher layers 0, 1, 3, 4) distilled with EdgeMIN's MiniLMv2 recipe, cached."
    path = cache_dir()/'bench'/f'student-4x384-{data.fingerprint()}-{steps}'
    if (path/'model.safetensors').is_file(): return load_model(path)
    s, _ = distill(make_student(teacher_model, layers=4), teacher_model, data, recipe('minilmv2', max_steps=steps, lr=1e-4, batch_size=32))
    save_model(s, path, data.tokenizer)
    return s

def write_atomic(path: Path, text: str):
    tmp = path.with_suffix(path.suffix + '.tmp'); tmp.write_text(text); tmp.replace(path)

def teacher_dir(data, fraction: float = 0.1, checkpoint: str = 'minilm-l6') -> Path:
    "The cache directory of `teacher(data, fraction, checkpoint)` (fine-tuning it first if needed, saving its state every 50 steps): a model directory for the pipeline."
    from edgemin.teacher import teacher_key
    teacher(data, fraction, checkpoint, checkpoint_every=50)
    path = cache_dir()/'teachers'/f"{data.task.name}-{checkpoint}-{teacher_key(checkpoint, data, teacher_config(data, fraction, checkpoint))}"
    if not (path/'record.json').is_file(): raise FileNotFoundError(f"expected the cached teacher at {path}")
    return path

def edgemin_config(task, tdir, frac, args, stages=('distill', 'prune', 'quantize'), vocab=True, name='edgemin', recipe='minilmv2',
                   student: dict | None = None, length_groups: int | None = None) -> RunConfig:
    """EdgeMIN's recipe at compare.py's budget: MiniLMv2 then logit KD (or `recipe`), 40% of heads and 30% of FFN neurons, INT8;
    `student`: make_student's shape (default 4 layers at the teacher's width); `length_groups`: batches grouped by length."""
    return RunConfig(name=name, task=task, teacher=str(tdir), stages=stages, seed=0,
                     data=DataSpec(data_dir=glue_dir(), train_fraction=None if frac >= 1.0 else frac,
                                   max_eval=64 if args.smoke else None),
                     student=StudentSpec(**(student or dict(layers=4))),
                     distill=DistillSpec(recipe=recipe, max_steps=args.steps, batch_size=32, lr=1e-4, length_groups=length_groups),
                     prune=PruneSpec(heads=args.heads, ffn=args.ffn, vocab=vocab, recover_steps=args.recover_steps, recover_epochs=1.0),
                     quantize=QuantizeConfig(quantize_embeddings=True),
                     # compare.py times every model again, alike for all; the bundle keeps ONNX Runtime's defaults (as every
                     # setting's run did before tuning existed): bench/runtime.py measures what tune_session chooses instead
                     profile=ProfileSpec(batch_sizes=(1,), runs=3, typical_len=False, tune_session=False))

def pipeline_run(sname: str, st: dict) -> Path:
    "The run directory of EdgeMIN's pipeline in compare.py setting `sname` (its part `st` of compare.json names the recipe)."
    from settings import pipeline_dir, recipe_of
    return compare_work()/sname/f'edgemin{pipeline_dir(recipe_of(st))}'

def compare_work(smoke: bool = False) -> Path:
    "Where compare.py keeps its models and pipeline runs, one folder per setting (recipe.py and scaling.py reuse them)."
    return cache_dir()/'bench'/('compare-smoke' if smoke else 'compare')

def interleaved_passes(models: dict, rounds: int, runs: int) -> dict:
    "Batch-1 latency at 128 tokens (median ms) of every model in `rounds` passes, each model timed once per pass (the CPU's drift cancels)."
    from edgemin.profile import latency
    passes = {n: [] for n in models}
    for _ in range(rounds):
        for n, mdl in models.items(): passes[n].append(latency(mdl, 1, 128, min_runs=runs, min_seconds=1.0)['median_ms'])
    return passes
