"""Shared test configuration: a deterministic hypothesis profile.

Examples are derived from each test's name (``derandomize``), so every run checks the same
graphs, and nothing is written to a ``.hypothesis`` example database.
"""

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
