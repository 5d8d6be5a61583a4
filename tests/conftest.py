"""Shared fixtures: a fresh Playground per test, closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sockplay.core import Playground


@pytest.fixture
def pg() -> Iterator[Playground]:
    p = Playground()
    try:
        yield p
    finally:
        p.close_all()
