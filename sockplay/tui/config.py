"""The user's config file, `$XDG_CONFIG_HOME/sockplay/config.toml`, and its `[keymap]` table.

Terminals and tmux swallow some keys (F-keys, ctrl+p), so every Binding has a stable
id and the keymap table maps ids to other keys, as Posting does:

    [keymap]
    "help" = "f1,ctrl+h"

A broken file or a bad entry never stops the app: each becomes a notice that says
what was wrong and what would be right; the good entries still apply.
"""

from __future__ import annotations

import os
import string
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, key_to_character

CONFIG_NAME = "config.toml"
MODIFIERS = frozenset({"ctrl", "alt", "shift", "super", "meta", "hyper"})
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value) | {"space", "tab", "enter", "escape", *REPLACED_KEYS}


def sockplay_config_dir() -> Path:
    """`$XDG_CONFIG_HOME/sockplay`, defaulting to ~/.config/sockplay (themes live under it too)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sockplay"


def config_path() -> Path:
    return sockplay_config_dir() / CONFIG_NAME


@dataclass(frozen=True, slots=True)
class BindingInfo:
    """One rebindable binding: its default keys and what it does (for notices and docs)."""

    id: str
    keys: str
    description: str
    owner: str  # the class that declares it


def _subclasses(cls: type) -> Iterable[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def declared_bindings() -> list[tuple[str, Binding]]:
    """Every Binding declared by a sockplay class (app, screens, widgets), with its class name.

    Walks the loaded DOMNode subclasses; lesson mode is imported here so one config file
    serves `sockplay` and `sockplay lesson` alike (its ids are never "unknown").
    """
    import sockplay.tui.app  # noqa: F401  (imported late: the app imports this module)
    import sockplay.tui.lesson  # noqa: F401
    found: list[tuple[str, Binding]] = []
    seen: set[type] = set()
    for cls in _subclasses(DOMNode):
        if cls in seen or not cls.__module__.startswith("sockplay."):
            continue
        seen.add(cls)
        for item in cls.__dict__.get("BINDINGS", []):
            if isinstance(item, Binding):
                found.append((cls.__qualname__, item))
    return found


def binding_table() -> dict[str, BindingInfo]:
    """id -> BindingInfo for every sockplay binding that has an id, sorted by id."""
    table: dict[str, BindingInfo] = {}
    for owner, b in declared_bindings():
        if b.id and b.id not in table:
            table[b.id] = BindingInfo(b.id, b.key, b.description, owner)
    return dict(sorted(table.items()))


def bad_key(key: str) -> str | None:
    """Why one key name (e.g. `ctrl+h`) is not one Textual knows, or None if it is fine."""
    if not key:
        return "an empty key name"
    *mods, last = key.split("+")
    wrong = [m for m in mods if m not in MODIFIERS]
    if wrong:
        return f"{', '.join(repr(m) for m in wrong)} is no modifier (modifiers: {', '.join(sorted(MODIFIERS))})"
    if len(last) == 1 and last.isprintable() and last not in string.whitespace:
        return None
    if last in NAMED_KEYS:
        return None
    if key_to_character(last) is not None:  # Textual's names for symbols: question_mark, colon
        return None
    return f"{last!r} is no key name (e.g. a, f1, enter, slash, question_mark, ctrl+h, alt+s)"


@dataclass
class UserConfig:
    keymap: dict[str, str]
    notices: list[str]


def read_config(path: Path) -> tuple[dict[str, object], list[str]]:
    """The parsed file (empty if absent) and notices for what could not be read."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh), []
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        return {}, [f"config file {path}: cannot read it ({exc.strerror}); using the default keys"]
    except UnicodeDecodeError as exc:
        return {}, [
            f"config file {path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8. Using the default keys."
        ]
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"config file {path}: not valid TOML ({exc}); using the default keys"]


