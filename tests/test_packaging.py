"""The package as published: the wheel and the sdist built from this tree, and its dependencies."""

from __future__ import annotations

import ast
import email
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn")


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_third_party_import_is_a_declared_dependency():
    """As a dependency, or in the extra of the feature that imports it (torch for nn.to_torch)."""
    project = _toml()["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    distributions = metadata.packages_distributions()
    imported = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}
    assert {"numpy", "graphviz", "PIL"} <= third_party  # the scan sees them
    missing = {}
    for module in third_party:
        names = {_name(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = names
    assert missing == {}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sdist and the wheel, built from a copy of this tree with the setuptools installed
    here (no download: pip's isolated build would fetch setuptools)."""
    pytest.importorskip("setuptools", minversion="77", reason="a license with license-files needs setuptools 77 "
                                                              "or later: pip install 'setuptools>=77' (the test extra)")
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    for folder in (*PACKAGES, "tests"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    # (build_sdist rewrites sys.argv: the folder is read before it.)
    subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                    "out = sys.argv[1]; b.build_sdist(out); b.build_wheel(out)", str(out)],
                   cwd=source, check=True, capture_output=True, text=True)
    return out


def test_the_wheel_holds_the_packages_their_data_and_the_license(built):
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = email.message_from_string(archive.read("chainrule-0.1.0.dist-info/METADATA").decode("utf-8"))
    tracked = {str(p.relative_to(ROOT)) for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    assert tracked <= names  # autograd.exercises too
    assert {"autograd/py.typed", "nn/py.typed", "autograd/player.html", "nn/digits.csv.gz",
            "chainrule-0.1.0.dist-info/licenses/LICENSE"} <= names
    assert not any(name.startswith("tests/") for name in names)
    assert meta["License-Expression"] == "MIT" and meta["License-File"] == "LICENSE"
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert "pillow>=9.1" in meta.get_all("Requires-Dist")


def test_the_sdist_is_the_packages_readme_and_license_without_tests(built):
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "autograd/py.typed", "nn/py.typed",
            "autograd/player.html", "autograd/exercises/__init__.py"} <= names
    # Tests need the repository (notebooks, Makefile, docs): an sdist with some of them would not collect.
    assert not any(name.startswith("tests") for name in names)
