"""The `sockplay` command line as a person meets it: help, typos, pipes, and the REPL's event order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sockplay.cli import main
from sockplay.core import catalog, codecs
from sockplay.lang.executor import example_value, help_lines

SOCKPLAY = [sys.executable, "-m", "sockplay"]


def run(*args: str, stdin: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SOCKPLAY, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def test_help_prints_every_command_without_opening_the_app() -> None:
    out = run("help")
    assert out.returncode == 0, out.stderr
    assert "usage: sockplay" in out.stdout
    assert "setsockopt NAME OPTION VALUE" in out.stdout
    assert "\x1b[?1049h" not in out.stdout  # no alternate screen: the app never opened


def test_help_topic_prints_that_topic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help", "SO_LINGER"]) == 0
    text = capsys.readouterr().out
    assert "example: setsockopt s SO_LINGER on,0" in text
    assert main(["help", "no_such_thing"]) == 2
    assert "no help on 'no_such_thing'" in capsys.readouterr().err


def test_every_writable_option_has_a_real_example_value() -> None:
    """help OPTION's example is something the option's codec accepts, never a placeholder."""
    for row in catalog.OPTIONS:
        if not row.writable:
            continue
        value = example_value(row)
        assert value and value.upper() != "VALUE", row.name
        codecs.codec(row.kind).encode(value)  # raises on a value the option would refuse to encode
        assert f"example: setsockopt s {row.name} {value}" in help_lines(row.name)


def test_a_typo_for_a_subcommand_says_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesons"]) == 2
    err = capsys.readouterr().err
    assert "did you mean `sockplay lessons`" in err
    assert main(["no-such-script.sp"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_closed_pipe_exits_quietly() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m sockplay options | head -5", shell=True, capture_output=True, text=True, timeout=30
    )
    assert proc.stdout.count("\n") == 5
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_repl_prints_events_after_the_command_that_caused_them() -> None:
    out = run("repl", stdin="socketpair a b\nsleep 300\nsend a hi\nsleep 300\nrecvfrom b count=3 dontwait\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    send = next(i for i, ln in enumerate(lines) if ln.startswith("sockplay> send a hi"))
    result = next(i for i, ln in enumerate(lines) if i > send and "= 2" in ln)
    pollin = next(i for i, ln in enumerate(lines) if "b +POLLIN" in ln)
    pollout = next(i for i, ln in enumerate(lines) if "a +POLLOUT" in ln)
    assert 0 < pollout < send < result < pollin, "\n".join(lines)
    # count= shows each call's data and size, then how the loop ended
    assert any('#1 = 2  data "hi"' in ln for ln in lines), out.stdout
    assert any("#2 = -1 EAGAIN" in ln for ln in lines), out.stdout


def test_the_app_opens_on_an_existing_file_argument(tmp_path: Path) -> None:
    from sockplay.cli import not_a_command, script_word

    script = tmp_path / "x.sp"
    script.write_text("socketpair a b\n")
    assert not_a_command(str(script)) is None
    assert script_word(["--theme", "dark", str(script)]) == str(script)
    assert script_word(["--theme", "dark"]) is None
