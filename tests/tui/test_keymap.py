"""Rebinding keys: `[keymap]` in $XDG_CONFIG_HOME/sockplay/config.toml, as a person would use it.

The autouse `private_config` fixture (conftest) points XDG_CONFIG_HOME at an empty
folder; each test writes the config file it needs there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.dom import DOMNode
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from sockplay.cli import main
from sockplay.tui.app import SockplayApp
from sockplay.tui.config import bad_key, binding_table, config_path, declared_bindings
from sockplay.tui.views import VIEWS
from sockplay.tui.widgets.help import HelpScreen
from tests.tui.pilot import repl_text, type_line, wait_for

SIZE = (120, 40)
MakeApp = Callable[..., SockplayApp]


def write_config(text: str | bytes) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def help_page(app: SockplayApp) -> str:
    """The F1 page as plain text, the way it is drawn (wide, so nothing wraps mid-key)."""
    static = app.screen.query_one("#help-text", Static)
    console = Console(width=200, record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


def footer_keys(app: SockplayApp) -> dict[str, str]:
    """Footer entries: description -> key, as the footer shows them now."""
    footer = app.screen.query_one(Footer)
    return {k.description: k.key for k in footer.query(FooterKey)}


async def test_a_rebound_key_works_and_the_old_one_no_longer_does(make_app: MakeApp) -> None:
    write_config('[keymap]\n"help" = "f9,ctrl+h"\n"view-info" = "alt+x"\n')
    app = make_app(empty=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.config_notices == []
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)  # F1 was moved away
        await pilot.press("f9")
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        assert await wait_for(lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("ctrl+h")
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("f9")  # the key that opens help closes it, as F1 does by default
        assert await wait_for(lambda: not isinstance(app.screen, HelpScreen))
        # a view key: alt+x lands in Info, alt+i does nothing any more
        await pilot.press("alt+i")
        await pilot.pause()
        assert app.focused is not None and app.focused.id != "info"
        await pilot.press("alt+x")
        assert await wait_for(lambda: app.focused is not None and app.focused.id == "info"), app.focused


async def test_f1_and_the_footer_show_the_keys_as_bound(make_app: MakeApp) -> None:
    write_config('[keymap]\n"help" = "f9,ctrl+h"\n"record" = "ctrl+g"\n"view-info" = "alt+x"\n')
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = footer_keys(app)
        assert footer.get("record") == "ctrl+g", footer
        assert footer.get("help") in ("f9", "ctrl+h"), footer
        await pilot.press("f9")
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        page = help_page(app)
        assert "F9 / ctrl+h" in page and "this help" in page
        assert "ctrl+g" in page and "F2" not in page
        assert "alt+x  Info" in page and "alt+i  Info" not in page
        assert "the keys above go straight to a view" in page
        assert "Press Escape or F9 / ctrl+h to close" in page


async def test_f1_shows_the_default_keys_without_a_config(make_app: MakeApp) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        page = help_page(app)
        assert "F1" in page and "F2" in page and "alt+i  Info" in page
        assert "alt+s, o, d, i, p, a, c and r go straight to a view" in page


async def test_unknown_id_and_bad_key_give_notices_and_the_rest_applies(make_app: MakeApp) -> None:
    write_config('[keymap]\n"no-such-thing" = "f9"\n"record" = "ctrl+bogus"\n"theme" = "f10"\n')
    app = make_app(empty=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.2)
        shown = [n.message for n in app._notifications]
        unknown = [m for m in shown if "no-such-thing" in m]
        assert len(unknown) == 1 and "ids: " in unknown[0] and "view-info" in unknown[0], shown
        bad = [m for m in shown if "ctrl+bogus" in m]
        assert len(bad) == 1 and "'bogus' is no key name" in bad[0], shown
        assert app.keymap == {"theme": "f10"}
        before = app.theme
        await pilot.press("f10")
        assert await wait_for(lambda: app.theme != before)
        await pilot.press("f2")  # record kept its default key
        assert await wait_for(lambda: app.recording is not None)
        await type_line(pilot, "echo still-here")
        assert await wait_for(lambda: "still-here" in repl_text(app))


@pytest.mark.parametrize(
    "content, says",
    [
        (b'[keymap\n"help" = "f9"\n', "not valid TOML"),
        (b'[keymap]\n"help" = "f9\xff"\n', "not UTF-8"),
        (b'keymap = "f9"\n', "must be a table"),
        (b'[keymap]\n"help" = 9\n', "keys must be a string"),
        (b'[keys]\n"help" = "f9"\n', "knows only [keymap]"),
    ],
)
async def test_a_broken_config_file_gives_a_notice_and_the_app_starts(make_app: MakeApp, content: bytes, says: str) -> None:
    write_config(content)
    app = make_app(empty=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.2)
        shown = [n.message for n in app._notifications]
        assert any(says in m for m in shown), shown
        await pilot.press("f1")  # the default keys still work
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))


def test_every_binding_of_ours_has_a_unique_id() -> None:
    found = declared_bindings()
    owners = {owner for owner, _ in found}
    # the app, lesson mode, the help screen and the widgets with keys are all walked
    assert {"SockplayApp", "LessonApp", "HelpScreen", "LessonPanel", "OptionsForm", "SendRecvPanel"} <= owners
    missing = [(owner, b.key, b.action) for owner, b in found if not b.id]
    assert missing == []
    ids = [b.id or "" for _, b in found]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert {v.binding_id for v in VIEWS} <= set(binding_table())


async def test_every_binding_in_the_running_app_and_its_screens_has_an_id(make_app: MakeApp) -> None:
    """Walk the live DOM (main screen, then F1) and each node's own class bindings."""
    app = make_app(empty=True)

    def without_id(node: DOMNode) -> list[str]:
        bad = []
        for cls in type(node).__mro__:
            if cls.__module__.startswith("sockplay.") and "BINDINGS" in cls.__dict__:
                bad += [f"{cls.__name__}:{b.key}" for b in cls.__dict__["BINDINGS"] if not getattr(b, "id", None)]
        return bad

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        nodes: list[DOMNode] = [app, app.screen, *app.screen.walk_children()]
        await pilot.press("f1")
        assert await wait_for(lambda: isinstance(app.screen, HelpScreen))
        nodes += [app.screen, *app.screen.walk_children()]
        assert sum(1 for n in nodes if type(n).__module__.startswith("sockplay.")) >= 6
        assert [m for n in nodes for m in without_id(n)] == []


