"""Deprecated helpers that consulate 0.6.0 (and the code after it) had in ``consulate.utils``.

They are kept so that code and tests written for consulate 0.6 import and
run; each call emits a :class:`DeprecationWarning`. Where to go instead:

- :func:`quote`: :func:`urllib.parse.quote` (consulate quotes keys itself)
- :func:`is_string` / :func:`maybe_encode`: ``isinstance(value, (str, bytes))``
  and ``value.encode('utf-8')``; Python 2 is gone, :data:`PYTHON3` is always True
- :func:`response_ok`: nothing; every consulate call raises the
  :mod:`consulate.exceptions` error of a status of 400 or more
  (:func:`consulate.exceptions.raise_for_status`)
- :func:`validate_go_interval`: the duration parameters check themselves and
  raise :class:`~consulate.exceptions.ValidationError`
- :func:`validate_url`: :func:`urllib.parse.urlsplit`
"""

from __future__ import annotations

import re
import warnings
from typing import Any
from urllib.parse import quote, urlsplit

from consulate import exceptions

__all__ = [
    'DURATION_PATTERN',
    'PYTHON3',
    'is_string',
    'maybe_encode',
    'quote',
    'response_ok',
    'validate_go_interval',
    'validate_url',
]

#: Always True: consulate runs on Python 3 only.
PYTHON3 = True

#: A Go duration as the old helper accepted it: signed, one or more number+unit parts.
DURATION_PATTERN = re.compile(r'^(?:-?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$')


def _deprecated(name: str, instead: str) -> None:
    warnings.warn(
        f'consulate.utils.{name} is deprecated; {instead}', DeprecationWarning, stacklevel=3
    )


def is_string(value: Any) -> bool:
    """Whether ``value`` is a ``str`` or ``bytes``.

    .. deprecated:: 1.0 use ``isinstance(value, (str, bytes))``
    """
    _deprecated('is_string', 'use isinstance(value, (str, bytes))')
    return isinstance(value, (str, bytes))


def maybe_encode(value: Any) -> Any:
    """``value`` encoded as UTF-8 if it is a ``str``, else ``value`` unchanged.

    .. deprecated:: 1.0 use ``value.encode('utf-8')``
    """
    _deprecated('maybe_encode', "use value.encode('utf-8')")
    return value.encode('utf-8') if isinstance(value, str) else value


def response_ok(response: Any, raise_on_404: bool = False) -> bool:
    """True for a 200 answer; raise the mapped exception for 400/401/403/500 (and 404 if asked).

    ``response`` is any object with a ``status_code`` and a ``body`` (or
    ``content``) in bytes or text. Other statuses give False, as they did in
    consulate 0.6.

    .. deprecated:: 1.0 consulate's calls raise on every error status themselves

    :raises consulate.exceptions.BadRequest: a 400
    :raises consulate.exceptions.ACLDisabled: a 401
    :raises consulate.exceptions.Forbidden: a 403
    :raises consulate.exceptions.NotFound: a 404 with ``raise_on_404``
    :raises consulate.exceptions.ServerError: a 500
    """
    _deprecated('response_ok', 'consulate calls raise on error statuses themselves')
    status = int(response.status_code)
    if status == 200:
        return True
    if status in (400, 401, 403, 500) or (status == 404 and raise_on_404):
        body = getattr(response, 'content', None)
        if body is None:
            body = getattr(response, 'body', None) or b''
        if isinstance(body, str):
            body = body.encode('utf-8')
        method = getattr(response, 'method', 'GET')
        path = getattr(response, 'path', '')
        exceptions.raise_for_status(status, method, path, bytes(body))
    return False


def validate_go_interval(value: str, _model: Any = None) -> bool:
    """Whether ``value`` is a Go duration string such as ``'10s'`` or ``'1h30m'``.

    .. deprecated:: 1.0 duration parameters raise ValidationError for a bad value
    """
    _deprecated('validate_go_interval', 'duration parameters check their values themselves')
    return DURATION_PATTERN.match(value) is not None


def validate_url(value: str, _model: Any = None) -> bool:
    """Whether ``value`` is a URL with a scheme and a host.

    .. deprecated:: 1.0 use :func:`urllib.parse.urlsplit`
    """
    _deprecated('validate_url', 'use urllib.parse.urlsplit')
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)
