"""Transactions (``consul.txn``) and bulk KV (``kv.update``, ``kv.delete_many``) against a real agent."""

from __future__ import annotations

import base64

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from tests.support.names import unique


def stored(consul: consulate.Consul, key: str) -> bytes | None:
    """The bytes Consul holds for ``key``, read without consulate's decoding (None: missing)."""
    response = consul.adapter.get(f'{consul.base_uri}/kv/{key}')
    if response.status_code == 404:
        return None
    value = response.json()[0]['Value']
    return b'' if value is None else base64.b64decode(value)


def test_execute_applies_every_kv_verb_and_returns_results(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/old'] = 'x'
    consul.kv[f'{prefix}/tree/a'] = 'a'
    results = consul.txn.execute(
        [
            txn.kv_set(f'{prefix}/bin', b'\x00\xff'),
            txn.kv_set(f'{prefix}/json', {'a': 1}, flags=42),
            txn.kv_cas(f'{prefix}/new', 'fresh', 0),
            txn.kv_delete(f'{prefix}/old'),
            txn.kv_delete_tree(f'{prefix}/tree'),
            txn.kv_check_not_exists(f'{prefix}/old'),
            txn.kv_get(f'{prefix}/bin'),
        ]
    )
    assert stored(consul, f'{prefix}/bin') == b'\x00\xff'
    assert stored(consul, f'{prefix}/json') == b'{"a": 1}'
    assert consul.kv.get_record(f'{prefix}/json')['Flags'] == 42
    assert stored(consul, f'{prefix}/new') == b'fresh'
    assert stored(consul, f'{prefix}/old') is None
    assert stored(consul, f'{prefix}/tree/a') is None
    # One result per set, cas and get; none for deletes and checks.
    assert [r['KV']['Key'] for r in results] == [
        f'{prefix}/bin',
        f'{prefix}/json',
        f'{prefix}/new',
        f'{prefix}/bin',
    ]
    assert results[-1]['KV']['Value'] == b'\x00\xff'
    assert results[0]['KV']['Value'] is None


def test_get_tree_and_check_index_read_inside_a_transaction(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv.update({f'{prefix}/a': '1', f'{prefix}/b': '2'})
    index = consul.kv.get_record(f'{prefix}/a')['ModifyIndex']
    results = consul.txn.execute(
        [txn.kv_check_index(f'{prefix}/a', index), txn.kv_get_tree(prefix)],
        consistency='stale',
    )
    assert {r['KV']['Key']: r['KV']['Value'] for r in results} == {
        f'{prefix}/a': b'1',
        f'{prefix}/b': b'2',
    }
    # A read-only transaction is answered like a read: with leader metadata.
    assert consul.txn.last_response is not None
    assert consul.txn.last_response.known_leader is True


def test_rollback_lists_every_failed_operation_and_applies_nothing(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/exists'] = 'v'
    with pytest.raises(exceptions.TransactionFailed) as caught:
        consul.txn.execute(
            [
                txn.kv_set(f'{prefix}/written', 'no'),
                txn.kv_cas(f'{prefix}/exists', 'w', 1),
                txn.kv_get(f'{prefix}/missing'),
            ]
        )
    error = caught.value
    assert [index for index, _ in error.errors] == [1, 2]
    assert 'index is stale' in error.errors[0][1]
    assert 'missing' in error.errors[1][1]
    assert 'operation 1' in str(error) and 'operation 2' in str(error)
    assert isinstance(error, exceptions.Conflict)
    assert stored(consul, f'{prefix}/written') is None
    assert stored(consul, f'{prefix}/exists') == b'v'


def test_more_operations_than_allowed_is_refused_before_any_request(
    consul: consulate.Consul, prefix: str
) -> None:
    ops = [txn.kv_set(f'{prefix}/{i}', i) for i in range(65)]
    with pytest.raises(exceptions.ValidationError, match='at most 64'):
        consul.txn.execute(ops)
    with pytest.raises(exceptions.ValidationError):
        consul.txn.execute([])
    assert consul.kv.find(prefix) == {}
    # 64 is the limit of Consul 1.8.7 and is accepted.
    consul.txn.execute(ops[:64])
    assert len(consul.kv.find(prefix)) == 64


def test_the_server_limit_is_the_one_checked(consul: consulate.Consul, prefix: str) -> None:
    endpoint = consul.txn
    endpoint.max_operations = 65
    try:
        with pytest.raises(exceptions.PayloadTooLarge, match='too many operations'):
            endpoint.execute([txn.kv_set(f'{prefix}/{i}', i) for i in range(65)])
    finally:
        del endpoint.max_operations
    assert consul.kv.find(prefix) == {}


def test_lock_check_session_and_unlock(consul: consulate.Consul, prefix: str) -> None:
    session = consul.session.create(ttl='30s')
    try:
        key = f'{prefix}/lock'
        consul.txn.execute([txn.kv_lock(key, session, 'held')])
        assert consul.kv.get_record(key)['Session'] == session
        consul.txn.execute([txn.kv_check_session(key, session), txn.kv_unlock(key, session)])
        assert 'Session' not in consul.kv.get_record(key)
        with pytest.raises(exceptions.TransactionFailed):
            consul.txn.execute([txn.kv_check_session(key, session)])
    finally:
        consul.session.destroy(session)


def test_delete_cas_fails_on_a_stale_index(consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/k'
    consul.kv[key] = 'v'
    index = consul.kv.get_record(key)['ModifyIndex']
    with pytest.raises(exceptions.TransactionFailed):
        consul.txn.execute([txn.kv_delete_cas(key, index - 1)])
    consul.txn.execute([txn.kv_delete_cas(key, index)])
    assert stored(consul, key) is None


def test_node_service_and_check_operations(consul: consulate.Consul) -> None:
    node = unique('txn-node')
    try:
        consul.txn.execute(
            [
                txn.node_set({'Node': node, 'Address': '192.0.2.10'}),
                txn.service_set(node, {'ID': 'web1', 'Service': 'web', 'Port': 80}),
                txn.check_set(
                    {'Node': node, 'CheckID': 'web1-up', 'Name': 'up', 'Status': 'passing'}
                ),
            ]
        )
        results = consul.txn.execute(
            [txn.node_get(node), txn.service_get(node, 'web1'), txn.check_get(node, 'web1-up')]
        )
        assert results[0]['Node']['Address'] == '192.0.2.10'
        assert results[1]['Service']['Port'] == 80
        assert results[2]['Check']['Status'] == 'passing'
        index = results[0]['Node']['ModifyIndex']
        with pytest.raises(exceptions.TransactionFailed):
            consul.txn.execute([txn.node_cas({'Node': node, 'Address': '192.0.2.11'}, index - 1)])
        consul.txn.execute(
            [
                txn.check_delete(node, 'web1-up'),
                txn.service_delete(node, 'web1', name='web'),
                txn.node_delete_cas(node, index),
            ]
        )
        with pytest.raises(exceptions.NotFound):
            consul.catalog.node(node)
    finally:
        consul.catalog.deregister(node)


def test_execute_batches_splits_by_count_and_reports_progress(
    consul: consulate.Consul, prefix: str
) -> None:
    calls: list[tuple[int, int]] = []
    ops = [txn.kv_set(f'{prefix}/{i:03d}', i) for i in range(150)]
    assert consul.txn.execute_batches(ops, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(64, 150), (128, 150), (150, 150)]
    assert consul.kv.find(prefix) == {f'{prefix}/{i:03d}': str(i) for i in range(150)}


def test_execute_batches_splits_by_size(consul: consulate.Consul, prefix: str) -> None:
    value = b'x' * (200 * 1024)  # three of these, base64-encoded, exceed 512 KiB
    calls: list[tuple[int, int]] = []
    ops = [txn.kv_set(f'{prefix}/{i}', value) for i in range(5)]
    written = consul.txn.execute_batches(ops, progress=lambda d, t: calls.append((d, t)))
    assert written == 5
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert all(stored(consul, f'{prefix}/{i}') == value for i in range(5))


def test_one_operation_too_large_for_any_batch_writes_nothing(
    consul: consulate.Consul, prefix: str
) -> None:
    ops = [txn.kv_set(f'{prefix}/small', 'v'), txn.kv_set(f'{prefix}/huge', b'x' * 400_000)]
    with pytest.raises(exceptions.ValueTooLarge, match='operation 1'):
        consul.txn.execute_batches(ops)
    assert consul.kv.find(prefix) == {}


def test_batch_failure_names_written_and_unwritten_keys(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/guard'] = 'taken'
    ops = [txn.kv_set(f'{prefix}/k{i:03d}', i) for i in range(100)]
    ops.insert(70, txn.kv_check_not_exists(f'{prefix}/guard'))  # fails the second batch
    with pytest.raises(exceptions.BatchFailed) as caught:
        consul.txn.execute_batches(ops)
    error = caught.value
    assert error.written == [f'{prefix}/k{i:03d}' for i in range(64)]
    assert error.unwritten[0] == f'{prefix}/k064'
    assert f'{prefix}/k099' in error.unwritten
    assert error.uncertain == []
    assert isinstance(error.cause, exceptions.TransactionFailed)
    assert error.__cause__ is error.cause
    assert '64 keys were written' in str(error)
    # What the exception says is what Consul holds: the first batch only.
    assert set(consul.kv.find(prefix)) == {f'{prefix}/guard', *error.written}


def test_kv_update_stores_values_as_setitem_does(consul: consulate.Consul, prefix: str) -> None:
    data = {f'{prefix}/text': 'I like ✈', f'{prefix}/bin': b'\xff', f'{prefix}/obj': {'a': [1]}}
    assert consul.kv.update(data) == 3
    assert consul.kv.update([(f'{prefix}/pair', True)]) == 1
    assert stored(consul, f'{prefix}/text') == 'I like ✈'.encode()
    assert stored(consul, f'{prefix}/bin') == b'\xff'
    assert consul.kv[f'{prefix}/obj'] == '{"a": [1]}'
    assert consul.kv[f'{prefix}/pair'] == 'true'
    assert consul.kv.update({}) == 0


def test_kv_update_of_many_keys_and_delete_many(consul: consulate.Consul, prefix: str) -> None:
    data = {f'{prefix}/{i:04d}': f'value-{i}' for i in range(1000)}
    assert consul.kv.update(data) == 1000
    assert consul.kv.find(prefix) == data
    keys = [*list(data)[:700], f'{prefix}/never-existed']
    assert consul.kv.delete_many(keys) == 701
    assert consul.kv.find(prefix) == {k: v for k, v in data.items() if k not in keys}


def test_kv_update_refuses_a_bad_key_before_writing(consul: consulate.Consul, prefix: str) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul.kv.update({f'{prefix}/good': 1, f'{prefix}/../bad': 2})
    assert consul.kv.find(prefix) == {}
