"""The client's default address and the API version, as plain constants.

They are re-exported as ``consulate.DEFAULT_HOST``, ``consulate.DEFAULT_PORT``,
``consulate.DEFAULT_SCHEME`` and ``consulate.VERSION`` (the names consulate
0.6.0 had at the top of the package) and from :mod:`consulate.client` (where
the unreleased code after 0.6.0 kept them). None of them reads the
environment: ``CONSUL_HTTP_ADDR`` and the other variables are read when a
:class:`~consulate.Consul` is built.
"""

from __future__ import annotations

__all__ = [
    'API_VERSION',
    'DEFAULT_ADDR',
    'DEFAULT_HOST',
    'DEFAULT_PORT',
    'DEFAULT_SCHEME',
    'DEFAULT_TOKEN',
    'UNIX_SCHEME',
    'VERSION',
]

#: The path segment of Consul's HTTP API version (``/v1``).
API_VERSION = 'v1'
#: The deprecated 0.6.0 name of :data:`API_VERSION`.
VERSION = API_VERSION
#: The host a client talks to when neither arguments nor ``CONSUL_HTTP_ADDR`` say otherwise.
DEFAULT_HOST = 'localhost'
#: The port a client talks to by default.
DEFAULT_PORT = 8500
#: The scheme a client speaks by default.
DEFAULT_SCHEME = 'http'
#: The scheme of HTTP over a UNIX domain socket.
UNIX_SCHEME = 'http+unix'
#: Always None, kept for code that imported it: the unreleased code after 0.6.0
#: read ``CONSUL_HTTP_ADDR`` into it at import time; consulate reads it when a
#: client is built.
DEFAULT_ADDR: str | None = None
#: Always None, kept for code that imported it: the unreleased code after 0.6.0
#: read ``CONSUL_HTTP_TOKEN`` into it at import time; consulate reads it (and
#: ``CONSUL_HTTP_TOKEN_FILE``) when a client is built.
DEFAULT_TOKEN: str | None = None
