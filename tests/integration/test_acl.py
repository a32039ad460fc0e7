"""ACLs against a real ACL-enabled agent: the legacy seed methods and the Consul 1.4+ system."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api.acl import ACL
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.polling import eventually

Call = Callable[[consulate.Consul], Any]


def write_rules(prefix: str) -> str:
    """Rules of the Consul 1.4+ syntax: write under ``prefix/`` and nothing else."""
    return f'key_prefix "{prefix}/" {{ policy = "write" }}'


def can_write(consul: consulate.Consul, key: str) -> bool:
    """Whether ``consul``'s token may write ``key`` (the write is undone)."""
    try:
        consul.kv[key] = 'x'
    except exceptions.Forbidden:
        return False
    consul.kv.delete(key)
    return True


def forget(consul: consulate.Consul, acl_id: str) -> None:
    """Destroy a legacy token if it still exists."""
    with contextlib.suppress(exceptions.NotFound):
        consul.acl.destroy(acl_id)


@pytest.fixture
def policy(acl_consul: consulate.Consul) -> Iterator[dict[str, Any]]:
    """A policy allowing writes under its own name as a KV prefix; deleted afterwards."""
    name = unique('policy')
    created = acl_consul.acl.create_policy(name, write_rules(name), description='a test policy')
    yield created
    acl_consul.acl.delete_policy(created['ID'])


@pytest.fixture
def cleanup(acl_consul: consulate.Consul) -> Iterator[list[Callable[[], object]]]:
    """Undo actions, run (last first) after the test even when it fails."""
    actions: list[Callable[[], object]] = []
    yield actions
    for action in reversed(actions):
        action()


# -- without ACLs -------------------------------------------------------------------

CALLS: dict[str, Call] = {
    'create': lambda c: c.acl.create('x'),
    'info': lambda c: c.acl.info(str(uuid.uuid4())),
    'list': lambda c: c.acl.list(),
    'update': lambda c: c.acl.update(str(uuid.uuid4()), 'x'),
    'clone': lambda c: c.acl.clone(str(uuid.uuid4())),
    'destroy': lambda c: c.acl.destroy(str(uuid.uuid4())),
    'translate_rules': lambda c: c.acl.translate_rules('key "" { policy = "read" }'),
    'translate_token_rules': lambda c: c.acl.translate_token_rules(str(uuid.uuid4())),
    'bootstrap': lambda c: c.acl.bootstrap(),
    'replication': lambda c: c.acl.replication(),
    'create_token': lambda c: c.acl.create_token(),
    'read_token': lambda c: c.acl.read_token(str(uuid.uuid4())),
    'read_self_token': lambda c: c.acl.read_self_token(),
    'update_token': lambda c: c.acl.update_token(str(uuid.uuid4())),
    'clone_token': lambda c: c.acl.clone_token(str(uuid.uuid4())),
    'delete_token': lambda c: c.acl.delete_token(str(uuid.uuid4())),
    'list_tokens': lambda c: c.acl.list_tokens(),
    'login': lambda c: c.acl.login('m', 'jwt'),
    'logout': lambda c: c.acl.logout('x'),
    'create_policy': lambda c: c.acl.create_policy('p'),
    'read_policy': lambda c: c.acl.read_policy(str(uuid.uuid4())),
    'read_policy_by_name': lambda c: c.acl.read_policy_by_name('p'),
    'update_policy': lambda c: c.acl.update_policy(str(uuid.uuid4()), 'p'),
    'delete_policy': lambda c: c.acl.delete_policy(str(uuid.uuid4())),
    'list_policies': lambda c: c.acl.list_policies(),
    'create_role': lambda c: c.acl.create_role('r'),
    'read_role': lambda c: c.acl.read_role(str(uuid.uuid4())),
    'read_role_by_name': lambda c: c.acl.read_role_by_name('r'),
    'update_role': lambda c: c.acl.update_role(str(uuid.uuid4()), 'r'),
    'delete_role': lambda c: c.acl.delete_role(str(uuid.uuid4())),
    'list_roles': lambda c: c.acl.list_roles(),
    'create_auth_method': lambda c: c.acl.create_auth_method('m', 'jwt', {}),
    'read_auth_method': lambda c: c.acl.read_auth_method('m'),
    'update_auth_method': lambda c: c.acl.update_auth_method('m', 'jwt', {}),
    'delete_auth_method': lambda c: c.acl.delete_auth_method('m'),
    'list_auth_methods': lambda c: c.acl.list_auth_methods(),
    'create_binding_rule': lambda c: c.acl.create_binding_rule('m', 'service', 'x'),
    'read_binding_rule': lambda c: c.acl.read_binding_rule(str(uuid.uuid4())),
    'update_binding_rule': lambda c: c.acl.update_binding_rule(
        str(uuid.uuid4()), 'm', 'service', 'x'
    ),
    'delete_binding_rule': lambda c: c.acl.delete_binding_rule(str(uuid.uuid4())),
    'list_binding_rules': lambda c: c.acl.list_binding_rules(),
}


