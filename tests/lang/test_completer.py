"""The command completer, driven by a real Playground's socket names."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from sockplay.core import Playground, catalog, flags
from sockplay.lang import commands
from sockplay.lang.completer import CommandCompleter, PythonCompleter, split_before_cursor


def complete(c: CommandCompleter, text: str) -> dict[str, str]:
    """text -> display_meta of every completion offered at the end of `text`."""
    ev = CompleteEvent(completion_requested=True)
    return {x.text: x.display_meta_text for x in c.get_completions(Document(text), ev)}


def make(pg: Playground) -> CommandCompleter:
    return CommandCompleter(lambda: list(pg.sockets), {"python": "evaluate Python"},
                            namespace=lambda: {"pg": pg, **pg.sockets})


def test_option_names_after_setsockopt_with_kind_and_summary(pg: Playground) -> None:
    pg.socket("s1", "inet", "stream")
    got = complete(make(pg), "setsockopt s1 SO_RC")
    assert "SO_RCVBUF" in got
    assert set(got) <= {r.name for r in catalog.OPTIONS}
    assert all(name.startswith("SO_RC") for name in got)
    row = catalog.option("SO_RCVBUF")
    assert got["SO_RCVBUF"].startswith(row.kind + " · ")
    assert "receive" in got["SO_RCVBUF"].lower()


def test_completion_replaces_the_partial_word(pg: Playground) -> None:
    pg.socket("s1", "inet", "stream")
    ev = CompleteEvent(completion_requested=True)
    comps = list(make(pg).get_completions(Document("setsockopt s1 SO_RC"), ev))
    assert {c.start_position for c in comps} == {-5}


def test_socket_names_after_recv_are_the_open_ones_now(pg: Playground) -> None:
    c = make(pg)
    assert complete(c, "recv ") == {}
    pg.socketpair("a", "b")
    pg.socket("s1", "inet", "dgram")
    assert set(complete(c, "recv ")) == {"a", "b", "s1"}
    pg.close("a")
    assert set(complete(c, "recv ")) == {"b", "s1"}
    assert set(complete(c, "recv s")) == {"s1"}


def test_flags_after_recv_size_and_after_a_flag(pg: Playground) -> None:
    pg.socket("s1", "inet", "dgram")
    c = make(pg)
    got = complete(c, "recv s1 10 ")
    assert {"peek", "dontwait", "waitall", "trunc"} <= set(got)
    assert "more" not in got  # a send-only flag
    assert "count=" in got and "timeout=" in got
    assert set(complete(c, "recv s1 peek d")) == {"dontwait"}
    assert "more" in complete(c, "send s1 x ")


def test_command_names_with_help_and_repl_extras(pg: Playground) -> None:
    got = complete(make(pg), "se")
    assert set(got) == {"send", "sendto", "sendmsg", "setsockopt"}
    assert got["send"] and got["send"] in commands.BY_NAME["send"].help
    assert "python" in complete(make(pg), "py")
    assert set(complete(make(pg), "")) >= set(commands.COMMAND_NAMES)


def test_after_semicolon_a_new_command_starts(pg: Playground) -> None:
    pg.socketpair("a", "b")
    assert "recv" in complete(make(pg), "send a x; re")
    assert set(complete(make(pg), "send a x; recv ")) == {"a", "b"}


def test_families_types_protocols_and_socket_flags(pg: Playground) -> None:
    c = make(pg)
    assert set(complete(c, "socket s ")) == {f.words[0] for f in flags.FAMILIES}
    assert "stream" in complete(c, "socket s inet ")
    got = complete(c, "socket s inet stream ")
    assert "tcp" in got and "nonblock" in got
    assert "nonblock" in complete(c, "socket s inet stream tcp ")


def test_shutdown_ioctl_fcntl_sysctl_help(pg: Playground) -> None:
    pg.socket("s1", "inet", "stream")
    c = make(pg)
    assert set(complete(c, "shutdown s1 ")) == {"rd", "wr", "rdwr"}
    assert "SIOCINQ" in complete(c, "ioctl s1 SIOCI")
    assert "nonblock" in complete(c, "fcntl s1 ")
    assert set(complete(c, "fcntl s1 nonblock ")) == {"on", "off"}
    sysctls = complete(c, "sysctl rm")
    assert set(sysctls) == {"rmem_default", "rmem_max"}
    assert sysctls["rmem_max"].startswith("bytes · ")
    assert "same as SIOCINQ" in complete(c, "ioctl s1 FIONR")["FIONREAD"]
    help_topics = complete(c, "help ")
    assert {"recv", "SO_LINGER", "data", "MSG_PEEK"} <= set(help_topics)
    assert set(complete(c, "setsockopt s1 SO_KEEPALIVE ")) == {"on", "off"}


def test_expect_fields_and_their_values(pg: Playground) -> None:
    pg.socketpair("a", "b")
    c = make(pg)
    assert set(complete(c, "expect ")) == set(commands.EXPECT_FIELDS)
    assert set(complete(c, "expect ready ")) == {"a", "b"}
    assert set(complete(c, "expect ready b POLLI")) == {"POLLIN"}
    assert "EAGAIN" in complete(c, "expect errno EAG")
    cmsgs = complete(c, "expect cmsg SO_")
    assert {"SO_TIMESTAMP", "SO_RXQ_OVFL"} <= set(cmsgs)
    assert "SCM_RIGHTS" in complete(c, "expect cmsg SCM_")


def test_key_values_complete_socket_names(pg: Playground) -> None:
    pg.socketpair("a", "b")
    pg.socket("c", "inet", "stream")
    c = make(pg)
    assert set(complete(c, "sendmsg a x rights=")) == {"rights=a", "rights=b", "rights=c"}
    assert set(complete(c, "sendmsg a x rights=c,")) == {"rights=c,a", "rights=c,b"}
    assert "creds" in complete(c, "sendmsg a x ")


def test_short_option_names_complete_in_short_form(pg: Playground) -> None:
    pg.socket("s1", "inet", "stream")
    got = complete(make(pg), "getsockopt s1 rcvb")
    assert "rcvbuf" in got and "SO_RCVBUF" in got["rcvbuf"]


def test_nothing_inside_quotes_comments_or_for_unknown_commands(pg: Playground) -> None:
    pg.socketpair("a", "b")
    c = make(pg)
    assert complete(c, 'send a "he') == {}
    assert complete(c, "recv a # note ") == {}
    assert complete(c, "frob ") == {}


def test_python_lines_complete_from_the_namespace(pg: Playground) -> None:
    pg.socketpair("a", "b")
    c = make(pg)
    assert "pg.recvfrom" in complete(c, "!pg.recvf")
    assert "a.getsockname" in complete(c, "python a.getsockn").keys() | complete(c, "!a.getsockn").keys()
    pc = PythonCompleter(lambda: {"pg": pg})
    got = {x.text for x in pc.get_completions(Document("x = pg.setso"), CompleteEvent())}
    assert got == {"pg.setsockopt"}


def test_split_before_cursor_keeps_quoted_words_whole() -> None:
    line = split_before_cursor('send a "x y" pe')
    assert line.words == ["send", "a", "x y"] and line.partial == "pe"
    assert split_before_cursor('send a "x').in_quote
    assert split_before_cursor("recv b ").partial == ""
