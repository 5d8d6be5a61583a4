"""`sockplay proxy LISTEN UPSTREAM [--udp]`: the app on a relaying proxy, or the same headless.

The proxy is the language's `proxy` command, so the app opens on a scene of one line
and the headless mode is a script of one line that keeps printing its transcript
(text or JSONL) until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any


def proxy_line(args: Any) -> str:
    from sockplay.lang.grammar import quote_word

    return " ".join(["proxy", quote_word(args.listen), quote_word(args.upstream)]
                    + (["udp"] if args.udp else []) + (["hold"] if args.hold else []))


def proxy_cli(args: Any) -> int:
    line = proxy_line(args)
    if not args.headless:
        from sockplay.tui.app import AppOptions, SockplayApp

        welcome = [
            f"sockplay proxy: clients of {args.listen} are accepted as cli1, cli2, ... and relayed to "
            f"{args.upstream} by up1, up2, ...; every chunk is a real recv and send (System calls pane).",
            "Held chunks (--hold): forward · drop · replace DATA.  relay cliN upN stop ends one client; "
            "close proxy1 stops taking clients.",
        ]
        app = SockplayApp(AppOptions(scene=[line], welcome=welcome, theme=getattr(args, "theme", None)))
        app.run()
        return int(app.return_code or 0)
    return headless(line, json_out=bool(args.json))


def headless(line: str, json_out: bool = False) -> int:
    """Run the proxy and print the transcript until interrupted; 0 on Ctrl-C/SIGTERM, 2 if it cannot start."""
    from sockplay.core import Playground, proxy
    from sockplay.lang.grammar import ScriptError
    from sockplay.lang.parser import parse_line
    from sockplay.lang.script import Runner, RunOptions

    pg = Playground(watch=False)
    runner = Runner(pg, sys.stdout, sys.stderr, RunOptions(json=json_out), "<proxy>", [line])
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        try:
            cmds = parse_line(line)
        except ScriptError as exc:
            sys.stderr.write(f"sockplay proxy: {exc.message}\n")
            return 2
        status = runner.run(cmds)
        if not proxy.proxies(pg):
            return status or 2
        sys.stdout.flush()
        while True:
            time.sleep(0.05)
            runner.drain()
    except KeyboardInterrupt:
        return 0
    finally:
        proxy.stop_all(pg)
        pg.close_all()
        runner.drain()
        sys.stdout.flush()
