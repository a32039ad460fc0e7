"""Leader election with consulate: candidates campaign for a lock, the leader leads until it loses it.

Three candidates (threads here; processes on different hosts in real use)
campaign for one lock key with ``acquire(..., blocking=True)``. The winner
leads, step by step, while ``held.lost`` is not set; an observer follows
who leads with ``consul.lock.holder()``. Leadership changes three ways:
Consul invalidates the leader's session (here it is destroyed, as a failing
health check would have it), an operator deletes the key, and finally the
leader steps down on its own. Each time the leader notices within a second,
stops, and another candidate takes over. The example then ends by itself.

Uses the Consul that CONSUL_HTTP_ADDR (or localhost:8500) names if one
answers; otherwise starts a throwaway dev agent. Run it with
``python examples/leader_election.py``.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import uuid

from demo import local_consul  # examples/demo.py: a reachable Consul, or a dev agent

import consulate
from consulate.api.lock import LockHolder

#: How long the example may run before it gives up, in seconds.
DEADLINE = 60.0


def candidate(consul: consulate.Consul, name: str, key: str, done: threading.Event) -> None:
    """Campaign until ``done``; while leading, work in small steps and stop when the lead is lost."""
    while not done.is_set():
        try:
            held = consul.lock.acquire(
                key, value={'leader': name}, blocking=True, timeout=1, delay='0s'
            )
        except consulate.LockFailure:
            continue  # someone else leads: campaign again
        with held:
            print(f'   {name}: I lead (session {held.session_id[:8]})')
            while not held.lost.wait(0.1):  # one step of leader work per 0.1 s
                if done.is_set():
                    print(f'   {name}: stepping down, the election is over')
                    return
            print(f'   {name}: lost the lead ({held.lost_reason}); stopping leader work')


def next_leader(consul: consulate.Consul, key: str, previous: str | None) -> LockHolder:
    """Block until a session other than ``previous`` holds ``key``; return it."""
    full_key = f'{consul.lock.prefix}/{key}'
    index = 0
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        holder = consul.lock.holder(key)
        if holder is not None and holder.session_id != previous:
            return holder
        try:
            consul.kv.get_record(full_key, index=index, wait='5s')
        except KeyError:
            pass  # nobody holds it: the read still blocks on the key's index
        response = consul.kv.last_response
        index = response.index if response is not None and response.index else 0
    raise RuntimeError(f'no new leader for {key!r} within {DEADLINE:g}s')


def main() -> int:
    # consulate logs a warning when a lock is lost; show it among the output.
    logging.basicConfig(stream=sys.stdout, format='   [log] %(message)s')
    with local_consul() as consul:
        consul.lock.prefix = f'consulate-example/{uuid.uuid4().hex[:8]}'
        key = 'leader'
        done = threading.Event()
        candidates = [
            threading.Thread(target=candidate, args=(consul, f'candidate-{n}', key, done))
            for n in range(1, 4)
        ]
        print(f'\nThree candidates campaign for {consul.lock.prefix}/{key}')
        for thread in candidates:
            thread.start()
        try:
            leader = next_leader(consul, key, None)
            print(f'observer: {json.loads(leader.value)["leader"]} leads, on node {leader.node}')

            print("\noperator: destroying the leader's session (as a failing check would)")
            consul.session.destroy(leader.session_id)
            leader = next_leader(consul, key, leader.session_id)
            print(f'observer: {json.loads(leader.value)["leader"]} leads now')

            print('\noperator: deleting the lock key')
            consul.kv.delete(leader.key)
            leader = next_leader(consul, key, leader.session_id)
            print(f'observer: {json.loads(leader.value)["leader"]} leads now')
        finally:
            print('\nEnding the election')
            done.set()
            for thread in candidates:
                thread.join(timeout=DEADLINE)
        print(f'observer: leader after the end: {consul.lock.holder(key)}')
        consul.kv.delete(consul.lock.prefix, recurse=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
