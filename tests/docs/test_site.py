"""The documentation site builds without a Sphinx warning, and every page opens in a browser whole.

The site is built once per module, from a copy of ``docs/``, with ``sphinx-build -W --keep-going``
as ``make docs`` builds it but with the gallery's execution switched off (``-D plot_gallery=0``):
the lessons are run by ``test_lessons.py``. Headless Chromium then opens every page through a local
HTTP server and reports each image that did not decode and each link inside the site whose page or
anchor does not exist.
"""

import fcntl
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VOCABULARY = ["log loss", "negative log-likelihood", "multinomial logistic regression", "maximum entropy classifier",
              "softmax regression", "hypothesis", "cross-entropy", "perplexity", "label smoothing", "early stopping",
              "overfit", "calibrat", "proper scoring rule", "gradient descent"]


def _build(work: Path) -> Path:
    shutil.copytree(DOCS, work / "docs",
                    ignore=shutil.ignore_patterns("_build", "auto_lessons", "generated", "sg_execution_times.rst"))
    (work / "src").symlink_to(ROOT / "src")  # conf.py puts ../src on sys.path
    out = work / "html"
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           "-D", "plot_gallery=0", str(work / "docs"), str(out)],
                          capture_output=True, text=True, timeout=600, env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site; under pytest-xdist built once per run, by whichever worker asks first."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build(tmp_path_factory.mktemp("site"))
    shared = tmp_path_factory.getbasetemp().parent  # this run's directory, common to the workers
    with open(shared / "docs-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = shared / "docs-site" / "html"
        if not (out / "index.html").is_file():
            (shared / "docs-site").mkdir(exist_ok=True)
            _build(shared / "docs-site")
        return out


def _text(page: Path) -> str:
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def test_every_lesson_and_public_name_has_a_page(site):
    import crossentropy

    lessons = sorted(p.stem for p in (DOCS / "lessons").glob("plot_*.py"))
    for stem in lessons:
        assert (site / "auto_lessons" / f"{stem}.html").is_file(), stem
    gallery = (site / "auto_lessons" / "index.html").read_text(encoding="utf-8")
    assert all(f"{stem}.html" in gallery for stem in lessons)
    for name in crossentropy.__all__:
        if name == "__version__":
            continue
        if name == "information":
            for func in crossentropy.information.__all__:
                assert (site / "generated" / f"crossentropy.information.{func}.html").is_file(), func
        else:
            assert (site / "generated" / f"crossentropy.{name}.html").is_file(), name
    api = _text(site / "api.html")
    assert "LogisticRegressionCV" in api and "binary_cross_entropy_with_logits" in api
    assert "One fit" in _text(site / "architecture.html")  # the Markdown page, through myst-parser


def test_the_lesson_vocabulary_is_on_the_pages_and_in_the_search_index(site):
    import snowballstemmer

    text = " ".join(_text(p) for p in (site / "auto_lessons").glob("*.html")).lower()
    for phrase in VOCABULARY:
        assert phrase in text, phrase
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1:index.rindex(")")])["terms"]
    stem = snowballstemmer.stemmer("english").stemWord  # the stemmer of Sphinx's English search
    for word in ("multinomial", "maximum", "entropy", "softmax", "likelihood", "hypothesis", "perplexity",
                 "calibration", "overfitting", "log"):
        assert stem(word) in terms, word


def _pages(site):
    """The site's pages (not the theme's templates under _static/)."""
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static")


def test_the_build_has_every_page_that_the_site_links(site):
    pages = _pages(site)
    assert len(pages) > 30
    for page in pages:
        for value in re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8")):
            target = re.split(r"[#?]", value)[0]
            if not target or re.match(r"[a-z]+:", target):  # an anchor on the page, or another site
                continue
            assert (page.parent / html.unescape(target)).exists(), f"{page.relative_to(site)} -> {target}"


