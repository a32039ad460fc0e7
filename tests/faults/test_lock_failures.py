"""A lock whose holder dies: it is never held by two, and it is free again after TTL + lock-delay.

The holder is another process (a small Python script using consulate) killed
with SIGKILL, so it neither releases the lock nor destroys its session: only
Consul's session TTL can free the key. Consul invalidates a session between
one and two TTLs after its last renewal, and then refuses the key for the
session's lock-delay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique

CHECKOUT = Path(__file__).resolve().parents[2]
TTL = 10.0
DELAY = 1.0

HOLDER = """
import sys, time
import consulate

consul = consulate.Consul(addr=sys.argv[1], env={})
held = consul.lock.acquire(sys.argv[2], ttl=sys.argv[3], delay=sys.argv[4])
print(held.session_id, flush=True)
time.sleep(600)
"""


def start_holder(agent: ConsulAgent, name: str) -> tuple[subprocess.Popen[str], str]:
    """Run a process that takes the lock ``name`` and holds it; return it and its session."""
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT))
    process = subprocess.Popen(
        [sys.executable, '-c', HOLDER, agent.http_addr, name, f'{TTL:g}s', f'{DELAY:g}s'],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=CHECKOUT,
    )
    assert process.stdout is not None
    session = process.stdout.readline().strip()
    assert session, 'the holder did not take the lock'
    return process, session


@pytest.mark.slow
def test_a_killed_holder_frees_the_lock_after_ttl_and_lock_delay_and_never_two_hold_it(
    consul: consulate.Consul, consul_agent: ConsulAgent
) -> None:
    name = unique('killed')
    key = f'{consul.lock.prefix}/{name}'
    process, dead_session = start_holder(consul_agent, name)
    assert consul.kv.get_record(key)['Session'] == dead_session
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = time.monotonic()

    # Watch who holds the key, and when it is free, while two contenders wait for it.
    holders: list[tuple[float, str | None]] = []
    stop = threading.Event()

    def monitor() -> None:
        with consul_agent.client() as watcher:
            while not stop.is_set():
                try:
                    session = watcher.kv.get_record(key).get('Session')
                except exceptions.KeyNotFound:  # released: the holder deletes the key
                    session = None
                holders.append((time.monotonic(), session))
                time.sleep(0.05)

    held_intervals: list[tuple[float, float, str]] = []
    errors: list[BaseException] = []

    def contender() -> None:
        try:
            with consul_agent.client() as client:
                with client.lock.acquire(name, blocking=True, timeout=3 * TTL, ttl='10s') as held:
                    acquired = time.monotonic()
                    assert client.kv.get_record(key)['Session'] == held.session_id
                    time.sleep(1.0)
                    assert client.kv.get_record(key)['Session'] == held.session_id
                    held_intervals.append((acquired, time.monotonic(), held.session_id))
        except BaseException as error:
            errors.append(error)

    watching = threading.Thread(target=monitor)
    watching.start()
    contenders = [threading.Thread(target=contender) for _ in range(2)]
    for thread in contenders:
        thread.start()
    try:
        # While the dead holder's session lives, nobody else gets the lock.
        time.sleep(1.0)
        with pytest.raises(exceptions.LockFailure):
            consul.lock.acquire(name)
        for thread in contenders:
            thread.join(3 * TTL + 10)
    finally:
        stop.set()
        watching.join()
    assert errors == []
    assert len(held_intervals) == 2

    first, second = sorted(held_intervals)
    assert first[1] <= second[0], 'two contenders held the lock at once'
    # Consul invalidates the session one to two TTLs after its last renewal ...
    freed = next(i for i, (_at, session) in enumerate(holders) if session != dead_session)
    freed_at = holders[freed][0]
    assert TTL - 1 <= freed_at - killed_at <= 2 * TTL + 1.5
    # ... then refuses the free key for the lock-delay, and the first waiter takes it
    # as soon as that is over (it polls through a lock-delay: no index changes at its end).
    assert DELAY - 0.3 <= first[0] - freed_at <= DELAY + 1.0
    # The key only ever named the dead holder, then each contender in turn.
    assert all(session == dead_session for _at, session in holders[:freed])
    later = {session for _at, session in holders[freed:]}
    assert later <= {None, first[2], second[2]}
    with pytest.raises(exceptions.NotFound):
        consul.session.info(dead_session)
    assert not [s for s in consul.session.list() if name in s.get('Name', '')]
