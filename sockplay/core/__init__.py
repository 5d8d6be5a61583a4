"""The engine: real sockets and syscalls, with no UI imports (usable as a library)."""

from sockplay.core.errors import UsageError
from sockplay.core.journal import Event, Journal
from sockplay.core.outcome import Outcome
from sockplay.core.playground import Playground

__all__ = ["Event", "Journal", "Outcome", "Playground", "UsageError"]
