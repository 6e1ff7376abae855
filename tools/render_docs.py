"""Render the docs site: execute every notebook under nbs/ (as nbdev_test does) and write it as HTML into _docs/.

Quarto, which `nbdev_docs` uses, cannot be installed everywhere (not here), so this is the docs build that always
works: pages show the real outputs of a fresh run (plots, tables, `show_doc` signatures), hidden and export-only
cells are left out the way nbdev's site leaves them out, and every page gets the sidebar of `_quarto.yml`.
It exits non-zero if any cell raises, naming the notebook and the cell, so `make docs` doubles as the notebook test.

    python tools/render_docs.py                  # every notebook, 2 processes
    python tools/render_docs.py nbs/09_viz.ipynb # some notebooks
"""
import argparse, os, re, sys, time, traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, OUT = ROOT/'nbs', ROOT/'_docs'
_DIRECTIVE = re.compile(r'^\s*#\s*\|.*$\n?', re.M)
WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'


def sidebar() -> list[tuple[str, str]]:
    "(title, page) pairs in the order of _quarto.yml's sidebar."
    import yaml
    q = yaml.safe_load((ROOT/'_quarto.yml').read_text())
    items = []
    def walk(xs):
        for x in xs:
            if isinstance(x, str): items.append(x)
            elif isinstance(x, dict): walk(x.get('contents', []))
    walk(q['website']['sidebar']['contents'])
    return [(Path(p).stem, p) for p in items]


def page_of(nb: Path) -> Path:
    return OUT/nb.relative_to(NBS).with_suffix('.html')


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
    if cell.cell_type == 'markdown': return {'cell_type': 'markdown', 'metadata': {}, 'source': cell.source}
    if 'export' in d or 'exporti' in d: return None          # the code is in the module; show_doc documents it
    outputs = []
    join = lambda v: ''.join(v) if isinstance(v, list) else v
    for o in getattr(cell, 'outputs', []) or []:
        o = {k: join(v) for k, v in dict(o).items()}
        if 'data' in o: o['data'] = {k: join(v) for k, v in dict(o['data']).items()}
        if 'text/markdown' in o.get('data', {}):                # show_doc's Quarto link attributes mean nothing here
            o['data']['text/markdown'] = re.sub(r'\)\{target="_blank"[^}]*\}', ')', o['data']['text/markdown'])
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


def _nav(current: Path) -> str:
    rel = lambda p: os.path.relpath(OUT/Path(p).with_suffix('.html'), current.parent)
    links = ''.join(f'<li><a href="{rel(p)}"{" class=active" if OUT/Path(p).with_suffix(".html") == current else ""}>{t}</a></li>'
                    for t, p in sidebar())
    return (f'<nav id="edgemin-sidebar"><b>EdgeMIN</b><ul>{links}</ul></nav>'
            '<style>#edgemin-sidebar{position:fixed;left:0;top:0;bottom:0;width:210px;overflow:auto;padding:12px;'
            'background:#f6f7f9;border-right:1px solid #ddd;font:14px sans-serif}#edgemin-sidebar ul{padding-left:14px}'
            '#edgemin-sidebar .active{font-weight:bold}body{margin-left:230px!important}</style>')


def render(nb_path: str) -> tuple[str, bool, float, str]:
    "Execute one notebook and write its page; returns (notebook, ok, seconds, error text)."
    nb_path, t0 = Path(nb_path), time.time()
    try:
        import nbformat
        from nbconvert import HTMLExporter
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
        ex = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
        ex.mathjax_url = ''                                  # pages must render offline: no CDN scripts
        body, _ = ex.from_notebook_node(doc, resources={'metadata': {'name': f'{title} – EdgeMIN'}})
        out = page_of(nb_path)
        body = re.sub(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>', '', body)
        body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + _nav(out), body, count=1)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix('.html.tmp'); tmp.write_text(body); tmp.replace(out)
        return str(nb_path), True, time.time() - t0, ''
    except Exception:
        return str(nb_path), False, time.time() - t0, traceback.format_exc()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', help='default: every notebook under nbs/')
    ap.add_argument('--workers', type=int, default=2)
    args = ap.parse_args(argv)
    nbs = [Path(p).resolve() for p in args.notebooks] or sorted(p for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    os.environ.setdefault('OMP_NUM_THREADS', '1')             # tiny models: one thread each, notebooks in parallel
    os.environ.setdefault('TQDM_DISABLE', '1')                # progress bars are noise on a static page
    t0, failed = time.time(), []
    import multiprocessing as mp                              # a fresh process per notebook, as in a new kernel
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=mp.get_context('spawn'), max_tasks_per_child=1) as ex:
        for name, ok, secs, err in ex.map(render, map(str, nbs)):
            print(f"{'ok  ' if ok else 'FAIL'} {secs:6.1f} s  {Path(name).relative_to(NBS)}", flush=True)
            if not ok: failed.append((name, err))
    for name, err in failed: print(f"\n==== {name}\n{err}", file=sys.stderr)
    print(f"{len(nbs) - len(failed)} of {len(nbs)} notebooks rendered into {OUT.relative_to(ROOT)}/ in {time.time() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
