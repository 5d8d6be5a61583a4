"""The result of one engine call: what the kernel said, decoded for people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Outcome:
    """One syscall's result.

    `trace` is built lazily from `trace_fn`: formatting an strace line costs more
    than the syscall itself, and a flood drained with count=N rarely shows them all.
    """

    syscall: str
    sock: str | None = None
    ret: int | None = None
    errno: str | None = None
    error: str | None = None
    data: bytes | None = None
    value: Any = None
    cmsgs: list[dict[str, Any]] = field(default_factory=list)
    msg_flags: list[str] = field(default_factory=list)
    address: str | None = None
    new_sockets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peeked: bool = False
    trace_fn: Callable[[Outcome], str] | None = field(default=None, repr=False)
    _trace: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.errno is None

    @property
    def trace(self) -> str:
        if self._trace is None:
            self._trace = self.trace_fn(self) if self.trace_fn else f"{self.syscall}(...) = {self.ret}"
        return self._trace

    @trace.setter
    def trace(self, text: str) -> None:
        self._trace = text

    def summary(self) -> str:
        """One line for people: the return value, or the errno and why."""
        if self.errno:
            return f"= -1 {self.errno}: {self.error}" if self.error else f"= -1 {self.errno}"
        parts = [f"= {self.ret}"]
        if self.value is not None:
            parts.append(f"value {self.value!r}" if not isinstance(self.value, str) else f"value {self.value}")
        if self.data is not None:
            parts.append(f"data {self.data!r}")
        if self.address:
            parts.append(f"from {self.address}")
        if self.new_sockets:
            parts.append("new " + ", ".join(self.new_sockets))
        return "  ".join(parts)