@pytest.mark.parametrize("key", ["f1", "ctrl+h", "alt+s", "slash", "question_mark", "a", "enter", "space", "shift+tab"])
def test_good_key_names(key: str) -> None:
    assert bad_key(key) is None


@pytest.mark.parametrize("key, says", [("", "empty"), ("ctrl+bogus", "no key name"), ("cmd+h", "no modifier"),
                                       ("f1 f2", "no key name")])
def test_bad_key_names_say_why(key: str, says: str) -> None:
    why = bad_key(key)
    assert why is not None and says in why


def test_sockplay_keys_lists_ids_with_the_keys_as_bound(capsys: pytest.CaptureFixture[str]) -> None:
    write_config('[keymap]\n"help" = "f9"\n')
    assert main(["keys"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert set(lines) == set(binding_table())
    assert "f9" in lines["help"] and "(default f1)" in lines["help"]
    assert "alt+i" in lines["view-info"] and "default" not in lines["view-info"]


def test_sockplay_keys_names_a_bad_entry(capsys: pytest.CaptureFixture[str]) -> None:
    write_config('[keymap]\n"helpp" = "f9"\n')
    assert main(["keys"]) == 1
    err = capsys.readouterr().err
    assert "'helpp'" in err and "ids: " in err


async def test_lesson_mode_takes_the_keymap_and_its_key_line_shows_it(no_user_themes: Path) -> None:
    from sockplay.lessons import load
    from sockplay.tui.app import AppOptions
    from sockplay.tui.lesson import LessonApp

    write_config('[keymap]\n"lesson-next-anywhere" = "ctrl+y"\n"focus-lesson" = "f11"\n')
    app = LessonApp(load("peek-off"), AppOptions(frozen=True, user_theme_dir=no_user_themes))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await app.settle()
        assert app.config_notices == []  # lesson ids are known ids
        line = str(app.query_one("#lesson-keys", Static).content)
        assert "ctrl+y runs a step from anywhere" in line and "f11 back here" in line and "ctrl+n" not in line
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        assert app.next_index == 0
        await pilot.press("ctrl+y")
        assert await wait_for(lambda: app.next_index == 1 and app.running is None, timeout=20)


async def test_a_key_given_to_two_bindings_says_which_lost_it(make_app: MakeApp) -> None:
    write_config('[keymap]\n"record" = "f1"\n')
    app = make_app(empty=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("f1")  # now record, not help
        assert await wait_for(lambda: app.recording is not None)
        assert not isinstance(app.screen, HelpScreen)
        clash = [n.message for n in app._notifications if "lost it" in n.message]
        assert len(clash) == 1 and "f1 now runs 'record', so 'help' lost it" in clash[0], clash
