"""The client's default address and the API version, under the names consulate 0.6 used.

They are re-exported as ``consulate.DEFAULT_HOST``, ``consulate.DEFAULT_PORT``,
``consulate.DEFAULT_SCHEME`` and ``consulate.VERSION`` (the names consulate
0.6.0 had at the top of the package) and from :mod:`consulate.client` (where
the unreleased code after 0.6.0 kept them). The defaults themselves are
defined in :mod:`consulate.config`. None of them reads the environment:
``CONSUL_HTTP_ADDR`` and the other variables are read when a
:class:`~consulate.Consul` is built.
"""

from __future__ import annotations

from consulate.config import API_VERSION, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SCHEME, UNIX_SCHEME

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

#: The deprecated 0.6.0 name of :data:`consulate.config.API_VERSION` (``'v1'``).
VERSION = API_VERSION
#: Always None, kept for code that imported it: the unreleased code after 0.6.0
#: read ``CONSUL_HTTP_ADDR`` into it at import time; consulate reads it when a
#: client is built.
DEFAULT_ADDR: str | None = None
#: Always None, kept for code that imported it: the unreleased code after 0.6.0
#: read ``CONSUL_HTTP_TOKEN`` into it at import time; consulate reads it (and
#: ``CONSUL_HTTP_TOKEN_FILE``) when a client is built.
DEFAULT_TOKEN: str | None = None
