"""TLS settings: what ``verify`` and ``cert`` mean, as an :class:`ssl.SSLContext` or for requests.

``verify=True`` checks the server against the CA bundle the environment names
(``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, read by :mod:`consulate.config`),
else against certifi's bundle, as requests does; a path names a CA bundle
file or a directory of CA certificates; only ``False`` itself turns
verification off.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import certifi
import requests.adapters

__all__ = ['ServerNameAdapter', 'ca_location', 'ssl_context']


def ca_location(verify: bool | str, ca_bundle: str | None) -> bool | str:
    """The CA bundle (or directory) to verify against, or False; True never comes back."""
    if verify is False:
        return False
    if verify is True or not verify:  # None, '' and 0 mean "verify", never "don't"
        return ca_bundle or certifi.where()
    return verify


def ssl_context(
    verify: bool | str, ca_bundle: str | None, cert: str | tuple[str, str] | None
) -> ssl.SSLContext:
    """An SSL context for client connections.

    :raises OSError: a CA bundle or client certificate file cannot be read
    :raises ssl.SSLError: one of them is not valid PEM
    """
    location = ca_location(verify, ca_bundle)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if location is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(location, str) and os.path.isdir(location):
        context.load_verify_locations(capath=location)
    elif isinstance(location, str):
        if not os.path.exists(location):
            raise FileNotFoundError(f'no CA bundle at {location}')
        context.load_verify_locations(cafile=location)
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


class ServerNameAdapter(requests.adapters.HTTPAdapter):
    """A requests transport adapter that checks the certificate against (and sends as SNI) a fixed name."""

    def __init__(self, server_name: str, **kwargs: Any) -> None:
        self.server_name = server_host(server_name)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs['server_hostname'] = self.server_name
        kwargs['assert_hostname'] = self.server_name
        super().init_poolmanager(*args, **kwargs)


def server_host(server_name: str) -> str:
    """``CONSUL_TLS_SERVER_NAME`` without a port, as the Consul CLI takes it."""
    return server_name.rsplit(':', 1)[0] if ':' in server_name else server_name
