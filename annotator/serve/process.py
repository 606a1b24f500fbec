"""One browser tab's app: the ``annotator annotate`` process behind a websocket.

It speaks Textual's web-driver protocol, as textual-serve's ``AppService`` does
(packets ``D``/``M`` of 1 type byte + 4 length bytes + payload; the app first
prints ``__GANGLION__``), with what a shared server needs on top: the command
is an argument list run without a shell (an annotator name can never become
shell syntax), an app that fails to start has its error shown in the tab
instead of a blank page, and stopping is bounded (asked to quit, then
terminated, then killed: every action was saved when it was made).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version

from annotator.console import terminal_safe

READY = b"__GANGLION__\n"
MAX_STDERR = 64 * 1024  # what is kept of an app's error output, to show why it ended
QUIT_GRACE = 10.0  # seconds an app has to quit when its tab closes, before it is terminated


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def terminal_message(text: str) -> bytes:
    """A message for the tab's terminal: controls escaped, lines ended as a terminal wants them."""
    lines = [terminal_safe(line) for line in text.strip().splitlines()]
    return ("\r\n" + "".join(f"  {line}\r\n" for line in lines)).encode("utf-8")


class AppProcess:
    """The app process of one websocket; ``send_bytes``/``close`` reach the browser."""

    def __init__(self, argv: list[str], *, send_bytes: Callable[[bytes], Awaitable[None]],
                 close: Callable[[], Awaitable[object]]) -> None:
        self.argv = argv
        self._send_bytes = send_bytes
        self._close = close
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stderr = bytearray()
        self.started = False  # the app printed its ready line
        self.closing = False  # the server is closing it (idle, signed out)
        self.last_input = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _environment(self, width: int, height: int) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("TEXTUAL", None)  # no devtools or debug logging from the server's own environment
        env.update({
            "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
            "TEXTUAL_FPS": "60",
            "TEXTUAL_COLOR_SYSTEM": "truecolor",
            "TERM_PROGRAM": "textual",
            "TERM_PROGRAM_VERSION": version("textual-serve"),
            "COLUMNS": str(width),
            "ROWS": str(height),
        })
        return env

    async def start(self, width: int, height: int) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._environment(width, height), start_new_session=True)
        self._task = asyncio.create_task(self._run())

    async def _send(self, kind: bytes, payload: bytes) -> None:
        process = self._process
        if process is None or process.stdin is None or process.returncode is not None:
            return
        try:
            process.stdin.write(packet(kind, payload))
            await process.stdin.drain()
        except (ConnectionError, RuntimeError):
            pass

    async def send_input(self, text: str) -> None:
        self.last_input = time.monotonic()
        await self._send(b"D", text.encode("utf-8", "surrogatepass"))

    async def send_meta(self, meta: dict) -> None:
        await self._send(b"M", json.dumps(meta).encode("utf-8"))

    async def say(self, text: str) -> None:
        """Write a message into the tab's terminal (the app's own screen is left as it is)."""
        try:
            await self._send_bytes(terminal_message(text))
        except (ConnectionError, RuntimeError):
            pass

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(4096):
            self._stderr += chunk
            del self._stderr[:-MAX_STDERR]

    async def _run(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None and process.stderr is not None
        stderr_task = asyncio.create_task(self._read_stderr(process.stderr))
        stdout = process.stdout
        try:
            for _ in range(10):
                line = await stdout.readline()
                if not line:
                    break
                if line == READY:
                    self.started = True
                    break
            while self.started:
                head = await stdout.readexactly(5)
                payload = await stdout.readexactly(int.from_bytes(head[1:], "big"))
                if head[:1] == b"D":
                    await self._send_bytes(payload)
                elif head[:1] == b"M" and json.loads(payload).get("type") == "exit":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            await process.wait()
            await stderr_task
        if process.returncode:
            why = self._stderr.decode("utf-8", "replace").strip() or f"the app ended with code {process.returncode}"
            await self.say(why + "\n\nYour work up to here is saved.")
        await self._close()

    async def stop(self, grace: float = QUIT_GRACE) -> None:
        """Ask the app to quit (it saves nothing new: everything is saved already); then end it."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            await self.send_meta({"type": "quit"})
            if not await _ended(process, grace):
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
                if not await _ended(process, 3.0):
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()


async def _ended(process: asyncio.subprocess.Process, seconds: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), seconds)
        return True
    except TimeoutError:
        return False
