"""The web server of ``annotator serve``: sign-in, then one app process per browser tab.

An aiohttp application of our own (not textual-serve's ``Server``), because every
request must be checked: the sign-in form and one-time links set a random session
cookie (HttpOnly, SameSite=Strict, Secure behind https), and the page, its static
files and the websocket upgrade are all refused without a valid one. The
annotator name comes from the account behind the cookie, never from the browser.
From textual-serve it takes the xterm.js front end (``static/``, served from the
installed wheel: nothing is loaded from a CDN, so it works offline) and the
protocol its ``AppService`` speaks (``annotator.serve.process``).

Long because every route and the session registry check the same cookie and account rules:
the whole security surface of ``serve`` is kept in one file to review.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import ipaddress
import json
import secrets
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from annotator.serve.accounts import MAX_NAME, MAX_PASSWORD, Throttle, token_digest, verify_password
from annotator.serve.process import AppProcess, terminal_message
from annotator.store.base import Store

SIGN_IN_HOURS = 12  # a sign-in lasts this long (or until the server stops, or the password changes)
MAX_SIGN_INS = 10_000
COOKIE = "annotator_session"
SECURE_COOKIE = "__Host-annotator_session"  # the __Host- prefix: Secure, Path=/, no Domain, by rule
STATIC = {  # what the page loads, from textual-serve's wheel; nothing else is served
    "css/xterm.css": "text/css",
    "js/textual.js": "text/javascript",
    "fonts/RobotoMono-VariableFont_wght.ttf": "font/ttf",
    "images/background.png": "image/png",
}
# textual.js keeps its xterm.js Terminal private; this exposes it (read-only use: the browser test reads
# the terminal's buffer through it, as a screen reader extension could).
TERMINAL_HOOK = ("this.terminal.open(e),", "this.terminal.open(e),window.annotatorTerminal=this.terminal,")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServeConfig:
    db: str
    command: Callable[[str], list[str]]  # the app's argument list for an annotator name
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    max_sessions: int = 10
    idle_seconds: float = 30 * 60
    open_link: str | None = None  # no accounts (loopback only): the token of the link printed at start
    open_name: str = ""  # … and who it signs in as (the local user)

    @property
    def secure(self) -> bool:
        return (self.public_url or "").lower().startswith("https://")

    @property
    def cookie(self) -> str:
        return SECURE_COOKIE if self.secure else COOKIE

    def base_url(self, actual_port: int | None = None) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{actual_port or self.port}"


@dataclass
class SignIn:
    name: str
    account_version: str | None  # the account's updated_at when signed in; None: the local open link
    created: float = field(default_factory=time.monotonic)


class AnnotatorServer:
    """Sign-ins, running apps and their limits; ``app()`` is the aiohttp application."""

    def __init__(self, config: ServeConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self._db = ThreadPoolExecutor(1, thread_name_prefix="annotator-store")  # one store, one thread
        self.sign_ins: dict[str, SignIn] = {}
        self.running: dict[str, tuple[AppProcess, web.WebSocketResponse, SignIn]] = {}
        self.throttle = Throttle()
        self._static_cache: dict[str, bytes] = {}
        self._watchdog: asyncio.Task[None] | None = None

    # -- the application -----------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.handle_page),
            web.get("/signin", self.handle_signin_form),
            web.post("/signin", self.handle_signin),
            web.get("/signout", self.handle_signout_form),
            web.post("/signout", self.handle_signout),
            web.get("/ws", self.handle_websocket),
            web.get("/static/{path:.+}", self.handle_static),
        ])
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler):
        if not self._host_ok(request):
            raise web.HTTPMisdirectedRequest(text="unknown host name")
        response = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["X-Content-Type-Options"] = "nosniff"
            # a sign-in link never leaks to another site ("no-referrer" would make Chrome send "Origin: null")
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return response

    async def _on_startup(self, app: web.Application) -> None:
        self._watchdog = asyncio.create_task(self._watch())

    async def _on_shutdown(self, app: web.Application) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        for process, ws, _ in list(self.running.values()):
            await process.say("The server is stopping. Your work is saved.")
            await ws.close()
        await asyncio.gather(*(p.stop() for p, _, _ in list(self.running.values())), return_exceptions=True)

    async def _in_store(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    # -- checks made on every request ----------------------------------------------------

    def _host_ok(self, request: web.Request) -> bool:
        """Only the names this server is reached by (a DNS-rebinding page names another)."""
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        host = host.strip("[]").lower()
        allowed = set(LOOPBACK_NAMES) | {self.config.host.lower()}
        if self.config.public_url:
            allowed.add((urlsplit(self.config.public_url).hostname or "").lower())
        return host in allowed or not is_loopback(self.config.host) and self.config.public_url is None

    def _origin_ok(self, request: web.Request) -> bool:
        """A form post or websocket must come from our own page (another site's page cannot drive a session)."""
        origin = request.headers.get("Origin")
        if not origin:
            return False
        if self.config.public_url:
            parts = urlsplit(self.config.public_url)
            return origin == f"{parts.scheme}://{parts.netloc}"
        return origin == f"{'https' if self.config.secure else 'http'}://{request.host}"

    async def signed_in(self, request: web.Request) -> SignIn | None:
        """The request's sign-in, if its cookie names a live one whose account is unchanged."""
        key = request.cookies.get(self.config.cookie, "")
        sign_in = self.sign_ins.get(key) if key else None
        if sign_in is None:
            return None
        if time.monotonic() - sign_in.created > SIGN_IN_HOURS * 3600 or not await self._still_valid(sign_in):
            self.sign_ins.pop(key, None)
            return None
        return sign_in

    async def _still_valid(self, sign_in: SignIn) -> bool:
        if sign_in.account_version is None:
            return True
        account = await self._in_store(self.store.get_account, sign_in.name)
        return account is not None and account.updated_at == sign_in.account_version

    def _remote(self, request: web.Request) -> str:
        """Who is asking: the peer, or behind a reverse proxy on this machine the address it forwards."""
        peer = request.remote or "?"
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded and is_loopback(peer):
            return forwarded.split(",")[-1].strip() or peer
        return peer

    # -- sign-in -------------------------------------------------------------------------

    async def handle_signin_form(self, request: web.Request) -> web.Response:
        return page_response(signin_page(token=request.query.get("token", "")[:200]))

    async def handle_signin(self, request: web.Request) -> web.Response:
        if not self._origin_ok(request):
            raise web.HTTPForbidden(text="refused: this form must be sent from the sign-in page")
        form = await request.post()
        token = str(form.get("token", ""))[:200]
        name = str(form.get("name", ""))[:MAX_NAME + 1]
        password = str(form.get("password", ""))[:MAX_PASSWORD + 1]
        keys = [f"addr:{self._remote(request)}"] + ([f"name:{name.casefold()}"] if name and not token else [])
        delay = self.throttle.delay(*keys)
        self.throttle.failed(*keys)  # counted before the check, so parallel guesses slow each other down
        await asyncio.sleep(delay)
        sign_in = await (self._check_token(token) if token else self._check_password(name, password))
        if sign_in is None:
            return page_response(signin_page(token=token, failed=True), status=403)
        self.throttle.succeeded(*keys)
        while len(self.sign_ins) >= MAX_SIGN_INS:
            self.sign_ins.pop(next(iter(self.sign_ins)))
        key = secrets.token_urlsafe(32)
        self.sign_ins[key] = sign_in
        response = web.HTTPSeeOther("./")
        response.set_cookie(self.config.cookie, key, httponly=True, samesite="Strict", secure=self.config.secure,
                            path="/", max_age=SIGN_IN_HOURS * 3600)
        raise response

    async def _check_password(self, name: str, password: str) -> SignIn | None:
        account = await self._in_store(self.store.get_account, name) if name else None
        encoded = account.password if account is not None else None
        ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, password, encoded)
        return SignIn(account.name, account.updated_at) if ok and account is not None else None

    async def _check_token(self, token: str) -> SignIn | None:
        given = token.encode("utf-8", "surrogatepass")
        if self.config.open_link and hmac.compare_digest(given, self.config.open_link.encode()):
            return SignIn(self.config.open_name, None)
        name = await self._in_store(self.store.use_account_token, token_digest(token))
        account = await self._in_store(self.store.get_account, name) if name else None
        return SignIn(account.name, account.updated_at) if account is not None else None

    async def handle_signout_form(self, request: web.Request) -> web.Response:
        return page_response(signout_page())

    async def handle_signout(self, request: web.Request) -> web.Response:
        if not self._origin_ok(request):
            raise web.HTTPForbidden(text="refused: this form must be sent from this site's page")
        self.sign_ins.pop(request.cookies.get(self.config.cookie, ""), None)
        response = web.HTTPSeeOther("signin")
        response.del_cookie(self.config.cookie, path="/")
        raise response

    # -- the app -------------------------------------------------------------------------

    async def handle_page(self, request: web.Request) -> web.Response:
        sign_in = await self.signed_in(request)
        if sign_in is None:
            raise web.HTTPSeeOther("signin")
        if self.config.public_url:
            ws_url = self.config.public_url.rstrip("/") + "/ws"
        else:
            ws_url = f"{'https' if self.config.secure else 'http'}://{request.host}/ws"
        ws_url = "ws" + ws_url[4:] if ws_url.startswith("http") else ws_url
        return page_response(app_page(sign_in.name, ws_url, font_size=_int(request.query.get("fontsize"), 16, 6, 64)))

    async def handle_static(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if path not in STATIC:
            raise web.HTTPNotFound()
        if await self.signed_in(request) is None:
            raise web.HTTPForbidden(text="sign in first")
        body = self._static_cache.get(path)
        if body is None:
            body = files("textual_serve").joinpath("static", *path.split("/")).read_bytes()
            if path == "js/textual.js":
                body = body.replace(TERMINAL_HOOK[0].encode(), TERMINAL_HOOK[1].encode(), 1)
            self._static_cache[path] = body
        return web.Response(body=body, content_type=STATIC[path], headers={"Cache-Control": "private, max-age=3600"})

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        sign_in = await self.signed_in(request)
        if sign_in is None:
            raise web.HTTPForbidden(text="sign in first")
        if not self._origin_ok(request):
            raise web.HTTPForbidden(text="refused: the connection must come from this site's page")
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=1 << 20)
        await ws.prepare(request)
        name = sign_in.name
        refusal = None
        if name in self.running:
            refusal = (f"{name} already has a session open on this server (another tab or window). "
                       "Close it first: one session per annotator. Your work is saved.")
        elif len(self.running) >= self.config.max_sessions:
            refusal = f"The server is full ({self.config.max_sessions} sessions at once). Try again later."
        if refusal is not None:
            await ws.send_bytes(terminal_message(refusal))
            await ws.close()
            return ws
        process = AppProcess(self.config.command(name), send_bytes=ws.send_bytes, close=ws.close)
        self.running[name] = (process, ws, sign_in)  # no await since the check: no second tab slips in
        try:
            await process.start(_int(request.query.get("width"), 80, 10, 1000),
                                _int(request.query.get("height"), 24, 5, 500))
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                await self._on_message(process, ws, message.data)
        finally:
            # aiohttp may cancel this handler when the tab goes away: the stop (and forgetting the
            # session once its process has ended) must run to the end anyway
            stopping = asyncio.ensure_future(process.stop())
            stopping.add_done_callback(lambda _: self._forget(name, process))
            await asyncio.shield(stopping)
        return ws

    def _forget(self, name: str, process: AppProcess) -> None:
        if self.running.get(name, (None,))[0] is process:
            del self.running[name]

    async def _on_message(self, process: AppProcess, ws: web.WebSocketResponse, data: str) -> None:
        try:
            envelope = json.loads(data)
            kind = envelope[0]
        except (ValueError, TypeError, IndexError, KeyError):
            return
        if kind == "stdin" and len(envelope) > 1 and isinstance(envelope[1], str):
            await process.send_input(envelope[1])
        elif kind == "resize" and len(envelope) > 1 and isinstance(envelope[1], dict):
            await process.send_meta({"type": "resize", "width": _int(envelope[1].get("width"), 80, 10, 1000),
                                     "height": _int(envelope[1].get("height"), 24, 5, 500)})
        elif kind == "ping" and len(envelope) > 1:
            await ws.send_json(["pong", str(envelope[1])[:40]])
        elif kind in ("focus", "blur"):
            await process.send_meta({"type": kind})

    async def _watch(self) -> None:
        """Close idle sessions and those whose account was removed or changed its password."""
        tick = max(0.2, min(30.0, self.config.idle_seconds / 4))
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for key, sign_in in list(self.sign_ins.items()):
                if now - sign_in.created > SIGN_IN_HOURS * 3600:
                    self.sign_ins.pop(key, None)
            for process, ws, sign_in in list(self.running.values()):
                reason = None
                if process.closing:
                    continue
                if now - process.last_input > self.config.idle_seconds:
                    reason = (f"Closed after {_minutes(self.config.idle_seconds)} without use. "
                              "Your work is saved; reload the page to go on.")
                else:
                    try:
                        valid = await self._still_valid(sign_in)
                    except Exception:  # the store is unreachable for a moment: decide next time
                        valid = True
                    if not valid:
                        reason = "Signed out: this account was removed or its password changed."
                if reason is not None:
                    process.closing = True
                    await process.say(reason)
                    await ws.close()


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


