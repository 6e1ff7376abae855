"""Build the docs site: execute every notebook under nbs/ (as nbdev_test does), then render them with MkDocs Material.

Quarto, which `nbdev_docs` uses, cannot be installed everywhere (not here), so this is the docs build that always
works. Each notebook runs afresh in its own process; hidden and export-only cells are left out the way nbdev's site
leaves them out, and the executed notebooks are staged in _proc/site/. MkDocs Material (with mkdocs-jupyter) then
builds _docs/ from them: the sidebar of `_quarto.yml` with each notebook's title, search, a table of contents per
page, and the API reference that `show_doc` writes. Pages load nothing from the network.
It exits non-zero if any cell raises, naming the notebook and the cell, so `make docs` doubles as the notebook test.

    python tools/render_docs.py                   # every notebook, 2 processes, then the site
    python tools/render_docs.py nbs/14_viz.ipynb  # some notebooks (the others keep their last staged version)
    python tools/render_docs.py --site-only       # rebuild the site from the staged notebooks
"""
import argparse, os, re, shutil, sys, time, traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, OUT, STAGE = ROOT/'nbs', ROOT/'_docs', ROOT/'_proc'/'site'
_DIRECTIVE = re.compile(r'^\s*#\s*\|.*$\n?', re.M)
WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'
# notebooks whose pages present speeds (the tutorials): executed one at a time after the others, nothing beside them
ALONE = ('tutorials',)
_HEADING_CODE = re.compile(r'^#{1,6} .*`.*$', re.M)
_CLASS_SIG = re.compile(r'\bdef ([A-Z]\w*)\((.*?)\)->None:', re.S)
# Jupyter's In/Out prompts mean nothing on a page; code and outputs keep the theme's width
EXTRA_CSS = '.jp-InputPrompt, .jp-OutputPrompt { display: none !important; }\n.jp-Cell { padding-left: 0 !important; }\n'


def _sidebar_tree() -> list:
    "_quarto.yml's sidebar contents: notebook paths, and {'section': ..., 'contents': [...]} groups."
    import yaml
    return yaml.safe_load((ROOT/'_quarto.yml').read_text())['website']['sidebar']['contents']


def title_of(page: str) -> str:
    "A notebook's title: the `# heading` of its first markdown cell (nbdev's front matter), else its file name."
    import json
    for c in json.loads((NBS/page).read_text())['cells']:
        if c['cell_type'] == 'markdown':
            first = ''.join(c['source']).strip().split('\n')[0]
            return first[2:].strip() if first.startswith('# ') else Path(page).stem
    return Path(page).stem


def sidebar() -> list[tuple[str, str]]:
    "(title, page) pairs in the order of _quarto.yml's sidebar."
    items = []
    def walk(xs):
        for x in xs:
            if isinstance(x, str): items.append(x)
            elif isinstance(x, dict): walk(x.get('contents', []))
    walk(_sidebar_tree())
    return [(title_of(p), p) for p in items]


def nav() -> list:
    "MkDocs' nav: the sidebar of _quarto.yml with titles, its sections kept."
    def walk(xs):
        return [{title_of(x): x} if isinstance(x, str) else {x['section']: walk(x.get('contents', []))} for x in xs]
    return walk(_sidebar_tree())


def page_of(nb: Path) -> Path:
    "Where a notebook's page lands in the built site."
    return OUT/nb.relative_to(NBS).with_suffix('.html')


def staged(nb: Path) -> Path:
    "Where the executed, filtered notebook is staged for MkDocs."
    return STAGE/nb.relative_to(NBS)


def _no_eval(cell) -> bool:
    "Cells not to run: markdown, nbdev_export calls and `#| eval: false` cells (nbdev_test's rule)."
    if cell.cell_type != 'code': return True
    if 'nbdev_export' + '(' in cell.source: return True
    d = getattr(cell, 'directives_', {}) or {}
    return d.get('eval:', [''])[0].lower() == 'false'


