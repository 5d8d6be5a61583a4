"""The socket list: one row per socket with its kind, addresses, TCP state and readiness.

It does not poll: the app hands it `pg.info()` rows and the readiness the
watcher reported, once per journal batch, and it updates only changed cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from sockplay.tui.widgets.format import Freezer, kind_label, ready_badge, short_state

COLUMNS = (
    ("name", "name"),
    ("kind", "kind"),
    ("addr", "local → peer"),
    ("state", "state"),
    ("ready", "ready"),
)


def peer_label(info: Mapping[str, Any], infos: Sequence[Mapping[str, Any]], fz: Freezer) -> str:
    """`127.0.0.1:41234 → a1`: the peer shown by name when it is one of ours."""
    local, peer = info.get("local", ""), info.get("peer", "")
    if not peer:
        return fz.addr(local)
    exact = [i["name"] for i in infos if i.get("local") == peer and i.get("peer") == local]
    listener = [i["name"] for i in infos if i.get("local") == peer and i.get("state") == "LISTEN"]
    other = [i["name"] for i in infos if i.get("local") == peer and i["name"] != info["name"]]
    names = exact or listener or other
    return f"{fz.addr(local)} → {names[0] if names else fz.addr(peer)}"


class SocketList(DataTable):
    """Every socket in the playground; highlighting a row selects that socket."""

    class Selected(Message):
        """The highlighted socket changed (None when the list is empty)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = "sockets") -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.border_title = "Sockets"
        self._rows: dict[str, tuple[str, ...]] = {}
        self.ready_style = "bold green"

    def on_mount(self) -> None:
        widths = {"name": 6, "kind": 5, "addr": 22, "state": 6, "ready": 7}
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=widths[key])

    def update_rows(
        self, infos: Sequence[Mapping[str, Any]], ready: Mapping[str, Sequence[str]], fz: Freezer
    ) -> None:
        """Bring the table in line with `infos` (in creation order) and the readiness map."""
        wanted: dict[str, tuple[str, ...]] = {}
        for info in infos:
            name = info["name"]
            if info.get("kind") == "fd":
                cells = (name, "fd", info.get("local", ""), "", "")
            else:
                kind = kind_label(info.get("family", ""), info.get("type", ""))
                cells = (
                    name,
                    kind,
                    peer_label(info, infos, fz),
                    short_state(info.get("state", "")),
                    ready_badge(ready.get(name, ())),
                )
            wanted[name] = cells
        before = self.cursor_row
        before_name = self.selected
        current = self._rows
        for name in [n for n in current if n not in wanted]:
            self.remove_row(name)
            del current[name]
        for name, cells in wanted.items():
            old = current.get(name)
            if old is None:
                self.add_row(*self._cells(cells), key=name)
            elif old != cells:
                for (key, _), new, was in zip(COLUMNS, cells, old, strict=True):
                    if new != was:
                        self.update_cell(name, key, self._cell(key, new))
            current[name] = cells
        if before_name in current:
            if self.get_row_index(before_name) != self.cursor_row:
                self.move_cursor(row=self.get_row_index(before_name))  # keep the selection by name
        elif self.row_count and (before is None or before >= self.row_count):
            self.move_cursor(row=self.row_count - 1)

    def _cells(self, cells: tuple[str, ...]) -> list[Any]:
        return [self._cell(key, value) for (key, _), value in zip(COLUMNS, cells, strict=True)]

    def _cell(self, key: str, value: str) -> Any:
        if key == "name":
            return Text(value, style="bold")
        if key == "ready" and value:
            return Text(value, style=self.ready_style)
        return value

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - no cursor yet
            return None
        return key.value

    def select(self, name: str) -> None:
        if name in self._rows:
            self.move_cursor(row=self.get_row_index(name))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Selected(event.row_key.value if event.row_key else None))
