"""The socket list's state column shows every TCP state whole: a cut name reads as another state."""

from __future__ import annotations

from sockplay.core.sockets import TCP_STATES
from sockplay.tui.widgets.format import STATE_WIDTH, short_state


def test_every_tcp_state_fits_the_column_and_names_stay_distinct() -> None:
    shown = {state: short_state(state) for state in TCP_STATES if state}
    assert all(len(s) <= STATE_WIDTH and "…" not in s for s in shown.values()), shown
    distinct = {s for state, s in shown.items() if state != "NEW_SYN_RECV"}  # the kernel's mini-socket
    assert len(distinct) == len(shown) - 1
    assert shown["FIN_WAIT1"] == "FIN-WT1" and shown["CLOSE_WAIT"] == "CLOSE-WT"


def test_an_unknown_long_state_is_elided_with_a_mark() -> None:
    assert short_state("SOMETHING_NEW_AND_LONG") == "SOMETHI…"
