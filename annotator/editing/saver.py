"""One writer thread per app: store calls run there, in order, so a slow store never freezes the screen.

Why a thread and not the UI loop: a PostgreSQL commit is several round trips; run on
the UI thread it stops every key until the server answers. Why one thread: writes
must reach the store in the order they were made (undo and redo depend on it).

Contract:

* ``submit(call, done)`` queues ``call``; it runs on the writer thread after every
  call queued before it. ``done(Saved | Failed)`` runs later on the owner's thread:
  from ``deliver()``, which the owner's event loop is woken to run (``wake``), or
  from ``settle()``. Callbacks run once each, in submission order.
* A call that raises fails, and every call submitted before its failure reached the
  owner is cancelled (``Failed`` with ``cancelled=True``): they were planned on a state
  that now never happens. Calls submitted after the owner heard of the failure run.
  An ``independent`` call (a heartbeat, the cursor position) assumes nothing of the
  others: its failure cancels nothing and it is never cancelled. Nothing is retried
  or reordered.
* ``settle(timeout)`` waits until the queue is idle (or the timeout passes), then
  delivers what finished (on the owner's thread, the one that made the ``Saver``; another
  thread, a worker about to read the store, only waits). The session calls it before it touches the store itself
  (see ``session.PendingWrites``), so the store is used by one thread at a time.

Pure Python (``threading``): no Textual, testable with a fake store that sleeps or raises.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    """The call returned ``value`` (the store acknowledged it)."""

    value: T


@dataclass(frozen=True)
class Failed:
    """The call raised ``error`` (or, with ``cancelled``, never ran because an earlier one failed)."""

    error: BaseException
    cancelled: bool = False

    @property
    def message(self) -> str:
        return str(self.error) or type(self.error).__name__


Outcome = Saved[Any] | Failed
Done = Callable[[Outcome], None]


class _Job:
    __slots__ = ("call", "done", "outcome", "seq", "independent")

    def __init__(self, call: Callable[[], Any], done: Done | None, seq: int, independent: bool) -> None:
        self.call = call
        self.done = done
        self.seq = seq
        self.independent = independent
        self.outcome: Outcome | None = None


class Saver:
    """A serial write queue on one daemon thread (started on first use)."""

    def __init__(self, wake: Callable[[], object] | None = None) -> None:
        """``wake`` is called on the writer thread after each call finishes; it must only
        schedule ``deliver`` on the owner's thread (the TUI posts a Textual message)."""
        self.wake = wake
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._finished: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0  # submitted, not yet run (or cancelled)
        self._independent = 0  # independent calls submitted, not yet delivered
        self._seq = 0  # jobs submitted so far
        self._failure_unheard = False  # a call failed and the owner has not been told yet
        self._barrier = 0  # jobs numbered below this were planned before the owner heard of a failure
        self._thread: threading.Thread | None = None
        self._owner_waiting = False  # in settle(): it delivers right after, no wake needed
        self._owner = threading.current_thread()  # the callbacks run on this thread only

    # -- the owner's side ---------------------------------------------------------------
    def submit(self, call: Callable[[], Any], done: Done | None = None, *, independent: bool = False) -> None:
        """Queue ``call`` behind every earlier one; ``done`` gets its outcome on the owner's thread."""
        with self._lock:
            self._unfinished += 1
            self._independent += independent
            self._seq += 1
            job = _Job(call, done, self._seq, independent)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="annotator-saver", daemon=True)
                self._thread.start()
        self._queue.put(job)

    @property
    def pending(self) -> int:
        """Calls submitted whose outcome has not been delivered yet."""
        with self._lock:
            return self._unfinished + len(self._finished)

    @property
    def changes_pending(self) -> int:
        """``pending`` less the independent calls (a cursor position): those no change queued after them assumes,
        so a change's answer need not wait for them to be shown."""
        with self._lock:
            return self._unfinished + len(self._finished) - self._independent

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted call has run (at most ``timeout`` seconds), then deliver
        the finished ones. True when nothing is left pending. A no-op on the writer thread."""
        if self.on_worker():
            return False
        if threading.current_thread() is not self._owner:  # a worker reading the store: it waits, never delivers
            with self._idle:
                return self._idle.wait_for(lambda: self._unfinished == 0, timeout)
        with self._idle:
            self._owner_waiting = True
            self._idle.wait_for(lambda: self._unfinished == 0, timeout)
            self._owner_waiting = False
        self.deliver()
        return self.pending == 0

    def deliver(self) -> None:
        """Run the callbacks of finished calls, oldest first (on the owner's thread)."""
        while True:
            with self._lock:
                if not self._finished:
                    return
                job = self._finished.popleft()
                self._independent -= job.independent
                if isinstance(job.outcome, Failed) and not job.outcome.cancelled and not job.independent:
                    self._failure_unheard = False
                    self._barrier = self._seq + 1  # everything submitted so far assumed success
            if job.done is not None and job.outcome is not None:
                job.done(job.outcome)

    def on_worker(self) -> bool:
        return threading.current_thread() is self._thread

    def close(self, timeout: float | None = None) -> bool:
        """Finish what is queued (at most ``timeout`` seconds), deliver it, stop the thread."""
        done = self.settle(timeout)
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
        return done

    # -- the writer thread --------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                cancelled = not job.independent and (self._failure_unheard or job.seq < self._barrier)
            if cancelled:
                job.outcome = Failed(RuntimeError("an earlier change could not be saved"), cancelled=True)
            else:
                try:
                    job.outcome = Saved(job.call())
                except BaseException as exc:  # noqa: BLE001 - any failure is reported, the thread lives on
                    job.outcome = Failed(exc)
            with self._idle:
                if isinstance(job.outcome, Failed) and not cancelled and not job.independent:
                    self._failure_unheard = True
                self._finished.append(job)
                self._unfinished -= 1
                self._idle.notify_all()
                wake = not self._owner_waiting  # else settle() delivers it (it holds no stale answer)
            if wake and self.wake is not None:
                try:
                    self.wake()
                except Exception:  # e.g. the owner's loop has closed (the app ended): settle() delivers;
                    pass  # the writer thread must outlive any owner, or every later save would hang
