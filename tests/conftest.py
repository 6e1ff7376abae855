"Shared fixtures: where the real GLUE copy is, and its MANIFEST parsed into expected row and label counts."
import os, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def glue_root() -> Path | None:
    "The classic glue_data copy: $EDGEMIN_GLUE_DIR, else ../shared/data/glue beside the repository."
    for p in (os.environ.get('EDGEMIN_GLUE_DIR'), ROOT.parent/'shared'/'data'/'glue'):
        if p and Path(p, 'MANIFEST.md').is_file(): return Path(p)
    return None

def parse_manifest(path: Path) -> dict:
    "{(task dir, 'train'|'dev'): {'rows': int, 'labels': {raw label: count} or None}} from MANIFEST.md's per-file details."
    out, key = {}, None
    for line in path.read_text().splitlines():
        m = re.match(r'### (\S+) (train|dev) \(', line)
        if m: key = (m[1], m[2]); out[key] = {'rows': None, 'labels': None}; continue
        if key is None: continue
        m = re.match(r'- rows .*?: ([\d,]+);', line)
        if m: out[key]['rows'] = int(m[1].replace(',', ''))
        m = re.match(r'- labels: (.*)', line)
        if m and ':' in m[1] and 'float' not in m[1]:
            out[key]['labels'] = {k.strip(): int(v) for k, v in (kv.rsplit(':', 1) for kv in m[1].split(', '))}
    return out

@pytest.fixture(scope='session')
def glue_dir() -> Path:
    p = glue_root()
    if p is None: pytest.skip('no classic glue_data copy (set EDGEMIN_GLUE_DIR)')
    return p

@pytest.fixture(scope='session')
def manifest(glue_dir) -> dict:
    return parse_manifest(glue_dir/'MANIFEST.md')
