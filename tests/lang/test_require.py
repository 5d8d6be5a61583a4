"""`require`: a step needing what this process lacks is skipped with the reason, never failed."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from sockplay.lang import requirements
from sockplay.lang.script import run_text, step_end

SCRIPT = """socketpair a b

require kernel 99.0
echo "never printed"
expect ret 12345

send a "x"
expect ret 1
"""


def test_unmet_requirement_skips_rest_of_step() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_text(SCRIPT, out, err) == 0, err.getvalue()
    text = out.getvalue()
    assert "skipped: needs Linux 99.0 or newer" in text
    assert "never printed" not in text.replace('echo "never printed"', "")
    assert "expect ret 12345" not in text
    assert text.count("skipped: needs") == 1


def test_met_requirement_runs_the_step() -> None:
    out, err = io.StringIO(), io.StringIO()
    script = "require kernel 2.6\nsocketpair a b\nsend a \"hi\"\nexpect ret 2\n"
    assert run_text(script, out, err) == 0
    assert "skipped" not in out.getvalue()


def test_step_end() -> None:
    src = ["a", "", "b", "c", "", "d"]
    assert step_end(src, 1) == 2
    assert step_end(src, 3) == 5
    assert step_end(src, 6) == 7


def test_requirement_table() -> None:
    assert requirements.unmet("kernel", "2.0") is None
    assert "99.1" in requirements.unmet("kernel", "99.1")
    assert requirements.unmet("program", "sh") is None
    assert "no-such-program-xyz" in requirements.unmet("program", "no-such-program-xyz")
    with pytest.raises(ValueError, match="unknown requirement"):
        requirements.unmet("wings")
    with pytest.raises(ValueError, match="unknown capability"):
        requirements.unmet("cap", "CAP_FLY")


def test_bad_requirement_is_a_script_error() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_text("require kernel five\n", out, err) == 2
    assert "kernel version 'five'" in err.getvalue()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_unprivileged_run_skips_root_steps() -> None:
    code = (
        "import os, sys, io, json;"
        "from sockplay.lang.script import run_text; import sockplay.lang.requirements;"
        "os.setgid(65534); os.setuid(65534);"
        "out = io.StringIO(); rc = run_text(sys.argv[1], out, sys.stderr); print(out.getvalue()); sys.exit(rc)"
    )
    script = "require cap CAP_NET_ADMIN\nsocket s inet dgram\nsetsockopt s SO_MARK 5\nexpect ret 0\n\necho done\n"
    done = subprocess.run([sys.executable, "-c", code, script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "skipped: needs CAP_NET_ADMIN" in done.stdout
    assert "done" in done.stdout
