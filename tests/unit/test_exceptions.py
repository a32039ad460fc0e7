"""The status -> exception table and what the exceptions say."""

from __future__ import annotations

import pytest

from consulate import exceptions
from consulate.adapters.wire import redact_path


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
def test_each_error_status_raises_its_exception(
    status: int, expected: type[exceptions.APIError]
) -> None:
    with pytest.raises(expected) as caught:
        exceptions.raise_for_status(status, 'GET', '/v1/kv/a', b'the text')
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.method == 'GET'
    assert caught.value.path == '/v1/kv/a'
    assert caught.value.message == 'the text'


@pytest.mark.parametrize('status', [200, 204, 301, 399])
def test_statuses_below_400_raise_nothing(status: int) -> None:
    exceptions.raise_for_status(status, 'GET', '/v1/kv/a', b'')  # no exception


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


# -- the table ------------------------------------------------------------------------


def test_the_table_maps_each_listed_status_to_a_client_error_of_its_own() -> None:
    table = exceptions.STATUS_EXCEPTIONS
    assert set(table) == {400, 401, 403, 404, 405, 409, 413, 429}
    assert len(set(table.values())) == len(table)  # no class serves two statuses
    for status, cls in table.items():
        assert 400 <= status < 500
        assert issubclass(cls, exceptions.ClientError)
        assert exceptions.exception_for(status) is cls
        assert cls.__doc__ is not None and cls.__doc__.startswith(f'{status}:'), cls


@pytest.mark.parametrize(
    ('status', 'expected'),
    [
        (402, exceptions.ClientError),
        (408, exceptions.ClientError),
        (418, exceptions.ClientError),
        (499, exceptions.ClientError),
        (500, exceptions.ServerError),
        (501, exceptions.ServerError),
        (599, exceptions.ServerError),
        (600, exceptions.ServerError),  # beyond the 5xx range: still not a client error
    ],
)
def test_an_unlisted_status_falls_back_to_its_class(status: int, expected: type) -> None:
    assert exceptions.exception_for(status) is expected


def test_the_refined_404s_are_never_picked_by_status_alone() -> None:
    # KeyNotFound and UnsupportedEndpoint need what the caller knows (a KV read, a missing route)
    assert exceptions.exception_for(404) is exceptions.NotFound
    refined = {exceptions.KeyNotFound, exceptions.UnsupportedEndpoint, exceptions.TransactionFailed}
    assert refined.isdisjoint(exceptions.STATUS_EXCEPTIONS.values())


def test_every_exception_is_exported_and_under_the_root() -> None:
    classes = [
        value
        for value in vars(exceptions).values()
        if isinstance(value, type) and issubclass(value, BaseException)
    ]
    assert len(classes) > 20
    for cls in classes:
        assert cls.__module__ == 'consulate.exceptions'
        assert issubclass(cls, exceptions.ConsulateException), cls
        assert cls.__name__ in exceptions.__all__, cls


# -- raise_for_status and the messages -------------------------------------------------


@pytest.mark.parametrize(
    ('body', 'message', 'text'),
    [
        (b'', '', '404 on GET /v1/kv/a'),
        (b'  \n', '', '404 on GET /v1/kv/a'),
        (b'no such key\n', 'no such key', '404 on GET /v1/kv/a: no such key'),
        (
            'ключ не найден ✈'.encode(),
            'ключ не найден ✈',
            '404 on GET /v1/kv/a: ключ не найден ✈',
        ),
    ],
)
def test_the_message_is_the_body_as_text_stripped(body: bytes, message: str, text: str) -> None:
    with pytest.raises(exceptions.NotFound) as caught:
        exceptions.raise_for_status(404, 'GET', '/v1/kv/a', body)
    assert caught.value.message == message
    assert str(caught.value) == text


@pytest.mark.parametrize(
    ('status', 'advice'),
    [
        (401, 'this agent runs without ACLs'),
        (403, 'check the token and its policy'),
    ],
)
def test_the_advice_follows_the_message_or_the_path(status: int, advice: str) -> None:
    with pytest.raises(exceptions.APIError) as caught:
        exceptions.raise_for_status(status, 'DELETE', '/v1/acl/token/x', b'ACL not found')
    assert str(caught.value) == f'{status} on DELETE /v1/acl/token/x: ACL not found — {advice}'
    with pytest.raises(exceptions.APIError) as caught:
        exceptions.raise_for_status(status, 'DELETE', '/v1/acl/token/x', b'')
    assert str(caught.value) == f'{status} on DELETE /v1/acl/token/x — {advice}'


def test_unsupported_endpoint_says_why() -> None:
    error = exceptions.UnsupportedEndpoint(
        404, 'GET', '/v1/partitions', 'this endpoint needs Enterprise'
    )
    assert isinstance(error, exceptions.NotFound)
    assert str(error).startswith('404 on GET /v1/partitions: this endpoint needs Enterprise — ')
    assert 'too old, or Enterprise only' in str(error)


def test_an_error_holds_what_it_was_given_and_nothing_else() -> None:
    error = exceptions.ServerError(500, 'PUT', '/v1/txn', 'rpc error')
    assert error.args == (500, 'PUT', '/v1/txn', 'rpc error')
    assert vars(error) == {
        'status_code': 500,
        'method': 'PUT',
        'path': '/v1/txn',
        'message': 'rpc error',
        'response': None,  # set by the wire path to the answer (its headers, never the request's)
    }  # no token, no request headers, no query string to leak
    assert repr(error) == "ServerError(500, 'PUT', '/v1/txn', 'rpc error')"


