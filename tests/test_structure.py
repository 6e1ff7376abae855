"""The package's layering, read from the code: an EdgeMIN module imports only modules of lower-numbered notebooks (so
no two modules import each other, directly or through a loop, and the core never names a stage), and the command line
loads no deep-learning library until a command needs one."""
import ast, json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG, NBS = ROOT/'edgemin', ROOT/'nbs'
CORE_END, STAGES_END = 8, 13         # notebooks 01-08 are the core, 09-13 the stages (00_api and the README say so)

def layer_numbers() -> dict[str, float]:
    "Module name -> the number of the notebook that exports it (`#| default_exp` of each numbered notebook; 02a counts as 2.1)."
    out = {}
    for nb in sorted(NBS.glob('[0-9][0-9]*_*.ipynb')):
        num = re.match(r'(\d\d)([a-z]?)_', nb.name)
        if not num: continue
        first = ''.join(json.loads(nb.read_text())['cells'][0]['source'])
        m = re.search(r'#\| default_exp (\S+)', first)
        if m: out[m[1]] = int(num[1]) + (ord(num[2]) - 96) / 10 if num[2] else int(num[1])
    return out

def _label(n: float) -> str: return f'{int(n):02d}' + (chr(96 + round((n - int(n)) * 10)) if n != int(n) else '')

def imported_modules(source: str) -> set[str]:
    "The EdgeMIN modules a source file imports anywhere (function bodies included): `from .x`, `from edgemin.x`, `import edgemin.x`."
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1: found.add(mod.split('.')[0] if mod else '')
            elif mod.startswith('edgemin.'): found.add(mod.split('.')[1])
            elif mod == 'edgemin': found.update(a.name for a in node.names)   # `from edgemin import viz`
        elif isinstance(node, ast.Import):
            found.update(a.name.split('.')[1] for a in node.names if a.name.startswith('edgemin.'))
    return found - {''}

def layering_problems(sources: dict[str, str], numbers: dict[str, int]) -> list[str]:
    "Every import of a module from the same or a higher-numbered notebook, as 'a -> b'."
    bad = []
    for mod, src in sources.items():
        for dep in sorted(imported_modules(src)):
            if dep not in numbers: bad.append(f'{mod} -> {dep} (no notebook exports it)')
            elif numbers[dep] >= numbers[mod]: bad.append(f'{mod} ({_label(numbers[mod])}) -> {dep} ({_label(numbers[dep])})')
    return bad

def package_sources() -> dict[str, str]:
    return {p.stem: p.read_text() for p in PKG.glob('*.py') if p.stem not in ('_modidx', '__init__')}

def test_every_module_imports_only_lower_layers():
    numbers = layer_numbers()
    sources = package_sources()
    assert set(sources) <= set(numbers), f'modules without a numbered notebook: {set(sources) - set(numbers)}'
    assert layering_problems(sources, numbers) == []

def test_the_package_face_imports_nothing_of_its_own():
    "`edgemin/__init__.py` resolves public names lazily (importlib), so `import edgemin` loads no module."
    assert imported_modules((PKG/'__init__.py').read_text()) == set()

def test_the_layers_are_core_stages_then_pipeline():
    n = layer_numbers()
    core = {'config', 'data', 'modeling', 'models', 'vocab', 'checkpoint', 'train', 'runtime', 'profile'}
    stages = {'teacher', 'distill', 'embed', 'prune', 'quantize', 'bundle'}   # embed: the embedding task kind beside distill
    assert {m for m, i in n.items() if 1 <= i <= CORE_END} == core
    assert {m for m, i in n.items() if CORE_END < i < STAGES_END + 1} == stages      # 13a counts as 13.1: a stage
    assert [m for m, i in sorted(n.items(), key=lambda kv: kv[1]) if i >= STAGES_END + 1] == \
        ['viz', 'runconfig', 'report', 'runner', 'sweeps', 'pipeline', 'cli']

def test_the_check_finds_an_upward_import_and_a_loop():
    numbers = {'data': 2, 'profile': 8, 'quantize': 12}
    src = {'data': 'def f():\n    from edgemin.quantize import quantize\n', 'profile': 'from .quantize import OnnxClassifier\n',
           'quantize': 'from .profile import profile\nimport edgemin.data\n'}
    assert layering_problems(src, numbers) == ['data (02) -> quantize (12)', 'profile (08) -> quantize (12)']
    assert layering_problems({'data': 'from .nowhere import x\n'}, numbers) == ['data -> nowhere (no notebook exports it)']

def test_the_command_line_loads_no_deep_learning_library():
    # `run --help` (and sweep/ablate) is left out on purpose: it lists every key=value with its default, read from the
    # config classes, whose modules import PyTorch (about 5 s); the top-level help, `data` and `report` stay light
    code = ("import sys, contextlib, io\nimport edgemin, edgemin.cli as c\nc.build_parser(None)\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    for argv in (['--help'], ['data', '--help'], ['report', '--help'], ['compare', '--help']):\n"
            "        try: c.main(argv)\n"
            "        except SystemExit: pass\n"
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'onnxruntime') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout

def test_a_stage_command_gets_its_options_from_the_config():
    import edgemin.cli as c
    from edgemin.prune import PruneConfig
    from edgemin.config import options
    p = c.build_parser('prune')
    flags = {a for act in p._subparsers._group_actions[0].choices['prune']._actions for a in act.option_strings}
    for o in options(PruneConfig):
        if c._scalar(o.type) is None: continue
        assert ('--no-' if o.default is True else '--') + o.name.replace('_', '-') in flags, o.name
