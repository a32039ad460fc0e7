"""consulate demo: KV, a session and a lock against a local Consul.

Uses the Consul that CONSUL_HTTP_ADDR (or localhost:8500) names if one
answers; otherwise starts a throwaway dev agent and stops it at the end.
Run it with ``scripts/demo``.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from collections.abc import Iterator

import consulate
from consulate.testing import ConsulAgent


@contextlib.contextmanager
def local_consul() -> Iterator[consulate.Consul]:
    """A client of a reachable Consul, or of a dev agent started for the demo."""
    consul = consulate.Consul(timeout=2)
    try:
        consul.status.leader()
    except consulate.RequestError:
        consul.close()
        print('No Consul answers at', consul.base_uri, '- starting a dev agent for the demo...')
        with ConsulAgent() as agent, agent.client() as client:
            print('Started Consul dev agent at', client.base_uri)
            yield client
        print('Stopped the dev agent.')
        return
    print('Using the Consul at', consul.base_uri)
    with consul:
        yield consul


def main() -> int:
    with local_consul() as consul:
        prefix = f'consulate-demo/{uuid.uuid4().hex[:8]}'
        print(f'\nLeader: {consul.status.leader()}, peers: {consul.status.peers()}')

        print(f'\n1. KV, used like a dict (keys under {prefix}/)')
        consul.kv[f'{prefix}/release_flag'] = True
        consul.kv[f'{prefix}/config'] = {'workers': 4, 'hosts': ['db1', 'db2']}
        consul.kv[f'{prefix}/greeting'] = 'hello, ✈'
        consul.kv[f'{prefix}/blob'] = b'\x00\xffbinary'
        for key, value in sorted(consul.kv.find(prefix).items()):
            print(f'   {key} = {value!r}')
        print(f'   {prefix}/release_flag in kv: {f"{prefix}/release_flag" in consul.kv}')
        del consul.kv[f'{prefix}/release_flag']
        try:
            consul.kv[f'{prefix}/release_flag']
        except KeyError as error:
            print(f'   after del, kv[...] raises KeyError: {error}')

        print('\n2. A session with a TTL')
        session_id = consul.session.create(name='consulate-demo', ttl='15s')
        info = consul.session.info(session_id)
        print(f'   created {session_id} (TTL {info["TTL"]}, behavior {info["Behavior"]})')
        print(f'   renewed: TTL {consul.session.renew(session_id)["TTL"]}')
        consul.session.destroy(session_id)
        print('   destroyed')

        print('\n3. A lock: exclusive while held, free again as soon as the block ends')
        consul.lock.prefix = prefix
        with consul.lock.acquire('deploy'):
            print(f'   locked {consul.lock.key}')
            try:
                consul.lock.acquire('deploy')
            except consulate.LockFailure as error:
                print(f'   a second acquire fails: {error}')
        with consul.lock.acquire('deploy'):
            print('   taken again at once after release')

        consul.kv.delete(prefix, recurse=True)
        print(f'\nCleaned up {prefix}/. Done.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
