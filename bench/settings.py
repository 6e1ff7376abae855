"""The benchmark's settings and the names several scripts agree on: where results go, compare.py's settings, the
pipeline's distillation recipes (their labels and run directories), the names of EdgeMIN's entries, and the
distillation budget. Plain data, no EdgeMIN import, so that readme.py stays light."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]      # the repository, wherever the scripts are run from
RESULTS = ROOT/'bench'/'results'

# name: (task, fraction of the training data the teacher was fine-tuned on, fraction the compression stages use)
SETTINGS = {
    'sst2': ('sst2', 1.0, 0.1),              # the headline: the EdgeMIN method's setting
    'sst2-teacher10': ('sst2', 0.1, 0.1),
    'mrpc': ('mrpc', 1.0, 1.0), 'rte': ('rte', 1.0, 1.0), 'cola': ('cola', 1.0, 1.0), 'stsb': ('stsb', 1.0, 1.0),
}
HEADLINE = 'sst2'

# the recipes compare.py ablates in the pipeline's distillation stage: how reports name each, and the run directory of each as an ablation
RECIPE_LABELS = {'minilmv2': 'MiniLMv2 relations, then KD', 'distilbert': 'DistilBERT-style distillation', 'minilmv2-kd': 'MiniLMv2 + KD in one phase'}
RECIPE_DIRS = {'minilmv2': 'edgemin', 'distilbert': 'distilbert-distill', 'minilmv2-kd': 'minilmv2-kd'}

# compare.json's entries of EdgeMIN's final model and of the pipeline without its quantization stage
FINAL, PRUNED = 'EdgeMIN (distill -> prune -> quantize)', 'EdgeMIN without quantization (distill -> prune)'

def default_steps(n_train: int, batch_size: int = 32, epochs: float = 3.0, cap: int = 600) -> int:
    "Every student's distillation budget in a setting: `epochs` passes over the compression data, at most `cap` steps."
    return max(1, min(cap, round(epochs * n_train / batch_size)))

def pipeline_dir(recipe: str) -> str:
    "Run directory of the pipeline and its variants with `recipe` (runs made with 'minilmv2' keep their unsuffixed names)."
    return '' if recipe == 'minilmv2' else f'-{recipe}'

def recipe_of(st: dict) -> str:
    "The pipeline's distillation recipe a compare.py setting was measured with (settings from before it was recorded: minilmv2)."
    return (st.get('args') or {}).get('recipe', 'minilmv2')
