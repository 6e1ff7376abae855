"""Browser tests: the explorers operated in a real JupyterLab, and the rendered docs pages, in headless Chromium.

Playwright drives Debian's Chromium (`apt-get install chromium`; the Makefile's `browser-deps` installs it).
Screenshots go to test-artifacts/browser/. The docs test reads _docs/, which `make docs` writes (`make test` runs
it first). Set EDGEMIN_SKIP_BROWSER=1 to skip these tests on a machine without Chromium.
"""
import json, os, re, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ART = ROOT/'test-artifacts'/'browser'
DOCS = ROOT/'_docs'

if os.environ.get('EDGEMIN_SKIP_BROWSER') == '1': pytest.skip('EDGEMIN_SKIP_BROWSER=1', allow_module_level=True)


def chromium() -> str:
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: pytest.fail("no Chromium: install it with `apt-get install chromium` (or `make browser-deps`), "
                            "or set EDGEMIN_SKIP_BROWSER=1")
    return exe


@pytest.fixture(scope='module')
def browser():
    sync = pytest.importorskip('playwright.sync_api', reason='pip install playwright (in the dev extra)')
    ART.mkdir(parents=True, exist_ok=True)
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'])
        yield b
        b.close()


# ---- the explorers in JupyterLab ------------------------------------------------------------------------------

