"""consulate: a Python client library and command-line tool for HashiCorp Consul.

::

    import consulate

    consul = consulate.Consul()
    consul.kv['release_flag'] = True
    with consul.lock.acquire('deploy'):
        ...
"""

from __future__ import annotations

from consulate import adapters, api, exceptions, utils
from consulate._version import __version__
from consulate.client import Consul
from consulate.constants import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SCHEME, VERSION
from consulate.exceptions import (
    ACLDisabled,
    APIError,
    ClientError,
    ConsulateException,
    Forbidden,
    KeyNotFound,
    LockConflict,
    LockFailure,
    NotFound,
    RequestError,
    ServerError,
    ValidationError,
)

#: The name consulate 0.3 to 0.6 gave the client; an alias of :class:`Consul`.
Session = Consul

__all__ = [
    'DEFAULT_HOST',
    'DEFAULT_PORT',
    'DEFAULT_SCHEME',
    'VERSION',
    'ACLDisabled',
    'APIError',
    'ClientError',
    'Consul',
    'ConsulateException',
    'Forbidden',
    'KeyNotFound',
    'LockConflict',
    'LockFailure',
    'NotFound',
    'RequestError',
    'ServerError',
    'Session',
    'ValidationError',
    '__version__',
    'adapters',
    'api',
    'exceptions',
    'utils',
]
