"""Honest writes: a write that may have reached Consul says so, is never replayed, and is never faked done.

A proxy in front of a real agent drops the connection once a request was
received (after passing it on to the agent, or not), or answers writes with
an HTML page of its own. A write then raises a
:class:`~consulate.exceptions.RequestError` whose ``maybe_applied`` is True,
and the proxy counts that it was sent once, whatever ``retries`` says; a read
whose connection broke is sent again when retries are on, and once, whatever
``retries`` says, when it broke on a kept-alive connection before any of its
answer arrived (the agent closed that connection).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent, free_ports
from tests.support.proxy import Canned, RecordingProxy, Seen

PAGE = b'<html><body><h1>Please log in</h1></body></html>'


def first(
    count: int, canned: Canned, match: Callable[[Seen], bool]
) -> Callable[[Seen], Canned | None]:
    """Answer the first ``count`` requests that ``match`` with ``canned``; forward the others."""
    hit: list[Seen] = []

    def answer(seen: Seen) -> Canned | None:
        if match(seen) and len(hit) < count:
            hit.append(seen)
            return canned
        return None

    return answer


def is_method(method: str, part: str = '') -> Callable[[Seen], bool]:
    return lambda seen: seen.method == method and part in seen.target


def sent(proxy: RecordingProxy, match: Callable[[Seen], bool]) -> list[Seen]:
    return [seen for seen in proxy.seen if match(seen)]


@pytest.fixture
def direct(consul_agent: ConsulAgent) -> Iterator[consulate.Consul]:
    with consul_agent.client() as client:
        yield client


def through(proxy: RecordingProxy, **options: Any) -> consulate.Consul:
    return consulate.Consul(addr=proxy.addr, env={}, **options)


# -- a connection dropped after the request was received -------------------------------


@pytest.mark.parametrize('applied', [True, False], ids=['agent-applied-it', 'agent-never-saw-it'])
def test_a_write_whose_connection_drops_may_have_been_applied_and_is_sent_once(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str, applied: bool
) -> None:
    key = f'{prefix}/dropped'
    drop = first(1, Canned(drop=True, forward=applied), is_method('PUT'))
    with RecordingProxy(consul_agent.http_addr, answer=drop) as proxy:
        with pytest.raises(exceptions.RequestError) as caught:
            through(proxy, retries=5).kv[key] = 'once'
    assert not isinstance(caught.value, exceptions.ConnectError)
    assert caught.value.sent and caught.value.maybe_applied
    assert 'may have been applied' in str(caught.value)
    assert len(sent(proxy, is_method('PUT'))) == 1  # never replayed
    assert direct.kv.get(key) == ('once' if applied else None)


def test_a_write_that_could_not_connect_was_certainly_not_applied(prefix: str) -> None:
    (port,) = free_ports(1)
    with pytest.raises(exceptions.ConnectError) as caught:
        consulate.Consul(addr=f'127.0.0.1:{port}', env={}).kv[f'{prefix}/k'] = 'v'
    assert not caught.value.sent and not caught.value.maybe_applied


def test_a_read_whose_connection_drops_is_sent_again_with_retries(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str
) -> None:
    key = f'{prefix}/read'
    direct.kv[key] = 'stored'
    drop = first(2, Canned(drop=True, forward=True), is_method('GET', '/v1/kv/'))
    with RecordingProxy(consul_agent.http_addr, answer=drop) as proxy:
        assert through(proxy, retries=2).kv[key] == 'stored'
    assert len(sent(proxy, is_method('GET', '/v1/kv/'))) == 3
    drop = first(1, Canned(drop=True), is_method('GET', '/v1/kv/'))
    with RecordingProxy(consul_agent.http_addr, answer=drop) as proxy:
        with pytest.raises(exceptions.RequestError) as caught:
            through(proxy).kv[key]  # retries are off by default
    assert caught.value.sent and not caught.value.maybe_applied  # a read applies nothing


def nth(
    number: int, canned: Canned, match: Callable[[Seen], bool]
) -> Callable[[Seen], Canned | None]:
    """Answer the ``number``-th request that ``match`` (counting from 1) with ``canned``."""
    count = [0]

    def answer(seen: Seen) -> Canned | None:
        if match(seen):
            count[0] += 1
            if count[0] == number:
                return canned
        return None

    return answer


def test_a_read_on_a_kept_connection_that_closes_is_sent_again_on_a_new_one(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str
) -> None:
    """What an agent restart does to a pooled connection: the next read goes once more, elsewhere.

    Retries are off: this is not a retry of a failed read, but of a request
    that met a keep-alive connection the agent had closed.
    """
    key = f'{prefix}/kept'
    direct.kv[key] = 'stored'
    reads = is_method('GET', '/v1/kv/')
    with RecordingProxy(consul_agent.http_addr, answer=nth(2, Canned(drop=True), reads)) as proxy:
        consul = through(proxy)
        assert consul.kv[key] == 'stored'
        assert consul.kv[key] == 'stored'
    ports = [seen.peer for seen in sent(proxy, reads)]
    assert len(ports) == 3
    assert ports[0] == ports[1] != ports[2]  # dropped on the kept connection, answered on a new one


def test_a_write_on_a_kept_connection_that_closes_is_not_sent_again(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str
) -> None:
    key = f'{prefix}/kept-write'
    drop = nth(1, Canned(drop=True, forward=True), is_method('PUT', '/v1/kv/'))
    with RecordingProxy(consul_agent.http_addr, answer=drop) as proxy:
        consul = through(proxy, retries=3)
        assert consul.kv.get(key) is None  # a connection to keep
        with pytest.raises(exceptions.RequestError) as caught:
            consul.kv[key] = 'once'
    assert caught.value.maybe_applied
    puts = sent(proxy, is_method('PUT', '/v1/kv/'))
    assert len(puts) == 1
    assert (
        puts[0].peer == sent(proxy, is_method('GET', '/v1/kv/'))[0].peer
    )  # on the kept connection
    assert direct.kv[key] == 'once'


def session_names(consul: consulate.Consul, name: str) -> int:
    return sum(1 for session in consul.session.list() if session['Name'] == name)


def destroy_sessions(consul: consulate.Consul, name: str) -> None:
    for session in consul.session.list():
        if session['Name'] == name:
            consul.session.destroy(session['ID'])


#: Writes that must never be replayed: (what to send, which request it is, what it left behind).
NEVER_REPLAYED: dict[str, tuple[str, str]] = {
    'check-and-set': ('PUT', 'cas=0'),
    'transaction': ('PUT', '/v1/txn'),
    'session create': ('PUT', '/v1/session/create'),
    'lock acquire': ('PUT', '/v1/txn'),  # a transaction that takes the key only as read
    'event fire': ('PUT', '/v1/event/fire/'),
    'plain put': ('PUT', '/v1/kv/'),
    'delete': ('DELETE', '/v1/kv/'),
    'service register': ('PUT', '/v1/agent/service/register'),
}


def do_write(kind: str, consul: consulate.Consul, name: str) -> None:
    """Send one write of ``kind``, named after ``name``."""
    if kind == 'check-and-set':
        consul.kv.set_record(f'{name}/cas', 0, 'created', replace=False)
    elif kind == 'transaction':
        consul.txn.execute([txn.kv_set(f'{name}/txn', b'in a txn')])
    elif kind == 'session create':
        consul.session.create(name=name)
    elif kind == 'lock acquire':
        consul.lock.acquire(name)
    elif kind == 'event fire':
        consul.event.fire(name, 'payload')
    elif kind == 'plain put':
        consul.kv[f'{name}/plain'] = 'put'
    elif kind == 'delete':
        consul.kv.delete(f'{name}/plain')
    elif kind == 'service register':
        consul.agent.service.register(name, ttl='30s')


@pytest.mark.parametrize('kind', list(NEVER_REPLAYED))
def test_no_write_is_replayed_after_it_may_have_been_sent(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str, kind: str
) -> None:
    """Check-and-set, transactions, session create, lock acquire and event fire could apply twice.

    Plain puts, deletes and registrations would not, but sending them again
    could undo a newer write by another client made in between: consulate
    replays no write, and leaves the decision to the caller.
    """
    method, part = NEVER_REPLAYED[kind]
    name = f'{prefix}-{kind.replace(" ", "-")}'
    if kind == 'delete':
        direct.kv[f'{name}/plain'] = 'to delete'
    drop = first(1, Canned(drop=True, forward=True), is_method(method, part))
    try:
        with RecordingProxy(consul_agent.http_addr, answer=drop) as proxy:
            with pytest.raises(exceptions.RequestError) as caught:
                do_write(kind, through(proxy, retries=5), name)
        assert caught.value.maybe_applied, kind
        assert len(sent(proxy, is_method(method, part))) == 1, kind
        if kind == 'session create':
            assert session_names(direct, name) == 1  # applied once, not twice
        if kind == 'check-and-set':
            assert direct.kv.get(f'{name}/cas') == 'created'
        if kind == 'delete':
            assert f'{name}/plain' not in direct.kv
    finally:
        destroy_sessions(direct, name)
        destroy_sessions(direct, f'consulate lock on consulate/locks/{name}')
        direct.agent.service.deregister(name)
        direct.kv.delete(f'consulate/locks/{name}')


# -- a 200 answer that is not Consul's ----------------------------------------------------


def html_writes(seen: Seen) -> Canned | None:
    """A proxy that passes every write on to the agent and answers it with its own page."""
    if seen.method == 'GET':
        return None
    return Canned(200, PAGE, {'Content-Type': 'text/html'}, forward=True)


WRITES: dict[str, Callable[[consulate.Consul, str], Any]] = {
    'kv put': lambda consul, name: consul.kv.set(f'{name}/k', 'v'),
    'kv set_record': lambda consul, name: consul.kv.set_record(f'{name}/r', 1, 'v'),
    'kv delete': lambda consul, name: consul.kv.delete(f'{name}/k'),
    'kv del': lambda consul, name: consul.kv.__delitem__(f'{name}/k'),
    'txn': lambda consul, name: consul.txn.execute([txn.kv_set(f'{name}/t', b'v')]),
    'session create': lambda consul, name: consul.session.create(name=name),
    'session destroy': lambda consul, name: consul.session.destroy(str(uuid.uuid4())),
    'event fire': lambda consul, name: consul.event.fire(name),
    'service register': lambda consul, name: consul.agent.service.register(name, ttl='30s'),
    'catalog register': lambda consul, name: consul.catalog.register(name, '10.0.0.9'),
    'config apply': lambda consul, name: consul.config.apply(
        {'Kind': 'service-defaults', 'Name': name, 'Protocol': 'http'}
    ),
    'lock acquire': lambda consul, name: consul.lock.acquire(name),
}


@pytest.mark.parametrize('write', list(WRITES))
def test_a_proxy_page_answering_a_write_is_an_invalid_response(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str, write: str
) -> None:
    name = f'{prefix}-{write.replace(" ", "-")}'
    direct.kv[f'{name}/k'] = 'v'
    try:
        with RecordingProxy(consul_agent.http_addr, answer=html_writes) as proxy:
            with pytest.raises(exceptions.InvalidResponse) as caught:
                WRITES[write](through(proxy, retries=3), name)
        error = caught.value
        assert error.maybe_applied  # the proxy passed it on: it may well have been applied
        assert '/v1/' in str(error) and 'Please log in' not in str(error)
        assert len([seen for seen in proxy.seen if seen.method != 'GET']) == 1
    finally:
        destroy_sessions(direct, name)
        direct.agent.service.deregister(name)
        direct.catalog.deregister(name)
        direct.config.delete('service-defaults', name)
        direct.kv.delete(name, recurse=True)


def test_a_proxy_page_answering_a_read_is_an_invalid_response_that_applied_nothing(
    consul_agent: ConsulAgent, direct: consulate.Consul, prefix: str
) -> None:
    direct.kv[f'{prefix}/k'] = 'v'
    page = Canned(200, PAGE, {'Content-Type': 'text/html'})
    with RecordingProxy(consul_agent.http_addr, answer=lambda seen: page) as proxy:
        client = through(proxy)
        for read in (client.kv.items, client.catalog.nodes, client.agent.self):
            with pytest.raises(exceptions.InvalidResponse) as caught:
                read()
            assert not caught.value.maybe_applied
