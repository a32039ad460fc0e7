"""Hostile input: any key, any value, keys and values Consul refuses, and garbage answers.

Property-based tests (hypothesis) write generated keys and values to a real
agent and read them back; refusals are checked against what the agent then
holds; the garbage answers come from the recording proxy in front of a real
agent (a gateway's HTML page, a body cut off in the middle).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent
from tests.support.proxy import Canned, RecordingProxy

#: Consul's default kv_max_value_size: 512 KiB.
MAX_VALUE = 512 * 1024

SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def keys_of(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Keys of 1-4 segments of ``characters``, none empty, '.' or '..'."""
    segment = st.text(characters, min_size=1, max_size=12).filter(lambda s: s not in ('.', '..'))
    return st.lists(segment, min_size=1, max_size=4).map('/'.join)


#: Any printable key (what a URL may carry).
printable_keys = keys_of(
    st.characters(
        codec='utf-8',
        exclude_categories=['Cc', 'Cf', 'Co', 'Cn', 'Zl', 'Zp', 'Zs'],
        include_characters=' ',
        exclude_characters='/',
    ).filter(str.isprintable)
)
#: Any key without control characters (what a transaction may carry).
txn_keys = keys_of(st.characters(codec='utf-8', exclude_categories=['Cc'], exclude_characters='/'))