def test_the_formulas_render_without_a_network(site):
    # MathJax is loaded from the site itself, never from a CDN, and every page that has math uses it
    lesson = site / "auto_lessons" / "plot_03_gradient_descent.html"
    for page in [lesson, *_pages(site)]:
        scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page.read_text(encoding="utf-8"), flags=re.I)
        assert all(not re.match(r"[a-z]+:", s) for s in scripts), f"{page.relative_to(site)} loads MathJax from {scripts}"
        assert page != lesson or scripts, "lesson 3 has formulas but loads no MathJax"
        for s in scripts:
            assert (page.parent / html.unescape(re.split(r"[#?]", s)[0])).exists()


_HARNESS = """<!DOCTYPE html><html><body><pre id="result">pending</pre><script>
const pages = %s;
async function visit(page) {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px"; frame.style.height = "1000px";
  document.body.appendChild(frame);
  await new Promise(resolve => { frame.onload = resolve; frame.src = page; });
  const doc = frame.contentDocument;
  const images = [...doc.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(resolve => { img.onload = img.onerror = resolve; })));
  const broken = images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.getAttribute("src"));
  const links = [...doc.querySelectorAll("a[href]")].map(a => a.href).filter(h => h.startsWith(location.origin));
  frame.remove();
  return {page, images: images.length, broken, links};
}
(async () => {
  const out = {pages: [], broken_links: []};
  const fetched = new Map();
  try {
    for (const page of pages) {
      const seen = await visit(page);
      out.pages.push({page, images: seen.images, broken: seen.broken});
      for (const link of new Set(seen.links)) {
        const url = new URL(link); const anchor = decodeURIComponent(url.hash.slice(1)); url.hash = "";
        if (!fetched.has(url.href)) fetched.set(url.href, fetch(url.href).then(r => r.ok ? r.text() : null));
        const body = await fetched.get(url.href);
        let ok = body !== null;
        if (ok && anchor && url.pathname.endsWith(".html")) {
          ok = new DOMParser().parseFromString(body, "text/html").getElementById(anchor) !== null;
        }
        if (!ok) out.broken_links.push(page + " -> " + link);
      }
    }
  } catch (error) { out.error = String(error); }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _browse(root: Path, pages: list[str], tmp_path: Path) -> dict:
    """Open ``pages`` (paths under ``root``) in headless Chromium through a local HTTP server; the harness's report."""
    (root / "_check.html").write_text(_HARNESS % json.dumps(pages), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/_check.html"
        done = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--no-first-run", "--disable-extensions", "--disable-background-networking",
                               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no network wait
                               f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=120000",
                               "--dump-dom", url], capture_output=True, text=True, timeout=240)
    finally:
        server.shutdown()
        server.server_close()
        (root / "_check.html").unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert found and found[1] != "pending", done.stdout[:2000] + done.stderr[-2000:]
    result = json.loads(html.unescape(found[1]))
    assert "error" not in result, result.get("error")
    assert [p["page"] for p in result["pages"]] == pages  # every page was opened
    return result


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")


@needs_chromium
def test_every_page_opens_with_no_broken_image_or_link(site, tmp_path):
    pages = [p.relative_to(site).as_posix() for p in _pages(site)]
    result = _browse(site, pages, tmp_path)
    assert sum(p["images"] for p in result["pages"]) >= 12  # the gallery's thumbnails at least
    assert [(p["page"], p["broken"]) for p in result["pages"] if p["broken"]] == []
    assert result["broken_links"] == []


@needs_chromium
def test_the_browser_check_catches_a_broken_image_and_links(tmp_path):
    from PIL import Image

    root = tmp_path / "site"
    root.mkdir()
    Image.new("RGB", (4, 4), "red").save(root / "good.png")
    (root / "bad.png").write_bytes(b"not a png")
    (root / "a.html").write_text('<html><body><img src="good.png"><img src="bad.png"><img src="missing.png">'
                                 '<a href="b.html#here">ok</a><a href="b.html#nowhere">no anchor</a>'
                                 '<a href="gone.html">no page</a></body></html>')
    (root / "b.html").write_text('<html><body><p id="here">b</p></body></html>')
    result = _browse(root, ["a.html", "b.html"], tmp_path)
    assert result["pages"][0]["images"] == 3 and sorted(result["pages"][0]["broken"]) == ["bad.png", "missing.png"]
    assert sorted(link.rsplit("/", 1)[1] for link in result["broken_links"]) == ["b.html#nowhere", "gone.html"]
