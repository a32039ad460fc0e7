"""``consulate run_once`` and ``consulate lock``: run a command while holding a Consul lock.

Both take the lock through :attr:`consulate.Consul.lock` (a session with a
TTL, renewed in the background, and the lock flags of ``consul lock``),
run the command with the terminal's stdin, stdout and stderr, and release
the lock when it exits. As with ``consul lock``, when consulate gets SIGINT,
SIGTERM or SIGHUP, or the lock is lost while the command runs, the command
gets SIGTERM, and SIGKILL if it still runs five seconds later.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

from consulate import exceptions
from consulate.api.lock import HeldLock
from consulate.cli.output import EXIT_USAGE, CliError, error
from consulate.client import Consul

__all__ = ['JOB_COMMANDS', 'add_parsers', 'run_command', 'split_child']

#: The subcommands that run a command given after ``--``.
JOB_COMMANDS = frozenset({'run_once', 'lock'})

#: The exit status when another holder has the lock (``run_once``).
EXIT_LOCKED = 2
#: How long a command may take to exit after SIGTERM once the lock is lost.
KILL_GRACE = 5.0
#: How often the lock is checked while the command runs, in seconds.
POLL = 0.5
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def add_parsers(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``run_once`` and ``lock`` to the top-level subcommands."""
    run_once_parser = commands.add_parser(
        'run_once',
        parents=parents,
        help='run a command unless another host is running it',
        description='Take the Consul lock LOCK and run COMMAND with all its arguments; exit '
        'with its exit status. If another process holds the lock, exit 2 without running it.',
        epilog='Put "--" before the command so its options are not read as consulate\'s.',
    )
    run_once_parser.add_argument('lock', metavar='LOCK', help="the lock's KV key")
    run_once_parser.add_argument(
        '-i',
        '--interval',
        type=_seconds,
        metavar='SECONDS',
        help='run only if the last successful run (kept in LOCK_last_run) is older than this',
    )
    run_once_parser.add_argument('child', nargs='*', metavar='COMMAND')
    run_once_parser.set_defaults(handler=run_once)

    lock_parser = commands.add_parser(
        'lock',
        parents=parents,
        help='run a command while holding a lock, as "consul lock" does',
        description='Wait for the lock PREFIX/.lock, laid out as "consul lock" lays it out, '
        'run COMMAND with all its arguments while holding it, and exit with its status. '
        'The command sees CONSUL_LOCK_HELD=true.',
        epilog='Put "--" before the command so its options are not read as consulate\'s.',
    )
    lock_parser.add_argument('prefix', metavar='PREFIX')
    lock_parser.add_argument(
        '-t',
        '--timeout',
        type=_seconds,
        default=0.0,
        metavar='SECONDS',
        help='give up (exit 1) after waiting this long for the lock; 0 waits forever',
    )
    lock_parser.add_argument('child', nargs='*', metavar='COMMAND')
    lock_parser.set_defaults(handler=lock)


def run_once(consul: Consul, args: argparse.Namespace) -> int:
    """``run_once``: run the command only if the lock is free (and the interval has passed)."""
    command = _command(args.child)
    consul.lock.prefix = ''
    with _signals_raise():
        try:
            held = consul.lock.acquire(args.lock)
        except exceptions.LockFailure:
            error(f'another process holds the lock {args.lock!r}: not running {command[0]!r}')
            return EXIT_LOCKED
        with held:
            last_run_key = f'{held.key}_last_run'
            if args.interval is not None and _ran_recently(consul, last_run_key, args.interval):
                return 0
            status = run_command(consul, command, held)
            if status == 0 and args.interval is not None:
                consul.kv.set(last_run_key, str(int(time.time())))
            return status


def lock(consul: Consul, args: argparse.Namespace) -> int:
    """``lock``: wait for ``PREFIX/.lock``, run the command, release the lock."""
    command = _command(args.child)
    prefix = args.prefix.strip('/')
    if not prefix:
        raise CliError('the lock PREFIX cannot be empty', EXIT_USAGE)
    key = f'{prefix}/.lock'
    consul.lock.prefix = ''
    with _signals_raise():
        timeout = args.timeout or None
        try:
            held = consul.lock.acquire(key, blocking=True, timeout=timeout)
        except exceptions.LockFailure:
            raise CliError(f'the lock {key!r} was not free within {args.timeout:g}s') from None
        except exceptions.LockConflict:
            raise CliError(
                f'{key!r} exists and is not a lock (is it a "consul lock -n" semaphore?)'
            ) from None
        with held:
            return run_command(consul, command, held, {'CONSUL_LOCK_HELD': 'true'})


