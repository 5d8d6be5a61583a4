"""Hypothesis profiles for the fuzz suites: bounded in `make test`, long in `make fuzz`.

SOCKPLAY_FUZZ=long (set by `make fuzz`) picks the long profile; anything else the
bounded one, which keeps the hostile fuzz suite to about half a minute.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SUPPRESS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much]
settings.register_profile("bounded", deadline=None, suppress_health_check=SUPPRESS, print_blob=True)
settings.register_profile("long", deadline=None, suppress_health_check=SUPPRESS, print_blob=True)

LONG = os.environ.get("SOCKPLAY_FUZZ", "") == "long"


PROFILE = settings.get_profile("long" if LONG else "bounded")


def fuzz_settings(bounded: int, long: int = 0) -> settings:
    """Settings for one property: the chosen profile, with its number of examples."""
    return settings(parent=PROFILE, max_examples=(long or bounded * 20) if LONG else bounded)