CELLS = [
    "import os\nfrom pathlib import Path\nfrom edgemin.pipeline import tiny_setup, run, RunConfig\n"
    "os.environ['EDGEMIN_CACHE'] = str(Path('work/cache').resolve())\n"
    "run(RunConfig.from_dict(tiny_setup('work')), 'work/run', progress=False)\nprint('tiny run done')",
    "from edgemin.viz import explore_relations, explore_head_importance, explore_tradeoffs\nexplore_relations('work/run')",
    "explore_head_importance('work/run')",
    "explore_tradeoffs('work/run')",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "A JupyterLab server on localhost serving a fresh directory with the widget notebook; stopped after the tests."
    d = tmp_path_factory.mktemp('lab')
    nb = {'nbformat': 4, 'nbformat_minor': 5,
          'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
          'cells': [{'cell_type': 'code', 'id': f'c{i}', 'metadata': {}, 'source': s, 'outputs': [], 'execution_count': None}
                    for i, s in enumerate(CELLS)]}
    (d/'widgets.ipynb').write_text(json.dumps(nb))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(d/'.jupyter'), 'OMP_NUM_THREADS': '1'}
    log = open(d/'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ip=127.0.0.1',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={d}', '--LabApp.news_url=',
                             '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--allow-root'],
                            cwd=d, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            if proc.poll() is not None: pytest.fail(f"JupyterLab exited with {proc.returncode}: {(d/'lab.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f'{url}/api/status?token={token}', timeout=2); break
            except Exception: time.sleep(0.5)
        else: pytest.fail(f"JupyterLab did not answer within 60 s: {(d/'lab.log').read_text()[-2000:]}")
        yield url, token, d
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()
        shutil.copy(d/'lab.log', ART/'jupyterlab.log') if ART.is_dir() else None


def plot_src(cell) -> str:
    "The data URL of the plot in a widget output of `cell` (the explorer's figure)."
    img = cell.locator('.widget-output img').first
    img.wait_for(state='visible', timeout=60_000)
    return img.get_attribute('src')


def changed(page, cell, before: str, what: str, timeout: float = 60):
    "Wait until the cell's plot differs from `before`; return the new one."
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            now = plot_src(cell)
            if now and now != before: return now
        except Exception: pass
        page.wait_for_timeout(250)
    page.screenshot(path=str(ART/f'failed-{re.sub(r"[^a-z0-9]+", "-", what.lower())}.png'), full_page=True)
    pytest.fail(f"the plot did not change after: {what}")


def test_explorers_in_jupyterlab(browser, lab):
    url, token, d = lab
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    page.goto(f'{url}/lab/tree/widgets.ipynb?token={token}', timeout=120_000)
    page.locator('.jp-Notebook .jp-CodeCell').first.wait_for(timeout=120_000)
    page.wait_for_timeout(2000)                          # let the kernel start; queued cells would wait for it anyway
    no = page.locator('.jp-toast-button', has_text='No')  # JupyterLab's "get news?" notification
    if no.count(): no.first.click()
    # run the cells one after another with Shift+Enter, as a person would
    cells = page.locator('.jp-CodeCell')
    cells.first.locator('.jp-InputArea-prompt').click()
    for _ in CELLS: page.keyboard.press('Shift+Enter')
    page.locator('.jp-OutputArea-output', has_text='tiny run done').wait_for(timeout=300_000)
    rel, heads, trade = cells.nth(1), cells.nth(2), cells.nth(3)
    page.wait_for_timeout(1000); page.screenshot(path=str(ART/'00-cells-run.png'), full_page=True)
    for c in (rel, heads, trade): plot_src(c)
    page.screenshot(path=str(ART/'01-explorers-drawn.png'), full_page=True)

    # relation explorer: type a sentence, change the relation dropdown, move the layer slider
    p0 = plot_src(rel)
    box = rel.locator('.widget-text input').first
    box.fill('bad plot and dull acting'); box.press('Enter')
    p1 = changed(page, rel, p0, 'typing a sentence')
    rel.locator('.widget-dropdown select').nth(1).select_option(label='V-V')
    p2 = changed(page, rel, p1, 'choosing the V-V relation')
    handle = rel.locator('.widget-slider .noUi-handle').first
    handle.focus(); handle.press('ArrowLeft')
    changed(page, rel, p2, 'moving the layer slider')
    rel.screenshot(path=str(ART/'02-relations-operated.png'))

    # head-importance explorer: move the prune-fraction slider; the plot and the saved-parameters line change
    h0, s0 = plot_src(heads), heads.locator('.widget-html').first.inner_text()
    handle = heads.locator('.widget-slider .noUi-handle').first
    handle.focus()
    for _ in range(5): handle.press('ArrowLeft')          # 50% -> 25% of the heads, in 5-point steps
    changed(page, heads, h0, 'moving the prune-fraction slider')
    # five key presses are five updates: wait for the last one, not the first change (the kernel may still be behind)
    page.wait_for_function("([el, old]) => el.innerText !== old && el.innerText.includes('2 of 8 heads removed')",
                           arg=[heads.locator('.widget-html').first.element_handle(), s0], timeout=30_000)
    assert '2 of 8 heads removed' in heads.locator('.widget-html').first.inner_text()
    heads.screenshot(path=str(ART/'03-head-importance-operated.png'))

    # trade-off explorer: another axis, log scale, pick a point (its details appear)
    t0 = plot_src(trade)
    trade.locator('.widget-dropdown select').first.select_option(label='latency, batch 1 (ms)')
    t1 = changed(page, trade, t0, 'choosing the latency axis')
    trade.locator('.widget-checkbox input').first.check()
    t2 = changed(page, trade, t1, 'ticking log scale')
    trade.locator('.widget-dropdown select').nth(2).select_option(index=4)
    changed(page, trade, t2, 'selecting a point')
    assert 'quantize' in trade.locator('.widget-html').first.inner_text()
    trade.screenshot(path=str(ART/'04-tradeoffs-operated.png'))
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', has_text='Traceback')
    assert errors.count() == 0, errors.first.inner_text()
    page.close()


# ---- the docs site ---------------------------------------------------------------------------------------------

def pages() -> list[Path]:
    "The docs pages, in sidebar order."
    sys.path.insert(0, str(ROOT/'tools'))
    from render_docs import sidebar
    return [DOCS/Path(page).with_suffix('.html') for _, page in sidebar()]

# pages whose notebooks draw plots: each must show at least one loaded image
WITH_PLOTS = {'14_viz', '01_sst2_end_to_end', '02_pruning'}
# what a reader must never see: an error, the build machine's paths, a library's warning
LEAKS = [re.compile(p) for p in (r'Traceback \(most recent call last\)', r'site-packages', re.escape(str(ROOT)),
                                  r'\b\w*Warning: ', r'WARNING:', r'Please consider to run pre-processing')]


@pytest.fixture(scope='module')
def site():
    "The built site served over HTTP on localhost (search needs it: it fetches its index), stopped after the tests."
    if not DOCS.is_dir():
        if os.environ.get('CI'): pytest.fail('_docs/ is missing: `make test` runs `make docs` before pytest')
        pytest.skip('no _docs/: run `make docs` first')
    port = free_port()
    srv = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1'], cwd=DOCS,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    for _ in range(50):
        try: urllib.request.urlopen(url + '/index.html', timeout=1); break
        except OSError: time.sleep(0.1)
    yield url
    srv.terminate(); srv.wait(10)


def offline_page(browser, site):
    "A page that may load only from the local site: anything else is refused."
    page = browser.new_page(viewport={'width': 1300, 'height': 900})
    page.route(re.compile(r'^https?://(?!127\.0\.0\.1)'), lambda route: route.abort())
    return page


def test_docs_pages_show_plots_and_no_errors(browser, site):
    missing = [p.name for p in pages() if not p.is_file()]
    assert not missing, f"pages not rendered: {missing}"
    page = offline_page(browser, site)
    for p in pages():
        rel = p.relative_to(DOCS).as_posix()
        page.goto(f'{site}/{rel}')
        page.wait_for_load_state('load')
        page.screenshot(path=str(ART/f"docs-{rel[:-5].replace('/', '-')}.png"), full_page=False)
        text = page.locator('article').inner_text()
        for leak in LEAKS: assert not leak.search(text), f"{rel} shows {leak.pattern!r}: ...{text[max(0, leak.search(text).start() - 200):][:400]}"
        title = page.locator('article h1').first.inner_text().strip(' ¶')
        assert title and title != p.stem, f"{rel}: no title of its own ({title!r})"
        links = set(page.evaluate("() => [...document.querySelectorAll('.md-nav--primary a.md-nav__link')].map(a => a.getAttribute('href'))"))
        assert len({l for l in links if l and l.endswith('.html')}) >= len(pages()), f"{rel}: the navigation lacks pages ({len(links)} links)"
        if p.stem in WITH_PLOTS:
            loaded = page.evaluate("() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
                                   ".filter(i => i.complete && i.naturalWidth > 50).length")
            assert loaded >= 1, f"{rel} shows no plot"
    page.close()


def test_docs_search_finds_pages(browser, site):
    page = offline_page(browser, site)
    page.goto(f'{site}/index.html')
    box = page.locator('input.md-search__input')
    box.click()
    page.wait_for_function("() => !/Initializing/i.test(document.querySelector('.md-search-result__meta')?.innerText || 'Initializing')",
                           timeout=30000)                                    # the search index has loaded
    box.type('MiniLMv2', delay=50)                                           # typed as a person would
    page.wait_for_selector('.md-search-result__item', timeout=15000)
    hits = page.locator('.md-search-result__item')
    assert hits.count() >= 1
    assert 'Distillation' in page.locator('.md-search-result').inner_text()      # the distillation notebook's page is found
    page.screenshot(path=str(ART/'docs-search.png'))
    page.close()