@pytest.mark.parametrize('call', CALLS.values(), ids=CALLS.keys())
def test_every_acl_call_on_an_agent_without_acls_raises_acl_disabled(
    consul: consulate.Consul, call: Call
) -> None:
    with pytest.raises(exceptions.ACLDisabled, match='ACL support disabled'):
        call(consul)


def test_acl_disabled_over_every_transport(any_consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ACLDisabled):
        any_consul.acl.list_tokens()


# -- the legacy (seed) API -----------------------------------------------------------


def test_legacy_create_info_list_update_destroy(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, cleanup: list[Any]
) -> None:
    prefix = unique('legacy')
    acl_id = acl_consul.acl.create('legacy test', rules=f'key "{prefix}/" {{ policy = "write" }}')
    cleanup.append(lambda: forget(acl_consul, acl_id))
    info = acl_consul.acl.info(acl_id)
    assert (info['ID'], info['Name'], info['Type']) == (acl_id, 'legacy test', 'client')
    assert prefix in info['Rules']
    listed = acl_consul.acl.list()
    assert isinstance(listed, list)
    assert acl_id in [entry['ID'] for entry in listed]

    with consul_acl_agent.client(token=acl_id) as client:  # a legacy ID is its secret
        assert can_write(client, f'{prefix}/a')
        assert not can_write(client, f'{unique("other")}/a')
        with pytest.raises(exceptions.Forbidden):
            client.acl.list()
        with pytest.raises(exceptions.Forbidden):
            client.acl.create('escalation', 'management')

        assert acl_consul.acl.update(acl_id, 'renamed', rules='') is True
        assert acl_consul.acl.info(acl_id)['Name'] == 'renamed'
        assert not can_write(client, f'{prefix}/a')

    assert acl_consul.acl.destroy(acl_id) is True
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.info(acl_id)
    assert acl_consul.acl.destroy(acl_id) is True  # repeat-safe, as in 0.6.0
    assert acl_id not in [entry['ID'] for entry in acl_consul.acl.list()]


def test_legacy_update_of_an_unknown_id_creates_it(
    acl_consul: consulate.Consul, cleanup: list[Any]
) -> None:
    acl_id = str(uuid.uuid4())
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.info(acl_id)
    assert acl_consul.acl.update(acl_id, 'made by update', 'management') is True
    cleanup.append(lambda: acl_consul.acl.destroy(acl_id))
    info = acl_consul.acl.info(acl_id)
    assert (info['Name'], info['Type']) == ('made by update', 'management')


def test_legacy_clone_and_management_tokens(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, cleanup: list[Any]
) -> None:
    manager = acl_consul.acl.create('manager', acl_type='management')
    cleanup.append(lambda: acl_consul.acl.destroy(manager))
    copy = acl_consul.acl.clone(manager)
    cleanup.append(lambda: acl_consul.acl.destroy(copy))
    assert isinstance(copy, str)
    assert copy != manager
    assert acl_consul.acl.info(copy)['Type'] == 'management'
    with consul_acl_agent.client(token=copy) as client:
        made = client.acl.create('made by a clone')  # a management token may manage ACLs
        cleanup.append(lambda: acl_consul.acl.destroy(made))
        assert client.acl.info(made)['Type'] == 'client'
    with pytest.raises(exceptions.Forbidden, match='unknown ACL ID too'):
        acl_consul.acl.clone(str(uuid.uuid4()))  # Consul answers 403 for an unknown ID