def check_keymap(raw: object, known: Mapping[str, BindingInfo], where: str) -> tuple[dict[str, str], list[str]]:
    """The valid entries of a [keymap] table, and one notice naming every bad one."""
    if not isinstance(raw, dict):
        return {}, [f"{where}: [keymap] must be a table of \"id\" = \"keys\" lines, not a {type(raw).__name__}"]
    good: dict[str, str] = {}
    unknown: list[str] = []
    bad: list[str] = []
    for binding_id, keys in raw.items():
        if binding_id not in known:
            unknown.append(binding_id)
            continue
        if not isinstance(keys, str):
            bad.append(f"{binding_id!r}: keys must be a string like \"f1,ctrl+h\", not {keys!r}")
            continue
        reasons = [r for r in (bad_key(k.strip()) for k in keys.split(",")) if r]
        if reasons:
            bad.append(f"{binding_id!r} = {keys!r}: {'; '.join(reasons)}")
            continue
        good[binding_id] = ",".join(k.strip() for k in keys.split(","))
    notices: list[str] = []
    if unknown:
        notices.append(
            f"{where}: [keymap] has no binding with id {', '.join(repr(u) for u in unknown)}; "
            f"ids: {', '.join(known)}"
        )
    if bad:
        notices.append(f"{where}: [keymap] entries left at their default keys: " + "; ".join(bad))
    return good, notices


APP_OWNERS = frozenset({"SockplayApp", "LessonApp"})  # one key space: the app's own bindings


def clashes(keymap: Mapping[str, str], known: Mapping[str, BindingInfo], where: str) -> list[str]:
    """A notice for keys the keymap took from another binding of the same widget (that one loses it).

    Textual lets the keymap win and says nothing when the loser keeps its default key.
    """
    def group(info: BindingInfo) -> str:
        return "app" if info.owner in APP_OWNERS else info.owner

    lost: list[str] = []
    for moved_id, keys in keymap.items():
        for key in keys.split(","):
            for other in known.values():
                if other.id == moved_id or other.id in keymap or group(other) != group(known[moved_id]):
                    continue
                if key in other.keys.split(","):
                    lost.append(f"{key} now runs {moved_id!r}, so {other.id!r} lost it")
    if not lost:
        return []
    return [f"{where}: [keymap] " + "; ".join(lost) + ". Give those ids keys of their own under [keymap]."]


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read the config file and validate its keymap against the loaded bindings."""
    path = path if path is not None else config_path()
    data, notices = read_config(path)
    keymap: dict[str, str] = {}
    if "keymap" in data:
        table = binding_table()
        keymap, more = check_keymap(data["keymap"], table, str(path))
        notices += more + clashes(keymap, table, str(path))
    other = sorted(set(data) - {"keymap"})
    if other:
        notices.append(f"config file {path}: unknown table or key {', '.join(repr(o) for o in other)}; "
                       "the file knows only [keymap]")
    return UserConfig(keymap, notices)


def key_label(keys: str) -> str:
    """How F1 shows a key list: `f1,ctrl+h` -> `F1 / ctrl+h`."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        if key[:1] == "f" and key[1:].isdigit():
            key = key.upper()
        shown.append({"colon": ":", "slash": "/", "question_mark": "?"}.get(key, key))
    return " / ".join(shown)


def keys_cli(args: object) -> int:
    """`sockplay keys`: every binding id, the keys it has with the user's keymap, and what it does."""
    config = load_user_config()
    table = binding_table()
    print(f"Binding ids; rebind under [keymap] in {config_path()}, e.g.  \"help\" = \"f1,ctrl+h\"\n")
    width = max(len(i) for i in table)
    for info in table.values():
        now = config.keymap.get(info.id, info.keys)
        moved = f"   (default {info.keys})" if now != info.keys else ""
        print(f"  {info.id:<{width}}  {now:<16} {info.description}{moved}")
    for notice in config.notices:
        print(f"sockplay keys: {notice}", file=sys.stderr)
    return 1 if config.notices else 0
