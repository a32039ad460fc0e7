"""The status -> exception table and what the exceptions say."""

from __future__ import annotations

import pytest

from consulate import exceptions


@pytest.mark.parametrize(
    ('status', 'expected'),
    [
        (400, exceptions.BadRequest),
        (401, exceptions.ACLDisabled),
        (403, exceptions.Forbidden),
        (404, exceptions.NotFound),
        (405, exceptions.MethodNotAllowed),
        (409, exceptions.Conflict),
        (413, exceptions.PayloadTooLarge),
        (415, exceptions.ClientError),
        (429, exceptions.TooManyRequests),
        (500, exceptions.ServerError),
        (502, exceptions.ServerError),
        (503, exceptions.ServerError),
    ],
)
def test_each_error_status_raises_its_exception(status: int, expected: type) -> None:
    with pytest.raises(expected) as caught:
        exceptions.raise_for_status(status, 'GET', '/v1/kv/a', b'the text')
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.method == 'GET'
    assert caught.value.path == '/v1/kv/a'
    assert caught.value.message == 'the text'


@pytest.mark.parametrize('status', [200, 204, 301, 399])
def test_statuses_below_400_raise_nothing(status: int) -> None:
    assert exceptions.raise_for_status(status, 'GET', '/v1/kv/a', b'') is None


def test_client_and_server_errors_share_the_root() -> None:
    for cls in (exceptions.Forbidden, exceptions.ServerError, exceptions.RequestTimeout):
        assert issubclass(cls, exceptions.ConsulateException)
    assert issubclass(exceptions.Forbidden, exceptions.ClientError)
    assert issubclass(exceptions.TLSError, exceptions.ConnectError)
    assert issubclass(exceptions.ConnectError, exceptions.RequestError)


def test_message_names_status_method_path_text_and_advice() -> None:
    error = exceptions.Forbidden(403, 'PUT', '/v1/kv/app/x', 'Permission denied')
    assert str(error) == (
        '403 on PUT /v1/kv/app/x: Permission denied — check the token and its policy'
    )


def test_body_is_decoded_as_text_even_when_not_utf8() -> None:
    with pytest.raises(exceptions.ServerError) as caught:
        exceptions.raise_for_status(500, 'GET', '/v1/x', b'No cluster leader\xff\n')
    assert caught.value.message == 'No cluster leader\ufffd'


def test_key_not_found_is_a_key_error_and_an_attribute_error() -> None:
    error = exceptions.KeyNotFound(404, 'GET', '/v1/kv/a', "no key 'a'")
    assert isinstance(error, KeyError)
    assert isinstance(error, AttributeError)
    assert isinstance(error, exceptions.NotFound)
    assert str(error) == "404 on GET /v1/kv/a: no key 'a'"


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(exceptions.ValidationError, ValueError)
    assert issubclass(exceptions.ValueTooLarge, exceptions.ValidationError)


def test_transaction_failed_lists_each_failed_operation() -> None:
    error = exceptions.TransactionFailed(
        409, 'PUT', '/v1/txn', '', errors=[(0, 'index is stale'), (3, 'key "x" doesn\'t exist')]
    )
    assert error.errors == [(0, 'index is stale'), (3, 'key "x" doesn\'t exist')]
    assert str(error) == (
        'transaction rolled back (operation 0: index is stale; operation 3: key "x" doesn\'t exist)'
    )