def test_legacy_clone_and_destroy_without_the_right_raise_forbidden(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, cleanup: list[Any]
) -> None:
    target = acl_consul.acl.create('target of a forbidden destroy')
    cleanup.append(lambda: forget(acl_consul, target))
    reader = acl_consul.acl.create('reader', rules='key "" { policy = "read" }')
    cleanup.append(lambda: forget(acl_consul, reader))
    for token in (reader, str(uuid.uuid4()), None):
        with consul_acl_agent.client(token=token) as client:
            for acl_id in (target, str(uuid.uuid4())):
                with pytest.raises(exceptions.Forbidden):
                    client.acl.destroy(acl_id)
                with pytest.raises(exceptions.Forbidden):
                    client.acl.clone(acl_id)
    assert acl_consul.acl.info(target)['Name'] == 'target of a forbidden destroy'
    assert (
        len([e for e in acl_consul.acl.list() if e['Name'] == 'target of a forbidden destroy']) == 1
    )


def test_legacy_bad_type_is_refused_before_any_request() -> None:
    with consulate.Consul(addr='http://127.0.0.1:1', env={}) as nowhere:
        with pytest.raises(exceptions.ValidationError):
            nowhere.acl.create('x', acl_type='root')
        with pytest.raises(ValueError):
            nowhere.acl.update(str(uuid.uuid4()), 'x', acl_type='root')


def test_rules_translation(acl_consul: consulate.Consul, cleanup: list[Any]) -> None:
    legacy = 'key "app/" { policy = "read" }'
    translated = acl_consul.acl.translate_rules(legacy)
    assert 'key_prefix "app/"' in translated
    acl_id = acl_consul.acl.create('translate me', rules=legacy)
    cleanup.append(lambda: acl_consul.acl.destroy(acl_id))
    # Consul gives a legacy token its AccessorID a moment after creating it
    accessor = eventually(
        lambda: _accessor_of(acl_consul, 'translate me'), what="the legacy token's AccessorID"
    )
    assert 'key_prefix "app/"' in acl_consul.acl.translate_token_rules(accessor)


def _accessor_of(consul: consulate.Consul, description: str) -> str:
    found = [t['AccessorID'] for t in consul.acl.list_tokens() if t['Description'] == description]
    return str(found[0]) if found else ''


# -- missing, bad and under-privileged tokens -----------------------------------------


def test_missing_and_unknown_tokens_are_forbidden(consul_acl_agent: ConsulAgent) -> None:
    with consul_acl_agent.client() as anonymous:
        with pytest.raises(exceptions.Forbidden, match='Permission denied'):
            anonymous.acl.list_tokens()
        with pytest.raises(exceptions.Forbidden):
            anonymous.acl.list()
        with pytest.raises(exceptions.Forbidden, match='ACL not found'):
            anonymous.acl.read_self_token()
    with consul_acl_agent.client(token=str(uuid.uuid4())) as unknown:
        with pytest.raises(exceptions.Forbidden, match='ACL not found'):
            unknown.acl.create_policy(unique('p'))
        with pytest.raises(exceptions.Forbidden):
            unknown.acl.create('x')


def test_bootstrap_is_refused_once_done(acl_consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.Forbidden, match='bootstrap no longer allowed'):
        acl_consul.acl.bootstrap()


def test_bootstrap_of_a_fresh_agent() -> None:
    config = {'primary_datacenter': 'dc1', 'acl': {'enabled': True, 'default_policy': 'allow'}}
    with ConsulAgent(config=config) as agent, agent.client() as anonymous:
        with pytest.raises(exceptions.Forbidden):
            anonymous.acl.list_tokens()
        token = anonymous.acl.bootstrap()
        assert token['Policies'][0]['Name'] == 'global-management'
        with agent.client(token=token['SecretID']) as manager:
            assert token['AccessorID'] in [t['AccessorID'] for t in manager.acl.list_tokens()]
        with pytest.raises(exceptions.Forbidden, match='no longer allowed'):
            anonymous.acl.bootstrap()


def test_replication_status(acl_consul: consulate.Consul) -> None:
    status = acl_consul.acl.replication()
    assert status['Enabled'] is False  # the primary datacenter does not replicate
    assert 'ReplicatedIndex' in status


# -- tokens and policies ---------------------------------------------------------------


