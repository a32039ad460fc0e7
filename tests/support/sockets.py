"""What a process has open: its TCP connections to a port, and servers that never answer.

A *silent* server accepts connections and reads nothing, or reads and never
answers: a fault a real agent does not produce on demand (a frozen agent
still completes the TCP handshake in its kernel), used for timeout tests.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from types import TracebackType

__all__ = ['SilentServer', 'connections_to']


def connections_to(port: int, pid: int | str = 'self') -> int:
    """How many established TCP connections process ``pid`` has open to ``port`` on this host."""
    inodes = set()
    for fd in Path(f'/proc/{pid}/fd').iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[8:-1])
    count = 0
    for table in ('tcp', 'tcp6'):
        path = Path(f'/proc/{pid}/net/{table}')
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(':', 1)[1], 16)
            if remote_port == port and fields[3] == '01' and fields[9] in inodes:
                count += 1
    return count


class SilentServer:
    """A TCP (or UNIX socket) server that accepts connections and never answers.

    :param unix: a socket path to listen on instead of 127.0.0.1
    :param read: read what clients send (else their writes fill the buffers and block)
    """

    def __init__(self, unix: str | None = None, read: bool = True) -> None:
        family = socket.AF_UNIX if unix else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind(unix or ('127.0.0.1', 0))
        self._listener.listen(64)
        self._read = read
        self._held: list[socket.socket] = []
        self._closed = False
        self.addr = f'unix://{unix}' if unix else f'127.0.0.1:{self._listener.getsockname()[1]}'
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        self._listener.close()
        for held in self._held:
            held.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)
            if self._read:
                threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    @staticmethod
    def _drain(connection: socket.socket) -> None:
        try:
            while connection.recv(65536):
                pass
        except OSError:
            pass
