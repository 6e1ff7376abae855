"""A quick read-out while a compare.py setting is still training: the dev metric of its cached distillation-stage models
(EdgeMIN's stage with the setting's recipe, the relation-first recipe's stage, the classic students) and of its teacher,
without timing anything, so it can run beside training. Nothing is written; compare.py's measured entries are the record.

    python bench/students.py --setting cola
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))     # the shared helpers beside this script, from any directory
from settings import SETTINGS, RECIPE_DIRS, pipeline_dir, teacher_of
from common import task_data, compare_work
from edgemin.checkpoint import load_model
from edgemin.runconfig import DistillSpec
from edgemin.train import evaluate

CLASSIC = ('hinton', 'distilbert', 'pkd', 'tinybert')

def candidates(sname: str, recipe: str) -> dict:
    "Entry name -> model directory of every distillation-stage model compare.py keeps for the setting (present or not)."
    w = compare_work()/sname
    out = {f'EdgeMIN distill stage ({recipe})': w/f'edgemin{pipeline_dir(recipe)}'/'distill',
           'teacher': w/f'edgemin{pipeline_dir(recipe)}'/'teacher'}
    if recipe != 'minilmv2': out['MiniLMv2 relations, then KD'] = w/RECIPE_DIRS['minilmv2']/'distill'
    return out | {f'student {o}': w/f'student-{o}-heldout' for o in CLASSIC}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--setting', default='cola', choices=list(SETTINGS))
    ap.add_argument('--recipe', default=DistillSpec().recipe)
    args = ap.parse_args(argv)
    task, _, frac = SETTINGS[args.setting]
    data = task_data(task, frac, checkpoint=teacher_of(args.setting)); m = data.task.main_metric
    for name, path in candidates(args.setting, args.recipe).items():
        print(f"{name}: " + (f"dev {m} {evaluate(load_model(path), data)[m]:.4f}" if (path/'model.safetensors').is_file() else 'not trained yet'), flush=True)

if __name__ == '__main__':
    main()
