"""Work on the open document off the UI thread: one job at a time, in order, answered only while current.

Scanning a big document (counting its invisible characters, a recommender tokenizing it) takes
seconds, so it runs off the UI thread. A ``Lane`` runs its jobs one after the other, in the
order they were given (a learning recommender is observed, then asked to propose, never both
at once), on a daemon thread of its own: quitting never waits for a scan, and jobs waiting their
turn hold no thread. A job hands its answers to the UI thread with ``Job.on_ui``, which runs
them there only while the job is *current*: the screen's ``era`` (which document opening) is
still the one the job was given in. An answer for a document the annotator has left is dropped
(``Stale`` ends the job quietly) and the next opening asks again, so nothing is applied twice
or to the wrong document. A job given with ``inline`` (a small document) runs at once on the UI
thread when the lane is idle: the same order and answers, without a thread. While a lane is
busy a Textual worker waits for it, so ``App.workers.wait_for_complete`` covers its jobs.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["Lane", "Job", "Stale"]

T = TypeVar("T")
POLL = 0.02  # seconds between the waiting worker's looks at a busy lane


class Stale(Exception):
    """The job's document opening is over: its answers are not wanted any more."""


class Job:
    """What a job's work is given: a way to run something on the UI thread while still current."""

    def __init__(self, lane: Lane, era: Hashable, current_only: bool) -> None:
        self.lane = lane
        self.era = era
        self.current_only = current_only
        self.inline = False

    @property
    def current(self) -> bool:
        return self.lane.era() == self.era

    def on_ui(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the UI thread (waiting for its result); ``Stale`` when the era has moved on."""
        def checked() -> T:
            if self.lane.closed or not self.current:
                raise Stale
            return fn()
        if self.inline:
            return checked()
        if self.lane.closed:
            raise Stale
        app = self.lane.host.app
        if not app.is_running:
            raise Stale
        return app.call_from_thread(checked)


class Lane:
    """Jobs run one at a time on a thread of the lane's, first given first run (``submit``)."""

    def __init__(self, host: Any, name: str, era: Callable[[], Hashable]) -> None:
        """``host`` is the screen the answers go to (its ``app`` runs them); ``era()`` says which
        document opening is current (compared by equality)."""
        self.host = host
        self.name = name
        self.era = era
        self.closed = False
        self.threads: list[int] = []  # idents of the threads that ran jobs (for tests)
        self._lock = threading.Lock()
        self._jobs: deque[tuple[Job, Callable[[Job], None]]] = deque()
        self._busy = False  # a job is queued or running

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._busy

    def submit(self, work: Callable[[Job], None], *, description: str, inline: bool = False,
               current_only: bool = True) -> None:
        """Run ``work(job)`` after every job given before: on the lane's thread, or at once on this
        one when ``inline`` and the lane is idle. With ``current_only`` a job whose era is over by
        its turn is skipped."""
        job = Job(self, self.era(), current_only)
        with self._lock:
            start = not self._busy
            if not (inline and start):
                self._jobs.append((job, work))
                self._busy = True
        if inline and start:
            job.inline = True
            try:
                work(job)
            except Stale:
                pass
            return
        if start:
            threading.Thread(target=self._drain, name=f"lane-{self.name}", daemon=True).start()
            self.host.run_worker(self._until_idle(), group=f"lane-{self.name}", description=description)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._busy = False
                    return
                job, work = self._jobs.popleft()
            if self.closed or (job.current_only and not job.current):
                continue
            self.threads.append(threading.get_ident())
            try:
                work(job)
            except Stale:
                pass

    async def _until_idle(self) -> None:
        while not self.idle:
            await asyncio.sleep(POLL)

    def close(self) -> None:
        """The screen is going: jobs still queued are skipped, answers not delivered."""
        self.closed = True