SECRET = '6e8a5ed0-1b2c-4f1e-9c1a-3d5b7a9e0f12'


@pytest.mark.parametrize('route', ['info', 'clone', 'destroy'])
def test_a_legacy_acl_id_in_the_path_is_in_no_message(route: str) -> None:
    # the adapter redacts the path before raising; the ID of a legacy ACL is its token
    path = redact_path(f'/v1/acl/{route}/{SECRET}')
    with pytest.raises(exceptions.Forbidden) as caught:
        exceptions.raise_for_status(403, 'PUT', path, b'Permission denied')
    error = caught.value
    for shown in (str(error), repr(error), error.path, *map(str, error.args)):
        assert SECRET not in shown
    assert str(error) == (
        f'403 on PUT /v1/acl/{route}/<redacted>: Permission denied — check the token and its policy'
    )


# -- KeyNotFound ----------------------------------------------------------------------


def test_key_not_found_is_caught_as_a_key_error_and_as_an_attribute_error() -> None:
    error = exceptions.KeyNotFound(404, 'GET', '/v1/kv/a', "no key 'a'")
    with pytest.raises(KeyError):
        raise error
    with pytest.raises(AttributeError):
        raise error
    with pytest.raises(exceptions.ConsulateException):
        raise error
    # a KeyError's text is normally the repr of its key; this one reads like the other errors
    assert str(error) == "404 on GET /v1/kv/a: no key 'a'"
    assert error.status_code == 404


def test_key_not_found_makes_getattr_and_hasattr_fall_back() -> None:
    class Store:
        def __getattr__(self, name: str) -> str:
            raise exceptions.KeyNotFound(404, 'GET', f'/v1/kv/{name}', f'no key {name!r}')

    assert getattr(Store(), 'missing', 'default') == 'default'
    assert not hasattr(Store(), 'missing')


# -- TransactionFailed and BatchFailed -------------------------------------------------


def test_transaction_failed_without_errors_reads_like_any_409() -> None:
    error = exceptions.TransactionFailed(409, 'PUT', '/v1/txn', 'conflict')
    assert isinstance(error, exceptions.Conflict)
    assert error.errors == []
    assert str(error) == '409 on PUT /v1/txn: conflict'


def test_transaction_failed_copies_its_errors() -> None:
    given = [(1, 'index is stale')]
    error = exceptions.TransactionFailed(409, 'PUT', '/v1/txn', '', errors=given)
    given.append((2, 'later'))
    assert error.errors == [(1, 'index is stale')]
    assert str(error) == 'transaction rolled back (operation 1: index is stale)'


def test_batch_failed_counts_the_written_and_unwritten_keys_and_names_the_cause() -> None:
    cause = exceptions.PayloadTooLarge(413, 'PUT', '/v1/txn', 'too many operations')
    written, unwritten = ['a', 'b'], ['c']
    error = exceptions.BatchFailed(written, unwritten, [], cause)
    written.append('x')
    assert (error.written, error.unwritten, error.uncertain) == (['a', 'b'], ['c'], [])
    assert error.cause is cause
    assert str(error) == (
        'batch write stopped after 2 keys were written; 1 were not: '
        '413 on PUT /v1/txn: too many operations'
    )
    assert not isinstance(error, exceptions.APIError)


def test_batch_failed_says_which_keys_may_have_been_written() -> None:
    cause = exceptions.RequestTimeout('read timed out on PUT /v1/txn')
    error = exceptions.BatchFailed(['a'], ['d', 'e'], ['b', 'c'], cause)
    assert error.uncertain == ['b', 'c']
    assert str(error) == (
        'batch write stopped after 1 keys were written; 2 were not, 2 may have been: '
        'read timed out on PUT /v1/txn'
    )


# -- error_for and RequestError ---------------------------------------------------------


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 418, 429, 500, 503])
def test_error_for_builds_what_raise_for_status_raises(status: int) -> None:
    error = exceptions.error_for(status, 'GET', '/v1/kv/a', b' the text\n')
    assert type(error) is exceptions.exception_for(status)
    assert (error.status_code, error.method, error.path, error.message) == (
        status,
        'GET',
        '/v1/kv/a',
        'the text',
    )
    with pytest.raises(type(error)) as caught:
        exceptions.raise_for_status(status, 'GET', '/v1/kv/a', b' the text\n')
    assert str(caught.value) == str(error)


def test_a_request_error_says_whether_it_was_sent_and_may_have_been_applied() -> None:
    assert exceptions.ConnectError('refused').sent is False  # nothing reached the agent
    assert exceptions.TLSError('bad certificate').sent is False
    assert exceptions.RequestTimeout('read timed out').sent is True
    assert exceptions.RequestError('reset', sent=False).sent is False
    error = exceptions.RequestTimeout('read timed out on PUT /v1/txn')
    assert error.maybe_applied is False
    assert str(error) == 'read timed out on PUT /v1/txn'
    error.maybe_applied = True
    assert str(error) == 'read timed out on PUT /v1/txn (the write may have been applied)'
