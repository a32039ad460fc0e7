"""What consulate retries, and what it never does, against real agents.

Retries are off unless ``retries=`` is given. With them, a request is sent
again only when it certainly had no effect (the connection failed before
anything was sent) or when it is a read answered with 429, 500, 502 or 504;
the pause between attempts grows from about 0.1 s, honours ``Retry-After``
and never exceeds :data:`consulate.adapters.MAX_BACKOFF`. Writes are never
replayed. Statuses a real agent rarely gives on demand come from the
recording proxy in front of a real agent; the rate limiting is a real client
agent's.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import adapters, exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent, free_ports
from tests.support.names import unique
from tests.support.proxy import Canned, RecordingProxy, Seen

RETRYABLE = [429, 500, 502, 504]
GATEWAY_PAGE = b'<html><body><h1>502 Bad Gateway</h1></body></html>'


def first_n(count: int, canned: Canned, method: str = 'GET') -> Callable[[Seen], Canned | None]:
    """Answer the first ``count`` requests of ``method`` with ``canned``; forward the rest."""
    answered: list[Seen] = []

    def answer(seen: Seen) -> Canned | None:
        if seen.method == method and len(answered) < count:
            answered.append(seen)
            return canned
        return None

    return answer


def status_page(status: int, **headers: str) -> Canned:
    return Canned(status, GATEWAY_PAGE, {'Content-Type': 'text/html', **headers})


@pytest.fixture
def key(consul: consulate.Consul, prefix: str) -> str:
    consul.kv[f'{prefix}/key'] = 'stored'
    return f'{prefix}/key'


@pytest.mark.parametrize('status', RETRYABLE)
def test_a_read_is_retried_on_a_retryable_status(
    consul_agent: ConsulAgent, key: str, status: int
) -> None:
    with RecordingProxy(consul_agent.http_addr, answer=first_n(2, status_page(status))) as proxy:
        assert proxy.client(retries=2).kv[key] == 'stored'
    assert len(proxy.sent('GET')) == 3


@pytest.mark.parametrize('status', RETRYABLE)
def test_retries_are_off_by_default(consul_agent: ConsulAgent, key: str, status: int) -> None:
    expected = exceptions.TooManyRequests if status == 429 else exceptions.ServerError
    with RecordingProxy(consul_agent.http_addr, answer=first_n(1, status_page(status))) as proxy:
        with pytest.raises(expected) as caught:
            proxy.client().kv[key]
    assert len(proxy.sent('GET')) == 1
    assert caught.value.status_code == status
    assert caught.value.path == f'/v1/kv/{key}'


def test_a_read_gives_up_after_the_configured_retries(consul_agent: ConsulAgent, key: str) -> None:
    with RecordingProxy(consul_agent.http_addr, answer=first_n(99, status_page(502))) as proxy:
        with pytest.raises(exceptions.ServerError, match='502 on GET'):
            proxy.client(retries=3).kv[key]
    assert len(proxy.sent('GET')) == 4


@pytest.mark.parametrize('status', [400, 403, 405, 409, 413])
def test_other_error_statuses_are_not_retried(consul_agent: ConsulAgent, status: int) -> None:
    refused = Canned(status, b'refused', {'Content-Type': 'text/plain'})
    with RecordingProxy(consul_agent.http_addr, answer=first_n(1, refused)) as proxy:
        with pytest.raises(exceptions.ClientError) as caught:
            proxy.client(retries=3).session.list()
    assert caught.value.status_code == status
    assert len(proxy.sent('GET')) == 1


WRITES: dict[str, Callable[[consulate.Consul, str], Any]] = {
    'kv.set': lambda consul, name: consul.kv.set(f'{name}/key', 'written'),
    'kv.delete': lambda consul, name: consul.kv.delete(f'{name}/key'),
    'txn.execute': lambda consul, name: consul.txn.execute([txn.kv_set(f'{name}/key', b'w')]),
    'session.create': lambda consul, name: consul.session.create(name=name),
}


@pytest.mark.parametrize('status', RETRYABLE)
@pytest.mark.parametrize('write', list(WRITES))
def test_a_write_is_never_replayed(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, write: str, status: int
) -> None:
    # The agent applies the write; a gateway in front of it loses the answer and says `status`.
    method = 'DELETE' if write == 'kv.delete' else 'PUT'
    if write == 'kv.delete':
        consul.kv[f'{prefix}/key'] = 'to delete'
    lost = Canned(status, GATEWAY_PAGE, {'Content-Type': 'text/html'}, forward=True)
    with RecordingProxy(consul_agent.http_addr, answer=first_n(99, lost, method)) as proxy:
        with pytest.raises(exceptions.APIError) as caught:
            WRITES[write](proxy.client(retries=5), prefix)
    assert caught.value.status_code == status  # reported as failed, never as done
    assert len(proxy.sent(method)) == 1
    if write == 'session.create':
        created = [s for s in consul.session.list() if s['Name'] == prefix]
        assert len(created) == 1  # applied once by the agent, not twice
        consul.session.destroy(created[0]['ID'])
    elif write == 'kv.delete':
        assert f'{prefix}/key' not in consul.kv
    else:
        assert f'{prefix}/key' in consul.kv


def test_back_off_grows_and_is_bounded(consul_agent: ConsulAgent, key: str) -> None:
    with RecordingProxy(consul_agent.http_addr, answer=first_n(99, status_page(502))) as proxy:
        started = time.monotonic()
        with pytest.raises(exceptions.ServerError):
            proxy.client(retries=4).kv[key]
        elapsed = time.monotonic() - started
    times = [seen.at for seen in proxy.sent('GET')]
    assert len(times) == 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    for attempt, gap in enumerate(gaps):
        # 0.1 s * 2**attempt, with jitter taking off up to half of it
        assert 0.05 * 2**attempt - 0.01 <= gap <= 0.1 * 2**attempt + 0.15, gaps
    assert elapsed < 2.5


def test_back_off_is_capped(
    consul_agent: ConsulAgent, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        adapters.request, 'MAX_BACKOFF', 0.3
    )  # instead of 5 s, to keep the test short
    with RecordingProxy(consul_agent.http_addr, answer=first_n(99, status_page(502))) as proxy:
        with pytest.raises(exceptions.ServerError):
            proxy.client(retries=5).kv[key]
    times = [seen.at for seen in proxy.sent('GET')]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 5
    # Uncapped, the last two pauses would be at least 0.4 and 0.8 s.
    assert all(gap <= 0.3 + 0.1 for gap in gaps), gaps


def test_retry_after_is_honoured(consul_agent: ConsulAgent, key: str) -> None:
    throttled = status_page(429, **{'Retry-After': '1'})
    with RecordingProxy(consul_agent.http_addr, answer=first_n(1, throttled)) as proxy:
        assert proxy.client(retries=1).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert 1.0 <= second - first < 1.5


@pytest.mark.slow
def test_retry_after_is_capped(consul_agent: ConsulAgent, key: str) -> None:
    throttled = status_page(429, **{'Retry-After': '3600'})
    with RecordingProxy(consul_agent.http_addr, answer=first_n(1, throttled)) as proxy:
        assert proxy.client(retries=1).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert adapters.MAX_BACKOFF <= second - first < adapters.MAX_BACKOFF + 0.5


def test_a_write_is_retried_while_nothing_could_be_sent(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str
) -> None:
    # Nothing listens on the port yet: the connection is refused, no byte of the
    # request leaves the client, so trying again cannot apply it twice.
    (port,) = free_ports(1)
    client = consulate.Consul(addr=f'127.0.0.1:{port}', env={}, retries=8)
    opened: list[RecordingProxy] = []
    opens = threading.Timer(
        0.4, lambda: opened.append(RecordingProxy(consul_agent.http_addr, port=port).__enter__())
    )
    opens.start()
    try:
        started = time.monotonic()
        client.kv[f'{prefix}/late'] = 'once'
        assert time.monotonic() - started >= 0.4
    finally:
        opens.join()
        for proxy in opened:
            proxy.__exit__(None, None, None)
    assert consul.kv[f'{prefix}/late'] == 'once'
    assert len(opened[0].sent('PUT')) == 1


# -- a real agent's rate limit ---------------------------------------------------


@pytest.fixture(scope='module')
def rate_limited() -> Iterator[ConsulAgent]:
    """A client agent limited to 2 RPCs a second, joined to a dev server of its own.

    Bursts of 50 are allowed, so that the agent can sync its node while it starts.
    """
    server = ConsulAgent().start()
    join = [f'127.0.0.1:{server.ports["serf_lan"]}']
    limits = {'rpc_rate': 2, 'rpc_max_burst': 50}
    client_agent = ConsulAgent(
        dev=False, config={'server': False, 'retry_join': join, 'limits': limits}
    )
    try:
        yield client_agent.start()
    finally:
        client_agent.stop(kill=True)  # SIGINT would make it leave the cluster, slowly
        server.stop(kill=True)


def _drain(consul: consulate.Consul, key: str) -> None:
    """Read until the agent's rate limiter answers 429 (its bucket is empty)."""
    for _ in range(500):
        try:
            consul.kv.get(key)
        except exceptions.TooManyRequests:
            return
    raise AssertionError('the agent never rate limited')


