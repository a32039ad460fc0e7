"""The benchmark's concurrent workloads: gangs of threads doing kv gets, and sets of open watches.

A :class:`Gang` is a fixed set of threads, each with its own operation (in
this benchmark a kv get through a client all the threads share: consulate's
client, the requests floor's Session, py-consul's ``consul.Consul``), started
once; each call hands every thread the same number of operations and waits
for all of them, so thread start-up is never timed.

A :class:`WatchSet` opens ``count`` long-polling watches, each in its own
thread, before a batch and stops them after it: the threads are released by
one transaction that changes every watched key, so no batch waits for a
blocking query to time out.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Op = Callable[[], Any]
#: ``(op, close)``: one thread's operation and what releases its connection.
ThreadOp = tuple[Op, Callable[[], None]]
#: ``watch(index, stop, ready)``: follow watched key ``index`` until ``stop`` is set;
#: call ``ready()`` once the first answer came back.
WatchLoop = Callable[[int, threading.Event, Callable[[], None]], None]

#: How long each blocking query of a watch waits, in seconds (Consul's ``wait``).
WATCH_WAIT = 2.0
#: The longest a gang or a watch set waits for its threads before giving up.
DEADLINE = 60.0
#: How long the watches are given, after their first answers, to send their blocking
#: queries before a batch starts (50 threads on a loaded machine can take a while).
SETTLE = 0.25


class Gang:
    """``threads`` threads that each run ``each`` operations per call of the gang.

    :param make: builds one thread's operation (called in that thread)
    """

    def __init__(self, make: Callable[[], ThreadOp], threads: int, each: int) -> None:
        self.threads = threads
        self.each = each
        self._make = make
        self._jobs: list[queue.SimpleQueue[int | None]] = []
        self._done: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []

    def __call__(self) -> None:
        if not self._workers:
            self._start()
        for jobs in self._jobs:
            jobs.put(self.each)
        self._collect()

    def close(self) -> None:
        for jobs in self._jobs:
            jobs.put(None)
        for worker in self._workers:
            worker.join(DEADLINE)
        self._jobs, self._workers = [], []

    def _start(self) -> None:
        self._jobs = [queue.SimpleQueue() for _ in range(self.threads)]
        self._workers = [
            threading.Thread(target=self._work, args=(jobs,), daemon=True) for jobs in self._jobs
        ]
        for worker in self._workers:
            worker.start()
        self._collect()  # every thread has built its operation

    def _collect(self) -> None:
        errors = [self._done.get(timeout=DEADLINE) for _ in self._jobs]
        failed = [error for error in errors if error is not None]
        if failed:
            raise RuntimeError(f'{len(failed)} of {self.threads} threads failed') from failed[0]

    def _work(self, jobs: queue.SimpleQueue[int | None]) -> None:
        try:
            op, close = self._make()
        except BaseException as error:  # reported by the caller
            self._done.put(error)
            return
        self._done.put(None)
        try:
            while (count := jobs.get()) is not None:
                try:
                    for _ in range(count):
                        op()
                except BaseException as error:  # reported by the caller
                    self._done.put(error)
                else:
                    self._done.put(None)
        finally:
            close()


class WatchSet:
    """``count`` watches, each in its own thread, open from :meth:`open` to :meth:`close`.

    :param loop: one watch's loop
    :param wake: changes every watched key at once, so that each blocking query returns
    """

    def __init__(self, loop: WatchLoop, count: int, wake: Callable[[], None]) -> None:
        self.count = count
        self._loop = loop
        self._wake = wake
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ready = threading.Semaphore(0)
        self._errors: list[BaseException] = []

    def open(self) -> None:
        """Start the watches; return once every one has its first answer and is long polling."""
        self._stop = threading.Event()
        self._errors = []
        self._threads = [
            threading.Thread(target=self._run, args=(index,), daemon=True)
            for index in range(self.count)
        ]
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + DEADLINE
        for _ in self._threads:
            if not self._ready.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise RuntimeError('the watches did not start in time')
        self._check()
        time.sleep(SETTLE)

    def close(self) -> None:
        """Stop every watch: set the flag, change the keys, wait for the threads."""
        self._stop.set()
        self._wake()
        for thread in self._threads:
            thread.join(DEADLINE)
        alive = sum(thread.is_alive() for thread in self._threads)
        self._threads = []
        if alive:
            raise RuntimeError(f'{alive} watches did not stop')
        self._check()

    def _run(self, index: int) -> None:
        readied = False

        def ready() -> None:
            nonlocal readied
            if not readied:
                readied = True
                self._ready.release()

        try:
            self._loop(index, self._stop, ready)
        except BaseException as error:  # reported by open() or close()
            self._errors.append(error)
        finally:
            ready()

    def _check(self) -> None:
        if self._errors:
            raise RuntimeError(f'{len(self._errors)} watches failed') from self._errors[0]
