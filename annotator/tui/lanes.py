"""Work on the open document off the UI thread: one job at a time, in order, answered only while current.

Scanning a big document (counting its invisible characters, a recommender tokenizing it) takes
seconds, so it runs in a Textual thread worker. A ``Lane`` runs its jobs one after the other in
the order they were given (a learning recommender is observed, then asked to propose, never both
at once), and a job hands its answers to the UI thread with ``Job.on_ui``, which runs them there
only while the job is *current*: the screen's ``era`` (which document opening) is still the one the
job was given in. An answer for a document the annotator has left is dropped (``Stale`` ends the
job quietly) and the next opening asks again, so nothing is applied twice or to the wrong
document. A job given with ``inline`` (a small document) runs at once on the UI thread when the
lane is idle: the same order and answers, without a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["Lane", "Job", "Stale"]

T = TypeVar("T")


class Stale(Exception):
    """The job's document opening is over: its answers are not wanted any more."""


class Job:
    """What a job's work is given: a way to run something on the UI thread while still current."""

    def __init__(self, lane: Lane, era: Hashable, inline: bool, current_only: bool) -> None:
        self.lane = lane
        self.era = era
        self.inline = inline
        self.current_only = current_only

    @property
    def current(self) -> bool:
        return self.lane.era() == self.era

    def on_ui(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the UI thread (waiting for its result); ``Stale`` when the era has moved on."""
        if self.inline:
            if not self.current:
                raise Stale
            return fn()

        def checked() -> T:
            if not self.current:
                raise Stale
            return fn()
        if self.lane.closed:
            raise Stale
        try:
            return self.lane.host.app.call_from_thread(checked)
        except RuntimeError:  # the app is no longer running (it was quit meanwhile)
            raise Stale from None


class Lane:
    """Jobs run one at a time in a worker, first given first run (``submit``)."""

    def __init__(self, host: Any, name: str, era: Callable[[], Hashable]) -> None:
        """``host`` is the widget or screen that runs the workers; ``era()`` says which document
        opening is current (compared by equality)."""
        self.host = host
        self.name = name
        self.era = era
        self.closed = False
        self.threads: list[int] = []  # idents of the threads that ran jobs (for tests)
        self._turn = threading.Condition()
        self._issued = 0  # tickets given
        self._serving = 0  # the ticket whose turn it is

    @property
    def idle(self) -> bool:
        with self._turn:
            return self._serving == self._issued

    def submit(self, work: Callable[[Job], None], *, description: str, inline: bool = False,
               current_only: bool = True) -> None:
        """Run ``work(job)`` after every job given before; in a thread worker unless ``inline`` and the
        lane is idle. With ``current_only`` a job whose era is over by its turn is skipped."""
        job = Job(self, self.era(), False, current_only)
        if inline and self.idle:
            job.inline = True
            try:
                work(job)
            except Stale:
                pass
            return
        with self._turn:
            ticket = self._issued
            self._issued += 1
        self.host.run_worker(lambda: self._run(ticket, job, work), thread=True, group=f"lane-{self.name}",
                             description=description)  # (no partial: Textual describes a worker by its repr)

    def _run(self, ticket: int, job: Job, work: Callable[[Job], None]) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._serving == ticket)
        try:
            if not self.closed and not (job.current_only and not job.current):
                self.threads.append(threading.get_ident())
                work(job)
        except Stale:
            pass
        finally:
            with self._turn:
                self._serving += 1
                self._turn.notify_all()

    def close(self) -> None:
        """The screen is going: jobs still queued are skipped, answers not delivered."""
        self.closed = True
