"""Shared test configuration: a deterministic hypothesis profile.

Examples are derived from each test's name (``derandomize``), so every run checks the same
graphs, and nothing is written to a ``.hypothesis`` example database.
"""

import subprocess

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "chainrule",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("chainrule")


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(name, size)``: a new folder in tmp_path that is a file system of its own (a
    tmpfs of ``size``, such as "64k"), unmounted after the test; the test is skipped where
    mounting is not allowed (it needs root)."""
    mounted = []

    def mount(name: str, size: str):
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)
