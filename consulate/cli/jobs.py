"""``consulate run_once`` and ``consulate lock``: run a command while holding a Consul lock.

Both take the lock through :attr:`consulate.Consul.lock` (a session with a
TTL, renewed in the background, and the lock flags of ``consul lock``),
run the command with the terminal's stdin, stdout and stderr, and release
the lock when it exits.

When the lock is lost while the command runs, or consulate gets SIGINT,
SIGTERM or SIGHUP (see :mod:`consulate.cli.signals`), the command gets
SIGTERM, and SIGKILL if it still runs five seconds later; then the lock is
released. Run from a terminal's foreground, the command shares consulate's
process group, so it can read the terminal and gets the terminal's Ctrl-C
itself; otherwise (cron, a service manager, a script) it runs in a process
group of its own and the signals go to that whole group, so the processes it
started stop with it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from consulate import exceptions
from consulate.api.lock import HeldLock
from consulate.cli import numbers
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
    run_once_parser.add_argument(
        'lock', type=numbers.name, metavar='LOCK', help="the lock's KV key"
    )
    run_once_parser.add_argument(
        '-i',
        '--interval',
        type=numbers.seconds,
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
    lock_parser.add_argument('prefix', type=numbers.name, metavar='PREFIX')
    lock_parser.add_argument(
        '-t',
        '--timeout',
        type=numbers.seconds,
        metavar='SECONDS',
        help='give up (exit 1) after waiting this long for the lock (default: wait as long '
        'as it takes)',
    )
    lock_parser.add_argument('child', nargs='*', metavar='COMMAND')
    lock_parser.set_defaults(handler=lock)


def run_once(consul: Consul, args: argparse.Namespace) -> int:
    """``run_once``: run the command only if the lock is free (and the interval has passed)."""
    command = _command(args.child)
    consul.lock.prefix = ''
    try:
        held = consul.lock.acquire(args.lock)
    except exceptions.LockFailure:
        error(f'another process holds the lock {args.lock!r}: not running {command[0]!r}')
        return EXIT_LOCKED
    except exceptions.LockConflict:
        raise CliError(
            f'{args.lock!r} exists and is not a lock: not running {command[0]!r}'
        ) from None
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
    try:
        held = consul.lock.acquire(key, blocking=True, timeout=args.timeout)
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

    The hold watches the lock's key while the command runs, as ``consul
    lock`` does: when another session takes it, it is deleted, or the session
    cannot be renewed (``held.lost``), the command is stopped.

    :raises CliError: the command cannot be started (status 127 or 126), or
        the lock was lost while it ran (the command is stopped, status 1)
    :raises consulate.cli.signals.Interrupted: a signal came while the command
        ran; the command was stopped before it is passed on
    """
    environment = {**os.environ, **env} if env else None
    child = _Child(command, environment)
    try:
        while True:
            try:
                status = child.process.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                if held.lost.is_set():
                    child.stop()
                    raise CliError(
                        f'lost the lock {held.key!r} while {command[0]!r} ran; it was stopped'
                    ) from None
    except BaseException:
        child.stop()
        raise
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
    stored = cast('bytes | None', consul.kv.get(key, raw=True))
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


class _Child:
    """The command ``run_once`` or ``lock`` runs, and how to stop it."""

    def __init__(self, command: list[str], env: Mapping[str, str] | None) -> None:
        # In a terminal's foreground the command stays in consulate's process group.
        self.own_group = not _in_terminal_foreground()
        options: dict[str, Any] = {}
        if self.own_group:
            if sys.version_info >= (3, 11):
                options['process_group'] = 0
            else:  # pragma: no cover - Python 3.10
                options['preexec_fn'] = os.setpgrp
        try:
            self.process = subprocess.Popen(command, env=env, **options)
        except OSError as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            raise CliError(f'cannot run {command[0]!r}: {exc.strerror}', code) from None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after :data:`KILL_GRACE` seconds; to the whole group if it has one."""
        if self.process.returncode is not None and not self.own_group:
            return
        self._send(signal.SIGTERM)
        try:
            self.process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self._send(signal.SIGKILL)
            self.process.wait()

    def _send(self, signum: int) -> None:
        try:
            if self.own_group:
                # The group outlives its leader while anything it started still runs.
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except ProcessLookupError:
            pass


def _in_terminal_foreground() -> bool:
    """Whether consulate runs in the foreground of the terminal on its stdin, stdout or stderr."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False
