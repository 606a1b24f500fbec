"""``annotator serve``'s web side without a browser: sign-in, the checks on every request, the limits.

The app behind each websocket is a stand-in speaking Textual's web-driver protocol
(it reports the arguments it was started with, echoes input and quits when asked),
so these tests are fast; tests/test_serve_browser.py runs the real app in Chromium.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the serve extra (aiohttp, textual-serve) is not installed")
pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")

from aiohttp import WSMsgType, WSServerHandshakeError  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from annotator.serve.accounts import expiry_iso, hash_password, new_token, token_digest  # noqa: E402
from annotator.serve.web import AnnotatorServer, ServeConfig  # noqa: E402
from annotator.store import open_store  # noqa: E402

FAKE_APP = textwrap.dedent('''
    import json, os, sys
    out = sys.stdout.buffer
    if os.environ.get("FAKE_FAIL"):
        sys.stderr.write("annotator: error: annotator 'amal' already has this store open\\x1b[2J\\n")
        sys.exit(2)
    out.write(b"__GANGLION__\\n"); out.flush()
    def send(kind, payload):
        out.write(kind + len(payload).to_bytes(4, "big") + payload); out.flush()
    send(b"D", json.dumps({"argv": sys.argv[1:], "pid": os.getpid()}).encode())
    inp = sys.stdin.buffer
    while True:
        head = inp.read(5)
        if len(head) < 5:
            break
        payload = inp.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"D":
            send(b"D", b"echo:" + payload)
        elif json.loads(payload).get("type") == "quit":
            send(b"M", b'{"type": "exit"}')
            break
''')
PASSWORD = "correct horse battery"
WRONG = "Wrong name, password or link."


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "serve.db"))
    s.add_account("amal", hash_password(PASSWORD))
    s.add_account("bilal", hash_password(PASSWORD))
    yield s
    s.close()


@pytest.fixture
def fake_app(tmp_path) -> Path:
    path = tmp_path / "fake_app.py"
    path.write_text(FAKE_APP, encoding="utf-8")
    return path


def make_config(fake_app: Path, **kw) -> ServeConfig:
    return ServeConfig(db="unused", command=lambda name: [sys.executable, str(fake_app), name], **kw)


class Browser:
    """A test client that behaves like a browser on our page: it sends the page's Origin."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.origin = str(client.make_url("")).rstrip("/")

    async def sign_in(self, name="amal", password=PASSWORD, **extra):
        return await self.client.post("/signin", data={"name": name, "password": password, **extra},
                                      headers={"Origin": self.origin}, allow_redirects=False)

    async def ws(self, path="/ws?width=100&height=30"):
        return await self.client.ws_connect(path, headers={"Origin": self.origin})


async def serve(store, config):
    server = AnnotatorServer(config, store)
    client = TestClient(TestServer(server.app()))
    await client.start_server()
    return server, client


