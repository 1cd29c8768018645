"""The book: a strict build (zero warnings), nothing loaded from a remote host, and the
chapter page rendered by a real browser with the network cut off."""
import functools
import http.server
import re
import shutil
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO

CHROMIUM = shutil.which("chromium")
# Chapter pages only (book/chNN_*): the notation and references pages have no figures.
CHAPTER_PAGES = [line.split("file:")[1].strip() + ".html"
                 for line in (REPO / "_toc.yml").read_text().splitlines() if "file: book/ch" in line]
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"(@import\s+|url\()\s*['\"]?(https?:)?//", re.IGNORECASE)
# Attributes that make a browser fetch something when the page loads.
LOADING = {"script": ("src",), "img": ("src", "srcset"), "iframe": ("src",),
           "source": ("src", "srcset"), "audio": ("src",), "video": ("src", "poster"),
           "embed": ("src",), "object": ("data",)}
LOADING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "prefetch",
                     "manifest", "apple-touch-icon"}


@pytest.fixture(scope="module")
def site(built_book):
    """The book, built once per session by conftest's ``built_book``."""
    return built_book


def test_book_builds_with_zero_warnings(site):
    html, returncode, log = site
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert returncode == 0 and not warnings, "\n".join(warnings or log.splitlines()[-30:])
    assert CHAPTER_PAGES and all((html / page).is_file() for page in CHAPTER_PAGES)


class RemoteLoads(HTMLParser):
    """Collects every URL a page would fetch from another host."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        names = LOADING.get(tag, ())
        if tag == "link" and LOADING_LINK_RELS & set((attrs.get("rel") or "").lower().split()):
            names = ("href",)
        for name in names:
            for url in (attrs.get(name) or "").split(","):
                if REMOTE.match(url.strip()):
                    self.found.append(f"<{tag} {name}={url.strip()}>")
        if tag == "style" or (tag == "script" and "src" not in attrs):
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and (CSS_REMOTE.search(data) or re.search(
                r"""(src|href)\s*[=:]\s*['"](https?:)?//""", data)):
            self.found.append(f"inline code loading {data.strip()[:80]!r}")


def remote_loads(html_text):
    parser = RemoteLoads()
    parser.feed(html_text)
    return parser.found


def test_remote_load_detector_catches_cdn_assets():
    page = """<html><head><script src="https://cdn.example.org/require.min.js"></script>
    <link rel="stylesheet" href="//fonts.example.com/x.css"><link rel="next" href="https://a.b/">
    <style>@import url("https://fonts.example.com/font.css");</style></head>
    <body><a href="https://example.org">a link is fine</a><img src="../_images/a.png"></body></html>"""
    found = remote_loads(page)
    assert len(found) == 3, found
    assert remote_loads('<script src="../_static/mathjax/tex-chtml.js"></script>') == []


def test_no_page_loads_anything_from_a_remote_host(site):
    html, returncode, _ = site
    assert returncode == 0
    problems = [f"{page.relative_to(html)}: {item}" for page in sorted(html.rglob("*.html"))
                for item in remote_loads(page.read_text(encoding="utf-8"))]
    problems += [f"{css.relative_to(html)}: remote @import/url()" for css in html.rglob("*.css")
                 if CSS_REMOTE.search(css.read_text(encoding="utf-8", errors="ignore"))]
    assert not problems, "\n".join(problems)
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served locally"


@pytest.fixture(scope="module")
def served(site):
    """The built site on a localhost port."""
    html = site[0]
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium(*args, timeout=120):
    """Headless chromium with every non-loopback request sent to a dead proxy."""
    profile = tempfile.mkdtemp(prefix="nn-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-quic", f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=20000", *args],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                    "(make test installs it when run as root with apt-get)")
@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_renders_math_and_figures_offline(site, served, page):
    dom = chromium("--dump-dom", f"{served}/{page}").stdout
    typeset = dom.count("<mjx-container")
    assert typeset >= 20, f"only {typeset} formulas typeset by MathJax"
    assert "<mjx-merror" not in dom, "MathJax reported a TeX error"
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', dom)
    assert len(images) >= 3, f"expected the chapter's figures, found {images}"
    for src in images:
        path = (site[0] / "book" / src).resolve()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src
    shot = REPO / "_build" / "screenshots"
    shot.mkdir(parents=True, exist_ok=True)
    chromium("--window-size=1280,4000", f"--screenshot={shot / Path(page).with_suffix('.png').name}",
             f"{served}/{page}")


EXPLORER_PAGES = [page for page in CHAPTER_PAGES
                  if "_explorer(" in (REPO / page.replace(".html", ".md")).read_text()]


def shown_pictures(browser):
    """The ``src`` of every explorer picture the page shows (the others wait in hidden
    Stack pages), in page order."""
    from selenium.webdriver.common.by import By

    return [img.get_attribute("src") for img in
            browser.find_elements(By.CSS_SELECTOR, ".widget-image") if img.is_displayed()]


def test_every_chapter_from_one_on_has_an_explorer():
    assert len(EXPLORER_PAGES) >= 6, EXPLORER_PAGES


@pytest.mark.parametrize("page", EXPLORER_PAGES)
def test_explorer_moves_in_the_static_book_without_network(site, served, browser, page):
    """No kernel and no network: the widget manager the site serves draws the page's
    explorers from the embedded state, one picture each, and moving the first slider shows
    another picture, with no error from the widget scripts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")                       # start with an empty console
    browser.get(f"{served}/{page}")
    WebDriverWait(browser, 30).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle"),
        "the explorer was not drawn: no slider on the page")
    before = shown_pictures(browser)
    assert before and all(src.startswith("blob:") for src in before), before
    handle = browser.find_element(By.CSS_SELECTOR, ".widget-slider .noUi-handle")
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, 10).until(lambda b: shown_pictures(b) != before,
                                     "moving the slider did not change the picture")
    after = shown_pictures(browser)
    assert len(after) == len(before) and sum(a != b for a, b in zip(after, before)) == 1
    errors = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and "/_static/widget" in entry["message"]]
    assert not errors, errors
