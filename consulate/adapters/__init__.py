"""The HTTP layer: the only code in consulate that talks to :mod:`requests`.

An adapter sends one request and returns a :class:`Response`. It owns the
connection pool (one :class:`requests.Session` per client, so connections are
kept alive), the timeouts, TLS settings, the ACL token header and the retry
policy, and it turns every transport failure into a
:class:`consulate.exceptions.RequestError` subclass.

:class:`Request` speaks HTTP and HTTPS, :class:`UnixSocketRequest` speaks HTTP
over a UNIX domain socket (``http+unix://`` URLs, via requests-unixsocket).

The package: :mod:`~consulate.adapters.request` sends, :mod:`~consulate.adapters.response`
holds what came back, :mod:`~consulate.adapters.errors` maps transport failures.
:mod:`~consulate.adapters.legacy` keeps 0.6.0's ``CONTENT_FORM``,
``CONTENT_JSON`` and ``prepare_data`` (deprecated).
"""

from __future__ import annotations

from consulate.adapters.legacy import CONTENT_FORM, CONTENT_JSON, prepare_data
from consulate.adapters.request import (
    DEFAULT_TIMEOUT,
    MAX_BACKOFF,
    RETRY_STATUSES,
    Request,
    Timeout,
    UnixSocketRequest,
)
from consulate.adapters.response import Response

__all__ = [
    'CONTENT_FORM',
    'CONTENT_JSON',
    'DEFAULT_TIMEOUT',
    'MAX_BACKOFF',
    'RETRY_STATUSES',
    'Request',
    'Response',
    'Timeout',
    'UnixSocketRequest',
    'prepare_data',
]