def test_policy_create_read_update_list_delete(acl_consul: consulate.Consul) -> None:
    name = unique('policy')
    created = acl_consul.acl.create_policy(
        name, write_rules(name), description='d', datacenters=['dc1']
    )
    try:
        assert (created['Name'], created['Description']) == (name, 'd')
        assert created['Datacenters'] == ['dc1']
        assert acl_consul.acl.read_policy(created['ID'])['Rules'] == write_rules(name)
        assert acl_consul.acl.read_policy_by_name(name)['ID'] == created['ID']
        listed = acl_consul.acl.list_policies()
        assert isinstance(listed, list)
        assert name in [p['Name'] for p in listed]
        updated = acl_consul.acl.update_policy(
            created['ID'], f'{name}-2', 'node_prefix "" { policy = "read" }'
        )
        assert (updated['ID'], updated['Name']) == (created['ID'], f'{name}-2')
        assert acl_consul.acl.read_policy(created['ID'])['Description'] == ''
        with pytest.raises(exceptions.ServerError, match='already exists'):
            acl_consul.acl.create_policy(f'{name}-2')
    finally:
        assert acl_consul.acl.delete_policy(created['ID']) is True
    with pytest.raises(exceptions.Forbidden, match='ACL not found'):
        acl_consul.acl.read_policy(created['ID'])
    with pytest.raises(exceptions.Forbidden, match='ACL not found'):
        acl_consul.acl.read_policy_by_name(name)


def test_bad_rules_are_refused(acl_consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match='Failed to parse ACL rules'):
        acl_consul.acl.create_policy(unique('policy'), 'key_prefix "" { policy = ')


def test_token_rules_are_enforced(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, policy: dict[str, Any]
) -> None:
    token = acl_consul.acl.create_token(description='limited', policies=[policy['Name']])
    try:
        assert token['Policies'] == [{'ID': policy['ID'], 'Name': policy['Name']}]
        read = acl_consul.acl.read_token(token['AccessorID'])
        assert (read['Description'], read['SecretID']) == ('limited', token['SecretID'])
        by_policy = acl_consul.acl.list_tokens(policy=policy['ID'])
        assert [t['AccessorID'] for t in by_policy] == [token['AccessorID']]
        with consul_acl_agent.client(token=token['SecretID']) as client:
            assert client.acl.read_self_token()['AccessorID'] == token['AccessorID']
            assert can_write(client, f'{policy["Name"]}/key')
            assert not can_write(client, f'{unique("other")}/key')
            with pytest.raises(exceptions.Forbidden, match='Permission denied'):
                client.acl.create_token(policies=['global-management'])
            with pytest.raises(exceptions.Forbidden):
                client.acl.list_policies()
            with pytest.raises(exceptions.Forbidden):
                client.acl.delete_token(token['AccessorID'])

            updated = acl_consul.acl.update_token(token['AccessorID'], description='none left')
            assert updated['Description'] == 'none left'
            assert 'Policies' not in updated  # an update replaces the links
            assert not can_write(client, f'{policy["Name"]}/key')
    finally:
        assert acl_consul.acl.delete_token(token['AccessorID']) is True
    with pytest.raises(exceptions.Forbidden, match='ACL not found'):
        acl_consul.acl.read_token(token['AccessorID'])


def test_token_clone_options_and_unknown_policy(
    acl_consul: consulate.Consul, policy: dict[str, Any], cleanup: list[Any]
) -> None:
    accessor, secret = str(uuid.uuid4()), str(uuid.uuid4())
    token = acl_consul.acl.create_token(
        policies=[{'ID': policy['ID']}],
        service_identities=['web', {'ServiceName': 'db'}],
        node_identities=[{'NodeName': 'n1', 'Datacenter': 'dc1'}],
        local=True,
        expiration_ttl='1h',
        accessor_id=accessor,
        secret_id=secret,
    )
    cleanup.append(lambda: acl_consul.acl.delete_token(accessor))
    assert (token['AccessorID'], token['SecretID'], token['Local']) == (accessor, secret, True)
    assert sorted(i['ServiceName'] for i in token['ServiceIdentities']) == ['db', 'web']
    assert token['NodeIdentities'] == [{'NodeName': 'n1', 'Datacenter': 'dc1'}]
    lifetime = _seconds(token['ExpirationTime']) - _seconds(token['CreateTime'])
    assert 3590 < lifetime < 3610
    clone = acl_consul.acl.clone_token(accessor, 'the clone')
    cleanup.append(lambda: acl_consul.acl.delete_token(clone['AccessorID']))
    assert clone['Description'] == 'the clone'
    assert clone['AccessorID'] != accessor
    assert clone['Policies'] == token['Policies']
    assert len(acl_consul.acl.list_tokens()) >= 2
    with pytest.raises(exceptions.ServerError, match='No such ACL policy'):
        acl_consul.acl.create_token(policies=[unique('missing')])
    with pytest.raises(exceptions.ValidationError):
        acl_consul.acl.create_token(policies='global-management')  # type: ignore[arg-type]


