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

from sockplay.tui.widgets.format import STATE_WIDTH, Freezer, kind_label, ready_badge, short_state

COLUMNS = (
    ("name", "name"),
    ("kind", "kind"),
    ("addr", "local → peer"),
    ("state", "state"),
    ("ready", "ready"),
)


def peer_label(
    info: Mapping[str, Any],
    infos: Sequence[Mapping[str, Any]],
    fz: Freezer,
    pairs: Mapping[str, str] | None = None,
) -> str:
    """`127.0.0.1:41234 → a1`: the peer shown by name when it is one of ours.

    Unnamed unix sockets all look alike by address, so a socketpair's peer comes
    from `pairs` (the names each socketpair call made), never from the address.
    """
    local, peer = info.get("local", ""), info.get("peer", "")
    if not peer:
        return fz.addr(local)
    mate = (pairs or {}).get(info["name"])
    if mate is not None and any(i["name"] == mate for i in infos):
        return f"{fz.addr(local)} → {mate}"
    if peer == "(unnamed)":
        return f"{local} → {peer}"  # which unnamed socket it is cannot be told from addresses
    me = info["name"]
    exact = [i["name"] for i in infos if i.get("local") == peer and i.get("peer") == local and i["name"] != me]
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
        self.pairs: dict[str, str] = {}  # socketpair partners by name (set by the app)
        self.compact = False  # narrow screens: no address column (the detail title shows it)
        self._columns: tuple[tuple[str, str], ...] = ()

    def on_mount(self) -> None:
        self._set_columns()

    def _set_columns(self) -> None:
        widths = {"name": 6, "kind": 5, "addr": 20, "state": STATE_WIDTH, "ready": 7}
        cols = tuple(c for c in COLUMNS if not (self.compact and c[0] == "addr"))
        if cols == self._columns:
            return
        keep = self.selected
        self.clear(columns=True)
        self._columns = cols
        for key, label in cols:
            self.add_column(label, key=key, width=widths[key])
        rows, self._rows = self._rows, {}
        for name, cells in rows.items():
            self.add_row(*self._cells(cells), key=name)
            self._rows[name] = cells
        if keep is not None:
            self.select(keep)

    def set_compact(self, compact: bool) -> None:
        """Narrow screens drop the address column rather than cut addresses (and their numbers)."""
        if compact != self.compact:
            self.compact = compact
            self._set_columns()

    def update_rows(
        self, infos: Sequence[Mapping[str, Any]], ready: Mapping[str, Sequence[str]], fz: Freezer
    ) -> None:
        """Bring the table in line with `infos` (in creation order) and the readiness map."""
        wanted: dict[str, tuple[str, ...]] = {}
        cells: tuple[str, ...]
        for info in infos:
            name = info["name"]
            if info.get("kind") == "fd":
                cells = (name, "fd", info.get("local", ""), "", "")
            else:
                kind = kind_label(info.get("family", ""), info.get("type", ""))
                cells = (
                    name,
                    kind,
                    peer_label(info, infos, fz, self.pairs),
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
                    if new != was and any(k == key for k, _ in self._columns):
                        self.update_cell(name, key, self._cell(key, new))
            current[name] = cells
        if before_name in current:
            if self.get_row_index(before_name) != self.cursor_row:
                self.move_cursor(row=self.get_row_index(before_name))  # keep the selection by name
        elif self.row_count and (before is None or before >= self.row_count):
            self.move_cursor(row=self.row_count - 1)

    def _cells(self, cells: tuple[str, ...]) -> list[Any]:
        shown = {k for k, _ in self._columns}
        return [self._cell(key, value) for (key, _), value in zip(COLUMNS, cells, strict=True) if key in shown]

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
