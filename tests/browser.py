"""Headless Chromium for the tests that look at pages as a reader does, and what they measure.

``chromium()`` starts one through selenium and Debian's chromedriver with a viewport of exactly
the size asked (900 x 900 by default: a notebook column), or skips the test saying what to
install. ``MEASURE`` is the script that measures the Graphviz drawings on a page as Chromium
draws them.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = ("the browser tests need Chromium and its driver: sudo apt-get install chromium chromium-driver "
           "(make test installs them)")


@contextlib.contextmanager
def chromium(width: int = 900, height: int = 900, *, offline: bool = False, flags: tuple[str, ...] = ()):
    """A headless Chromium whose pages are ``width`` x ``height`` CSS pixels at one device
    pixel each, its console log kept; ``flags`` are added to its command line. ``offline``: no
    host name resolves and every http(s) and ws(s) request is blocked, and the requests made
    are logged (``requested_urls``)."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(INSTALL)
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium (the test extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}", *flags):
        options.add_argument(flag)
    if offline:
        options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if offline else {})})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        # The window's own bars would take some of its height: set the page's size itself.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        driver.set_script_timeout(60)
        if offline:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    """Every URL the pages of an ``offline`` Chromium asked for since the last call."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


# Measures every Graphviz SVG on the page:
# - heights: the height in pixels of each SVG text on screen (inside the viewport);
# - texts: each on-screen text inside a node with a visible outline, with whether its box, grown
#   by 2 px on the left and right and 1 px above and below, lies inside the outline's fill and
#   clear of its stroke (dashes included), sampled along the grown box's edges. With
#   arguments[0] true, also the largest growth in each direction that does (to 1/8 px);
# - median: the middle height (the lower of the two middle ones).
MEASURE = """
var doc = document, margins = arguments[0], vw = window.innerWidth, vh = window.innerHeight;
var heights = [], texts = [];
function onScreen(r) { return r.width > 0 && r.right > 0 && r.bottom > 0 && r.left < vw && r.top < vh; }
doc.querySelectorAll("svg").forEach(function (svg) {
  if (!svg.querySelector("g.node") || !onScreen(svg.getBoundingClientRect())) { return; }
  var scale = Math.abs(svg.getScreenCTM().a);
  svg.querySelectorAll("text").forEach(function (t) {
    var r = t.getBoundingClientRect();
    if (onScreen(r)) { heights.push(r.height); }
  });
  svg.querySelectorAll("g.node").forEach(function (g) {
    var shape = g.querySelector("polygon, path, ellipse");
    var stroke = shape && shape.getAttribute("stroke");
    if (!stroke || ["none", "transparent", "white", "#ffffff"].indexOf(stroke) >= 0) { return; }
    g.querySelectorAll("text").forEach(function (t) {
      if (!onScreen(t.getBoundingClientRect())) { return; }
      var b = t.getBBox(), p = svg.createSVGPoint();
      function inside(dx, dy) {
        var ux = dx / scale, uy = dy / scale;
        var x0 = b.x - ux, x1 = b.x + b.width + ux, y0 = b.y - uy, y1 = b.y + b.height + uy;
        for (var i = 0; i <= 24; i++) {
          var f = i / 24;
          var points = [[x0 + f * (x1 - x0), y0], [x0 + f * (x1 - x0), y1], [x0, y0 + f * (y1 - y0)], [x1, y0 + f * (y1 - y0)]];
          for (var j = 0; j < 4; j++) {
            p.x = points[j][0]; p.y = points[j][1];
            if (!shape.isPointInFill(p) || shape.isPointInStroke(p)) { return false; }
          }
        }
        return true;
      }
      function largest(horizontal) {
        var lo = -8, hi = 16;
        if (!inside(horizontal ? lo : 0, horizontal ? 0 : lo)) { return lo; }
        while (hi - lo > 0.125) {
          var mid = (lo + hi) / 2;
          if (inside(horizontal ? mid : 0, horizontal ? 0 : mid)) { lo = mid; } else { hi = mid; }
        }
        return lo;
      }
      var title = g.querySelector("title");
      var found = {node: title ? title.textContent : "", text: t.textContent, inside: inside(2, 1)};
      if (margins) { found.horizontal = largest(true); found.vertical = largest(false); }
      texts.push(found);
    });
  });
});
heights.sort(function (a, b) { return a - b; });
return {heights: heights, median: heights.length ? heights[Math.floor((heights.length - 1) / 2)] : 0, texts: texts};
"""


def page_data(page: str) -> dict:
    """The data a player page carries in its JSON script element: the SVG ``parts`` its
    frames are made of, ``frames`` (each a list of part numbers), ``captions``, ``focus``, ``noun``."""
    import json
    import re

    (data,) = re.findall(r'<script type="application/json" id="player-data">(.*?)</script>', page, re.S)
    return json.loads(data)
