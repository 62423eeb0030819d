"""The documentation site as its readers get it: built with ``mkdocs build --strict`` from the
package's docstrings, every public name and resource method in its API reference, nothing
loaded from another host, and every page rendered in headless Chromium at a desktop and a
phone width without a JavaScript error or anything running off the side of the page.

The site needs the ``docs`` extra; the browser tests need Debian's ``chromium`` and
``chromium-driver`` (``.ci/run`` installs them). Without them these tests skip, saying why.
"""

from __future__ import annotations

import functools
import http.server
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openaistream

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The package as a regular install lays it out (pyproject.toml's package-dir): griffe reads
# the package from files, and cannot follow an editable install's mapping of the subpackages.
PACKAGE_DIRS = {"openaistream": "core", "openaistream/plugins": "plugins",
                "openaistream/transports": "transports"}  # fmt: skip
SITE_PATH = "/openaistream/"  # site_url's path: the site is served under it, as it is hosted
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

pytestmark = pytest.mark.timeout(300)


def test_the_package_layout_is_pyprojects() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for package, folder in PACKAGE_DIRS.items():
        assert f'"{package.replace("/", ".")}" = "{folder}"' in pyproject


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from a copy of the package laid out as installed."""
    for tool in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        pytest.importorskip(tool, reason=f"{tool} is not installed: pip install '.[docs]'")
    work = tmp_path_factory.mktemp("docs")
    for package, folder in PACKAGE_DIRS.items():
        shutil.copytree(ROOT / folder, work / "src" / package, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(work / "src"), "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(work / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    return work / "site"


def anchors(site: Path) -> set[str]:
    """Every id of the API reference's pages."""
    found: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        found.update(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    return found


def canonical(value: Any) -> str:
    return f"{value.__module__}.{value.__qualname__}"


def public_classes() -> list[type]:
    # getattr, not vars(): the async names are loaded on first use (the module's __getattr__)
    exported = (getattr(openaistream, name) for name in openaistream.__all__)
    return [value for value in exported if inspect.isclass(value)]


def public_members(cls: type) -> list[tuple[str, Any]]:
    """The methods and properties a user reaches on a class of ours, its bases' included (a
    stream's `status` comes from the base it shares with the async stream), but not those
    of Python's own bases (Exception's `with_traceback`, Protocol's machinery)."""
    found = []
    for member in dir(cls):
        owner = next((base for base in cls.__mro__ if member in vars(base)), None)
        if (
            member.startswith("_")
            or owner is None
            or not owner.__module__.startswith("openaistream")
        ):
            continue
        attribute = vars(owner)[member]
        if callable(attribute) or isinstance(attribute, (property, classmethod, staticmethod)):
            found.append((member, attribute))
    return found


def test_every_public_name_is_in_the_api_reference_with_a_docstring(site: Path) -> None:
    ids = anchors(site)
    missing, undocumented = [], []
    for name in openaistream.__all__:
        value = getattr(openaistream, name)
        if name == "__version__":
            continue
        if name == "hookimpl":  # a marker object: its section is written by hand
            if "hookimpl" not in ids:
                missing.append(name)
            continue
        if canonical(value) not in ids:
            missing.append(f"{name} ({canonical(value)})")
        if not inspect.getdoc(value):
            undocumented.append(name)
        if inspect.isclass(value):
            # A subclass's page may leave its inherited members to its public base's
            # (AzureOpenAI's methods are OpenAI's): either anchor will do.
            documented = [base for base in value.__mro__ if base in public_classes()]
            for member, attribute in public_members(value):
                if not any(f"{canonical(base)}.{member}" in ids for base in documented):
                    missing.append(f"{name}.{member}")
                if not inspect.getdoc(attribute):
                    undocumented.append(f"{name}.{member}")
    assert not missing, f"not in the API reference: {missing}"
    assert not undocumented, f"no docstring: {undocumented}"


def test_every_resource_and_method_is_in_the_api_reference_with_a_docstring(site: Path) -> None:
    ids = anchors(site)
    client = openaistream.OpenAI("sk-test-docs-00000000000")
    base = set(dir(openaistream.Resource))
    missing, undocumented = [], []
    for name, resource in client.resources.items():
        kind = type(resource)
        page = site / "reference" / "resources" / name / "index.html"
        if canonical(kind) not in ids or not page.exists():
            missing.append(f"{name} ({canonical(kind)})")
        if not kind.__doc__:
            undocumented.append(name)
        for method in dir(resource):
            if method.startswith("_") or method in base or not callable(getattr(resource, method)):
                continue
            if f"{canonical(kind)}.{method}" not in ids:
                missing.append(f"{name}.{method}")
            if not inspect.getdoc(getattr(kind, method)):
                undocumented.append(f"{name}.{method}")
    client.close()
    assert len(client.resources) > 20
    assert not missing, f"not in the API reference: {missing}"
    assert not undocumented, f"no docstring: {undocumented}"


def test_the_sitemap_lists_every_page_at_the_sites_address(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    address = re.search(r"^site_url: (\S+)$", config, re.MULTILINE)
    assert address and address.group(1).endswith(SITE_PATH)
    assert re.search(r"^repo_url: https://\S+$", config, re.MULTILINE)
    listed = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert sorted(listed) == sorted(address.group(1) + page for page in pages())


# What a built page may not load from another host: a script, a stylesheet, a font, an image.
_REMOTE = [
    re.compile(r"<script[^>]*\bsrc=\"(https?:)?//", re.IGNORECASE),
    re.compile(r"<link[^>]*\bhref=\"(https?:)?//[^\"]*\"[^>]*>", re.IGNORECASE),
    re.compile(r"<img[^>]*\bsrc=\"(https?:)?//", re.IGNORECASE),
    re.compile(r"@import\s+(url\()?[\"']?(https?:)?//", re.IGNORECASE),
    re.compile(r"url\([\"']?(https?:)?//", re.IGNORECASE),
]


def remote_resources(text: str) -> list[str]:
    found = []
    for pattern in _REMOTE:
        for match in pattern.finditer(text):
            tag = match.group(0)
            if tag.lower().startswith("<link") and re.search(r'rel="(canonical|alternate)"', tag):
                continue  # an address of the page, not something loaded
            found.append(tag[:120])
    return found


def test_the_remote_resource_check_finds_what_it_is_for() -> None:
    assert remote_resources('<script src="https://cdn.example/hl.js"></script>')
    assert remote_resources('<link rel="stylesheet" href="https://fonts.example/css">')
    assert remote_resources("body { font: url('//fonts.example/a.woff2') }")
    assert not remote_resources('<link rel="canonical" href="https://openaistream.example/">')
    assert not remote_resources('<script src="../assets/main.js"></script>')


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    offenders = {}
    for path in sorted(site.rglob("*")):
        if path.suffix in (".html", ".css", ".js"):
            found = remote_resources(path.read_text(encoding="utf-8", errors="replace"))
            if found:
                offenders[str(path.relative_to(site))] = found
    assert not offenders


# -- in a browser ------------------------------------------------------------------------------


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """The site under SITE_PATH, as a host serves it; anything else is its 404 page."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(SITE_PATH):
            return str(Path(self.directory) / "no-such-file")
        return super().translate_path("/" + path[len(SITE_PATH) :])

    def send_error(self, code: int, message: Any = None, explain: Any = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def served(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_SiteHandler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SITE_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(f"no {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: pip install '.[docs]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium")
    # Without the background services, Chromium knocks on Google's hosts at every start.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def pages() -> list[str]:
    """The site's pages, as paths under the site: one a Markdown file of docs/."""
    docs = ROOT / "docs"
    found = []
    for path in sorted(docs.rglob("*.md")):
        relative = path.relative_to(docs).with_suffix("")
        if "overrides" in relative.parts:
            continue
        if relative.name == "index":
            found.append(relative.parent.as_posix().replace(".", "") + "/")
        else:
            found.append(relative.as_posix() + "/")
    return [page.lstrip("/") for page in found]


# Elements that reach past the right edge of the viewport, or are wider than it, and are not
# inside a box that scrolls sideways: what a reader would have to scroll the page for, or
# could not see at all.
_OVERFLOWING = """
const width = document.documentElement.clientWidth;
function scrolls(element) {
  for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(box).overflowX)) return true;
  }
  return false;
}
function named(element) {
  const id = element.id ? '#' + element.id : '';
  const kind = element.className && typeof element.className === 'string'
    ? '.' + element.className.trim().split(/\\s+/).join('.') : '';
  return element.tagName.toLowerCase() + id + kind + ' "' +
    (element.textContent || '').trim().slice(0, 40) + '"';
}
const found = [];
for (const element of document.body.querySelectorAll('*')) {
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) continue;
  const style = getComputedStyle(element);
  if (style.visibility === 'hidden') continue;
  if ((box.right > width + 1 || box.width > width + 1) && !scrolls(element)) {
    found.push(named(element) + ' ' + Math.round(box.left) + '..' + Math.round(box.right));
  }
}
return {viewport: window.innerWidth, width: width, page: document.documentElement.scrollWidth,
        found: found.slice(0, 10)};
"""

_REMOTE_LOADED = """
return performance.getEntriesByType('resource').map(entry => entry.name)
  .filter(name => !name.startsWith(location.origin));
"""


def show(browser: Any, url: str, width: int, height: int) -> list[str]:
    """Load ``url`` at a viewport of ``width`` by ``height`` (a phone's is a mobile one); the
    console's errors, JavaScript's and failed loads'."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    browser.get_log("browser")  # what the page before left
    browser.get(url)
    browser.execute_script("return document.readyState")
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", pages())
def test_a_page_renders_without_errors_and_fits_its_width(
    browser: Any, served: str, page: str, width: str
) -> None:
    errors = show(browser, served + page, *WIDTHS[width])
    assert browser.execute_script("return document.querySelector('article h1') !== null"), page
    assert not errors, f"{page} at {width}: {errors}"
    assert not browser.execute_script(_REMOTE_LOADED), f"{page} loaded from another host"
    layout = browser.execute_script(_OVERFLOWING)
    # The viewport is the one asked for; the page's width is that, less a scroll bar if any.
    assert layout["viewport"] == WIDTHS[width][0]
    assert WIDTHS[width][0] - 20 <= layout["width"] <= WIDTHS[width][0]
    assert not layout["found"], f"{page} at {width} ({layout['width']} px): {layout['found']}"
    assert layout["page"] <= layout["width"], f"{page} at {width} scrolls sideways"


def test_the_browser_checks_catch_what_they_are_for(browser: Any, served: str) -> None:
    show(browser, served, *WIDTHS["phone"])
    add = """
      const box = document.createElement('div');
      box.id = arguments[0];
      box.style.cssText = arguments[1];
      box.innerHTML = '<div style="width: 2000px; height: 10px"></div>';
      document.querySelector('article').appendChild(box);
    """
    browser.execute_script(add, "scrolled", "overflow-x: auto")
    assert not browser.execute_script(_OVERFLOWING)["found"]  # a table's wrapper, say
    browser.execute_script(add, "too-wide", "")
    found = browser.execute_script(_OVERFLOWING)["found"]
    assert found and all("scrolled" not in element for element in found)
    browser.execute_script("setTimeout(() => { throw new Error('a check of the check') })")
    browser.execute_script("return new Promise(done => setTimeout(done, 100))")
    logged = [entry["message"] for entry in browser.get_log("browser")]
    assert any("a check of the check" in message for message in logged)


# Markup that a page shows as it is when something was written for another renderer: a table
# cell's escaped pipe, a reST role or literal block of a docstring.
_LITERAL_MARKUP = re.compile(r"\\\||:(class|func|meth|attr|mod|exc):`|::\n")


def test_no_page_shows_markup_literally(site: Path) -> None:
    shown = {}
    for path in sorted(site.rglob("index.html")):
        text = re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))
        found = [match.group(0) for match in _LITERAL_MARKUP.finditer(text)]
        if found:
            shown[str(path.relative_to(site))] = found[:5]
    assert not shown
    assert _LITERAL_MARKUP.search("`a\\|b`") and _LITERAL_MARKUP.search("see :class:`X`")


def test_a_type_alias_shows_by_its_name_in_signatures(site: Path) -> None:
    # Inspected, FileInput is typing.Union's own object: shown by what it resolves to, the
    # signature would read `path: Union`, which tells a reader nothing.
    page = site / "reference" / "resources" / "files" / "index.html"
    text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))
    assert re.search(r"path\s*:\s*FileInput", text)
    for path in (site / "reference").rglob("index.html"):
        text = re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))
        assert not re.search(r"\bUnion\b(?!\[)", text), path.relative_to(site)


def test_code_is_highlighted_when_built(browser: Any, served: str) -> None:
    show(browser, served + "streaming/", *WIDTHS["desktop"])
    colours = browser.execute_script(
        "return [...document.querySelectorAll('.highlight code span')]"
        ".map(span => getComputedStyle(span).color)"
    )
    assert len(set(colours)) >= 3  # keywords, strings and names each in their colour


@pytest.mark.parametrize("query", ["write_to", "register_transports", "hookimpl"])
def test_the_search_finds_identifiers(browser: Any, served: str, query: str) -> None:
    show(browser, served + f"?q={query}", *WIDTHS["desktop"])
    from selenium.webdriver.support.ui import WebDriverWait

    results = WebDriverWait(browser, 20).until(
        lambda driver: driver.find_elements("css selector", ".md-search-result__item")
    )
    assert results, query
    assert query in results[0].text


def test_the_404_page_works_under_the_sites_path(browser: Any, served: str) -> None:
    # The host answers any unknown address with the site's 404 page: its links and its
    # stylesheet must lead into the site, however deep the address.
    address = served + "no/such/page/"
    errors = show(browser, address, *WIDTHS["phone"])
    # The page's own 404 is logged as an error; nothing else may be (a stylesheet not found).
    assert not [error for error in errors if not error.startswith(address + " ")], errors
    sheets = browser.execute_script("return document.styleSheets.length")
    assert sheets >= 1
    home = browser.execute_script(
        "return document.querySelector('a.md-header__button.md-logo').href"
    )
    assert home == served
