"""An answer that is not Consul's is an error, not an empty result; a real agent's answers pass.

The server that is not Consul is :class:`tests.support.webserver.NotConsul`
(a plain :mod:`http.server`): no agent can be made to answer as one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from tests.support.webserver import NotConsul

#: Calls that read or write through the KV, catalog, health and agent endpoints.
CALLS: dict[str, Callable[[consulate.Consul], Any]] = {
    'kv.find': lambda c: c.kv.find(''),
    'kv.records': lambda c: c.kv.records(),
    'kv.keys': lambda c: c.kv.keys(),
    'kv.get': lambda c: c.kv.get('app/flag'),
    'kv[key]': lambda c: c.kv['app/flag'],
    'kv.get default': lambda c: c.kv.get('app/flag', 'fallback'),
    'key in kv': lambda c: 'app/flag' in c.kv,
    'kv.set': lambda c: c.kv.set('app/flag', 'on'),
    'catalog.services': lambda c: c.catalog.services(),
    'catalog.datacenters': lambda c: c.catalog.datacenters(),
    'health.service': lambda c: c.health.service('web'),
    'agent.services': lambda c: c.agent.services(),
    'status.leader': lambda c: c.status.leader(),
}


@pytest.fixture(params=['html', 'bare'])
def stranger(request: pytest.FixtureRequest) -> Iterator[NotConsul]:
    """A web server answering 404 pages (``html``), or bare 404s with no Consul header."""
    with NotConsul(request.param) as server:
        yield server


@pytest.mark.parametrize('call', list(CALLS))
def test_a_server_that_is_not_consul_is_named_as_such(stranger: NotConsul, call: str) -> None:
    with consulate.Consul(addr=stranger.addr, env={}) as consul:
        try:
            CALLS[call](consul)
        except exceptions.InvalidResponse as error:
            message = str(error)
        except exceptions.NotFound as error:
            # Only where Consul itself answers a bare 404 (routes that carry no index).
            assert call in {'catalog.datacenters', 'agent.services', 'status.leader'}, call
            assert '<' not in str(error)
            return
        else:
            pytest.fail(f'{call} returned a value from a server that is not Consul')
    assert f'the server at http://{stranger.addr} does not look like a Consul agent' in message
    assert '<' not in message  # the page is never dumped


def test_an_html_page_is_refused_on_routes_without_an_index() -> None:
    with NotConsul('html') as server, consulate.Consul(addr=server.addr, env={}) as consul:
        for call in ('catalog.datacenters', 'agent.services', 'status.leader'):
            with pytest.raises(exceptions.InvalidResponse, match='does not look like a Consul'):
                CALLS[call](consul)


def test_a_real_agent_still_answers_empty_listings_and_missing_keys(
    any_consul: consulate.Consul, prefix: str
) -> None:
    assert any_consul.kv.find(f'{prefix}/nothing/') == {}
    assert any_consul.kv.records(f'{prefix}/nothing/') == []
    assert any_consul.kv.get(f'{prefix}/missing', 'fallback') == 'fallback'
    with pytest.raises(KeyError):
        any_consul.kv[f'{prefix}/missing']
    assert f'{prefix}/missing' not in any_consul.kv
    assert any_consul.catalog.datacenters()
    assert any_consul.health.service(f'{prefix}-none') == []
    any_consul.kv.set(f'{prefix}/html', '<html><body>a stored page</body></html>')
    assert any_consul.kv.get(f'{prefix}/html') == '<html><body>a stored page</body></html>'
    assert (
        any_consul.kv.get(f'{prefix}/html', raw=True) == b'<html><body>a stored page</body></html>'
    )
