"""Convert between nbdev notebooks and 'percent' scripts, for editing notebooks in a text editor.

The notebooks in nbs/ stay the source of truth: convert one out, edit it, convert it back, then
run `nbdev_export` and `nbdev_clean`. Usage:
    python tools/nbpct.py to-py  nbs/01_data.ipynb  /tmp/01_data.py
    python tools/nbpct.py to-nb  /tmp/01_data.py    nbs/01_data.ipynb
"""
import hashlib, json, re, sys
from pathlib import Path

MD, CODE = '# %% [markdown]', '# %%'

def to_py(nb_path, py_path):
    "Write the cells of notebook `nb_path` to `py_path`, one `# %%` block each."
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(MD + '\n' + '\n'.join(('# ' + l).rstrip() for l in src.split('\n')))
        else: out.append(CODE + '\n' + src)
    Path(py_path).write_text('\n\n'.join(out) + '\n')

def _cell(kind, lines):
    while lines and not lines[-1].strip(): lines.pop()
    if kind == 'markdown': lines = [re.sub(r'^# ?', '', l) for l in lines]
    src = [l + '\n' for l in lines]
    if src: src[-1] = src[-1][:-1]
    c = dict(cell_type=kind, metadata={}, source=src)
    if kind == 'code': c.update(execution_count=None, outputs=[])
    return c

def to_nb(py_path, nb_path):
    "Build notebook `nb_path` from the `# %%` blocks of `py_path` (outputs are left empty)."
    cells, kind, cur = [], None, []
    for line in Path(py_path).read_text().split('\n'):
        if line.strip() in (MD, CODE):
            if kind: cells.append(_cell(kind, cur))
            kind, cur = ('markdown' if line.strip() == MD else 'code'), []
        elif kind: cur.append(line)
    if kind: cells.append(_cell(kind, cur))
    seen = set()
    for c in cells:   # stable ids from the content, so nbdev_export's `#id` comments only change where a cell does
        h = hashlib.sha1(''.join(c['source']).encode()).hexdigest()
        i = next(h[k:k + 8] for k in range(0, 32) if h[k:k + 8] not in seen)
        seen.add(i); c['id'] = i
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    Path(nb_path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__':
    cmd, src, dst = sys.argv[1:4]
    {'to-py': to_py, 'to-nb': to_nb}[cmd](src, dst)
