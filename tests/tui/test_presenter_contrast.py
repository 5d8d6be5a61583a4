"""The presenter theme as drawn: every character of text on screen at 7:1 contrast or better.

The check reads what the app really draws (the compositor's rendered strips), so a
hint drawn at 50% of the foreground, a dimmed timestamp or a grey placeholder
fails here even when the theme's named colours all pass. Terminal dim is counted
as a blend halfway to the background, which is how Textual draws it where a
terminal cannot. Lines and blocks (borders, scrollbars, tab underlines) are not text.
"""

from __future__ import annotations

from textual.color import Color

from sockplay.lessons import load
from sockplay.tui.app import AppOptions
from sockplay.tui.lesson import LessonApp

from .pilot import type_line, wait_for

SIZE = (120, 40)
AAA = 7.0


def _lum(rgb: tuple[float, float, float]) -> float:
    def ch(v: float) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * ch(rgb[0]) + 0.7152 * ch(rgb[1]) + 0.0722 * ch(rgb[2])


def ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_lum(a), _lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_text(ch: str) -> bool:
    """Letters, digits and signs; not box drawing or blocks (lines), nor emoji (drawn in their own colours)."""
    return not ch.isspace() and not (0x2500 <= ord(ch) <= 0x259F) and ord(ch) < 0x1F000


def low_contrast(app) -> dict[str, float]:
    """Each piece of text drawn below 7:1 (its first 30 characters), with its ratio."""
    theme = app.current_theme
    fg0, bg0 = Color.parse(theme.foreground).rgb, Color.parse(theme.background).rgb
    bad: dict[str, float] = {}
    for strip in app.screen._compositor.render_strips():
        for seg in strip:
            style = seg.style
            if style is None or not any(is_text(c) for c in seg.text):
                continue
            fg = tuple(style.color.get_truecolor()) if style.color and not style.color.is_default else fg0
            bg = tuple(style.bgcolor.get_truecolor()) if style.bgcolor and not style.bgcolor.is_default else bg0
            if style.dim:
                fg = tuple(b + (f - b) * 0.5 for f, b in zip(fg, bg, strict=True))
            if style.reverse:
                fg, bg = bg, fg
            r = ratio(fg, bg)
            if r < AAA:
                bad.setdefault(seg.text.strip()[:30], round(r, 2))
    return bad


async def test_every_text_of_the_presenter_theme_is_aaa(make_app) -> None:
    app = make_app(theme="presenter")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle(10)
        await pilot.pause(0.2)
        seen = {"main scene": low_contrast(app)}
        await type_line(pilot, "recv nosuch")  # an error and its explanation
        await type_line(pilot, "recvfrom u1 count=3 dontwait")  # notes and count= lines
        await app.settle(10)
        await pilot.press("s", "e", "tab")  # the completion dropdown with its meanings
        assert await wait_for(lambda: app.repl.command_line.menu_open)
        seen["completion"] = low_contrast(app)
        await pilot.press("escape", "escape")
        await pilot.press("alt+o")  # the option form with a row's help
        await pilot.press("enter")
        await pilot.pause(0.3)
        seen["options"] = low_contrast(app)
        await pilot.press("alt+d")
        await pilot.pause(0.3)
        seen["send/recv"] = low_contrast(app)
        await pilot.press("f1")
        await pilot.pause(0.3)
        seen["help"] = low_contrast(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        seen["palette"] = low_contrast(app)
    failing = {k: v for k, v in seen.items() if v}
    assert failing == {}, "\n".join(f"{k}: {v}" for k, v in failing.items())


async def test_a_lesson_in_the_presenter_theme_is_aaa(no_user_themes) -> None:
    app = LessonApp(load("peek-off"), AppOptions(frozen=True, theme="presenter", user_theme_dir=no_user_themes))
    async with app.run_test(size=SIZE) as pilot:
        await app.settle(10)
        await pilot.press("ctrl+n")
        assert await wait_for(lambda: app.running is None and app.next_index == 1, 20)
        await app.settle(10)
        await pilot.pause(0.2)
        assert low_contrast(app) == {}
