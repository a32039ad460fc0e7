"""Snapshot save and restore against a real agent of this module's own.

Restoring a snapshot replaces the whole state of the servers, so these tests
use an agent no other test module shares.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent


@pytest.fixture(scope='module')
def agent() -> Iterator[ConsulAgent]:
    with ConsulAgent() as started:
        yield started


@pytest.fixture
def client(agent: ConsulAgent) -> Iterator[consulate.Consul]:
    with agent.client() as consul:
        yield consul


class RecordingWriter(io.RawIOBase):
    """A binary file that keeps what is written and the size of each write."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.writes: list[int] = []

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += chunk
        self.writes.append(len(chunk))
        return len(chunk)


class RecordingReader(io.BufferedReader):
    """A binary file that records the size of each read."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(raw)  # type: ignore[arg-type]
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk


def whole_store(consul: consulate.Consul) -> list[tuple[str, int, Any]]:
    """Every key with its flags and exact stored bytes."""
    return sorted(consul.kv.records(raw=True))


def test_save_then_restore_brings_the_kv_store_back_exactly(
    client: consulate.Consul, tmp_path: Path
) -> None:
    client.kv.set_record('snap/text', 7, 'hello')
    client.kv.set_record('snap/binary', 2**64 - 1, bytes(range(256)) * 3)
    client.kv.set_record('snap/empty', 0, None)
    client.kv.set_record('snap/ünï cödé?#%', 42, '{"json": true}')
    client.kv.set_record('snap/deep/er/key', 1, b'\x00\xff\x00')
    before = whole_store(client)
    assert len(before) >= 5
    path = tmp_path / 'consul.snap'

    written = client.snapshot.save(path)

    assert written == path.stat().st_size > 0
    assert client.snapshot.last_response is not None
    assert client.snapshot.last_response.index
    client.kv.set_record('snap/text', 8, 'changed')
    client.kv.delete('snap/binary')
    client.kv.delete('snap/deep', recurse=True)
    client.kv['snap/new'] = 'added after the snapshot'
    assert whole_store(client) != before

    client.snapshot.restore(path)

    assert whole_store(client) == before
    assert client.kv.get('snap/binary', raw=True) == bytes(range(256)) * 3


def test_save_writes_a_gzipped_tar_in_chunks(client: consulate.Consul) -> None:
    blob = os.urandom(200_000)  # incompressible, so the archive is larger than one chunk
    for number in range(5):
        client.kv[f'chunks/{number}'] = blob
    target = RecordingWriter()
    try:
        written = client.snapshot.save(target)
    finally:
        client.kv.delete('chunks', recurse=True)
    assert written == len(target.data) > 1_000_000
    assert len(target.writes) > 10
    assert max(target.writes) <= 1 << 16
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(bytes(target.data)))) as archive:
        assert {'meta.json', 'state.bin', 'SHA256SUMS'} <= set(archive.getnames())


def test_restore_streams_a_file_object(client: consulate.Consul, tmp_path: Path) -> None:
    blob = os.urandom(300_000)
    client.kv['stream/blob'] = blob
    path = tmp_path / 'big.snap'
    client.snapshot.save(str(path))
    client.kv.delete('stream/blob')
    size = path.stat().st_size

    with open(path, 'rb', buffering=0) as raw:
        reader = RecordingReader(raw)  # type: ignore[arg-type]
        client.snapshot.restore(reader)

    assert client.kv.get('stream/blob', raw=True) == blob
    assert sum(reader.reads) == size
    assert max(reader.reads) < size  # sent piece by piece, never read whole
    client.kv.delete('stream/blob')


def test_stale_save_works(agent: ConsulAgent) -> None:
    with agent.client(consistency='consistent') as client:  # per-call stale wins
        target = io.BytesIO()
        assert client.snapshot.save(target, stale=True) == len(target.getvalue()) > 0
        assert target.getvalue()[:2] == b'\x1f\x8b'
        assert client.snapshot.save(io.BytesIO()) > 0


def test_restoring_garbage_raises_and_changes_nothing(
    client: consulate.Consul, tmp_path: Path
) -> None:
    client.kv['garbage/kept'] = 'still here'
    path = tmp_path / 'garbage.snap'
    path.write_bytes(b'this is not a snapshot')
    with pytest.raises(exceptions.ServerError, match='failed to decompress snapshot'):
        client.snapshot.restore(path)
    assert client.kv['garbage/kept'] == 'still here'
    client.kv.delete('garbage/kept')


def test_a_refused_save_leaves_no_file(consul_acl_agent: ConsulAgent, tmp_path: Path) -> None:
    path = tmp_path / 'refused.snap'
    with consul_acl_agent.client() as anonymous:
        with pytest.raises(exceptions.Forbidden):
            anonymous.snapshot.save(path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_keeps_the_older_snapshot(
    client: consulate.Consul, consul_acl_agent: ConsulAgent, tmp_path: Path
) -> None:
    path = tmp_path / 'kept.snap'
    client.snapshot.save(path)
    good = path.read_bytes()
    with consul_acl_agent.client() as anonymous, pytest.raises(exceptions.Forbidden):
        anonymous.snapshot.save(path)
    assert path.read_bytes() == good
    assert list(tmp_path.iterdir()) == [path]


def test_save_writes_through_a_symlink_and_into_a_fifo(
    client: consulate.Consul, tmp_path: Path
) -> None:
    (tmp_path / 'store').mkdir()
    target = tmp_path / 'store' / 'consul.snap'
    link = tmp_path / 'latest.snap'
    link.symlink_to(target)
    size = client.snapshot.save(str(link))
    assert link.is_symlink() and target.stat().st_size == size
    assert sorted(os.listdir(tmp_path / 'store')) == ['consul.snap']
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    size = client.snapshot.save(str(fifo))
    reader.join(30)
    assert len(received[0]) == size and received[0][:2] == b'\x1f\x8b'
    assert stat.S_ISFIFO(fifo.stat().st_mode)
