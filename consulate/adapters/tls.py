"""TLS settings: what ``verify`` and ``cert`` mean to requests.

``verify=True`` checks the server against the CA bundle the environment names
(``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, read by :mod:`consulate.config`),
else against certifi's bundle, as requests does; a path names a CA bundle
file or a directory of CA certificates; only ``False`` itself turns
verification off (and urllib3 then warns with ``InsecureRequestWarning``).
"""

from __future__ import annotations

import certifi

from consulate import exceptions

__all__ = ['ca_location', 'check_client_key']


def ca_location(verify: bool | str, ca_bundle: str | None) -> bool | str:
    """The CA bundle (or directory) to verify against, or False; True never comes back."""
    if verify is False:
        return False
    if verify is True or not verify:  # None, '' and 0 mean "verify", never "don't"
        return ca_bundle or certifi.where()
    return verify


def check_client_key(cert: str | tuple[str, str] | None) -> None:
    """Refuse a client key protected by a passphrase, which requests has no way to pass.

    OpenSSL would ask for the passphrase on the terminal, in the middle of a
    request (and block a service with no terminal for ever).

    :raises consulate.exceptions.ValidationError: the key file is encrypted
    """
    if cert is None:
        return
    key = cert if isinstance(cert, str) else cert[1]
    try:
        with open(key, 'rb') as handle:
            head = handle.read(1 << 16)
    except OSError:
        return  # a missing file is reported by the TLS handshake, with its name
    if b'ENCRYPTED' in head:
        raise exceptions.ValidationError(
            f'the client key {key} is encrypted with a passphrase, which consulate cannot '
            'pass to OpenSSL: decrypt it first (openssl pkey -in KEY -out KEY.plain)'
        )
