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
    'sst2-mpnet': ('sst2', 0.1, 0.1),        # a BERT-base-size teacher (all-mpnet-base-v2, 109.5M parameters)
}
HEADLINE = 'sst2'

# the teacher checkpoint of each setting (EdgeMIN's offline names) and the shape of its students (`make_student`'s
# arguments): settings not named here start from all-MiniLM-L6-v2 with 4-layer students at the teacher's width (384).
# From MPNet-base (12 x 768, 12 heads of 64, FFN 3072) the students are 6 x 384 with FFN 1536, MiniLMv2's 6x384 depth,
# width and FFN (Wang et al. 2021), cut out of the teacher's weights. They keep the teacher's 12 heads of 64 (attention
# 768 wide): a head cut from the teacher keeps its size, and TinyBERT's attention loss pairs heads one to one.
TEACHERS = {'sst2-mpnet': 'mpnet-base'}
STUDENTS = {'sst2-mpnet': dict(layers=6, hidden=384, ffn=1536)}
# settings whose training batches are grouped by length (dynamic padding): the BERT-base-size teacher's, where a step is
# about 8x a MiniLM-L6 step on this CPU (bench/results/padding.md measures the gain)
LENGTH_GROUPS = {'sst2-mpnet': 10}

TEACHER_NAMES = {'minilm-l6': 'all-MiniLM-L6-v2', 'mpnet-base': 'all-mpnet-base-v2'}

# what the papers report for their own students of BERT-base (their hardware, their tasks), printed beside the BERT-base-size
# setting; the ratios are set against BERT-base as each paper states them
ANCHORS = {'sst2-mpnet': [
    "TinyBERT4 (Jiao et al. 2020, Table 1): 7.5x smaller and 9.4x faster than BERT-base (inference measured on a GPU), "
    "96.8% of BERT-base's average GLUE score",
    "MiniLMv2 6x384 distilled from BERT-base (Wang et al. 2021): 5.3x faster than BERT-base, about 98% of its GLUE average",
    "DistilBERT (Sanh et al. 2019): 40% fewer parameters (1.7x smaller) and 60% faster on a CPU (1.6x), 97% of BERT-base's GLUE score",
]}

# variants a setting leaves out because the 2-core CPU's session cannot hold them, said in compare.md: from the BERT-base-size
# teacher, pruning the teacher first means a gradient pass and recovery steps on the 109.5M-parameter model, then one more
# distillation (about half an hour here)
CUT_VARIANTS = {'sst2-mpnet': {'prune-first': "pruning the 109.5M-parameter teacher first (then distilling) costs about half an hour "
                                              "more on this 2-core CPU than the session could hold"}}

# a setting's own targets, where an issue set them beside the headline's (compare.py's TARGETS): the BERT-base-size
# teacher's are issue #27's (against the fp32 teacher of the same run)
SETTING_TARGETS = {'sst2-mpnet': {'size_ratio': 30.0, 'latency_ratio_bs1': 15.0, 'accuracy_retention': 0.98}}

def target_cell(k: str, v: float) -> str:
    "A target's goal or measured value as reports write it: retention as a percentage, the ratios as N.N×."
    return f"{v:.1%}" if k == 'accuracy_retention' else f"{v:.1f}×"

def teacher_of(sname: str) -> str: return TEACHERS.get(sname, 'minilm-l6')
def student_of(sname: str) -> dict: return STUDENTS.get(sname, dict(layers=4))

def student_label(shape: dict, teacher_layers: int) -> str:
    "How reports describe a setting's students, e.g. '4 layers x 384 (teacher layers 0, 1, 3, 4)'."
    n = shape['layers']
    picked = ', '.join(str(i * teacher_layers // n) for i in range(n))
    if 'hidden' not in shape: return f"{n} layers x 384 (teacher layers {picked})"
    heads, ffn = shape.get('heads', "the teacher's"), shape.get('ffn', "the teacher's")
    return f"{n} layers x {shape['hidden']} (teacher layers {picked}; hidden channels kept by activation importance), {heads} heads, FFN {ffn}"

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
