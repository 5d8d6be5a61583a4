"""How long sockplay takes to start: `sockplay run` of a short script, and the app to its prompt.

Each figure is the least of several runs in fresh processes (the machine is
shared, so the least is the cost with the least interference):

- `sockplay run` of a three-line script, and `python -c 'import socket'` beside
  it: CPU time (user + system) of the whole process;
- the app headless (Textual's `run_test`, 120x40, the demo scene) up to its
  first screen: CPU time of the process when `run_test` hands over, and of
  that, the time spent importing the app;
- the real `sockplay` in a tmux pane (when tmux is installed): the wall time
  from launch until the REPL's prompt is drawn on the pane (capture-pane every
  10 ms), and the process's CPU time at that moment (from /proc).

`python -m sockplay.bench_startup` prints them; `make bench` prints them too. The
file imports only the standard library and starts every process from an empty
folder, so it also measures another tree of sockplay as it stands:
`PYTHONPATH=/tmp/main python sockplay/bench_startup.py` (after `git archive main
sockplay | tar -x -C /tmp/main` and `python -m compileall -q /tmp/main/sockplay`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

RUNS = 7
TMUX_RUNS = 5
PROMPT_HINT = "type a command"  # the REPL's placeholder: drawn once the prompt is on screen
_nowhere: list[str] = []


def nowhere() -> str:
    """An empty folder for the children to start in: no sockplay there to shadow PYTHONPATH's."""
    if not _nowhere:
        _nowhere.append(tempfile.mkdtemp(prefix="sockplay-bench-cwd-"))
        atexit.register(shutil.rmtree, _nowhere[0], True)
    return _nowhere[0]

APP_CHILD = """
import asyncio, os
def cpu():
    t = os.times()
    return t.user + t.system
from sockplay.tui.app import AppOptions, SockplayApp
imported = cpu()
async def main():
    app = SockplayApp(AppOptions(history_file=""))
    async with app.run_test(size=(120, 40)):
        print(f"{imported:.4f} {cpu():.4f}", flush=True)
asyncio.run(main())
"""


def _child_cpu(argv: list[str]) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, capture_output=True, check=False, cwd=nowhere())
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime


def headless() -> dict[str, float]:
    """Least CPU seconds of RUNS runs: `sockplay run` of a three-line script, `import socket`."""
    tmp = tempfile.mkdtemp(prefix="sockplay-bench-")
    try:
        script = os.path.join(tmp, "three.sp")
        with open(script, "w") as f:
            f.write("socketpair a b\nsend a hi\nrecv b 2\n")
        out = {}
        for label, argv in (("sockplay run", [sys.executable, "-m", "sockplay", "run", script]),
                            ("import socket", [sys.executable, "-c", "import socket"])):
            out[label] = min(_child_cpu(argv) for _ in range(RUNS))
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def app_first_screen(runs: int = RUNS) -> dict[str, float]:
    """Least CPU seconds to the app's first screen (headless), and to the end of its import."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        p = subprocess.run([sys.executable, "-c", APP_CHILD], capture_output=True, text=True, check=False,
                           cwd=nowhere())
        try:
            imported, screen = (float(x) for x in p.stdout.split()[:2])
        except ValueError:
            raise RuntimeError(f"the app did not start: {p.stderr.strip()[-500:]}") from None
        if screen < best[1]:
            best = (imported, screen)
    return {"import": best[0], "first screen": best[1]}


def _proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tmux_prompt(runs: int = TMUX_RUNS, timeout: float = 60.0) -> dict[str, float] | None:
    """Least wall and CPU seconds from launching `sockplay` in tmux to its prompt on the pane; None without tmux."""
    if shutil.which("tmux") is None:
        return None
    walls: list[float] = []
    cpus: list[float] = []
    tmux = ["tmux", "-L", f"sockplay-bench-{os.getpid()}"]  # a server of its own: no one else's sessions
    # a session that outlives the runs keeps the server up: one that exits with its last session
    # refuses the next new-session while it shuts down ("server exited unexpectedly")
    subprocess.run([*tmux, "new-session", "-d", "-s", "keep", "sleep 3600"], check=True)
    sock = subprocess.run([*tmux, "display-message", "-p", "#{socket_path}"],
                          capture_output=True, text=True, check=False).stdout.strip()
    try:
        for i in range(runs):
            session = f"startup-{i}"
            # a tmux server has its own environment: PYTHONPATH (another tree to measure) is passed on
            pythonpath = os.environ.get("PYTHONPATH")
            env = f"env PYTHONPATH={shlex.quote(pythonpath)} " if pythonpath else ""
            cmd = f"exec {env}{shlex.quote(sys.executable)} -m sockplay"
            t0 = time.perf_counter()
            subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", nowhere(), cmd],
                           check=True)
            try:
                pid = int(subprocess.run([*tmux, "list-panes", "-t", session, "-F", "#{pane_pid}"],
                                         capture_output=True, text=True, check=True).stdout.split()[0])
                while time.perf_counter() - t0 < timeout:
                    pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", session],
                                          capture_output=True, text=True, check=False).stdout
                    if PROMPT_HINT in pane:
                        walls.append(time.perf_counter() - t0)
                        cpus.append(_proc_cpu(pid))
                        break
                    time.sleep(0.01)
            finally:
                subprocess.run([*tmux, "kill-session", "-t", session], capture_output=True, check=False)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
        if sock:
            with contextlib.suppress(OSError):
                os.unlink(sock)  # the killed server may leave its socket file behind
    if not walls:
        return None
    return {"wall": min(walls), "cpu": min(cpus)}


def report(note: str = "") -> list[str]:
    """The startup lines `make bench` prints; `note` ends the first one."""
    st = headless()
    lines = [f"  startup: `sockplay run` of a 3-line script {st['sockplay run'] * 1000:.0f} ms of CPU "
             f"(python -c 'import socket': {st['import socket'] * 1000:.0f} ms{note})"]
    app = app_first_screen()
    lines.append(f"  startup: the app to its first screen (headless, 120x40) {app['first screen']:.2f} s of CPU, "
                 f"of which importing it {app['import']:.2f} s")
    t = tmux_prompt()
    if t is None:
        lines.append("  startup: the app in a terminal: not measured (no tmux)")
    else:
        lines.append(f"  startup: `sockplay` in tmux, launch to the prompt drawn: {t['wall']:.2f} s "
                     f"({t['cpu']:.2f} s of CPU)")
    return lines


def main() -> None:
    print("\n".join(report()))


if __name__ == "__main__":
    main()
