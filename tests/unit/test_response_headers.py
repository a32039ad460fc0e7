"""Consul's metadata headers are read defensively, and transport errors are requests' too.

A garbled or repeated ``X-Consul-Index`` (requests joins a repeated header
with ``', '``) is an :class:`~consulate.exceptions.InvalidResponse`, never a
builtins ``ValueError`` from ``int()``: blocking queries cannot go on from it.
The headers that only inform (``X-Consul-KnownLeader``,
``X-Consul-LastContact``, ``Age``, ``Retry-After``) read as unknown instead.
"""

from __future__ import annotations

import pytest
import requests

from consulate import exceptions
from consulate.adapters import Response
from consulate.adapters.request import retry_after_seconds


def answer(**headers: str) -> Response:
    return Response(200, b'[]', {name.replace('_', '-'): value for name, value in headers.items()})


@pytest.mark.parametrize('value', ['5, 5', '\u00b2', '-1', '12abc', ' ', '1e3'])
def test_a_garbled_or_repeated_index_is_an_invalid_response(value: str) -> None:
    with pytest.raises(exceptions.InvalidResponse, match='X-Consul-Index'):
        assert answer(X_Consul_Index=value).index is None  # never reached


def test_a_well_formed_index_and_metadata_are_read() -> None:
    response = answer(X_Consul_Index=' 42 ', X_Consul_KnownLeader='true', X_Consul_LastContact='7')
    assert (response.index, response.known_leader, response.last_contact) == (42, True, 7)
    assert answer().index is None


@pytest.mark.parametrize('value', ['5, 5', '\u00b2', 'maybe', ''])
def test_garbled_informative_headers_read_as_unknown(value: str) -> None:
    response = answer(X_Consul_KnownLeader=value, X_Consul_LastContact=value, Age=value)
    assert response.last_contact is None and response.age is None
    assert response.known_leader is None


@pytest.mark.parametrize('value', ['\u00b2', '5, 5', 'soon', 'Mon, 99 Foo 2026 99:99:99 GMT'])
def test_a_garbled_retry_after_is_ignored(value: str) -> None:
    assert retry_after_seconds(value) is None


@pytest.mark.parametrize(
    ('error', 'bases'),
    [
        (exceptions.ConnectError('x'), (requests.exceptions.ConnectionError,)),
        (exceptions.ConnectionBroken('x'), (requests.exceptions.ConnectionError,)),
        (exceptions.TLSError('x'), (requests.exceptions.SSLError,)),
        (exceptions.RequestTimeout('x'), (requests.exceptions.Timeout,)),
        (
            exceptions.ConnectTimeout('x'),
            (requests.exceptions.ConnectTimeout, exceptions.ConnectError),
        ),
        (exceptions.InvalidResponse('x'), (requests.exceptions.RequestException,)),
    ],
)
def test_transport_errors_are_also_requests_exceptions(
    error: exceptions.RequestError, bases: tuple[type[BaseException], ...]
) -> None:
    assert isinstance(error, (exceptions.RequestError, requests.exceptions.RequestException))
    for base in bases:
        assert isinstance(error, base)
    assert error.sent is not None and error.maybe_applied is False
