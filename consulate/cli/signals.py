"""How the command ends on a signal: one way for every subcommand.

While a subcommand runs, SIGINT (Ctrl-C), SIGTERM and SIGHUP raise
:class:`Interrupted` in the main thread. It unwinds like any exception, so a
command started by ``run_once`` or ``lock`` is stopped, locks are released
and their sessions destroyed on the way out; then the command prints
``consulate: interrupted`` (``terminated``, ``hung up``) and exits 128 plus
the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. A
second signal while consulate cleans up is ignored, so the cleanup finishes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ['MESSAGES', 'Interrupted', 'stopped_by_signals']

#: The signals that stop the command, and what it says when it gets one.
MESSAGES = {
    signal.SIGINT: 'interrupted',
    signal.SIGTERM: 'terminated',
    signal.SIGHUP: 'hung up',
}


class Interrupted(BaseException):
    """A signal asked consulate to stop (a BaseException, as KeyboardInterrupt is).

    :param detail: what was left half done, for the message
    """

    def __init__(self, signum: int, detail: str = '') -> None:
        super().__init__(signum, detail)
        self.signum = signum
        self.detail = detail

    @property
    def code(self) -> int:
        """The exit status: 128 plus the signal's number."""
        return 128 + self.signum

    def __str__(self) -> str:
        text = MESSAGES.get(signal.Signals(self.signum), f'stopped by signal {self.signum}')
        return f'{text}: {self.detail}' if self.detail else text

    def with_detail(self, detail: str) -> Interrupted:
        """The same interruption, saying what was left half done."""
        return Interrupted(self.signum, detail)


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While the block runs, the first SIGINT, SIGTERM or SIGHUP raises :class:`Interrupted`.

    Outside the main thread (where Python cannot set signal handlers) the
    block runs with the handlers it has.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if received:
            return
        received.append(signum)
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in MESSAGES}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
