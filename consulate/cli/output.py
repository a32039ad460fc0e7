"""What every subcommand shares: the error type, exact-byte output, files and the progress bar."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from typing import BinaryIO

__all__ = [
    'EXIT_ERROR',
    'EXIT_USAGE',
    'CliError',
    'Progress',
    'error',
    'read_input',
    'write_output',
    'write_stdout',
]

#: The exit status for a failed request, a connection failure or bad file contents.
EXIT_ERROR = 1
#: The exit status for a command line that cannot be run as written.
EXIT_USAGE = 2


class CliError(Exception):
    """An expected failure: printed as ``consulate: <message>``, then exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def error(message: str) -> None:
    """Print ``consulate: <message>`` on stderr."""
    sys.stderr.write(f'consulate: {message}\n')
    sys.stderr.flush()


def write_stdout(data: bytes) -> None:
    """Write bytes to stdout exactly as they are."""
    stream: BinaryIO = sys.stdout.buffer
    stream.write(data)
    stream.flush()


def read_input(path: str | None) -> bytes:
    """The whole content of the file at ``path``, or of stdin for None or ``-``.

    :raises CliError: the file cannot be read
    """
    if path is None or path == '-':
        return sys.stdin.buffer.read()
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except OSError as exc:
        raise CliError(f'cannot read {path}: {exc.strerror}') from exc


def write_output(path: str | None, data: bytes) -> None:
    """Write ``data`` to stdout (None or ``-``), or through what ``path`` names.

    - A regular file (or nothing yet) is replaced in one step: the bytes go
      to a temporary file in the same directory, which is flushed to disk
      and renamed over it, so a reader never sees a partial file and a
      failure leaves the old one untouched. A new file is readable by its
      owner only; a replaced file keeps its permissions.
    - A symbolic link is written through: its final target is replaced the
      same way (the temporary file is made in the target's directory), and
      the link stays a link.
    - Anything else (a FIFO, ``/dev/stdout``, a terminal, a device) is
      opened and written as it is; it is never replaced.

    :raises CliError: the file cannot be written (a directory, no space, no permission)
    """
    if path is None or path == '-':
        write_stdout(data)
        return
    target = os.path.realpath(path)  # every link followed; a dangling link's target is made
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CliError(f'cannot write {path}: {exc.strerror}') from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise CliError(f'cannot write {path}: it is a directory')
    if mode is None or stat.S_ISREG(mode):
        _replace(path, target, data)
    else:
        _write_in_place(path, data)


def _replace(path: str, target: str, data: bytes) -> None:
    """Replace the regular file ``target`` (``path``, or where its links lead) in one step."""
    directory, name = os.path.split(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=directory)
    except OSError as exc:
        raise CliError(f'cannot write {path}: {exc.strerror}') from exc
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, os.stat(target).st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise CliError(f'cannot write {path}: {exc.strerror}') from exc
        raise


def _write_in_place(path: str, data: bytes) -> None:
    """Write to a FIFO or a device as it is (a FIFO waits for its reader)."""
    try:
        with open(os.open(path, os.O_WRONLY), 'wb') as stream:
            stream.write(data)
            stream.flush()
    except OSError as exc:
        raise CliError(f'cannot write {path}: {exc.strerror}') from exc


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal.

    Pass it as the ``progress`` callback of
    :meth:`consulate.api.txn.Txn.execute_batches`.
    """

    WIDTH = 30

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar for ``done`` of ``total`` operations."""
        if not self.enabled or total <= 0:
            return
        filled = self.WIDTH * done // total
        bar = '#' * filled + '.' * (self.WIDTH - filled)
        sys.stderr.write(f'\r{self.label} [{bar}] {done}/{total}')
        sys.stderr.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line, if one was drawn."""
        if self._drawn:
            sys.stderr.write('\n')
            sys.stderr.flush()
            self._drawn = False
