"""Semaphores against a real agent, with ``consul lock -n N`` from the Consul binary as the peer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate import exceptions
from consulate.api.semaphore import SEMAPHORE_FLAGS
from consulate.testing import ConsulAgent, consul_binary
from tests.support.holds import eventually, hold_threads
from tests.support.proxy import RecordingProxy


def consul_lock(consul_agent: ConsulAgent, *args: str) -> list[str]:
    return [consul_binary(), 'lock', *args]


def peer_env(consul_agent: ConsulAgent) -> dict[str, str]:
    return {'PATH': os.environ.get('PATH', ''), 'CONSUL_HTTP_ADDR': consul_agent.http_addr}


def stored(consul: consulate.Consul, prefix: str) -> dict[str, object] | None:
    """The JSON in ``PREFIX/.lock`` as Consul stores it, or None."""
    value = consul.kv.get(f'{prefix}/.lock', raw=True)
    return None if value is None else json.loads(value)


def our_sessions(consul: consulate.Consul) -> set[str]:
    return {s['ID'] for s in consul.session.list()}


@pytest.fixture
def peer(consul_agent: ConsulAgent, tmp_path: Path) -> Iterator[Peer]:
    peer = Peer(consul_agent, tmp_path)
    yield peer
    peer.stop()


class Peer:
    """``consul lock -n N PREFIX`` holding a slot until told to stop (or 30 s have passed)."""

    def __init__(self, consul_agent: ConsulAgent, directory: Path) -> None:
        self.consul_agent = consul_agent
        self.started = directory / 'peer-started'
        self.stopping = directory / 'peer-stop'
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, prefix: str, limit: int) -> None:
        script = (
            f'touch {self.started}; i=0; '
            f'while [ ! -e {self.stopping} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done'
        )
        self.process = subprocess.Popen(
            consul_lock(self.consul_agent, '-n', str(limit), prefix, script),
            env=peer_env(self.consul_agent),
            stdout=subprocess.DEVNULL,
        )
        eventually(self.started.exists, timeout=20)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.stopping.touch()
        try:
            return self.process.wait(timeout=15)
        finally:
            self.process.kill()
            self.process.wait()


def test_layout_is_consul_locks(consul: consulate.Consul, prefix: str) -> None:
    before = our_sessions(consul)
    slot = consul.semaphore.acquire(prefix, 2, value={'host': 'a'})
    with slot:
        contender = consul.kv.get_record(f'{prefix}/{slot.session_id}')
        assert slot.key == contender['Key']
        assert (contender['Flags'], contender['Session']) == (SEMAPHORE_FLAGS, slot.session_id)
        assert contender['Value'] == '{"host": "a"}'
        lock = consul.kv.get_record(f'{prefix}/.lock')
        assert lock['Flags'] == SEMAPHORE_FLAGS and 'Session' not in lock
        raw = consul.kv.get(f'{prefix}/.lock', raw=True)
        assert raw == b'{"Limit":2,"Holders":{"%s":true}}' % slot.session_id.encode()
        session = consul.session.info(slot.session_id)
        assert (session['Behavior'], session['TTL']) == ('delete', '15s')
        assert consul.semaphore.holders(prefix) == [slot.session_id]
    assert not slot.held and not slot.lost.is_set()
    slot.release()  # twice is harmless
    assert consul.kv.entries(f'{prefix}/') == []  # the last one out removes .lock
    assert our_sessions(consul) == before
    eventually(lambda: not hold_threads())


def test_python_and_consul_lock_share_the_slots_both_ways(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, peer: Peer, tmp_path: Path
) -> None:
    peer.start(prefix, 2)
    with consul.semaphore.acquire(prefix, 2) as mine:
        holders = stored(consul, prefix)
        assert holders is not None and holders['Limit'] == 2
        assert mine.session_id in holders['Holders']  # type: ignore[operator]
        assert len(holders['Holders']) == 2  # type: ignore[arg-type]
        with pytest.raises(exceptions.LockFailure, match='all 2 slots'):
            consul.semaphore.acquire(prefix, 2)
        ran = tmp_path / 'ran'
        refused = subprocess.run(
            consul_lock(consul_agent, '-n', '2', '-timeout=500ms', prefix, f'touch {ran}'),
            env=peer_env(consul_agent),
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert refused.returncode != 0 and not ran.exists()
    waited = subprocess.run(
        consul_lock(consul_agent, '-n', '2', '-timeout=10s', prefix, f'touch {ran}'),
        env=peer_env(consul_agent),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert waited.returncode == 0 and ran.exists()
    assert peer.stop() == 0


def test_limit_mismatch_raises_and_changes_nothing(
    consul: consulate.Consul, prefix: str, peer: Peer
) -> None:
    peer.start(prefix, 2)
    before = (consul.kv.entries(prefix), our_sessions(consul))
    with pytest.raises(exceptions.LockConflict, match='limit of 2, not 3'):
        consul.semaphore.acquire(prefix, 3, blocking=True, timeout=5)
    assert (consul.kv.entries(prefix), our_sessions(consul)) == before
    with pytest.raises(exceptions.ValidationError, match='positive integer'):
        consul.semaphore.acquire(prefix, 0)


def test_a_lock_and_a_semaphore_on_one_prefix_refuse_each_other(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.lock.prefix = ''
    with consul.lock.acquire(f'{prefix}/.lock'):
        before = (consul.kv.entries(prefix), our_sessions(consul))
        with pytest.raises(exceptions.LockConflict, match='not a semaphore key'):
            consul.semaphore.acquire(prefix, 2)
        assert (consul.kv.entries(prefix), our_sessions(consul)) == before
    with consul.semaphore.acquire(prefix, 2):
        before = (consul.kv.entries(prefix), our_sessions(consul))
        with pytest.raises(exceptions.LockConflict, match='not a lock'):
            consul.lock.acquire(f'{prefix}/.lock')
        assert (consul.kv.entries(prefix), our_sessions(consul)) == before


def test_non_blocking_and_timed_out_acquires_raise_lock_failure(
    consul: consulate.Consul, prefix: str
) -> None:
    with consul.semaphore.acquire(prefix, 2), consul.semaphore.acquire(prefix, 2):
        keys = {entry['Key'] for entry in consul.kv.entries(prefix)}
        sessions = our_sessions(consul)
        with pytest.raises(exceptions.LockFailure):
            consul.semaphore.acquire(prefix, 2)
        started = time.monotonic()
        with pytest.raises(exceptions.LockFailure, match='all 2 slots'):
            consul.semaphore.acquire(prefix, 2, blocking=True, timeout=1)
        assert 0.9 < time.monotonic() - started < 5
        # The failed contenders left neither a contender key nor a session.
        assert {entry['Key'] for entry in consul.kv.entries(prefix)} == keys
        assert our_sessions(consul) == sessions


def test_blocking_acquire_is_woken_by_a_release(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str
) -> None:
    holder = consul.semaphore.acquire(prefix, 1)
    got: list[float] = []
    with RecordingProxy(consul_agent.http_addr) as proxy:
        with consulate.Consul(addr=proxy.addr, env={}) as waiter:

            def wait_for_a_slot() -> None:
                with waiter.semaphore.acquire(prefix, 1, blocking=True, timeout=30):
                    got.append(time.monotonic())

            thread = threading.Thread(target=wait_for_a_slot)
            thread.start()
            eventually(lambda: len(consul.kv.entries(prefix)) == 3)  # its contender key is in
            time.sleep(1.5)  # the waiter sits in its blocking query meanwhile
            reads = [s for s in proxy.seen if s.method == 'GET' and '/v1/kv/' in s.target]
            holder.release()
            released = time.monotonic()
            thread.join(timeout=30)
    assert got and got[0] - released < 1.5
    # Waiting was one blocking query, not a poll: the pre-check, the first read, the block.
    assert len(reads) <= 3, [s.target for s in reads]
    assert any('index=' in s.target and 'wait=' in s.target for s in reads)


def test_a_dead_holder_is_pruned_by_the_next_contender(
    consul: consulate.Consul, prefix: str
) -> None:
    dead = consul.semaphore.acquire(prefix, 1)
    consul.session.destroy(dead.session_id)  # a crash: its contender key goes, .lock keeps it
    assert stored(consul, prefix) == {'Limit': 1, 'Holders': {dead.session_id: True}}
    with consul.semaphore.acquire(prefix, 1) as alive:
        assert stored(consul, prefix) == {'Limit': 1, 'Holders': {alive.session_id: True}}
    assert dead.lost.wait(2.0)
    dead.release()


CONTENDER = """
import os, sys, time
import consulate
addr, prefix, markers, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with consulate.Consul(addr=addr, env={}) as consul:
    for n in range(rounds):
        with consul.semaphore.acquire(prefix, 2, blocking=True, timeout=60):
            marker = os.path.join(markers, f'sub-{os.getpid()}-{n}')
            open(marker, 'w').close()
            time.sleep(0.15)
            os.remove(marker)
            with open(os.path.join(markers, '..', 'done'), 'a') as done:
                done.write('sub\\n')