async def read_until(ws, needle: bytes, timeout: float = 20.0) -> bytes:
    """Everything the tab's terminal received until ``needle`` (or the socket closed)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        msg = await asyncio.wait_for(ws.receive(), max(0.1, deadline - time.monotonic()))
        if msg.type == WSMsgType.BINARY:
            seen += msg.data
        elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            break
    return seen


def first_json(data: bytes) -> dict:
    return json.loads(data[:data.index(b"}") + 1] if b'"pid"' in data else b"{}")


# -- every request is checked -------------------------------------------------------------------


async def test_nothing_is_served_before_sign_in(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    try:
        page = await client.get("/", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "signin"
        assert (await client.get("/static/js/textual.js")).status == 403
        assert (await client.get("/static/css/xterm.css")).status == 403
        ws = await client.get("/ws", headers={"Origin": str(client.make_url("")).rstrip("/"),
                                              "Connection": "Upgrade", "Upgrade": "websocket",
                                              "Sec-WebSocket-Version": "13",
                                              "Sec-WebSocket-Key": "x3JJHMbDL1EzLkh9GBhXDw=="})
        assert ws.status == 403
        # a forged cookie is no better
        client.session.cookie_jar.update_cookies({"annotator_session": "guessed"})
        assert (await client.get("/", allow_redirects=False)).status == 303
        assert not server.running
    finally:
        await client.close()


async def test_wrong_password_and_unknown_name_get_the_same_answer(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    server.throttle.base = 0.0  # the slow-down has its own test
    browser = Browser(client)
    try:
        answers = []
        for name, password in (("amal", "not the password"), ("nobody", PASSWORD), ("", "")):
            response = await browser.sign_in(name, password)
            answers.append((response.status, (await response.text()).replace(name, "")))
            assert "annotator_session" not in response.cookies
        assert len(set(answers)) == 1 and answers[0][0] == 403 and WRONG in answers[0][1]
        assert (await client.get("/", allow_redirects=False)).status == 303
    finally:
        await client.close()


async def test_session_cookie_is_httponly_samesite_strict(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        response = await browser.sign_in()
        assert response.status == 303
        cookie = response.cookies["annotator_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
        assert cookie["path"] == "/"
        page = await client.get("/")
        assert page.status == 200 and "annotator: amal" in await page.text()
        assert page.headers["X-Frame-Options"] == "DENY"
    finally:
        await client.close()


async def test_cookie_is_secure_when_the_public_url_is_https(store, fake_app):
    config = make_config(fake_app, public_url="https://annotate.example.org")
    server, client = await serve(store, config)
    try:
        response = await client.post("/signin", data={"name": "amal", "password": PASSWORD},
                                     headers={"Origin": "https://annotate.example.org",
                                              "Host": "annotate.example.org"}, allow_redirects=False)
        assert response.status == 303
        header = response.headers["Set-Cookie"]
        assert header.startswith("__Host-annotator_session=")
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    finally:
        await client.close()


async def test_posts_and_websockets_from_another_site_are_refused(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        for origin in ("http://evil.example", "null", None):
            headers = {"Origin": origin} if origin else {}
            response = await client.post("/signin", data={"name": "amal", "password": PASSWORD}, headers=headers,
                                         allow_redirects=False)
            assert response.status == 403, origin
        assert (await browser.sign_in()).status == 303
        with pytest.raises(WSServerHandshakeError):
            await client.ws_connect("/ws", headers={"Origin": "http://127.0.0.1:1"})
        assert not server.running
        # another host name (a DNS-rebinding page) is refused outright
        assert (await client.get("/", headers={"Host": "rebind.example:80"})).status == 421
    finally:
        await client.close()


async def test_repeated_failures_are_slowed_down(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        for _ in range(3):
            await browser.sign_in("amal", "wrong password")
        started = time.monotonic()
        response = await browser.sign_in("amal", "wrong password")  # 4th: waits 0.5 * 2**2 = 2 s first
        assert response.status == 403
        assert time.monotonic() - started >= 1.5
        # ... and so does the right password from the same address until it has waited its turn
        assert server.throttle.delay("addr:127.0.0.1") >= 4.0
    finally:
        await client.close()


async def test_one_time_link_signs_in_once_and_expired_links_never(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    server.throttle.base = 0.0
    browser = Browser(client)
    token, old = new_token(), new_token()
    store.add_account_token("bilal", token_digest(token), expiry_iso(1))
    store.add_account_token("bilal", token_digest(old), expiry_iso(-1))
    try:
        form = await client.get(f"/signin?token={token}")
        assert form.status == 200 and token in await form.text()  # a GET spends nothing (link previews)
        used = await client.post("/signin", data={"token": token}, headers={"Origin": browser.origin},
                                 allow_redirects=False)
        assert used.status == 303
        assert "annotator: bilal" in await (await client.get("/")).text()
        client.session.cookie_jar.clear()
        again = await client.post("/signin", data={"token": token}, headers={"Origin": browser.origin})
        assert again.status == 403 and WRONG in await again.text()
        expired = await client.post("/signin", data={"token": old}, headers={"Origin": browser.origin})
        assert expired.status == 403
    finally:
        await client.close()


async def test_the_app_runs_under_the_accounts_name_never_the_browsers(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        await browser.sign_in("bilal")
        ws = await browser.ws("/ws?width=100&height=30&annotator=amal&name=amal")
        started = first_json(await read_until(ws, b"}"))
        assert started["argv"] == ["bilal"]
        await ws.send_str(json.dumps(["stdin", "x"]))
        assert b"echo:x" in await read_until(ws, b"echo:x")
        await ws.close()
    finally:
        await client.close()


async def test_closing_the_tab_ends_its_process(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        await browser.sign_in()
        ws = await browser.ws()
        pid = first_json(await read_until(ws, b"}"))["pid"]
        await ws.close()
        deadline = time.monotonic() + 20
        while "amal" in server.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert "amal" not in server.running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        await client.close()


async def test_one_session_per_annotator(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        await browser.sign_in()
        first = await browser.ws()
        await read_until(first, b"}")
        second = await browser.ws()
        said = await read_until(second, b"Close it first")
        assert b"amal already has a session open" in said
        assert (await second.receive()).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert list(server.running) == ["amal"]
        await first.close()
    finally:
        await client.close()


async def test_at_most_max_sessions_at_once(store, fake_app):
    server, client = await serve(store, make_config(fake_app, max_sessions=1))
    other = TestClient(client.server)  # a second browser on the same server: its own cookie jar
    amal, bilal = Browser(client), Browser(other)
    try:
        await amal.sign_in()
        first = await amal.ws()
        await read_until(first, b"}")
        await bilal.sign_in("bilal")
        refused = await bilal.ws()
        assert b"The server is full (1 sessions at once)" in await read_until(refused, b"later")
        assert list(server.running) == ["amal"]
        await first.close()
    finally:
        await other.session.close()
        await client.close()


async def test_an_idle_session_is_closed_with_a_message(store, fake_app):
    server, client = await serve(store, make_config(fake_app, idle_seconds=0.6))
    browser = Browser(client)
    try:
        await browser.sign_in()
        ws = await browser.ws()
        said = await read_until(ws, b"reload the page", timeout=20)
        assert b"Closed after 0.6 seconds without use. Your work is saved" in said
        deadline = time.monotonic() + 20
        while server.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not server.running
    finally:
        await client.close()


async def test_removing_an_account_or_changing_its_password_signs_it_out(store, fake_app):
    server, client = await serve(store, make_config(fake_app, idle_seconds=2))
    browser = Browser(client)
    try:
        await browser.sign_in()
        ws = await browser.ws()
        await read_until(ws, b"}")
        store.set_password("amal", hash_password("a new password"))
        said = await read_until(ws, b"password changed", timeout=20)
        assert b"Signed out" in said
        assert (await client.get("/", allow_redirects=False)).status == 303
        await browser.sign_in("amal", "a new password")
        assert (await client.get("/")).status == 200
        store.remove_account("amal")
        assert (await client.get("/", allow_redirects=False)).status == 303
        assert (await browser.sign_in("amal", "a new password")).status == 403
    finally:
        await client.close()


async def test_an_app_that_cannot_start_says_why_in_the_tab(store, fake_app, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        await browser.sign_in()
        ws = await browser.ws()
        said = await read_until(ws, b"saved.")
        assert b"already has this store open" in said
        assert b"\x1b[2J" not in said and b"\\x1b[2J" in said  # the message never drives the terminal
    finally:
        await client.close()


async def test_page_loads_nothing_from_another_site(store, fake_app):
    server, client = await serve(store, make_config(fake_app))
    browser = Browser(client)
    try:
        await browser.sign_in()
        page = await (await client.get("/")).text()
        assert "googleapis" not in page and "https://" not in page
        assert "'self'" in (await client.get("/")).headers["Content-Security-Policy"]
        script = await (await client.get("/static/js/textual.js")).text()
        assert "window.annotatorTerminal=this.terminal" in script
        css = await (await client.get("/static/css/xterm.css")).text()
        assert "url(" not in css.replace("url(data:", "") and "@import" not in css
        font = await client.get("/static/fonts/RobotoMono-VariableFont_wght.ttf")
        assert font.status == 200 and len(await font.read()) > 10_000
        assert (await client.get("/static/../server.py")).status == 404
        assert (await client.get("/static/templates/app_index.html")).status == 404
    finally:
        await client.close()


# -- the command --------------------------------------------------------------------------------


def annotator(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_serve_refuses_to_listen_beyond_loopback_without_accounts(tmp_path):
    missing = annotator("serve", "--host", "0.0.0.0", "--db", "team.db", cwd=tmp_path)
    assert missing.returncode == 2 and "no annotation store" in missing.stderr
    assert not (tmp_path / "team.db").exists()
    assert annotator("import", "--db", "team.db", str(Path(__file__).parents[1] / "seeds"),
                     cwd=tmp_path).returncode == 0
    refused = annotator("serve", "--host", "0.0.0.0", "--db", "team.db", cwd=tmp_path)
    assert refused.returncode == 2
    assert "no accounts in team.db: `serve` listens only on loopback" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_serve_without_the_extra_says_how_to_install_it(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "textual_serve.py").write_text("raise ImportError('not installed')\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "annotator", "serve", "--db", "x.db"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(blocker)}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("annotator: error: `annotator serve` needs the serve extra: "
                                     "pip install 'annotator[serve]'")
    assert not (tmp_path / "x.db").exists()


def test_serve_on_a_busy_port_says_so(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = annotator("serve", "--db", "t.db", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    assert f"annotator: error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
