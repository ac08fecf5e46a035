"The docs site, as a student sees it: every page of `_docs/` opened in headless Chromium (run after `nbdev-docs`; skipped, with the reason, before)"
import os, re, shutil, threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse
import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get('RANDFIT_SITE', ROOT / '_docs'))
CHROMIUM, DRIVER = shutil.which('chromium'), shutil.which('chromedriver')
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob('*.html') if 'site_libs' not in p.parts) if SITE.exists() else []
LESSONS = sorted(p.stem for p in (ROOT / 'nbs' / 'course').glob('0*.ipynb'))
API = sorted(p.stem for p in (ROOT / 'nbs').glob('[01][0-9]_*.ipynb'))
COLAB_BADGE = 'https://colab.research.google.com/assets/colab-badge.svg'  # the lessons' Open in Colab badge
API_PAGES = {re.sub(r'^\d+_', '', s) for s in API}
ERRORS = re.compile(r'Traceback \(most recent call last\)|^\w+(Error|Exception): ', re.M)

pytestmark = [pytest.mark.skipif(not PAGES, reason=f'no docs site at {SITE}: build it with `nbdev-docs` (needs Quarto)'),
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason='needs Debian chromium and chromium-driver')]


@pytest.fixture(scope='module')
def server():
    "The site served on localhost, as GitHub Pages would"
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), partial(type('Quiet', (SimpleHTTPRequestHandler,), {'log_message': lambda *a: None}), directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_port}/'
    httpd.shutdown()


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions(); o.binary_location = CHROMIUM
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--window-size=1280,1000'):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    yield d
    d.quit()


def _exists(url, base):
    "Whether an internal link's target is a file of the site (a folder means its index.html)"
    p = (SITE / urlparse(url).path[len(urlparse(base).path):]).resolve()
    return p.is_file() or (p / 'index.html').is_file()


@pytest.mark.parametrize('page', PAGES)
def test_page(page, server, browser):
    browser.get(server + page)
    js = browser.execute_script
    js("return new Promise(r => { if (document.readyState === 'complete') r(true); else addEventListener('load', () => r(true)); })")
    outputs = js("return [...document.querySelectorAll('.cell-output, .cell-output-stderr, .cell-output-error')].map(e => e.textContent)")
    bad = [o[:300] for o in outputs if ERRORS.search(o)]
    assert not bad, f'{page}: cell outputs hold errors: {bad}'
    broken = js("return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    local = [u for u in broken if u.startswith(server)]
    assert not local, f'{page}: images that do not load: {local}'
    # images from elsewhere cannot load on a machine without internet: only the known ones may be there
    other = [u for u in broken if not u.startswith(server) and u != COLAB_BADGE]
    assert not other, f'{page}: images from other sites, which this test cannot check: {other}'
    links = js("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    internal = {urldefrag(u)[0] for u in links if u.startswith(server)}
    if page.startswith('course/') or page[:-5] in API_PAGES:  # code within 100 columns (lessons 88) fits: no sideways scrolling
        wide = js("return [...document.querySelectorAll('div.sourceCode pre')].filter(p => !p.closest('.cell-output'))"
                  ".filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 80))")
        assert not wide, f'{page}: code that scrolls sideways: {wide}'
    if page.startswith('course/') and not page.endswith('index.html'):
        colab = [u for u in links if u.startswith('https://colab.research.google.com/github/randfit-fai/randfit_fai/')]
        assert colab and colab[0].endswith('.ipynb'), f'{page}: no Open in Colab link to its notebook'
    dead = sorted(u for u in internal if not _exists(u, server))
    assert not dead, f'{page}: internal links to missing pages: {dead}'
    sidebar = js("return [...document.querySelectorAll('#quarto-sidebar a[href]')].map(a => a.href)")
    names = {Path(urlparse(u).path).stem for u in sidebar}
    missing = [n for n in [re.sub(r'^\d+_', '', s) for s in LESSONS + API] if n not in names]
    assert not missing, f'{page}: the sidebar lacks {missing}'
    course = [u for u in sidebar if '/course/' in u]
    assert course and sidebar.index(course[0]) < min(sidebar.index(u) for u in sidebar if urlparse(u).path.endswith('/data.html')), \
        f'{page}: the course does not come before the API reference in the sidebar'


def test_every_lesson_and_api_page_was_built():
    built = {Path(p).stem for p in PAGES}
    assert {re.sub(r'^\d+_', '', s) for s in LESSONS + API} <= built and 'performance' in built and 'index' in built