def _seconds(timestamp: str) -> float:
    """The POSIX time of one of Consul's RFC 3339 timestamps (to the second)."""
    return datetime.fromisoformat(timestamp[:19]).replace(tzinfo=timezone.utc).timestamp()


def test_role_create_read_update_list_delete(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, policy: dict[str, Any]
) -> None:
    name = unique('role')
    role = acl_consul.acl.create_role(
        name, description='r', policies=[policy['Name']], service_identities=['web']
    )
    try:
        assert role['Policies'] == [{'ID': policy['ID'], 'Name': policy['Name']}]
        assert role['ServiceIdentities'] == [{'ServiceName': 'web'}]
        assert acl_consul.acl.read_role(role['ID'])['Name'] == name
        assert acl_consul.acl.read_role_by_name(name)['ID'] == role['ID']
        assert [r['ID'] for r in acl_consul.acl.list_roles(policy=policy['ID'])] == [role['ID']]
        assert role['ID'] in [r['ID'] for r in acl_consul.acl.list_roles()]

        token = acl_consul.acl.create_token(roles=[name])
        try:
            assert [t['AccessorID'] for t in acl_consul.acl.list_tokens(role=role['ID'])] == [
                token['AccessorID']
            ]
            with consul_acl_agent.client(token=token['SecretID']) as client:
                assert can_write(client, f'{policy["Name"]}/key')  # through the role
                updated = acl_consul.acl.update_role(role['ID'], name, description='emptied')
                assert updated['Description'] == 'emptied'
                assert 'Policies' not in updated
                assert not can_write(client, f'{policy["Name"]}/key')
        finally:
            acl_consul.acl.delete_token(token['AccessorID'])
    finally:
        assert acl_consul.acl.delete_role(role['ID']) is True
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.read_role(role['ID'])
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.read_role_by_name(name)


def test_blocking_read_of_the_token_list(acl_consul: consulate.Consul) -> None:
    acl_consul.acl.list_policies()
    index = acl_consul.acl.last_response.index  # type: ignore[union-attr]
    assert isinstance(index, int)
    started = time.monotonic()
    acl_consul.acl.list_policies(index=index, wait='300ms', consistency='consistent')
    assert time.monotonic() - started >= 0.25
    assert acl_consul.acl.last_response.index == index  # type: ignore[union-attr]


# -- auth methods, binding rules, login and logout ---------------------------------------


@pytest.fixture(scope='module')
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An RSA key made by openssl: its path, and the public key in PEM."""
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.skip('openssl is needed to sign a JWT')
    key = tmp_path_factory.mktemp('jwt') / 'key.pem'
    subprocess.run([openssl, 'genrsa', '-out', str(key), '2048'], check=True, capture_output=True)
    public = subprocess.run(
        [openssl, 'rsa', '-in', str(key), '-pubout'], check=True, capture_output=True, text=True
    ).stdout
    return key, public


def make_jwt(key: Path, claims: dict[str, Any]) -> str:
    """An RS256 JWT of ``claims``, signed by openssl with ``key``."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b'=').decode()

    now = int(time.time())
    header = b64(json.dumps({'alg': 'RS256', 'typ': 'JWT'}).encode())
    payload = b64(json.dumps({'iat': now, 'nbf': now - 5, 'exp': now + 300, **claims}).encode())
    signed = f'{header}.{payload}'.encode()
    signature = subprocess.run(
        ['openssl', 'dgst', '-sha256', '-sign', str(key)],
        input=signed,
        check=True,
        capture_output=True,
    ).stdout
    return f'{header}.{payload}.{b64(signature)}'