@st.composite
def values(draw: st.DrawFn) -> bytes:
    """Any bytes up to 512 KiB: small ones shaped by hypothesis, large ones from a seed."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=256))
    size = draw(st.one_of(st.integers(0, MAX_VALUE), st.sampled_from([MAX_VALUE - 1, MAX_VALUE])))
    return random.Random(draw(st.integers(0, 2**32 - 1))).randbytes(size)


def known_to_the_agent(key: str) -> bool:
    """True when every character of ``key`` was already assigned in Unicode 3.2.

    The agent checks a URL against the Unicode tables of the Go it was built
    with (Consul 1.8.7: Go 1.15, Unicode 12), older than Python's: a character
    assigned since then may be printable to Python and refused by the agent.
    """
    return all(unicodedata.ucd_3_2_0.category(char) != 'Cn' for char in key)


@settings(SETTINGS, max_examples=100)
@given(key=printable_keys, value=values())
def test_any_printable_key_and_any_value_round_trip(
    consul: consulate.Consul, prefix: str, key: str, value: bytes
) -> None:
    full = f'{prefix}/{key}'
    event(f'{len(value) // (128 * 1024) * 128} KiB <= size')
    try:
        try:
            consul.kv[full] = value
        except exceptions.BadRequest:
            # Only a character newer than the agent's Unicode tables is refused;
            # then nothing is stored.
            assert not known_to_the_agent(key)
            assert consul.kv.records(prefix, raw=True) == []
            return
        assert consul.kv.get(full, raw=True) == value
        assert consul.kv.records(prefix, raw=True) == [(full, 0, value)]
        assert full in consul.kv
    finally:
        consul.kv.delete(prefix, recurse=True)


@settings(SETTINGS, max_examples=60)
@given(key=txn_keys, value=st.binary(max_size=1024))
def test_any_key_without_control_characters_round_trips_through_a_transaction(
    consul: consulate.Consul, prefix: str, key: str, value: bytes
) -> None:
    # Keys a URL cannot carry (format characters, other spaces, unassigned code
    # points) can still be written, listed and read back by a transaction.
    full = f'{prefix}/{key}'
    try:
        consul.txn.execute([txn.kv_set(full, value)])
        assert consul.txn.execute([txn.kv_get(full)])[0]['KV']['Value'] == (value or None)
        assert consul.kv.records(prefix, raw=True) == [(full, 0, value)]
    finally:
        consul.kv.delete(prefix, recurse=True)


# -- keys and values Consul refuses --------------------------------------------

REFUSED_KEYS = [
    '',
    '/',
    '//x',
    '{p}//b',
    '{p}/./b',
    '{p}/../b',
    '{p}/..',
    '{p}/.',
    '{p}/a\nb',
    '{p}/a\x00b',
    '{p}/a\x7f',
    '{p}/a\x85b',  # a C1 control character
    '{p}/a\xa0b',  # a no-break space
    '{p}/a\u200bb',  # a zero-width space (a format character)
    '{p}/a\u2028b',  # a line separator
    '{p}/\ufeff',  # a byte order mark
    '{p}/a\ue000b',  # a private-use character
]


@pytest.mark.parametrize('template', REFUSED_KEYS)
def test_a_key_consul_would_refuse_or_rewrite_is_refused_before_sending(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, template: str
) -> None:
    key = template.format(p=prefix)
    with RecordingProxy(consul_agent.http_addr) as proxy:
        client = proxy.client()
        calls = [
            lambda: client.kv.set(key, 'v'),
            lambda: client.kv.get(key),
            lambda: client.kv.delete(key),
            lambda: client.kv.set_record(key, 1, 'v'),
            lambda: key in client.kv,
        ]
        for call in calls:
            with pytest.raises(exceptions.ValidationError, match='KV key') as caught:
                call()
            assert isinstance(caught.value, ValueError)
        assert proxy.seen == []  # nothing was sent
    assert consul.kv.records(prefix, raw=True) == []
    assert consul.kv.find('', '/') == sorted(consul.kv.find('', '/'))  # the store still lists


@pytest.mark.parametrize('name', ['a\x85b', 'a\xa0b', 'a\u200bb', '\ufeff', 'a\ue000b'])
def test_a_lock_on_a_key_consul_would_refuse_leaves_nothing_behind(
    consul: consulate.Consul, prefix: str, name: str
) -> None:
    sessions = {session['ID'] for session in consul.session.list()}
    with pytest.raises(exceptions.ValidationError, match='KV key'):
        consul.lock.acquire(f'{prefix}/{name}')
    with pytest.raises(exceptions.ValidationError, match='KV key'):
        consul.semaphore.acquire(f'{prefix}/{name}', 2)
    assert {session['ID'] for session in consul.session.list()} <= sessions
    assert consul.kv.records(consul.lock.prefix, raw=True) == [] or all(
        prefix not in key for key, _flags, _value in consul.kv.records(consul.lock.prefix)
    )


def test_a_character_newer_than_the_agents_unicode_is_refused_by_the_agent(
    consul: consulate.Consul, prefix: str
) -> None:
    blueberries = '\U0001fad0'  # Unicode 13; Consul 1.8.7's Go knows Unicode 12
    if not blueberries.isprintable():  # pragma: no cover - a Python older than 3.10
        pytest.skip('this Python does not know the character either')
    with pytest.raises(exceptions.BadRequest, match=f'400 on PUT /v1/kv/{prefix}/'):
        consul.kv[f'{prefix}/{blueberries}'] = 'v'
    assert consul.kv.records(prefix, raw=True) == []


@pytest.mark.parametrize('size', [MAX_VALUE + 1, 2 * MAX_VALUE])
def test_an_oversized_value_is_refused_and_stores_nothing(
    consul: consulate.Consul, prefix: str, size: int
) -> None:
    consul.kv[f'{prefix}/kept'] = 'old value'
    big = b'x' * size
    writes: dict[str, Callable[[], Any]] = {
        'kv[key] =': lambda: consul.kv.__setitem__(f'{prefix}/kept', big),
        'new key': lambda: consul.kv.set(f'{prefix}/new', big),
        'set_record': lambda: consul.kv.set_record(f'{prefix}/kept', 7, big),
        'txn': lambda: consul.txn.execute([txn.kv_set(f'{prefix}/kept', big)]),
        'update': lambda: consul.kv.update({f'{prefix}/new': 'small', f'{prefix}/kept': big}),
    }
    for name, write in writes.items():
        with pytest.raises(
            (exceptions.PayloadTooLarge, exceptions.ValueTooLarge), match='524288 bytes'
        ):
            write()
        assert consul.kv.records(prefix, raw=True) == [(f'{prefix}/kept', 0, b'old value')], name


def test_the_largest_value_is_stored(consul: consulate.Consul, prefix: str) -> None:
    value = random.Random(1).randbytes(MAX_VALUE)
    consul.kv[f'{prefix}/largest'] = value
    assert consul.kv.get(f'{prefix}/largest', raw=True) == value


# -- garbage answers -------------------------------------------------------------

READS: dict[str, Callable[[consulate.Consul, str], Any]] = {
    'kv.get': lambda consul, key: consul.kv.get(key),
    'kv[key]': lambda consul, key: consul.kv[key],
    'kv.get_record': lambda consul, key: consul.kv.get_record(key),
    'kv.find': lambda consul, key: consul.kv.find(key),
    'kv.records': lambda consul, key: consul.kv.records(key),
    'kv.keys': lambda consul, key: consul.kv.keys(),
    'kv.items': lambda consul, key: consul.kv.items(),
    'session.list': lambda consul, key: consul.session.list(),
    'session.create': lambda consul, key: consul.session.create(),
    'status.leader': lambda consul, key: consul.status.leader(),
    'status.peers': lambda consul, key: consul.status.peers(),
    'catalog.nodes': lambda consul, key: consul.catalog.nodes(),
    'health.state': lambda consul, key: consul.health.state('any'),
    'txn.execute': lambda consul, key: consul.txn.execute([txn.kv_get(key)]),
    'lock.acquire': lambda consul, key: consul.lock.acquire(f'{key}-lock'),
}

GARBAGE = {
    'HTML page': Canned(
        200, b'<html><body>Sign in to the Wi-Fi</body></html>', {'Content-Type': 'text/html'}
    ),
    'HTML labelled JSON': Canned(
        200, b'<html><body>oops</body></html>', {'Content-Type': 'application/json'}
    ),
    'body cut short': Canned(cut=1),
}


@pytest.mark.parametrize('garbage', list(GARBAGE))
@pytest.mark.parametrize('read', list(READS))
def test_a_garbage_answer_raises_a_consulate_exception(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, read: str, garbage: str
) -> None:
    consul.kv[f'{prefix}/key'] = 'a value long enough to be cut'
    answer = GARBAGE[garbage]
    with RecordingProxy(consul_agent.http_addr, answer=lambda seen: answer) as proxy:
        client = proxy.client(retries=2)
        with pytest.raises(exceptions.RequestError) as caught:
            READS[read](client, f'{prefix}/key')
    # InvalidResponse for a body that is not JSON, RequestError for a cut one;
    # never a JSONDecodeError, a TypeError or a requests/urllib3 exception.
    assert type(caught.value).__module__ == 'consulate.exceptions'
    if garbage == 'body cut short' and proxy.seen[0].method == 'GET':
        assert len(proxy.seen) == 3  # a read whose connection broke is sent again
    else:
        assert len(proxy.seen) == 1  # not retried, though ``retries`` allows it
    assert caught.value.__cause__ is not None or isinstance(
        caught.value, exceptions.InvalidResponse
    )


def test_a_gateway_error_page_is_a_server_error(consul_agent: ConsulAgent, prefix: str) -> None:
    page = Canned(502, b'<html><h1>502 Bad Gateway</h1></html>', {'Content-Type': 'text/html'})
    with RecordingProxy(consul_agent.http_addr, answer=lambda seen: page) as proxy:
        client = proxy.client()
        with pytest.raises(exceptions.ServerError, match='502 on GET') as caught:
            client.kv[f'{prefix}/key']
    assert caught.value.status_code == 502
    assert 'Bad Gateway' in caught.value.message


#: What each call gives for each JSON body a proxy may send instead of Consul's:
#: InvalidResponse, or (where the shape is right) the value the call must return.
SHAPES: dict[bytes, dict[str, Any]] = {
    b'null': {},
    b'{}': {},
    b'[]': {'kv.find': {}, 'kv.records': [], 'kv.keys': []},  # an empty listing is right
    b'[1]': {},
    b'[{"Key": "k"}]': {},  # session.renew: a session without its ID is none
    b'"x"': {},
}


@pytest.mark.parametrize('body', list(SHAPES))
def test_a_wrong_shaped_answer_is_an_invalid_response(
    consul_agent: ConsulAgent, body: bytes
) -> None:
    """JSON of the wrong shape from a proxy raises InvalidResponse, not TypeError or KeyError."""
    answer = Canned(200, body, {'Content-Type': 'application/json'})
    with RecordingProxy(consul_agent.http_addr, answer=lambda seen: answer) as proxy:
        consul = proxy.client()
        calls: dict[str, Callable[[], Any]] = {
            'kv[key]': lambda: consul.kv['k'],
            'kv.get_record': lambda: consul.kv.get_record('k'),
            'kv.find': lambda: consul.kv.find('k'),
            'kv.records': lambda: consul.kv.records('k', raw=True),
            'kv.keys': consul.kv.keys,
            'session.create': consul.session.create,
            'session.renew': lambda: consul.session.renew('s'),
        }
        for name, call in calls.items():
            if name in SHAPES[body]:
                assert call() == SHAPES[body][name], name
                continue
            with pytest.raises(exceptions.InvalidResponse) as caught:
                call()
            assert type(caught.value) is exceptions.InvalidResponse, name
            # the message says which request got what shape, never what the body holds
            # (a wrong-shaped answer to a token read would still carry the token)
            message = str(caught.value)
            assert message.startswith('200 on '), name
            assert ' expected ' in message and ', got ' in message, name
            assert body.decode() not in message or body in (b'null', b'[]', b'{}'), name
    # one request per call: a wrong shape is not retried, and nothing reached the agent
    assert [seen.method for seen in proxy.seen] == ['GET'] * 5 + ['PUT'] * 2
