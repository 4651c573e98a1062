"""The documentation site (`make docs`, that is docs/build.py): it builds from nothing with
warnings as errors, its API pages give the signatures, its gallery has a picture for each of
draw's options, no local link in it is broken, and, opened from disk in a Chromium that can
reach no network, notebook 2's page shows its pictures and math and its player steps on the
right arrow."""

from __future__ import annotations

import importlib.util
import inspect
import re
import shutil
import subprocess
import sys
import time
from html import unescape
from pathlib import Path

import pytest

import autograd
import nn
from browser import chromium, console_errors, requested_urls

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOK_2 = "notebooks/02_stepping_through_backprop.html"
GUIDE = ["engine", "chain-rule", "gallery", "nn", "transforms", "numerics", "tape", "benchmark", "cli",
         "notebooks", "tests", "layout"]


def _check_links():
    spec = importlib.util.spec_from_file_location("check_links", DOCS / "check_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    for package in ("sphinx", "myst_nb", "furo", "jupyter_server_mathjax"):
        pytest.importorskip(package, reason="the site needs the docs extra: pip install -e '.[docs]' (make docs does)")
    if shutil.which("dot") is None:
        pytest.skip("the gallery needs Graphviz's dot program (make docs installs it)")
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run([sys.executable, str(DOCS / "build.py"), str(out)], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return out


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


def _signature_line(page: str, name: str) -> str:
    """The text of the signature that names ``name`` (``autograd.Value``) on an API page."""
    found = re.search(rf'<dt class="sig[^"]*"[^>]*id="{re.escape(name)}">(.*?)</dt>', page, re.S)
    assert found, f"no signature of {name} on the page"
    return _text(found.group(1))


def test_the_site_has_every_page(site):
    pages = {str(p.relative_to(site)) for p in site.rglob("*.html")}
    expected = {"index.html", "api/autograd.html", "api/nn.html", "notebooks/README.html",
                *(f"guide/{name}.html" for name in GUIDE),
                *(f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb"))}
    assert len(expected) == 4 + len(GUIDE) + 13
    assert expected <= pages, sorted(expected - pages)
    # No page is left out of the navigation: each guide page and notebook is linked from the landing page.
    index = (site / "index.html").read_text(encoding="utf-8")
    for page in expected - {"index.html"}:
        assert f'href="{page}"' in index, page


@pytest.mark.parametrize("name, page", [(autograd.Value, "autograd"), (autograd.backward_steps, "autograd"),
                                        (nn.MLP, "nn"), (nn.fit, "nn")],
                         ids=["autograd.Value", "autograd.backward_steps", "nn.MLP", "nn.fit"])
def test_the_api_pages_give_the_signatures(site, name, page):
    full = f"{page}.{name.__name__}"
    line = _signature_line((site / "api" / f"{page}.html").read_text(encoding="utf-8"), full)
    parameters = [p for p in inspect.signature(name).parameters if p != "self"]
    assert len(parameters) >= 2
    # The name, then each parameter in its order, in one signature: Value(data, label: str = '').
    assert re.search(re.escape(full) + r"\(" + r"\b.*?".join(rf"\b{re.escape(p)}\b" for p in parameters), line), line
    doc = inspect.getdoc(name).replace("`", "").split("\n\n")[0].split()[:6]  # the docstring, its markup rendered
    assert " ".join(doc) in _text((site / "api" / f"{page}.html").read_text(encoding="utf-8")), doc


def test_the_api_pages_list_every_exported_name(site):
    for package in (autograd, nn):
        page = (site / "api" / f"{package.__name__}.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'id="([\w.-]+)"', page))
        for name in package.__all__:
            assert f"{package.__name__}.{name}" in ids or f"module-{package.__name__}.{name}" in ids, name
    text = _text((site / "api" / "nn.html").read_text(encoding="utf-8"))
    for name in (*nn.ACTIVATIONS, *nn.LOSSES):  # written by hand, so held to the code here
        assert f'"{name}"' in text, name


def test_the_gallery_draws_each_option_of_draw(site):
    page = (site / "guide" / "gallery.html").read_text(encoding="utf-8")
    options = [name for name in inspect.signature(autograd.draw).parameters if name != "root"]
    titles = {_text(title) for title in re.findall(r'<h2>(.*?)<a class="headerlink"', page, re.S)}
    assert set(options) <= titles, sorted(set(options) - titles)
    drawings = re.findall(r'<div class="drawing"><svg\b.*?</svg>\s*</div>', page, re.S)
    assert len(drawings) >= len(options) - 1 + 3  # max_nodes is no picture; edge_labels and step have more
    for svg in drawings:
        assert "<g id=\"node" in svg and "class=\"edge\"" in svg


def test_no_link_is_broken_and_nothing_loads_from_the_network(site):
    assert _check_links().check(site) == []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert remote == [], (page, remote)


def test_the_link_check_finds_what_is_broken(tmp_path):
    check = _check_links().check
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/page.html#here">ok</a> <a href="https://example.org">a link</a>'
                                         '<img src="a/picture.png">', encoding="utf-8")
    (tmp_path / "a" / "page.html").write_text('<h1 id="here">x</h1>', encoding="utf-8")
    (tmp_path / "a" / "picture.png").write_bytes(b"\x89PNG")
    assert check(tmp_path) == []
    (tmp_path / "a" / "page.html").write_text(
        '<h1 id="there">x</h1><a href="../index.html#gone"></a><a href="missing.html"></a>'
        '<script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//cdn.example.org/x.css">',
        encoding="utf-8")
    (tmp_path / "style.css").write_text("@font-face { src: url(https://fonts.example.org/f.woff2) }", encoding="utf-8")
    problems = check(tmp_path)
    assert len(problems) == 6, problems
    for expected in ("index.html: <a href> points to a missing anchor: a/page.html#here",
                     "a/page.html: <a href> points to a missing anchor: ../index.html#gone",
                     "a/page.html: <a href> points to a missing file: missing.html",
                     "a/page.html: <script src> loads https://cdn.example.org/x.js from the network",
                     "a/page.html: <link href> loads //cdn.example.org/x.css from the network",
                     "style.css: loads https://fonts.example.org/f.woff2 from the network"):
        assert expected in problems


def _errors(driver) -> list:
    """The console's errors, but for MathJax 2's probe of web fonts: a font at about:blank,
    which a page opened from disk may not load (and MathJax needs not)."""
    return [e for e in console_errors(driver) if "about:blank" not in e["message"]]


def _wait(driver, script: str, seconds: float, *args):
    deadline = time.monotonic() + seconds
    while not driver.execute_script(script, *args):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for: {script}")
        time.sleep(0.05)


def test_notebook_2_from_disk_and_offline_shows_pictures_math_and_a_player_that_steps(site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    with chromium(1200, 900, offline=True) as driver:
        driver.get((site / NOTEBOOK_2).as_uri())
        _wait(driver, "return document.readyState === 'complete'", 30)
        pictures = driver.execute_script(
            "return Array.from(document.querySelectorAll('.cell_output img'))"
            ".map(function (i) { return [i.getAttribute('src'), i.complete, i.naturalWidth]; })")
        assert len(pictures) >= 10, pictures
        assert [p for p in pictures if not (p[1] and p[2] > 0)] == []
        assert any(src.endswith(".svg") for src, _, _ in pictures)  # the drawings, as SVG
        # MathJax, served from the site, has typeset every formula, in its web font, also from the site.
        typeset = driver.execute_async_script(
            "var done = arguments[0]; MathJax.Hub.Queue(function () {"
            " done([document.querySelectorAll('span.math.notranslate').length, document.querySelectorAll('span.math.notranslate .MathJax').length,"
            " document.querySelectorAll('.MathJax .merror, .MathJax_Error').length]); });")
        assert typeset[0] >= 20 and typeset[1] >= typeset[0] and typeset[2] == 0, typeset
        # The player's script ran: the player replaced the picture of its first step.
        frames = driver.find_elements("css selector", ".cell_output iframe[srcdoc]")
        assert len(frames) >= 1
        frame = frames[0]
        assert driver.execute_script("return arguments[0].previousElementSibling.previousElementSibling.style.display",
                                     frame) == "none"
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
        driver.switch_to.frame(frame)
        try:
            _wait(driver, "return document.body && document.body.dataset.moving === 'false'", 10)
            counter = driver.find_element("id", "counter")
            last = int(re.fullmatch(r"step 0 of (\d+)", counter.text).group(1))
            caption = driver.find_element("id", "caption").text
            assert last >= 2
            # Focus the player as a reader does, by clicking its picture, then press the key.
            driver.execute_script("document.getElementById('view').scrollIntoView({block: 'center'})")
            ActionChains(driver).move_to_element(driver.find_element("id", "view")).click().perform()
            ActionChains(driver).send_keys(Keys.ARROW_RIGHT).perform()
            _wait(driver, "return document.body.dataset.step === '1' && document.body.dataset.moving === 'false'", 10)
            assert counter.text == f"step 1 of {last}"
            assert driver.find_element("id", "caption").text not in ("", caption)
        finally:
            driver.switch_to.default_content()
        assert _errors(driver) == []
        requested = requested_urls(driver)
        # Nothing was asked of another machine (the browser's own chrome:// pages are no network).
        assert any(url.startswith("file:///") and url.endswith("MathJax.js?config=TeX-AMS-MML_HTMLorMML-full")
                   for url in requested), requested
        assert [url for url in requested if re.match(r"(https?|wss?|ftp):", url)] == []


@pytest.mark.parametrize("page", ["index.html", "api/nn.html", NOTEBOOK_2, "guide/gallery.html", "guide/numerics.html"])
def test_on_a_phone_nothing_is_wider_than_the_screen(site, page):
    with chromium(400, 800, offline=True) as driver:
        driver.get((site / page).as_uri())
        _wait(driver, "return document.readyState === 'complete'", 30)
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"{page} is {width} px wide on a 400 px screen"
        assert _errors(driver) == []
