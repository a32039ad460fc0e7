"""consulate 0.6.0's defaults, pinned against a real agent (issue 23).

What 0.6.0 (with its one-line Python 3.9 fix) returned on the same agent,
measured, and what code written for it relies on: KV values as the stored
text (no JSON decoding) from every read, ``Consul(decode_json=True)`` as the
way to decoding, a silent ``del kv[missing]``, and ``[{key: value}]`` from
``agent.services()``, ``agent.checks()`` and ``catalog.services()``, which
also answer the idioms of the code after 0.6.0 (``service_id in
consul.agent.services()``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api.keyed import KeyedList
from consulate.testing import ConsulAgent
from tests.support.names import unique


def stored(consul: consulate.Consul, key: str) -> bytes | None:
    """The bytes Consul holds for ``key``, read around consulate's decoding."""
    response = consul.adapter.get(f'{consul.base_uri}/kv/{key}')
    assert response.status_code == 200, response.status_code
    value = response.json()[0]['Value']
    return None if value is None else base64.b64decode(value)


def consul_object(consul: consulate.Consul, path: str) -> Any:
    """Consul's own JSON answer to ``GET /v1/<path>``."""
    response = consul.adapter.get(f'{consul.base_uri}/{path}')
    assert response.status_code == 200, response.status_code
    return response.json()


#: (value written, bytes Consul stores, what every read returns by default)
VALUES = [
    (True, b'true', 'true'),
    (False, b'false', 'false'),
    (5, b'5', '5'),
    (1.5, b'1.5', '1.5'),
    ({'a': [1, None]}, b'{"a": [1, null]}', '{"a": [1, null]}'),
    ('123', b'123', '123'),
    ('"quoted"', b'"quoted"', '"quoted"'),
    ('I like ✈', 'I like ✈'.encode(), 'I like ✈'),
    (b'\xff\x00bin', b'\xff\x00bin', b'\xff\x00bin'),
]


@pytest.mark.parametrize(('value', 'in_consul', 'read_back'), VALUES)
def test_every_kv_read_returns_the_stored_text(
    consul: consulate.Consul, prefix: str, value: object, in_consul: bytes, read_back: object
) -> None:
    key = f'{prefix}/v'
    consul.kv[key] = value
    assert stored(consul, key) == in_consul  # writes are unchanged: non-strings JSON-encoded
    reads = {
        'kv[key]': consul.kv[key],
        'get': consul.kv.get(key),
        'get_record': consul.kv.get_record(key)['Value'],
        'find': consul.kv.find(prefix)[key],
        'items': consul.kv.items()[key],
        'iteritems': dict(consul.kv.iteritems())[key],
        'values': consul.kv.values()[consul.kv.keys().index(key)],
        'records': dict((k, v) for k, _flags, v in consul.kv.records(prefix))[key],
        'entries': consul.kv.entries(prefix)[0]['Value'],
    }
    assert reads == dict.fromkeys(reads, read_back)
    assert {type(read) for read in reads.values()} == {type(read_back)}


def test_kv_watches_and_caches_yield_the_stored_text(consul: consulate.Consul, prefix: str) -> None:
    consul.kv[f'{prefix}/flag'] = True
    consul.kv[f'{prefix}/conf'] = {'workers': 4}
    with consul.watch.key(f'{prefix}/flag', wait=5, timeout=10) as watcher:
        assert next(watcher) == 'true'
    with consul.watch.prefix(f'{prefix}/', wait=5, timeout=10) as watcher:
        assert next(watcher) == {f'{prefix}/conf': '{"workers": 4}', f'{prefix}/flag': 'true'}
    with consul.cache.kv(f'{prefix}/', wait=5) as cache:
        cache.wait_ready(10)
        assert dict(cache) == {f'{prefix}/conf': '{"workers": 4}', f'{prefix}/flag': 'true'}


def test_code_written_for_060_reads_its_values_back(consul: consulate.Consul, prefix: str) -> None:
    consul.kv[f'{prefix}/config'] = {'hosts': ['db1'], 'debug': False}
    consul.kv[f'{prefix}/enabled'] = False
    assert json.loads(consul.kv[f'{prefix}/config']) == {'hosts': ['db1'], 'debug': False}
    rendered = '{"enabled": %s}' % consul.kv.get(f'{prefix}/enabled')  # noqa: UP031 (0.6.0 code)
    assert json.loads(rendered) == {'enabled': False}  # 'false', valid JSON, not Python's False
    consul.kv[f'{prefix}/count'] = '123'
    assert int(consul.kv[f'{prefix}/count']) == 123


