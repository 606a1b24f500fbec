"""``annotator serve``: the annotation app in a browser, for the team's signed-in annotators.

Each browser tab runs ``annotator annotate`` on the same store as a process of its
own, under the signed-in account's name and in ``plain`` RTL mode (xterm.js does
not reorder: the app sends visual order itself). The web side is
``annotator.serve.web``; it needs the ``serve`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from annotator.commands._common import (
    add_db_argument,
    add_schema_argument,
    existing_store_from,
    schema_from,
    store_from,
)
from annotator.errors import AnnotatorError

NAME = "serve"
HELP = "serve the annotation app to browsers (sign-in required; needs annotator[serve])"
DESCRIPTION = ("Serve the annotation app to web browsers. Annotators sign in with an account from "
               "`annotator users` (or a one-time link); each tab runs the same app as `annotator annotate` "
               "on this store under the account's name. Without accounts it listens only on loopback and "
               "prints a private sign-in link for you. See docs/serve.md for TLS and limits.")
MISSING_EXTRA = "`annotator serve` needs the serve extra: pip install 'annotator[serve]'"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; anything else needs accounts)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    add_db_argument(p)
    add_schema_argument(p)
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use, e.g. https://annotate.example.org behind a TLS reverse proxy "
                        "(https makes the session cookie Secure)")
    p.add_argument("--max-sessions", type=int, default=10, metavar="N",
                   help="browser sessions (app processes) at once (default 10)")
    p.add_argument("--idle-minutes", type=float, default=30.0, metavar="M",
                   help="close a session after M minutes without a key press or click (default 30)")


def app_command(args: argparse.Namespace) -> Callable[[str], list[str]]:
    """The app's argument list for an annotator name: no shell, the name as one ``--annotator=`` argument."""
    base = [sys.executable, "-m", "annotator", "annotate", "--db", args.db, "--rtl-mode", "plain"]
    if args.schema:
        base += ["--schema", args.schema]
    return lambda name: [*base, f"--annotator={name}"]


def run(args: argparse.Namespace) -> int:
    try:
        import aiohttp  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError:
        raise AnnotatorError(MISSING_EXTRA) from None
    from annotator.serve.accounts import new_token
    from annotator.serve.web import AnnotatorServer, ServeConfig, is_loopback, log
    from annotator.session import default_annotator
    from annotator.tui.bindings import RESERVED_HOTKEYS

    if args.max_sessions < 1:
        raise AnnotatorError("--max-sessions must be at least 1")
    if not args.idle_minutes > 0:
        raise AnnotatorError("--idle-minutes must be more than 0")
    if args.public_url and not args.public_url.lower().startswith(("http://", "https://")):
        raise AnnotatorError(f"--public-url {args.public_url!r}: must start with https:// (or http://)")
    schema_from(args, reserved=RESERVED_HOTKEYS)  # a bad schema is refused now, not in every tab
    # beyond loopback the store must already hold accounts: a refusal creates nothing
    store = store_from(args) if is_loopback(args.host) else existing_store_from(args)
    try:
        accounts = store.accounts()
        if not accounts and not is_loopback(args.host):
            raise AnnotatorError(
                f"no accounts in {args.db}: `serve` listens only on loopback (127.0.0.1, ::1) until "
                "`annotator users add NAME` creates one")
        config = ServeConfig(db=args.db, command=app_command(args), host=args.host, port=args.port,
                             public_url=args.public_url, max_sessions=args.max_sessions,
                             idle_seconds=args.idle_minutes * 60)
        if not accounts:
            config.open_link, config.open_name = new_token(), default_annotator()
        if args.public_url and not config.secure and not is_loopback(args.host):
            log("warning: the public URL is not https: passwords and sessions cross the network unencrypted; "
                "put a TLS reverse proxy in front (docs/serve.md)")
        server = AnnotatorServer(config, store)
        asyncio.run(_serve(server, config, len(accounts)))
    finally:
        store.close()
    return 0


async def _serve(server, config, accounts: int) -> None:
    from aiohttp import web

    from annotator.serve.web import log

    runner = web.AppRunner(server.app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise AnnotatorError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    port = runner.addresses[0][1]  # the real one when --port 0
    url = config.base_url(port)
    log(f"listening on {config.host}:{port}; annotators open {url}/")
    if config.open_link:
        log(f"no accounts: only you, {config.open_name}, can sign in, with this link (keep it private):")
        print(f"{url}/signin?token={config.open_link}", flush=True)
    else:
        log(f"{accounts} account(s); at most {config.max_sessions} sessions, idle ones closed after "
            f"{config.idle_seconds / 60:g} min; ctrl+c stops")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log("stopping: closing the open sessions (their work is saved)")
        await runner.cleanup()