def test_a_rate_limited_agent_answers_reads_that_retry(rate_limited: ConsulAgent) -> None:
    key = unique('limited')
    eager = rate_limited.client()
    _drain(eager, key)
    patient = rate_limited.client(retries=8)
    assert [patient.kv.get(key, 'missing') for _ in range(4)] == ['missing'] * 4


def test_a_rate_limited_write_is_not_retried(rate_limited: ConsulAgent) -> None:
    key = unique('limited')
    eager = rate_limited.client()
    with RecordingProxy(rate_limited.http_addr) as proxy:
        patient = proxy.client(retries=8)
        for _ in range(5):  # the bucket refills every 0.5 s: a write may slip through
            _drain(eager, key)
            before = len(proxy.sent('PUT'))
            try:
                patient.kv[key] = 'v'
            except exceptions.TooManyRequests:
                assert len(proxy.sent('PUT')) == before + 1
                break
        else:
            raise AssertionError('no write was ever rate limited')


def throttled_until(offset: float) -> Callable[[Seen], Canned | None]:
    """Answer the first GET with a 429 whose ``Retry-After`` is the HTTP date ``offset`` s from now."""
    answered: list[Seen] = []

    def answer(seen: Seen) -> Canned | None:
        if seen.method == 'GET' and not answered:
            answered.append(seen)
            when = email.utils.formatdate(time.time() + offset, usegmt=True)
            return status_page(429, **{'Retry-After': when})
        return None

    return answer


