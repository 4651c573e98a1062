"""Check a built site: every local link and resource it names exists, and nothing loads from the
network.

    python docs/check_links.py site

Walks every HTML page under the folder, and fails (exit status 1, one line per problem) when
- an ``href`` or ``src`` points to a file that is not there, or to a ``#fragment`` that is no
  ``id`` (or ``name``) of the page it points to;
- a script, stylesheet, picture, frame or font would be fetched from another machine (a
  ``http(s)://`` or ``//`` address in a ``src``, a stylesheet's ``href``, or a CSS ``url()``).
Links for the reader to follow to other sites (``<a href="https://...">``) are fine.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
NOT_FILES = re.compile(r"^(?:mailto|data|javascript|about|blob|tel):", re.I)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str, str]] = []  # (tag, attribute, address, rel)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and not (tag == "link" and attrs.get("rel") in ("canonical",)):
                self.links.append((tag, key, attrs[key], attrs.get("rel") or ""))


def check(site: Path) -> list[str]:
    """The problems of the site in ``site``, as lines of text (none when it is sound)."""
    site = site.resolve()
    if not (site / "index.html").is_file():
        return [f"{site} has no index.html: is it a built site?"]
    pages = {path: _parse(path) for path in sorted(site.rglob("*.html"))}
    problems = []
    for path, page in pages.items():
        where = path.relative_to(site)
        for tag, key, address, rel in page.links:
            if REMOTE.match(address):
                if tag != "a":  # scripts, stylesheets, pictures, frames: fetched, not followed
                    problems.append(f"{where}: <{tag} {key}> loads {address} from the network")
                continue
            if NOT_FILES.match(address) or address.startswith("#") and tag != "a":
                continue
            parts = urlsplit(address)
            if parts.scheme:
                problems.append(f"{where}: <{tag} {key}> has an address of scheme {parts.scheme!r}: {address}")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if site not in target.parents and target != site:
                problems.append(f"{where}: <{tag} {key}> points outside the site: {address}")
            elif not target.is_file():
                problems.append(f"{where}: <{tag} {key}> points to a missing file: {address}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: <{tag} {key}> points to a missing anchor: {address}")
    for sheet in sorted(site.rglob("*.css")):
        for match in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace")):
            address = match.group(1) or match.group(2)
            if REMOTE.match(address):
                problems.append(f"{sheet.relative_to(site)}: loads {address} from the network")
            elif not NOT_FILES.match(address) and not address.startswith("#"):
                target = sheet.parent / unquote(urlsplit(address).path)
                if not target.is_file():
                    problems.append(f"{sheet.relative_to(site)}: url() points to a missing file: {address}")
    return problems


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/check_links.py SITE_FOLDER", file=sys.stderr)
        return 2
    problems = check(Path(argv[0]))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} broken link(s) or network resource(s) in {argv[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