# -- pages -----------------------------------------------------------------------------------

STYLE = """
body { background: #0c181f; color: #e8eef2; font: 16px system-ui, sans-serif; margin: 0; }
main { max-width: 22rem; margin: 12vh auto; padding: 2rem; background: #12232d; border-radius: 6px; }
label { display: block; margin: 1rem 0 0.3rem; }
input { width: 100%; box-sizing: border-box; padding: 0.5rem; font-size: 1rem; }
button { margin-top: 1.5rem; padding: 0.6rem 1.4rem; font-size: 1rem; background: #5e0ba7; color: #fff; border: 0; }
.error { color: #ffb4a8; }
"""


def page_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def signin_page(*, token: str = "", failed: bool = False) -> str:
    error = '<p class="error" role="alert">Wrong name, password or link.</p>' if failed else ""
    if token:
        fields = (f'<input type="hidden" name="token" value="{html.escape(token)}">'
                  "<p>Sign in with the link you were given.</p>")
    else:
        fields = ('<label for="name">Name</label>'
                  '<input id="name" name="name" autocomplete="username" required autofocus>'
                  '<label for="password">Password</label>'
                  '<input id="password" name="password" type="password" autocomplete="current-password" required>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>annotator: sign in</title>'
            f'<meta name="viewport" content="width=device-width"><style>{STYLE}</style></head><body><main>'
            f'<h1>annotator</h1>{error}<form method="post" action="signin">{fields}'
            f'<button type="submit" id="signin">Sign in</button></form></main></body></html>')


