"""The project layout the docs and the export rely on: the docs sidebar lists every notebook in data-flow order,
every numbered notebook exports a module, and `make test` is what CI runs."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'

def notebooks() -> list[str]:
    "Every notebook under nbs/, relative to it: index first, numbered ones in order, then tutorials."
    nbs = [p.relative_to(NBS).as_posix() for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts]
    key = lambda n: (n != 'index.ipynb', n.startswith('tutorials/'), n)
    return sorted(nbs, key=key)

def test_sidebar_lists_every_notebook_in_order():
    sys.path.insert(0, str(ROOT/'tools'))
    from render_docs import sidebar
    assert [page for _, page in sidebar()] == notebooks()
    assert (NBS/'_quarto.yml').resolve() == (ROOT/'_quarto.yml').resolve()

def test_numbered_notebooks_export_a_module_and_start_with_a_title():
    for name in notebooks():
        cells = json.loads((NBS/name).read_text())['cells']
        src = [''.join(c['source']) for c in cells]
        if re.match(r'\d\d[a-z]?_', name):
            mod = re.search(r'#\| default_exp (\S+)', src[0])
            assert mod, f'{name}: first cell must be `#| default_exp <module>`'
            assert (ROOT/'edgemin'/(mod[1].replace('.', '/') + '.py')).is_file(), name
        titles = [s for c, s in zip(cells, src) if c['cell_type'] == 'markdown' and s.startswith('# ')]
        assert titles and '\n> ' in titles[0], f'{name}: needs an H1 title with a `> subtitle` line'

def test_ci_runs_the_readme_test_command():
    readme = (ROOT/'README.md').read_text()
    assert 'make test' in readme and 'make demo' in readme
    assert re.search(r'^make test$', (ROOT/'.ci'/'run').read_text(), re.M)

def test_tutorials_open_in_colab_and_install_there():
    tuts = [n for n in notebooks() if n.startswith('tutorials/')]
    assert len(tuts) >= 3
    for name in tuts:
        src = [''.join(c['source']) for c in json.loads((NBS/name).read_text())['cells']]
        badge = f'colab.research.google.com/github/edgemin/edgemin/blob/main/nbs/{name}'
        assert any(badge in s for s in src), f'{name}: needs an "Open in Colab" badge linking to itself'
        assert any("'google.colab' in sys.modules" in s and 'pip' in s for s in src), f'{name}: needs a Colab set-up cell'

def test_readme_results_are_generated_from_the_benchmark_files():
    "README's Results section must equal what bench/readme.py makes of bench/results/*.json (no hand-typed figures)."
    import subprocess
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def test_readme_check_notices_a_hand_edit(tmp_path):
    import subprocess
    text = (ROOT/'README.md').read_text()
    start = text.index('<!-- results:start')
    edited = text[:start] + text[start:].replace('| sst2 | accuracy |', '| sst2 | accuracy (typed) |', 1)
    assert edited != text
    (tmp_path/'README.md').write_text(edited)
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'readme.py'), '--check', '--readme', str(tmp_path/'README.md')], capture_output=True, text=True)
    assert r.returncode == 1 and 'out of date' in r.stderr

def readme_front_page() -> str:
    "README.md up to the generated Results section: the hand-written front page."
    text = (ROOT/'README.md').read_text()
    return text[:text.index('<!-- results:start')]

def test_readme_front_page_stays_short():
    "README is a front page; the reference prose lives in nbs/index.ipynb, the docs landing page."
    words = len(readme_front_page().split())
    assert words <= 900, f'README.md has {words} words before the Results section (limit 900): move reference prose to nbs/index.ipynb'

def test_readme_headline_figures_come_from_the_results_section():
    "The front page's measured ratios and percentages (its **Measured** paragraph) must appear in the generated Results."
    front, text = readme_front_page(), (ROOT/'README.md').read_text()
    results = text[text.index('<!-- results:start'):text.index('<!-- results:end')]
    para = next(p for p in front.split('\n\n') if p.startswith('**Measured**'))
    figures = re.findall(r'\d+(?:\.\d+)?[×%]', para)
    assert figures, 'the **Measured** paragraph should state the headline figures'
    for f in figures: assert f in results, f'{f} is on the front page but not in the generated Results section'

def test_readme_is_not_rendered_from_a_notebook():
    "One source each: README.md is written by hand, nbs/index.ipynb is the docs landing page; settings.ini names no readme_nb."
    import configparser
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT/'settings.ini')
    assert 'readme_nb' not in cfg['DEFAULT'], 'settings.ini must not name a readme_nb: README.md is not generated from a notebook'
