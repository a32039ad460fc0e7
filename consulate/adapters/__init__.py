"""The HTTP layer: the only package in consulate that uses requests, urllib3 and requests-unixsocket.

:class:`Request` is the adapter every endpoint sends through; its
:meth:`~Request.request` is the one path of every request (see
:mod:`consulate.adapters.request`). It hands each request to the client's
transport (:mod:`consulate.adapters.transport` is the seam):
:class:`~consulate.adapters.session.RequestsTransport`, which sends it with
:meth:`requests.Session.send` (over HTTP, HTTPS or a UNIX socket), or a test
double. Nothing below requests is consulate's own.

:data:`RequestsSession` is :class:`requests.Session`, named here so that the
client can say what its ``session`` argument takes without importing requests.
:class:`UnixSocketRequest` keeps the name consulate 0.6 gave the UNIX-socket
adapter; :class:`Response` is what came back.
:mod:`~consulate.adapters.legacy` keeps 0.6.0's ``CONTENT_FORM``,
``CONTENT_JSON`` and ``prepare_data`` (deprecated).
"""

from __future__ import annotations

from requests import Session as RequestsSession

from consulate.adapters.legacy import CONTENT_FORM, CONTENT_JSON, prepare_data
from consulate.adapters.logs import install_redaction
from consulate.adapters.polls import LongPoll
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
from consulate.adapters.session import RequestsTransport
from consulate.adapters.transport import RawResponse, Transport, WireRequest

install_redaction()

__all__ = [
    'CONTENT_FORM',
    'CONTENT_JSON',
    'DEFAULT_TIMEOUT',
    'LongPoll',
    'MAX_BACKOFF',
    'READ_METHODS',
    'RETRY_STATUSES',
    'RawResponse',
    'Request',
    'RequestsSession',
    'RequestsTransport',
    'Response',
    'Timeout',
    'Transport',
    'UnixSocketRequest',
    'prepare_data',
    'WireRequest',
]
