"""Snapshots (``/v1/snapshot``): save and restore the whole state of the Consul servers.

A snapshot is a gzipped tar archive of the Raft state: the KV store,
sessions, the catalog, ACLs, prepared queries, config entries and so on.
:meth:`Snapshot.save` streams it to a file in chunks and
:meth:`Snapshot.restore` streams a file back, so neither ever holds the
archive in memory. Both need a management token when ACLs are on.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    pass

__all__ = ['Snapshot']

#: A path, or a binary file object open for writing (save) or reading (restore).
PathOrFile = str | os.PathLike[str] | IO[bytes]

#: The first bytes of every snapshot: Consul sends a gzipped tar archive.
_GZIP = b'\x1f\x8b'


class Snapshot(Endpoint):
    """Save the servers' state to a file, and restore it from one."""

    PREFIX = 'snapshot'

    def save(self, path_or_file: PathOrFile, *, stale: bool = False) -> int:
        """Write a snapshot of the servers' state to ``path_or_file`` (``GET /v1/snapshot``).

        The archive is streamed to disk in chunks. A path is written to a
        temporary file beside it (readable by its owner only: a snapshot holds
        ACL tokens) that replaces the path only once the whole snapshot
        arrived, so a failed save leaves no partial file behind and keeps an
        older snapshot at that path; a symbolic link stays a link (its target
        is replaced that way), and a FIFO or a device is written as it is,
        never replaced. A file object is written from its current position
        and left open.

        ``consul.snapshot.last_response.index`` is the Raft index the
        snapshot was taken at.

        :param stale: let any server answer, even without a leader
        :returns: the number of bytes written
        :raises consulate.exceptions.Forbidden: the token may not take snapshots
        """
        mode = 'stale' if stale else None
        if not isinstance(path_or_file, (str, os.PathLike)):
            return self._save_to(path_or_file, mode)
        # A link is written through to its target; a FIFO or a device is written as it is.
        path = os.path.realpath(os.fspath(path_or_file))
        if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
            with open(path, 'wb') as stream:
                return self._save_to(stream, mode)
        directory, name = os.path.split(path)
        fd, partial = tempfile.mkstemp(prefix=f'.{name}.', suffix='.partial', dir=directory or '.')
        try:
            with os.fdopen(fd, 'wb') as handle:
                written = self._save_to(handle, mode)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return written

    def restore(self, path_or_file: PathOrFile) -> None:
        """Replace the servers' whole state with a saved snapshot (``PUT /v1/snapshot``).

        The file is streamed as the request body, never read whole. This
        overwrites everything (KV, sessions, catalog, ACLs...) with the
        snapshot's content; indexes go back in time, so blocking queries
        in flight see a lower index and must start over.

        :raises consulate.exceptions.ServerError: the archive is not a valid snapshot
        """
        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, 'rb') as handle:
                self._send('PUT', None, handle)
        else:
            self._send('PUT', None, path_or_file)

    def _save_to(self, handle: IO[bytes], consistency: str | None) -> int:
        written = 0
        head = b''
        for chunk in self._send('GET', consistency, None):
            if len(head) < len(_GZIP):
                head += chunk[: len(_GZIP)]
                if not _GZIP.startswith(head[: len(_GZIP)]):
                    raise self._not_a_snapshot('a body that is not a gzip archive')
            handle.write(chunk)
            written += len(chunk)
        if len(head) < len(_GZIP):
            raise self._not_a_snapshot(f'{written} bytes')
        return written

    def _not_a_snapshot(self, got: str) -> exceptions.InvalidResponse:
        """The error for an answer that is not a snapshot archive (a proxy's page, say)."""
        response = self.last_response
        assert response is not None
        return shapes.invalid(response, 'a snapshot (a gzipped tar archive)', got)

    def _send(
        self, method: str, consistency: str | None, body: IO[bytes] | None
    ) -> Iterator[bytes]:
        """Stream one request through the adapter; return the body's chunk iterator."""
        response = self._request(
            method, self._url(), None, body, consistency=consistency, raw_body=True, stream=True
        )
        chunks = response.iter_content()
        if body is not None:
            rest = b''.join(chunks)  # drain the (empty) answer so the connection can be reused
            if rest.strip():
                raise shapes.invalid(response, 'an empty answer', f'a body of {len(rest)} bytes')
        return chunks
