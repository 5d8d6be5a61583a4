"""F1 help: the keys and the commands, on a modal screen that Escape closes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
[b]sockplay[/b]: real sockets, real syscalls. Type commands in the REPL pane at the bottom.

[b]Keys[/b]
  ctrl+l   back to the REPL from anywhere (again: clear the REPL)
  F1       this help            F2      record commands into a .sp script
  ctrl+t   next theme           ctrl+p  command palette (themes, commands)
  Up/Down  REPL history         Escape  clear the command line
  ctrl+q   quit

[b]Commands[/b] (one per line; `help TOPIC` in the REPL says more)
  socket NAME FAMILY TYPE        socket s inet stream · socket u inet6 dgram
  socketpair NAME NAME [TYPE]    a connected unix pair
  bind NAME ADDR                 127.0.0.1:0 · [::1]:0 · ./demo.sock · @abstract · another socket's name
  listen NAME · accept NAME [NEW] · connect NAME ADDR
  send NAME DATA [FLAG...]       "hello\\n" · hex:48656c6c6f · count=N repeats
  recv NAME [SIZE] [FLAG...]     peek oob waitall dontwait trunc ...
  recvmsg NAME [SIZE] [anc=BYTES]  shows ancillary messages in the Ancillary pane
  setsockopt NAME OPTION VALUE · getsockopt NAME OPTION
  shutdown NAME rd|wr|rdwr · close NAME · poll [NAME...] · fcntl NAME nonblock on

[b]Panes[/b]
  Poll events   readiness changes the watcher saw: [green]+POLLIN[/green] appeared, [red]-POLLOUT[/red] went away
  Ancillary     control messages decoded: timestamps, drop counters, passed fds
  System calls  every call as strace prints it; errors in red with the reason below
  In a flood each pane shows the latest lines and folds the rest into a counter.

Press Escape or F1 to close."""


class HelpScreen(ModalScreen[None]):
    """The keys and commands; closes on Escape, F1 or q."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP_TEXT, id="help-text")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
