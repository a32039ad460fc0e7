"""KeyedList: 0.6.0's ``[{key: value}]`` that also answers for the dict it holds."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from consulate.api.keyed import KeyedList

RECORDS = {'web': {'ID': 'web', 'Port': 80}, 'api-1': {'ID': 'api-1', 'Port': 81}}


def test_it_is_the_plain_060_value() -> None:
    keyed = KeyedList.of(RECORDS)
    assert keyed == [RECORDS] and [RECORDS] == keyed
    assert isinstance(keyed, list) and len(keyed) == 1
    assert keyed[0] is RECORDS and keyed[-1] is RECORDS and keyed[:1] == [RECORDS]
    assert list(keyed) == [RECORDS]  # iteration is the list's: the one dict
    assert json.dumps(keyed) == json.dumps([RECORDS])
    assert pickle.loads(pickle.dumps(keyed)) == [RECORDS]
    assert copy.deepcopy(keyed) == [RECORDS]


def test_it_answers_the_dict_idioms_that_do_not_clash_with_a_list() -> None:
    keyed = KeyedList.of(RECORDS)
    assert 'web' in keyed and 'api-1' in keyed and 'db' not in keyed
    assert RECORDS in keyed and {} not in keyed  # other objects: list membership
    assert keyed['web']['Port'] == 80
    with pytest.raises(KeyError):
        keyed['db']
    with pytest.raises(IndexError):
        keyed[1]
    assert keyed.get('db') is None and keyed.get('db', 0) == 0
    assert list(keyed.keys()) == ['web', 'api-1']
    assert [r['Port'] for r in keyed.values()] == [80, 81]
    assert dict(keyed.items()) == RECORDS


def test_an_empty_object_is_a_true_list_of_one_empty_dict() -> None:
    keyed = KeyedList.of({})
    assert keyed == [{}] and len(keyed) == 1 and bool(keyed)
    assert 'web' not in keyed and list(keyed.items()) == []


def test_a_list_not_holding_one_dict_answers_as_empty() -> None:
    assert 'web' not in KeyedList() and KeyedList().get('web') is None
    assert list(KeyedList([RECORDS, RECORDS]).keys()) == []