def _visible(cell) -> dict | None:
    "The cell as the docs show it (nbformat dict), or None if the docs leave it out."
    d = getattr(cell, 'directives_', {}) or {}
    if 'hide' in d or d.get('include:', [''])[0].lower() == 'false' or 'nbdev_export' + '(' in cell.source: return None
    if cell.cell_type == 'raw': return None                  # front matter
    if cell.cell_type == 'markdown':                          # headings plain: the page's table of contents drops code spans
        return {'cell_type': 'markdown', 'metadata': {}, 'source': _HEADING_CODE.sub(lambda m: m.group(0).replace('`', ''), cell.source)}
    if 'export' in d or 'exporti' in d: return None          # the code is in the module; show_doc documents it
    outputs = []
    join = lambda v: ''.join(v) if isinstance(v, list) else v
    for o in getattr(cell, 'outputs', []) or []:
        o = {k: join(v) for k, v in dict(o).items()}
        if 'data' in o: o['data'] = {k: join(v) for k, v in dict(o['data']).items()}
        if 'text/markdown' in o.get('data', {}):                # show_doc's Quarto link attributes mean nothing here
            md = re.sub(r'\)\{target="_blank"[^}]*\}', ')', o['data']['text/markdown'])
            # show_doc writes a class's signature as `def Name(...)->None:`; EdgeMIN's classes are CapWords, its functions not
            o['data']['text/markdown'] = _CLASS_SIG.sub(lambda m: f"class {m.group(1)}({m.group(2)})", md)
        if o.get('output_type') in ('display_data', 'execute_result'):
            data = {k: v for k, v in o['data'].items() if k != WIDGET_MIME}   # no widget manager on a static page
            if not data: continue
            o = {**o, 'data': data, 'metadata': o.get('metadata', {})}
        outputs.append(o)
    src = '' if d.get('echo:', [''])[0].lower() == 'false' else _DIRECTIVE.sub('', cell.source).strip()
    if getattr(cell, 'has_sd', False): src = ''             # show_doc cells: only their output
    if not src and not outputs: return None
    meta = {} if src else {'transient': {'remove_source': True}}   # output only: no empty input box
    return {'cell_type': 'code', 'metadata': meta, 'source': src, 'outputs': outputs, 'execution_count': None}