def test_auth_method_binding_rule_login_logout(
    consul_acl_agent: ConsulAgent,
    acl_consul: consulate.Consul,
    signing_key: tuple[Path, str],
    cleanup: list[Any],
) -> None:
    key, public = signing_key
    name = unique('jwt')
    config = {
        'JWTValidationPubKeys': [public],
        'BoundAudiences': ['consul'],
        'ClaimMappings': {'service': 'svc'},
    }
    method = acl_consul.acl.create_auth_method(
        name, 'jwt', config, description='d', display_name='JWT', max_token_ttl='1h'
    )
    cleanup.append(lambda: acl_consul.acl.delete_auth_method(name))
    assert (method['Name'], method['Type'], method['MaxTokenTTL']) == (name, 'jwt', '1h0m0s')
    assert acl_consul.acl.read_auth_method(name)['Config']['BoundAudiences'] == ['consul']
    assert name in [m['Name'] for m in acl_consul.acl.list_auth_methods()]
    updated = acl_consul.acl.update_auth_method(name, 'jwt', config, description='changed')
    assert updated['Description'] == 'changed'

    rule = acl_consul.acl.create_binding_rule(
        name, 'service', 'wrong', selector='value.svc != ""', description='r'
    )
    assert acl_consul.acl.read_binding_rule(rule['ID'])['BindName'] == 'wrong'
    rule = acl_consul.acl.update_binding_rule(rule['ID'], name, 'service', '${value.svc}')
    assert rule['BindName'] == '${value.svc}'
    assert [r['ID'] for r in acl_consul.acl.list_binding_rules(auth_method=name)] == [rule['ID']]
    assert rule['ID'] in [r['ID'] for r in acl_consul.acl.list_binding_rules()]

    jwt = make_jwt(key, {'aud': 'consul', 'sub': 'x', 'service': 'web'})
    with consul_acl_agent.client() as anonymous:
        token = anonymous.acl.login(name, jwt, meta={'pod': 'p1'})
        assert token['AuthMethod'] == name
        assert token['ServiceIdentities'] == [{'ServiceName': 'web'}]
        assert [t['AccessorID'] for t in acl_consul.acl.list_tokens(auth_method=name)] == [
            token['AccessorID']
        ]
        with consul_acl_agent.client(token=token['SecretID']) as client:
            assert client.acl.read_self_token()['AccessorID'] == token['AccessorID']
            assert client.agent.service.register('web') is True  # the identity's right
            client.agent.service.deregister('web')
            assert anonymous.acl.logout(token['SecretID']) is True
            with pytest.raises(exceptions.Forbidden, match='ACL not found'):
                client.acl.read_self_token()

        second = anonymous.acl.login(name, jwt)
        with consul_acl_agent.client(token=second['SecretID']) as client:
            assert client.acl.logout() is True  # the client's own token
            with pytest.raises(exceptions.Forbidden):
                client.acl.read_self_token()
        with pytest.raises(exceptions.ServerError, match='aud claim does not match'):
            anonymous.acl.login(name, make_jwt(key, {'aud': 'someone else', 'service': 'web'}))
        with pytest.raises(exceptions.Forbidden, match='ACL not found'):
            anonymous.acl.login(unique('missing'), jwt)
        with pytest.raises(exceptions.Forbidden):
            acl_consul.acl.logout()  # the management token was not made by a login

    assert acl_consul.acl.delete_binding_rule(rule['ID']) is True
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.read_binding_rule(rule['ID'])
    assert acl_consul.acl.delete_auth_method(name) is True
    with pytest.raises(exceptions.NotFound):
        acl_consul.acl.read_auth_method(name)


def test_legacy_calls_where_the_routes_are_gone_raise_unsupported_endpoint(
    acl_consul: consulate.Consul,
) -> None:
    # Consul 1.11+ has no legacy ACL routes; a base URI under which this agent
    # has no routes at all stands in for such an agent.
    acl = ACL(f'{acl_consul.base_uri}/gone', acl_consul.adapter, token=None)
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'removed in Consul 1\.11'):
        acl.list()
    with pytest.raises(exceptions.NotFound):
        acl.create('x')


# -- templated policies (Consul 1.17+) ---------------------------------------------------


@pytest.mark.parametrize(
    ('call', 'method', 'path'),
    [
        (lambda c: c.acl.list_templated_policies(), 'GET', 'templated-policies'),
        (
            lambda c: c.acl.read_templated_policy('builtin/service'),
            'GET',
            'templated-policy/name/builtin/service',
        ),
        (
            lambda c: c.acl.preview_templated_policy('builtin/service', {'Name': 'api'}),
            'POST',
            'templated-policy/preview/builtin/service',
        ),
    ],
)
@pytest.mark.parametrize('acls', [True, False])
def test_templated_policies_need_consul_1_17(
    acl_consul: consulate.Consul,
    consul: consulate.Consul,
    call: Call,
    method: str,
    path: str,
    acls: bool,
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint) as raised:
        call(acl_consul if acls else consul)
    assert raised.value.status_code == 404
    assert raised.value.method == method
    assert raised.value.path == f'/v1/acl/{path}'  # the template name's / is a path separator
    assert 'this endpoint needs Consul 1.17' in str(raised.value)
