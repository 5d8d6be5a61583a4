"""The app stays usable while a relay runs; a held chunk is shown, edited and passed on by typing."""

from __future__ import annotations

from sockplay.core import relay
from sockplay.tui.widgets.panes import SyscallPane

from .conftest import SIZE
from .pilot import repl_text, type_line, wait_for


async def test_held_chunk_is_replaced_from_the_repl(make_app) -> None:
    app = make_app(empty=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        for line in ("socketpair c cli", "socketpair up s", "relay cli up hold"):
            await type_line(pilot, line)
        assert await wait_for(lambda: "running in the background" in repl_text(app), 10)
        await type_line(pilot, 'send c "GET /a"')
        # the held chunk is announced in the REPL, and the app keeps taking commands
        assert await wait_for(lambda: "held 6 bytes cli -> up" in repl_text(app), 10)
        assert relay.book(app.pg).held
        await type_line(pilot, 'replace "GET /b"')
        assert await wait_for(lambda: "replaced 6 bytes cli -> up" in repl_text(app), 10)
        await type_line(pilot, "recv s")
        assert await wait_for(lambda: 'data "GET /b"' in repl_text(app), 10)
        sys_lines = "\n".join(app.query_one(SyscallPane).lines)
        assert 'sendto(' in sys_lines and "GET /b" in sys_lines
        await type_line(pilot, "relay cli up stop")
        assert await wait_for(lambda: "relay 1 ended" in repl_text(app), 10)
        assert not relay.running(app.pg)
