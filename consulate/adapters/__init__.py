"""The HTTP layer: the only package in consulate that talks to sockets, requests and urllib3.

:class:`Request` is the adapter every endpoint sends through; its
:meth:`~Request.request` is the one path of every request (see
:mod:`consulate.adapters.request`). It hands each request to the transport of
the agent's address (:mod:`consulate.adapters.transport` is the seam):
:class:`~consulate.adapters.http.PooledTransport` normally, pooled
keep-alive connections over TCP, TLS or a UNIX socket, and
:class:`~consulate.adapters.via_requests.RequestsTransport` while an HTTP
mocking library is active or a proxy is configured.

:class:`UnixSocketRequest` keeps the name consulate 0.6 gave the UNIX-socket
adapter; :class:`Response` is what came back.
:mod:`~consulate.adapters.legacy` keeps 0.6.0's ``CONTENT_FORM``,
``CONTENT_JSON`` and ``prepare_data`` (deprecated).
"""

from __future__ import annotations

from consulate.adapters.legacy import CONTENT_FORM, CONTENT_JSON, prepare_data
from consulate.adapters.request import (
    DEFAULT_TIMEOUT,
    MAX_BACKOFF,
    READ_METHODS,
    RETRY_STATUSES,
    Request,
    Timeout,
    UnixSocketRequest,
)
from consulate.adapters.response import Response
from consulate.adapters.transport import RawResponse, Transport, WireRequest

__all__ = [
    'CONTENT_FORM',
    'CONTENT_JSON',
    'DEFAULT_TIMEOUT',
    'MAX_BACKOFF',
    'READ_METHODS',
    'RETRY_STATUSES',
    'RawResponse',
    'Request',
    'Response',
    'Timeout',
    'Transport',
    'UnixSocketRequest',
    'prepare_data',
    'WireRequest',
]
