"""TLS over memory BIOs against openssl s_server, curl -k and openssl s_client, all on loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import trustme

from sockplay.core import Playground
from sockplay.lang.executor import Executor
from sockplay.lang.grammar import ScriptError
from tests.proto.conftest import free_port, need, wait_port


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Path, Path, Path]:
    ca = trustme.CA(organization_name="sockplay test CA")
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    ca_file, cert, key = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return ca_file, cert, key


@pytest.fixture
def s_server(certs: tuple[Path, Path, Path]):
    openssl = need("openssl")
    _, cert, key = certs
    port = free_port()
    p = subprocess.Popen([openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key),
                          "-alpn", "h2,http/1.1", "-quiet"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port)
        yield port, p
    finally:
        p.kill()
        p.wait(10)


def lines(res) -> str:
    return "\n".join(res.lines)


def test_tls_client_against_openssl_s_server(s_server, certs, tmp_path: Path) -> None:
    port, proc = s_server
    ca_file = certs[0]
    pg = Playground()
    ex = Executor(pg)
    keylog = tmp_path / "keys.log"
    try:
        ex.run_line(f"tls keylog {keylog}")
        ex.run_line("socket c inet stream")
        res = ex.run_line(f"connect c localhost:{port}")[-1]
        assert res.ok
        assert any(isinstance(s, str) and s.startswith('getaddrinfo("localhost"') and "127.0.0.1:" in s
                   for s in res.steps)
        res = ex.run_line(f"tls c client alpn=http/1.1 verify={ca_file}")[-1]
        text = lines(res)
        assert res.ok, text
        assert "TLSv1." in text and "ALPN http/1.1" in text and "SNI localhost" in text
        assert "sockplay test CA" in text and "SHA-256" in text
        # the handshake's records moved by real syscalls; OpenSSL's part is marked as a library call
        traces = [ln for s in res.steps if not isinstance(s, str) for ln in s.trace.splitlines()
                  if not ln.startswith("[")]  # [engine] lines are the engine's own (a timeout set, say)
        assert traces[0].startswith("sendto(") and "\\26\\3\\1" in traces[0]  # a ClientHello record
        assert any(t.startswith("recvfrom(") for t in traces)
        libs = [ev for ev in pg.journal.snapshot() if ev.kind == "lib"]
        assert any(ev.call == "SSL_do_handshake" for ev in libs)
        assert all(ev.outcome is None for ev in libs)  # never an Outcome: not a syscall
        note = [ev for ev in pg.journal.snapshot() if ev.kind == "note" and "tls" in ev.fields][-1]
        assert note.fields["tls"]["alpn"] == "http/1.1" and note.fields["tls"]["peer"]["sha256"]
        res = ex.run_line('send c "hello over tls\\n"')[-1]
        sent = [s for s in res.steps if not isinstance(s, str)]
        assert sent and b"hello" not in (sent[0].trace.encode())  # the wire carries a record, not the text
        got = proc.stdout.readline()  # s_server -quiet prints what it decrypted
        assert got == b"hello over tls\n"
        proc.stdin.write(b"answer\n")
        proc.stdin.flush()
        res = ex.run_line('recv c until "\\n"')[-1]
        assert res.final.data == b"answer\n", lines(res)
        ex.run_line('expect data "answer\\n"')
        assert ex.last.data == b"answer\n"
        assert "CLIENT_TRAFFIC_SECRET_0" in keylog.read_text() or "CLIENT_RANDOM" in keylog.read_text()
    finally:
        pg.close_all()


def test_verification_fails_clearly_with_an_unknown_ca(s_server) -> None:
    port, _ = s_server
    pg = Playground()
    ex = Executor(pg)
    try:
        ex.run_line("socket c inet stream")
        assert ex.run_line(f"connect c 127.0.0.1:{port}")[-1].ok
        res = ex.run_line("tls c client verify=on")[-1]
        text = lines(res)
        assert not res.ok
        assert "certificate verification failed" in text and "verify=CAFILE" in text
        assert ex.last.errno == "EPROTO"
    finally:
        pg.close_all()


def _server(ex: Executor, pg: Playground) -> int:
    ex.run_line("socket lis inet stream")
    ex.run_line("bind lis 127.0.0.1:0")
    ex.run_line("listen lis")
    return int(pg.getsockname("lis").value.rsplit(":", 1)[1])


def test_tls_server_selfsigned_answers_curl(tmp_path: Path) -> None:
    curl = need("curl")
    pg = Playground()
    ex = Executor(pg)
    try:
        port = _server(ex, pg)
        p = subprocess.Popen([curl, "-sk", "--max-time", "30", "--http1.1", f"https://localhost:{port}/x"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert ex.run_line("accept lis a timeout=20000")[-1].ok
        res = ex.run_line("tls a server selfsigned")[-1]
        text = lines(res)
        assert res.ok, text
        assert "throwaway CA: " in text and "SNI localhost" in text
        ca = text.split("throwaway CA: ")[1].split()[0]
        assert Path(ca).read_text().startswith("-----BEGIN CERTIFICATE-----")
        req = ex.run_line('recv a until "\\r\\n\\r\\n"')[-1]
        assert req.final.data.startswith(b"GET /x HTTP/1.1\r\n"), lines(req)
        body = b"served over TLS by sockplay\n"
        ex.run_line(f'send a "HTTP/1.1 200 OK\\r\\nContent-Length: {len(body)}\\r\\nConnection: close\\r\\n\\r\\n'
                    'served over TLS by sockplay\\n"')
        ex.run_line("tls a close")
        ex.run_line("close a")
        out, err = p.communicate(timeout=30)
        assert out == body, err
    finally:
        pg.close_all()


def test_tls_server_selfsigned_answers_openssl_s_client() -> None:
    openssl = need("openssl")
    pg = Playground()
    ex = Executor(pg)
    try:
        port = _server(ex, pg)
        p = subprocess.Popen([openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                              "-alpn", "x-test", "-ign_eof"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert ex.run_line("accept lis a timeout=20000")[-1].ok
        res = ex.run_line("tls a server selfsigned alpn=x-test")[-1]
        assert res.ok, lines(res)
        assert "ALPN x-test" in lines(res)
        p.stdin.write(b"ping\n")
        p.stdin.flush()
        got = ex.run_line('recv a until "\\n"')[-1]
        assert got.final.data == b"ping\n", lines(got)
        ex.run_line('send a "pong\\n"')
        ex.run_line("tls a close")
        ex.run_line("close a")
        out, _ = p.communicate(timeout=30)
        assert b"pong" in out
        assert b"sockplay throwaway CA" in out  # the issuer s_client saw
    finally:
        pg.close_all()


def test_tls_usage_errors() -> None:
    pg = Playground()
    ex = Executor(pg)
    try:
        with pytest.raises(ScriptError, match="cert=FILE key=FILE, or selfsigned"):
            ex.run_line("tls a server")
        with pytest.raises(ScriptError, match="does not apply to tls client"):
            ex.run_line("tls a client selfsigned")
        with pytest.raises(ScriptError, match="expected client, server or close"):
            ex.run_line("tls a clinet")
        with pytest.raises(ScriptError, match="no socket named 'a'"):
            ex.run_line("tls a client")
        pg.socket("u", "inet", "dgram")
        with pytest.raises(ScriptError, match="not a stream socket"):
            ex.run_line("tls u client")
        pg.socketpair("x", "y")
        with pytest.raises(ScriptError, match="give sni=HOST"):
            ex.run_line("tls x client")  # a unix peer has no name to check
    finally:
        pg.close_all()
