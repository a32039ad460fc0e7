"""The gossip encryption keyring (``/v1/operator/keyring``) of every agent in the cluster."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint

if TYPE_CHECKING:
    from consulate.types import KeyringResponse

__all__ = ['Keyring']


class Keyring(Endpoint):
    """List, install, switch to and remove gossip encryption keys.

    Keys are base64 strings of 16, 24 or 32 bytes (``consul keygen`` makes
    them). Every call reaches all the agents of the LAN pools and the WAN
    pool, so it is not sent per datacenter. A key is rotated in three steps:
    :meth:`install` the new one everywhere, :meth:`use` it, then
    :meth:`remove` the old one. On agents without gossip encryption every
    call raises :class:`~consulate.exceptions.ServerError` (``Keyring is empty``).
    """

    PREFIX = 'operator/keyring'
    ACCEPTS_DC = False

    def list(
        self, *, relay_factor: int | None = None, local_only: bool = False
    ) -> list[KeyringResponse]:
        """Return the keys of each gossip pool (``GET /v1/operator/keyring``).

        One entry per pool: ``{'WAN', 'Datacenter', 'Segment', 'Keys':
        {key: number of agents}, 'PrimaryKeys', 'NumNodes'}``; a key is
        installed everywhere when its count equals ``NumNodes``.

        :param relay_factor: how many extra agents relay each reply (0 to 5)
        :param local_only: ask only the agent the client talks to (LAN pool)
        """
        params = {
            'relay-factor': _relay(relay_factor),
            'local-only': 'true' if local_only else None,
        }
        return self._get_list(self._url(), params)

    def install(self, key: str, *, relay_factor: int | None = None) -> None:
        """Add a key to every agent's keyring (``POST /v1/operator/keyring``).

        :raises consulate.exceptions.ValidationError: not a base64 key of 16, 24 or 32 bytes
        """
        params = {'relay-factor': _relay(relay_factor)}
        shapes.empty(self._post(self._url(), params, {'Key': _check_key(key)}))

    def use(self, key: str, *, relay_factor: int | None = None) -> None:
        """Make an installed key the one every agent encrypts with (``PUT /v1/operator/keyring``).

        :raises consulate.exceptions.ServerError: the key is not installed everywhere
        """
        params = {'relay-factor': _relay(relay_factor)}
        shapes.empty(self._put(self._url(), params, {'Key': _check_key(key)}))

    def remove(self, key: str, *, relay_factor: int | None = None) -> None:
        """Remove a key from every agent's keyring (``DELETE /v1/operator/keyring``).

        :raises consulate.exceptions.ServerError: the key is the primary one
            (``Removing the primary key is not allowed``)
        """
        params = {'relay-factor': _relay(relay_factor)}
        shapes.empty(self._request('DELETE', self._url(), params, {'Key': _check_key(key)}))


def _check_key(key: str) -> str:
    try:
        size = len(base64.b64decode(key, validate=True))
    except (binascii.Error, ValueError, TypeError) as error:
        raise exceptions.ValidationError('a keyring key is base64 text') from error
    if size not in (16, 24, 32):
        raise exceptions.ValidationError(f'a keyring key is 16, 24 or 32 bytes, not {size}')
    return key


def _relay(value: int | None) -> int | None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5
    ):
        raise exceptions.ValidationError(
            f'relay_factor must be an integer from 0 to 5, not {value!r}'
        )
    return value
