"""Theme loading: TOML files with Textual Theme colors plus a pygments `[syntax]` table.

Built-in themes live in the source tree's top-level `themes/` and, in an installed
wheel, in `sockplay/themes_builtin` (pyproject force-includes the folder there).
User themes come from `$XDG_CONFIG_HOME/sockplay/themes/*.toml` and may replace a
built-in of the same name. A broken file never stops the app: it is skipped and
described in one message that names the file and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.errors import StyleSyntaxError
from rich.style import Style
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

from sockplay.tui.config import sockplay_config_dir

DEFAULT_THEME = "dark"

COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "background",
    "surface",
    "panel",
    "foreground",
    "warning",
    "error",
    "success",
)
REQUIRED_FIELDS = ("name", "primary")
KNOWN_FIELDS = {"name", "dark", "syntax", "variables", "description", *COLOR_FIELDS}
# Textual design variables a theme's [variables] table may set (colours): how hints and
# placeholders look. The presenter theme sets them so every text keeps 7:1 on black.
THEME_VARIABLES = (
    "text-muted", "text-disabled", "foreground-muted", "footer-key-foreground",
    "block-cursor-background", "block-cursor-foreground", "block-cursor-blurred-background",
    "input-selection-background",
)
# Top-level pygments token types a [syntax] key may start with.
TOKEN_ROOTS = {
    "Token", "Text", "Whitespace", "Escape", "Error", "Other", "Keyword", "Name",
    "Literal", "String", "Number", "Punctuation", "Operator", "Comment", "Generic",
}  # fmt: skip


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the field."""


@dataclass(slots=True)
class ThemeSpec:
    """A loaded theme: the Textual Theme, its pygments styles, and where it came from."""

    theme: Theme
    syntax: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.theme.name


def builtin_theme_dirs() -> list[Path]:
    """Where built-in themes may be: the source checkout, then the installed wheel."""
    package = Path(__file__).resolve().parent.parent  # .../sockplay
    return [package.parent / "themes", package / "themes_builtin"]


def user_theme_dir() -> Path:
    """`$XDG_CONFIG_HOME/sockplay/themes`, defaulting to ~/.config/sockplay/themes."""
    return sockplay_config_dir() / "themes"


def load_theme_file(path: Path) -> ThemeSpec:
    """Read and validate one theme file; raise ThemeFileError saying what is wrong."""
    where = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ThemeFileError(f"theme file {where}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"theme file {where}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ThemeFileError(
            f"theme file {where}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    for key in REQUIRED_FIELDS:
        if key not in data:
            raise ThemeFileError(f"theme file {where}: field '{key}' is missing (it is required)")
    unknown = sorted(set(data) - KNOWN_FIELDS)
    if unknown:
        raise ThemeFileError(
            f"theme file {where}: unknown field '{unknown[0]}'; "
            f"fields are name, dark, {', '.join(COLOR_FIELDS)} and a [syntax] table"
        )
    name = data["name"]
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name):
        raise ThemeFileError(f"theme file {where}: field 'name' must be one word, got {name!r}")
    # Any, not str: spread into Theme(**colors), whose other keywords are floats and bools;
    # only the str color fields of COLOR_FIELDS ever go in.
    colors: dict[str, Any] = {}
    for key in COLOR_FIELDS:
        if key not in data:
            continue
        value = data[key]
        _check_color(value, f"theme file {where}: field '{key}'", " (use '#rrggbb', 'rgb(r,g,b)' or a color name)")
        colors[key] = value
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(
            f"theme file {where}: field 'dark' must be true or false, got {dark!r}"
        )
    syntax = data.get("syntax", {})
    if not isinstance(syntax, dict):
        raise ThemeFileError(f"theme file {where}: field 'syntax' must be a table ([syntax])")
    for token, style in syntax.items():
        if token.split(".")[0] not in TOKEN_ROOTS:
            raise ThemeFileError(
                f"theme file {where}: field 'syntax.{token}' is not a pygments token type "
                "(such as Keyword, Name.Constant, String)"
            )
        try:
            if not isinstance(style, str):
                raise StyleSyntaxError("not a string")
            Style.parse(style)
        except StyleSyntaxError:
            raise ThemeFileError(
                f"theme file {where}: field 'syntax.{token}' = {style!r} is not a style "
                "(such as 'bold #5fafff')"
            ) from None
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"theme file {where}: field 'variables' must be a table ([variables])")
    for key, value in variables.items():
        if key not in THEME_VARIABLES:
            raise ThemeFileError(
                f"theme file {where}: field 'variables.{key}' is not one sockplay uses; "
                f"variables are {', '.join(THEME_VARIABLES)}"
            )
        _check_color(value, f"theme file {where}: field 'variables.{key}'")
    theme = Theme(name=name, dark=dark, variables=dict(variables), **colors)
    return ThemeSpec(theme=theme, syntax=dict(syntax), path=path)


class Notice(str):
    """A message from loading themes that is news, not a failure (shown as information)."""


def _files_in(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError:
        return []


def load_themes(user_dir: Path | None = None) -> tuple[dict[str, ThemeSpec], list[str]]:
    """All usable themes by name (built-ins, then user files), and one message per broken file."""
    themes: dict[str, ThemeSpec] = {}
    errors: list[str] = []
    builtin_seen = False
    for folder in builtin_theme_dirs():
        files = _files_in(folder)
        if not files or builtin_seen:
            continue
        builtin_seen = True  # the source tree wins over a stale installed copy
        for path in files:
            try:
                spec = load_theme_file(path)
            except ThemeFileError as exc:
                errors.append(str(exc))
                continue
            themes[spec.name] = spec
    builtin = set(themes) | set(BUILTIN_THEMES)
    for path in _files_in(user_dir if user_dir is not None else user_theme_dir()):
        try:
            spec = load_theme_file(path)
        except ThemeFileError as exc:
            errors.append(str(exc))
            continue
        if spec.name in builtin:
            errors.append(Notice(f"theme file {path}: its name {spec.name!r} is a built-in theme's, "
                                 "so it replaces the built-in one"))
        themes[spec.name] = spec
    if DEFAULT_THEME not in themes:  # never start without a default, even from a broken install
        themes[DEFAULT_THEME] = ThemeSpec(theme=FALLBACK_DARK)
    return themes, errors


FALLBACK_DARK = Theme(
    name=DEFAULT_THEME,
    primary="#5fafff",
    secondary="#875fd7",
    accent="#ffaf5f",
    background="#121418",
    surface="#1b1e24",
    panel="#262b33",
    foreground="#dcdfe4",
    warning="#ffaf5f",
    error="#ff5f6d",
    success="#5fd787",
    dark=True,
)


def muted_style(theme: Theme) -> Style:
    """How hints and timestamps look: the theme's text-muted colour when it names one, else dim.

    Terminal dim halves a colour's contrast; a high-contrast theme names a colour instead.
    """
    color = (theme.variables or {}).get("text-muted")
    return Style(color=color) if color else Style(dim=True)


def _check_color(value: object, field: str, hint: str = "") -> None:
    """One check for every colour a theme file gives, so each says the same thing when wrong."""
    try:
        if not isinstance(value, str):
            raise ColorParseError("not a string")
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{field} = {value!r} is not a color{hint}") from None