"""


@pytest.mark.slow
def test_a_semaphore_of_two_never_has_three_holders(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, tmp_path: Path
) -> None:
    rounds = 4
    markers = tmp_path / 'markers'
    markers.mkdir()
    done_log = tmp_path / 'done'
    env = peer_env(consul_agent)
    go_round = f'touch {markers}/go-$$; sleep 0.15; rm {markers}/go-$$; echo go >> {done_log}'
    go_loop = ' ; '.join(
        ' '.join([consul_binary(), 'lock', '-n', '2', '-timeout=60s', prefix, repr(go_round)])
        for _ in range(rounds)
    )
    peers = [
        subprocess.Popen(['sh', '-c', go_loop], env=env, stdout=subprocess.DEVNULL),
        subprocess.Popen(
            [
                sys.executable,
                '-c',
                CONTENDER,
                consul_agent.http_addr,
                prefix,
                str(markers),
                str(rounds),
            ]
        ),
    ]

    def python_holder(n: int) -> None:
        for r in range(rounds):
            with consul.semaphore.acquire(prefix, 2, blocking=True, timeout=60):
                marker = markers / f'thread-{n}-{r}'
                marker.touch()
                time.sleep(0.15)
                marker.unlink()
                with done_log.open('a') as done:
                    done.write('thread\n')

    threads = [threading.Thread(target=python_holder, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    most_in_kv = most_markers = samples = 0
    deadline = time.monotonic() + 90
    while any(t.is_alive() for t in threads) or any(p.poll() is None for p in peers):
        assert time.monotonic() < deadline, 'the contenders did not finish'
        state = stored(consul, prefix)
        if state is not None:
            most_in_kv = max(most_in_kv, len(state['Holders'] or {}))  # type: ignore[arg-type]
        most_markers = max(most_markers, len(list(markers.iterdir())))
        samples += 1
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert [p.wait(timeout=10) for p in peers] == [0, 0]
    runs = done_log.read_text().split()
    assert (runs.count('thread'), runs.count('sub'), runs.count('go')) == (
        3 * rounds,
        rounds,
        rounds,
    )
    assert samples > 50
    assert most_in_kv <= 2 and most_markers <= 2
    assert most_markers == 2  # the slots were really shared, not taken one at a time
    eventually(lambda: stored(consul, prefix) is None)  # the last one out removed .lock