def signout_page() -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>annotator: sign out</title>'
            f'<style>{STYLE}</style></head><body><main><h1>annotator</h1>'
            f'<form method="post" action="signout"><button type="submit" id="signout">Sign out</button></form>'
            f'<p><a href="./" style="color:#9cd">Back to the app</a></p></main></body></html>')


def app_page(name: str, websocket_url: str, *, font_size: int) -> str:
    """textual-serve's page, minus its Google Fonts link (the bundled Roboto Mono is used instead)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>annotator: {html.escape(name)}</title>
<link rel="stylesheet" href="static/css/xterm.css">
<script src="static/js/textual.js"></script>
<style>
@font-face {{ font-family: "Roboto Mono"; src: url("static/fonts/RobotoMono-VariableFont_wght.ttf"); }}
body {{ background: #0c181f; margin: 0; }}
.textual-terminal {{ position: absolute; inset: 0; opacity: 0; }}
body.-first-byte .textual-terminal {{ opacity: 1; }}
.intro {{ color: #e8eef2; font: 16px "Roboto Mono", monospace; text-align: center; margin-top: 30vh; }}
body.-first-byte .intro {{ display: none; }}
#start {{ display: none; }}
.closed {{ display: none; position: fixed; bottom: 0; left: 0; right: 0; z-index: 10; padding: 0.6rem;
  background: #12232d; color: #e8eef2; font: 15px system-ui, sans-serif; text-align: center; }}
body.-closed .closed {{ display: block; }}
.closed a, .closed button {{ color: #fff; background: #5e0ba7; border: 0; padding: 0.4rem 1rem; margin-left: 1rem;
  text-decoration: none; font-size: 15px; }}
</style></head>
<body>
<div class="intro">annotator: starting the app for {html.escape(name)}…
<button id="start" type="button">Start</button></div>
<div class="closed" role="status">Session ended; your work is saved.
<a href="./" id="restart">Start again</a><a href="signout">Sign out</a></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{html.escape(websocket_url)}"
 data-font-size="{font_size}"></div>
</body></html>"""


def log(line: str) -> None:
    print(f"annotator serve: {line}", file=sys.stderr, flush=True)