def render(nb_path: str) -> tuple[str, bool, float, str]:
    "Execute one notebook and write its page; returns (notebook, ok, seconds, error text)."
    nb_path, t0 = Path(nb_path), time.time()
    try:
        import nbformat
        from execnb.shell import CaptureShell
        from fastcore.xtras import working_directory
        from nbdev.process import NBProcessor
        from nbdev.processors import FrontmatterProc, populate_language, add_show_docs
        os.environ.setdefault('IN_TEST', '1')
        nb = NBProcessor(nb_path, procs=[FrontmatterProc, populate_language, add_show_docs], process=True).nb
        fm = getattr(nb, 'frontmatter_', {}) or {}
        shell = CaptureShell(nb_path)
        shell.run_cell('from nbdev.showdoc import show_doc')
        with working_directory(nb_path.parent):
            try: shell.run_all(nb, exc_stop=True, preproc=_no_eval)
            except Exception: return str(nb_path), False, time.time() - t0, shell.prettytb(fname=nb_path)
        cells = [dict(c, id=f'cell-{i}') for i, c in enumerate(c for c in map(_visible, nb.cells) if c is not None)]
        title, desc = fm.get('title', nb_path.stem), fm.get('description', '')
        head = [{'cell_type': 'markdown', 'id': 'title', 'metadata': {}, 'source': f'# {title}' + (f'\n\n> {desc}' if desc else '')}]
        doc = nbformat.from_dict({'nbformat': 4, 'nbformat_minor': 5, 'cells': head + cells,
                                  'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
                                               'language_info': {'name': 'python'}}})
        out = staged(nb_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix('.ipynb.tmp'); nbformat.write(doc, str(tmp)); tmp.replace(out)
        for f in nb_path.parent.glob('*.png'): shutil.copyfile(f, out.parent/f.name)   # images the markdown links to
        return str(nb_path), True, time.time() - t0, ''
    except Exception:
        return str(nb_path), False, time.time() - t0, traceback.format_exc()


def _scrub(html: str) -> str:
    "A built page made self-contained: no script or stylesheet from the network, no absolute path of the build machine."
    html = re.sub(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>', '', html)
    html = re.sub(r'<link[^>]+href="https?://[^"]+\.(?:css|js)[^"]*"[^>]*>', '', html)
    return html.replace(str(ROOT) + '/', '').replace(str(ROOT), '.')


def build_site() -> int:
    "MkDocs Material over the staged notebooks into _docs/; returns the number of pages written."
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    missing = [p for _, p in sidebar() if not (STAGE/p).is_file()]
    if missing: raise SystemExit(f"not staged yet (run them first): {', '.join(missing)}")
    cfg = {'site_name': 'EdgeMIN', 'site_description': 'Shrink fine-tuned transformer encoders for edge devices, measured at every stage.',
           'docs_dir': str(STAGE), 'site_dir': str(OUT), 'use_directory_urls': False, 'nav': nav(),
           'theme': {'name': 'material', 'font': False,                      # no web fonts: pages render offline
                     'features': ['navigation.sections', 'navigation.top', 'search.highlight', 'toc.follow', 'content.code.copy'],
                     'palette': {'primary': 'indigo'}},
           'plugins': ['search', {'mkdocs-jupyter': {'execute': False, 'include_source': False, 'include_requirejs': False,
                                                     'ignore_h1_titles': False, 'toc_depth': 3}}],
           'markdown_extensions': [{'toc': {'permalink': True}}, 'tables', 'admonition', 'pymdownx.superfences'],
           'extra_css': ['edgemin.css'], 'exclude_docs': '*.tmp\n'}
    (STAGE/'edgemin.css').write_text(EXTRA_CSS)
    yml = ROOT/'_proc'/'mkdocs.yml'
    yml.write_text(yaml.safe_dump(cfg, sort_keys=False))
    import logging; logging.getLogger('mkdocs').setLevel(logging.ERROR)   # MkDocs' notes about unlisted files: not for readers
    build(load_config(str(yml)))
    n = 0
    for page in OUT.rglob('*.html'):
        page.write_text(_scrub(page.read_text())); n += 1
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', help='default: every notebook under nbs/')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--site-only', action='store_true', help='only build _docs/ from the notebooks staged in _proc/site/')
    args = ap.parse_args(argv)
    if args.site_only:
        print(f"{build_site()} pages built into {OUT.relative_to(ROOT)}/"); return 0
    nbs = [Path(p).resolve() for p in args.notebooks] or sorted(p for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    os.environ.setdefault('OMP_NUM_THREADS', '1')             # tiny models: one thread each, notebooks in parallel
    os.environ.setdefault('TQDM_DISABLE', '1')                # progress bars are noise on a static page
    t0, failed = time.time(), []
    import multiprocessing as mp                              # a fresh process per notebook, as in a new kernel
    alone = [p for p in nbs if p.relative_to(NBS).parts[0] in ALONE]
    for batch, workers in (([p for p in nbs if p not in alone], args.workers), (alone, 1)):
        if not batch: continue
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context('spawn'), max_tasks_per_child=1) as ex:
            for name, ok, secs, err in ex.map(render, map(str, batch)):
                print(f"{'ok  ' if ok else 'FAIL'} {secs:6.1f} s  {Path(name).relative_to(NBS)}", flush=True)
                if not ok: failed.append((name, err))
    for name, err in failed: print(f"\n==== {name}\n{err}", file=sys.stderr)
    print(f"{len(nbs) - len(failed)} of {len(nbs)} notebooks executed in {time.time() - t0:.0f} s")
    if failed: return 1
    if all((STAGE/p).is_file() for _, p in sidebar()):
        print(f"{build_site()} pages built into {OUT.relative_to(ROOT)}/")
    else: print("the site is built once every notebook of the sidebar is staged (run them all)")
    return 0


if __name__ == '__main__': sys.exit(main())