def test_decode_json_true_decodes_json_text(consul_agent: ConsulAgent, prefix: str) -> None:
    with consul_agent.client(decode_json=True) as consul:
        consul.kv[f'{prefix}/flag'] = True
        consul.kv[f'{prefix}/conf'] = {'a': [1, None]}
        consul.kv[f'{prefix}/text'] = 'plain'
        consul.kv[f'{prefix}/bin'] = b'\xff\x00'
        assert consul.kv[f'{prefix}/flag'] is True
        assert consul.kv.get(f'{prefix}/conf') == {'a': [1, None]}
        assert consul.kv.find(prefix) == {
            f'{prefix}/bin': b'\xff\x00',
            f'{prefix}/conf': {'a': [1, None]},
            f'{prefix}/flag': True,
            f'{prefix}/text': 'plain',
        }
        assert consul.kv.get(f'{prefix}/flag', raw=True) == b'true'  # raw stays untouched
        assert stored(consul, f'{prefix}/conf') == b'{"a": [1, null]}'


def test_deleting_a_missing_key_is_silent(consul: consulate.Consul, prefix: str) -> None:
    consul.kv[f'{prefix}/kept'] = 'k'
    consul.kv[f'{prefix}/gone'] = 'g'
    del consul.kv[f'{prefix}/gone']
    assert f'{prefix}/gone' not in consul.kv
    del consul.kv[f'{prefix}/gone']  # as 0.6.0: no KeyError
    assert consul.kv.delete(f'{prefix}/never') is True
    assert consul.kv.find(prefix) == {f'{prefix}/kept': 'k'}  # nothing else was deleted
    with pytest.raises(exceptions.KeyNotFound):
        consul.kv.delete(f'{prefix}/gone', must_exist=True)
    assert consul.kv.delete(f'{prefix}/kept', must_exist=True) is True
    assert consul.kv.find(prefix) == {}


def test_agent_services_is_060s_list_holding_consuls_object(consul: consulate.Consul) -> None:
    web, api = unique('web'), unique('api')
    assert consul.agent.service.register(web, port=80, tags=['a']) is True
    assert consul.agent.service.register(api, f'{api}-1', port=81) is True
    services = consul.agent.services()
    assert services == [consul_object(consul, 'agent/services')]
    assert isinstance(services, list) and len(services) == 1
    assert services[0][web]['Port'] == 80 and services[0][f'{api}-1']['Service'] == api
    assert json.loads(json.dumps(services)) == [consul_object(consul, 'agent/services')]
    # The idioms of the code after 0.6.0, which returned the object itself:
    assert web in services and f'{api}-1' in services and api not in services
    assert services[web]['Tags'] == ['a']
    assert services.get('nope') is None
    assert sorted(services.keys()) == sorted([web, f'{api}-1'])
    assert {sid: s['Port'] for sid, s in services.items()} == {web: 80, f'{api}-1': 81}
    # The record list stays under its own name.
    assert [s['ID'] for s in consul.agent.service_records()] == sorted([web, f'{api}-1'])


def test_no_services_or_checks_is_a_list_holding_an_empty_object(
    consul: consulate.Consul,
) -> None:
    nothing = 'Service == "no-such-service"'
    assert consul.agent.services(filter=nothing) == [{}]
    assert len(consul.agent.services(filter=nothing)) == 1
    assert consul.agent.checks(filter='CheckID == "no-such-check"') == [{}]
    assert consul.agent.service_records(filter=nothing) == []


def test_agent_checks_is_060s_list_holding_consuls_object(consul: consulate.Consul) -> None:
    name = unique('chk')
    assert consul.agent.check.register(name, ttl='30s') is True
    checks = consul.agent.checks()
    assert checks == [consul_object(consul, 'agent/checks')]
    assert len(checks) == 1 and checks[0][name]['Status'] == 'critical'
    assert name in checks and checks[name]['CheckID'] == name
    assert [c['CheckID'] for c in consul.agent.check_records()] == [name]


def test_catalog_services_is_060s_list_holding_name_to_tags(consul: consulate.Consul) -> None:
    name = unique('svc')
    consul.agent.service.register(name, port=80, tags=['v2', 'v1'])
    found = consul.catalog.services()
    assert isinstance(found, KeyedList) and len(found) == 1
    in_consul = consul_object(consul, 'catalog/services')  # tag order varies between reads
    assert [{n: sorted(t) for n, t in found[0].items()}] == [
        {n: sorted(t) for n, t in in_consul.items()}
    ]
    assert found[0]['consul'] == [] and sorted(found[0][name]) == ['v1', 'v2']
    assert name in found and sorted(found[name]) == ['v1', 'v2']
    for services in consul.catalog.services():  # how 0.6.0 code walks it
        assert set(services) >= {'consul', name}
    assert {'Service': name, 'Tags': ['v1', 'v2']} in consul.catalog.service_records()


def test_060_style_deregistration_loop_deregisters(consul: consulate.Consul) -> None:
    """The loop of a service registrator written for 0.6.0: it must find and remove the service."""
    name = unique('reg')
    consul.agent.service.register(name, port=80)
    services = consul.agent.services()
    assert len(services) == 1  # 0.6.0 code checks this before reading services[0]
    for service_id, record in services[0].items():
        if record['Service'] == name:
            assert consul.agent.service.deregister(service_id) is True
    assert name not in consul.agent.services()
    assert consul_object(consul, 'agent/services').get(name) is None
