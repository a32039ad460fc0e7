"""consulate.models: the validated models of the code after 0.6.0, kept as a deprecated surface."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import pytest

from consulate.models import acl, agent, base


class Thing(base.Model):
    __attributes__: ClassVar[dict[str, dict[str, Any]]] = {
        'id': {'key': 'ID', 'type': uuid.UUID, 'cast_from': str, 'cast_to': str},
        'count': {'key': 'Count', 'type': int, 'default': 0, 'required': True,
                  'validator': lambda value, _model: value >= 0},
        'name': {'key': 'Name', 'type': str, 'required': True},
        'note': {'type': str},
        'kind': {'key': 'Kind', 'type': str, 'enum': {'a', 'b'}},
    }  # fmt: skip


def test_defaults_casts_and_dict() -> None:
    ident = uuid.uuid4()
    thing = Thing(id=str(ident), name='n', note='x', kind='a')
    assert (thing.id, thing.count, thing.name) == (ident, 0, 'n')
    assert dict(thing) == {'ID': str(ident), 'Count': 0, 'Name': 'n', 'note': 'x', 'Kind': 'a'}
    assert dict(Thing(name='only', count=2)) == {'Count': 2, 'Name': 'only'}


@pytest.mark.parametrize(
    ('kwargs', 'error'),
    [
        ({'name': 'n', 'count': -1}, ValueError),
        ({'name': 'n', 'id': True}, TypeError),
        ({}, ValueError),
        ({'name': 'n', 'kind': 'c'}, ValueError),
        ({'name': 'n', 'other': 1}, AttributeError),
    ],
    ids=['validator', 'type', 'required', 'enum', 'unknown'],
)
def test_bad_values_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Thing(**kwargs)


def test_unknown_attribute_assignment() -> None:
    thing = Thing(name='n')
    with pytest.raises(AttributeError):
        thing.other = 1


def test_check_kinds_and_intervals() -> None:
    http = agent.Check(name='web', http='http://localhost/', interval='10s', header={'A': 'b'})
    assert dict(http) == {
        'Name': 'web',
        'Interval': '10s',
        'HTTP': 'http://localhost/',
        'Header': {'A': ['b']},
    }
    assert dict(agent.Check(name='t', ttl='30s')) == {'Name': 't', 'TTL': '30s'}
    for kwargs in (
        {'args': ['/bin/true']},
        {'http': 'http://localhost'},
        {'args': ['/bin/true'], 'ttl': '30s'},
        {'args': ['/bin/true'], 'http': 'http://x', 'interval': '5s'},
        {'http': 'not a url', 'interval': '5s'},
        {'ttl': '30'},
    ):
        with pytest.raises(ValueError):
            agent.Check(name='c', **kwargs)
    with pytest.raises(TypeError):
        agent.Check(name='c', ttl=30)


def test_service_with_checks() -> None:
    check = agent.Check(name='t', ttl='30s')
    service = agent.Service(name='web', port=80, tags=['v1'], check=check, checks=[check])
    assert dict(service) == {
        'Name': 'web',
        'Tags': ['v1'],
        'Port': 80,
        'Check': {'Name': 't', 'TTL': '30s'},
        'Checks': [{'Name': 't', 'TTL': '30s'}],
    }
    with pytest.raises(TypeError):
        agent.Service(name='web', port='80')
    with pytest.raises(ValueError):
        agent.Service(name='web', checks=['not a check'])


def test_acl_models() -> None:
    token = acl.ACLToken(accessor_id=str(uuid.uuid4()), policies=[{'Name': 'p'}], local=True)
    assert dict(token)['Policies'] == [{'Name': 'p'}]
    assert isinstance(dict(token)['AccessorID'], str)
    with pytest.raises(ValueError):
        acl.ACLRole(name='r', policies=[{'Rules': 'x'}])
    with pytest.raises(ValueError):
        acl.ACL(name='legacy')
    assert dict(acl.ACLPolicy(name='p', rules='key "" {}')) == {'Name': 'p', 'Rules': 'key "" {}'}
