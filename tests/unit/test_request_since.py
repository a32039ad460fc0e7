"""Endpoint._request_since: telling a missing route from a missing resource.

A real 1.8.7 agent shows the empty-404 case (tests/integration/test_operator.py
and the others); the texts of newer agents cannot come from it, so a stub
transport answers here.
"""

from __future__ import annotations

from typing import Any

import pytest

from consulate import adapters, exceptions
from consulate.adapters import RawResponse, WireRequest
from consulate.api.base import Endpoint


class Canned:
    """A transport answering each method with a fixed (status, body); records what was asked."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def send(self, request: WireRequest) -> RawResponse:
        self.asked.append((request.method, request.target))
        status, body = self.answers[request.method]
        return RawResponse(status, {}, body)

    def close(self) -> None:
        pass


def call(answers: dict[str, tuple[int, bytes]], **kwargs: Any) -> tuple[Any, Canned]:
    transport = Canned(answers)
    endpoint = Endpoint('http://127.0.0.1:8500/v1', adapters.Request(transport=transport))
    url = 'http://127.0.0.1:8500/v1/peering/x'
    return endpoint._request_since('Consul 1.13', 'GET', url, **kwargs), transport


def test_newer_agents_say_the_route_is_unknown() -> None:
    body = b'Invalid URL path: not a recognized HTTP API endpoint'
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.13') as raised:
        call({'GET': (404, body)})
    assert raised.value.path == '/v1/peering/x'


def test_an_empty_404_is_a_missing_route_when_options_is_404_too() -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint):
        call({'GET': (404, b''), 'OPTIONS': (404, b'')})


def test_an_empty_404_on_a_known_route_is_not_found() -> None:
    with pytest.raises(exceptions.NotFound) as raised:
        call({'GET': (404, b''), 'OPTIONS': (200, b'')})
    assert not isinstance(raised.value, exceptions.UnsupportedEndpoint)


def test_a_404_with_a_message_is_not_found_without_probing() -> None:
    with pytest.raises(exceptions.NotFound, match='Peering not found') as raised:
        call({'GET': (404, b'Peering not found for "x"')})
    assert not isinstance(raised.value, exceptions.UnsupportedEndpoint)


def test_allow_404_returns_the_answer_of_a_known_route() -> None:
    response, transport = call({'GET': (404, b''), 'OPTIONS': (200, b'')}, allow_404=True)
    assert response.status_code == 404
    assert [method for method, _ in transport.asked] == ['GET', 'OPTIONS']


def test_other_statuses_pass_through() -> None:
    response, transport = call({'GET': (200, b'{}')})
    assert response.json() == {}
    assert len(transport.asked) == 1
    with pytest.raises(exceptions.ServerError):
        call({'GET': (500, b'boom')})