def run_command(
    consul: Consul, command: list[str], held: HeldLock, env: Mapping[str, str] | None = None
) -> int:
    """Run ``command`` while ``held`` is held; return its exit status (128+N for signal N).

    As with ``consul lock``, the command is stopped when the lock is lost
    (``held.lost``: another session took the key, it was deleted, or the
    session was destroyed, invalidated or could not be renewed).

    :raises CliError: the command cannot be started (status 127 or 126), or
        the lock was lost while it ran (the command is stopped, status 1)
    """
    environment = {**os.environ, **env} if env else None
    # Forward signals from before the start: one arriving meanwhile stops the command at once.
    with _signals_forwarded() as shutdown:
        try:
            process = subprocess.Popen(command, env=environment)
        except OSError as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            raise CliError(f'cannot run {command[0]!r}: {exc.strerror}', code) from None
        shutdown.attach(process)
        while True:
            try:
                status = process.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                shutdown.enforce()
                if held.lost.is_set():
                    _stop(process)
                    raise CliError(
                        f'lost the lock {held.key!r} while {command[0]!r} ran; it was stopped'
                    ) from None
    return 128 - status if status < 0 else status


def split_child(
    argv: Sequence[str], options_with_values: Collection[str]
) -> tuple[list[str], list[str] | None]:
    """Split a ``run_once`` or ``lock`` command line at its first ``--``.

    Everything after the first ``--`` is the command to run, options and
    all, so ``run_once LOCK -i 60 -- cmd -i x`` gives ``-i 60`` to
    consulate and ``-i x`` to ``cmd``. Any other command line is left whole.

    :param options_with_values: the options before the subcommand that take a value
    :returns: the words for the parser, and the command after ``--`` (or None)
    """
    words = list(argv)
    if '--' not in words:
        return words, None
    split = words.index('--')
    position = 0
    while position < split:
        word = words[position]
        if not word.startswith('-'):
            if word in JOB_COMMANDS:
                return words[:split], words[split + 1 :]
            break
        position += 2 if word in options_with_values else 1
    return words, None


def _command(words: list[str]) -> list[str]:
    if not words:
        raise CliError('no command to run: put it after "--"', EXIT_USAGE)
    return words


def _ran_recently(consul: Consul, key: str, interval: float) -> bool:
    """Whether the time stored in ``key`` is less than ``interval`` seconds ago."""
    stored: bytes | None = consul.kv.get(key, raw=True)
    if not stored:
        return False
    try:
        last = float(stored.decode('ascii'))
    except (UnicodeDecodeError, ValueError):
        error(f'ignoring {key!r}: it does not hold a time ({stored[:40]!r})')
        return False
    age = time.time() - last
    if age < interval:
        error(f'the last successful run was {age:.0f}s ago, less than {interval:g}s: not running')
        return True
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after :data:`KILL_GRACE` seconds."""
    process.terminate()
    try:
        process.wait(timeout=KILL_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind, so the lock and its session are released."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception while the block runs, then restore them."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated(signum)

    previous = {signum: signal.signal(signum, handler) for signum in _FORWARDED[1:]}
    try:
        yield
    except _Terminated as exc:
        raise SystemExit(128 + exc.signum) from None
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def _signals_forwarded() -> Iterator[_Shutdown]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP ask the command to stop (SIGTERM)."""
    shutdown = _Shutdown()

    def forward(signum: int, frame: FrameType | None) -> None:
        shutdown.request()

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    try:
        yield shutdown
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class _Shutdown:
    """Stop a command as ``consul lock`` does: SIGTERM, then SIGKILL after a grace period."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.since: float | None = None

    def attach(self, process: subprocess.Popen[bytes]) -> None:
        """The command has started: send it the SIGTERM asked for before, if any."""
        self.process = process
        if self.since is not None:
            process.send_signal(signal.SIGTERM)

    def request(self) -> None:
        """Send SIGTERM (once) and start the grace period."""
        if self.since is None:
            self.since = time.monotonic()
            if self.process is not None and self.process.returncode is None:
                self.process.send_signal(signal.SIGTERM)

    def enforce(self) -> None:
        """Send SIGKILL once the grace period is over and the command still runs."""
        if self.process is None or self.since is None:
            return
        if time.monotonic() - self.since > KILL_GRACE:
            self.process.kill()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}') from None
    if not 0 <= value < float('inf'):
        raise argparse.ArgumentTypeError(f'not a number of seconds: {text!r}')
    return value