def test_retry_after_as_an_http_date_is_honoured(consul_agent: ConsulAgent, key: str) -> None:
    # An HTTP date has whole seconds: "3 s from now" is between 2 and 3 s away.
    with RecordingProxy(consul_agent.http_addr, answer=throttled_until(3)) as proxy:
        assert proxy.client(retries=1).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert 1.9 <= second - first < 3.6


def test_retry_after_as_an_http_date_is_capped(
    consul_agent: ConsulAgent, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapters.request, 'MAX_BACKOFF', 0.3)  # instead of 5 s
    with RecordingProxy(consul_agent.http_addr, answer=throttled_until(3600)) as proxy:
        assert proxy.client(retries=1).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert 0.3 <= second - first < 0.9


def test_retry_after_in_the_past_means_at_once(consul_agent: ConsulAgent, key: str) -> None:
    with RecordingProxy(consul_agent.http_addr, answer=throttled_until(-3600)) as proxy:
        assert proxy.client(retries=1).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert second - first < 0.5


def test_retry_after_is_capped_by_the_read_timeout(consul_agent: ConsulAgent, key: str) -> None:
    throttled = status_page(429, **{'Retry-After': '30'})
    with RecordingProxy(consul_agent.http_addr, answer=first_n(1, throttled)) as proxy:
        assert proxy.client(retries=1, timeout=(2.0, 0.6)).kv[key] == 'stored'
    first, second = (seen.at for seen in proxy.sent('GET'))
    assert 0.6 <= second - first < 1.2
