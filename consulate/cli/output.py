"""What every subcommand shares: the error type, exact-byte output, files and the progress bar."""

from __future__ import annotations

import contextlib
import os
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
    'write_atomically',
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


def write_atomically(path: str | None, data: bytes) -> None:
    """Write ``data`` to stdout (None or ``-``), or replace the file at ``path`` in one step.

    The bytes go to a temporary file in the same directory, which is flushed
    to disk and then renamed over ``path``: a reader never sees a partial
    file, and a failure leaves whatever was at ``path`` untouched. A new file
    is readable by its owner only; a replaced file keeps its permissions.

    :raises CliError: the file cannot be written
    """
    if path is None or path == '-':
        write_stdout(data)
        return
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
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
            os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise CliError(f'cannot write {path}: {exc.strerror}') from exc
        raise


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
