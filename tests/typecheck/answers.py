"""What a type checker sees in consulate's answers: checked by ``mypy --strict`` (scripts/test, tox -e type), never run.

Each ``assert_type`` states the shape an everyday call returns; the lines
marked ``# type: ignore[typeddict-item]`` are mistakes mypy must reject
(``warn_unused_ignores`` turns an ignore that is not needed into an error,
so a shape that stopped catching the typo fails the check).
"""

from __future__ import annotations

from typing_extensions import assert_type

import consulate
from consulate.api import txn
from consulate.api.agent.check import check_definition
from consulate.api.keyed import KeyedList
from consulate.types import (
    ACLPolicy,
    ACLToken,
    ACLTokenListEntry,
    AgentCheck,
    AgentCheckRegistration,
    AgentMember,
    AgentService,
    AgentServiceChecksInfo,
    CatalogNode,
    CatalogService,
    CatalogServiceTags,
    CoordinateEntry,
    HealthCheck,
    KVPair,
    KVValue,
    Node,
    ServiceEntry,
    SessionEntry,
    TxnKVPair,
    TxnOp,
    TxnResult,
    UserEvent,
)
from consulate.watch import Watcher


def kv_records(consul: consulate.Consul) -> None:
    record = consul.kv.get_record('app/config')
    assert_type(record, KVPair)
    assert_type(record['ModifyIndex'], int)
    assert_type(record['Value'], KVValue)
    assert_type(consul.kv['app/config'], KVValue)
    assert_type(consul.kv.get('app/config'), KVValue)
    assert_type(consul.kv.items(), dict[str, KVValue])
    assert_type(record.get('Session'), str | None)
    assert_type(consul.kv.entries('app/'), list[KVPair])
    record['Modifyindex']  # type: ignore[typeddict-item]


def health_entries(consul: consulate.Consul) -> None:
    entries = consul.health.service('web', passing=True)
    assert_type(entries, list[ServiceEntry])
    assert_type(entries[0]['Service']['Address'], str)
    assert_type(entries[0]['Service']['Port'], int)
    assert_type(entries[0]['Node']['Address'], str)
    assert_type(entries[0]['Checks'][0]['Status'], str)
    entries[0]['Service']['Adress']  # type: ignore[typeddict-item]
    assert_type(consul.health.checks('web'), list[HealthCheck])
    assert_type(consul.health.state('critical'), list[HealthCheck])


def agent_services_and_checks(consul: consulate.Consul) -> None:
    service = consul.agent.service.info('web-1')
    assert_type(service, AgentService)
    assert_type(service['Tags'], list[str] | None)
    assert_type(service['Weights']['Passing'], int)
    assert_type(service.get('Proxy', {}).get('DestinationServiceName'), str | None)
    status, info = consul.agent.service.health('web-1')
    assert_type(status, str)
    assert_type(info, AgentServiceChecksInfo)
    assert_type(info['Checks'][0], HealthCheck)
    assert_type(consul.agent.members(), list[AgentMember])
    services = consul.agent.services()  # consulate 0.6.0's [{service_id: record}]
    assert_type(services, KeyedList[AgentService])
    assert_type(services[0], dict[str, AgentService])
    assert_type(services['web-1'], AgentService)
    assert_type(consul.agent.service_records(), list[AgentService])
    assert_type(consul.agent.checks()['service:web'], AgentCheck)
    assert_type(consul.agent.check_records(), list[AgentCheck])
    service['Service']['Name']  # type: ignore[index]
    check = check_definition('web', http='http://localhost:8080/health', interval='10s')
    assert_type(check, AgentCheckRegistration)
    consul.agent.service.register('web', port=8080, checks=[check, {'TTL': '10s', 'Name': 'ttl'}])


def catalog(consul: consulate.Consul) -> None:
    assert_type(consul.catalog.services()['web'], list[str])  # [{name: tags}]
    assert_type(consul.catalog.service_records(), list[CatalogServiceTags])
    assert_type(consul.catalog.nodes(), list[Node])
    assert_type(consul.catalog.service('web'), list[CatalogService])
    node = consul.catalog.node('node-1')
    assert_type(node, CatalogNode)
    assert_type(node['Node']['Datacenter'], str)
    instance = consul.catalog.service('web')[0]
    assert_type(instance['ServicePort'], int)
    instance['ServicePorts']  # type: ignore[typeddict-item]


def sessions(consul: consulate.Consul) -> None:
    session = consul.session.info('adf4238a-882b-9ddc-4a9d-5b6758e4159e')
    assert_type(session, SessionEntry)
    assert_type(session['LockDelay'], int)
    assert_type(consul.session.list(), list[SessionEntry])


def acl_tokens(consul: consulate.Consul) -> None:
    token = consul.acl.read_token('e9fe7a6b-23bf-4c4c-8e48-7bd5e4a1c6b1')
    assert_type(token, ACLToken)
    assert_type(token['SecretID'], str)
    assert_type(consul.acl.list_tokens(), list[ACLTokenListEntry])
    assert_type(
        consul.acl.create_policy('readonly', 'node_prefix "" { policy = "read" }'), ACLPolicy
    )
    token['Secret']  # type: ignore[typeddict-item]


def transactions(consul: consulate.Consul) -> None:
    operation = txn.kv_set('app/config', 'on')
    assert_type(operation, TxnOp)
    assert_type(operation['KV']['Verb'], str)
    consul.txn.execute([{'KV': {'Verb': 'get', 'Key': 'app/config'}}])  # a literal is checked too
    consul.txn.execute([{'KV': {'Verb': 'get', 'Kee': 'app/config'}}])  # type: ignore[typeddict-item, typeddict-unknown-key]
    results = consul.txn.execute([txn.kv_get('app/config')])
    assert_type(results, list[TxnResult])
    kv = results[0].get('KV')
    assert_type(kv, TxnKVPair | None)
    if kv is not None:
        assert_type(kv['Value'], bytes | None)


def events_coordinates_watches(consul: consulate.Consul) -> None:
    assert_type(consul.event.list('deploy'), list[UserEvent])
    assert_type(consul.event.list()[0]['Payload'], bytes | None)
    assert_type(consul.coordinate.nodes(), list[CoordinateEntry])
    assert_type(consul.watch.service('web'), Watcher[list[ServiceEntry]])
    for entries in consul.watch.service('web'):
        assert_type(entries, list[ServiceEntry])
    cache = consul.cache.service('web')
    assert_type(cache.value, list[ServiceEntry])
    cache.add_listener(lambda entries: print(entries[0]['Service']['Port']))
    cache.add_listener(lambda entries: entries[0]['Servic'])  # type: ignore[typeddict-item]
