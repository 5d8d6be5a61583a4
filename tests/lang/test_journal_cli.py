"""`sockplay run --journal FILE` and `sockplay --journal FILE`: the JSONL sink from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sockplay.cli import build_parser, main

SCRIPT = """socket u inet dgram
bind u 127.0.0.1:0
setsockopt u SO_RCVBUF 1048576
socket t inet dgram
connect t u
send t "hello" count=300
recvmsg u 64 dontwait count=400
"""


def test_run_journal_writes_every_event_the_transcript_shows(tmp_path) -> None:
    sp = tmp_path / "s.sp"
    sp.write_text(SCRIPT)
    jl = tmp_path / "j.jsonl"
    r = subprocess.run([sys.executable, "-m", "sockplay", "run", "--json", "--journal", str(jl), str(sp)],
                       capture_output=True, text=True, timeout=50)
    assert r.returncode == 0, r.stderr
    shown = [json.loads(x) for x in r.stdout.splitlines()]
    written = [json.loads(x) for x in jl.read_text().splitlines()]
    seqs = [d["seq"] for d in written]
    assert seqs == list(range(1, len(seqs) + 1))
    # Everything the transcript printed is in the file, the same (the file may add the final closes).
    by_seq = {d["seq"]: d for d in written}
    assert all(by_seq[d["seq"]] == d for d in shown if "seq" in d)
    recvs = [d for d in written if d.get("syscall") == "recvmsg" and d["errno"] is None]
    assert len(recvs) == 300 and all(d["data"]["text"] == "hello" for d in recvs)


def test_run_journal_to_a_place_that_cannot_be_written_says_so(tmp_path) -> None:
    sp = tmp_path / "s.sp"
    sp.write_text("socketpair a b\n")
    r = subprocess.run([sys.executable, "-m", "sockplay", "run", "--journal", str(tmp_path / "no" / "j.jsonl"),
                        str(sp)], capture_output=True, text=True, timeout=50)
    assert r.returncode == 2
    assert "cannot write the journal" in r.stderr and "No such file or directory" in r.stderr


def test_app_takes_journal_options_without_a_subcommand() -> None:
    args = build_parser("tui").parse_args(["tui", "--journal", "x.jsonl", "--journal-bytes", "16M"])
    assert (args.command, args.journal, args.journal_bytes) == ("tui", "x.jsonl", 16 << 20)


def test_a_bad_byte_count_is_refused_with_what_would_be_right(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", "--journal-bytes", "lots", "x.sp"])
    assert e.value.code == 2
    assert "expected a whole number such as 65536, 64M or 1G" in capsys.readouterr().err
