"""Theme files: the built-ins load, and each kind of mistake gets a message naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from sockplay.tui import themes
from sockplay.tui.themes import Notice, ThemeFileError, load_theme_file, load_themes


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text)
    return p


def test_builtins_load_with_every_color_and_syntax(tmp_path: Path) -> None:
    specs, errors = load_themes(tmp_path)
    assert errors == []
    assert {"dark", "light", "presenter"} <= set(specs)
    for spec in specs.values():
        for field in themes.COLOR_FIELDS:
            value = getattr(spec.theme, field)
            assert value is not None, (spec.name, field)
            Color.parse(value)
        assert "Keyword" in spec.syntax and "Name.Constant" in spec.syntax
    assert specs["light"].theme.dark is False
    assert specs["presenter"].theme.background == "#000000"


def _luminance(c: Color) -> float:
    def ch(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(Color.parse(a)), _luminance(Color.parse(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_presenter_meets_wcag_aaa_contrast(tmp_path: Path) -> None:
    """Projectors wash colours out: every text colour of the presenter theme is 7:1 or better."""
    specs, _ = load_themes(tmp_path)
    t = specs["presenter"].theme
    for field in ("foreground", "primary", "secondary", "accent", "success", "error", "warning"):
        assert contrast(getattr(t, field), t.background) >= 7, field
    assert contrast(specs["presenter"].syntax["Comment"].split()[-1], t.background) >= 7


def test_default_themes_are_readable(tmp_path: Path) -> None:
    specs, _ = load_themes(tmp_path)
    for name in ("dark", "light"):
        t = specs[name].theme
        assert contrast(t.foreground, t.background) >= 7, name
        for field in ("primary", "success", "error"):
            assert contrast(getattr(t, field), t.surface) >= 4.5, (name, field)


def test_installed_wheel_folder_is_searched(tmp_path: Path, monkeypatch) -> None:
    """An installed wheel has no top-level themes/; the loader finds sockplay/themes_builtin."""
    wheel_dir = tmp_path / "themes_builtin"
    wheel_dir.mkdir()
    write(wheel_dir, "dark.toml", 'name = "dark"\nprimary = "#010203"\n')
    monkeypatch.setattr(themes, "builtin_theme_dirs", lambda: [tmp_path / "missing", wheel_dir])
    specs, errors = load_themes(tmp_path / "no-user")
    assert errors == []
    assert specs["dark"].theme.primary == "#010203"
    assert set(specs) == {"dark"}


def test_builtin_dirs_name_both_places() -> None:
    dirs = themes.builtin_theme_dirs()
    assert dirs[0].name == "themes" and (dirs[0] / "dark.toml").is_file()
    assert dirs[1].parts[-2:] == ("sockplay", "themes_builtin")


def test_user_dir_follows_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert themes.user_theme_dir() == tmp_path / "sockplay" / "themes"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert themes.user_theme_dir() == Path.home() / ".config" / "sockplay" / "themes"


def test_user_theme_overrides_builtin(tmp_path: Path) -> None:
    write(tmp_path, "x.toml", 'name = "dark"\nprimary = "#abcdef"\n')
    specs, errors = load_themes(tmp_path)
    assert all(isinstance(e, Notice) for e in errors)  # not a failure: a notice that it replaces the built-in
    assert len(errors) == 1 and "replaces the built-in" in errors[0]
    assert specs["dark"].theme.primary == "#abcdef"
    assert specs["dark"].path == tmp_path / "x.toml"


@pytest.mark.parametrize(
    ("text", "field", "hint"),
    [
        ('name = "b"\nprimary = "#12345z"\n', "'primary'", "not a color"),
        ('name = "b"\nprimary = "#123456"\nerror = 12\n', "'error'", "not a color"),
        ('primary = "#123456"\n', "'name'", "missing"),
        ('name = "b"\n', "'primary'", "missing"),
        ('name = "two words"\nprimary = "#123456"\n', "'name'", "one word"),
        ('name = "b"\nprimary = "#123456"\ndark = "yes"\n', "'dark'", "true or false"),
        ('name = "b"\nprimary = "#123456"\nprimry = "#123456"\n', "'primry'", "unknown field"),
        (
            'name = "b"\nprimary = "#123456"\n[syntax]\nKeyword = "bold nocolour"\n',
            "'syntax.Keyword'",
            "not a style",
        ),
        (
            'name = "b"\nprimary = "#123456"\n[syntax]\nKeywrd = "bold"\n',
            "'syntax.Keywrd'",
            "pygments token",
        ),
        ('name = "b"\nprimary = "#123456"\nsyntax = 3\n', "'syntax'", "table"),
        ('name = "b\nprimary = 1\n', "", "not valid TOML"),
    ],
)
def test_broken_file_message_names_file_and_field(
    tmp_path: Path, text: str, field: str, hint: str
) -> None:
    p = write(tmp_path, "broken.toml", text)
    with pytest.raises(ThemeFileError) as info:
        load_theme_file(p)
    msg = str(info.value)
    assert str(p) in msg and field in msg and hint in msg


def test_broken_user_file_is_skipped_and_reported(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", 'name = "good"\nprimary = "#112233"\n')
    write(tmp_path, "bad.toml", 'name = "bad"\nprimary = "nope"\n')
    specs, errors = load_themes(tmp_path)
    assert "good" in specs and "bad" not in specs
    assert len(errors) == 1 and "bad.toml" in errors[0] and "'primary'" in errors[0]
