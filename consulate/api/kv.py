"""The KV store (``/v1/kv``), with a ``dict``-like interface.

Values are written as consulate 0.6.0 documented them: a ``str`` is stored as UTF-8 text,
``bytes`` as they are, ``None`` as an empty value and anything else
JSON-encoded. Reads return the stored value as consulate 0.6.0 did: ``str``
when it is UTF-8 text, else the exact ``bytes``, with no JSON decoding
(``consul.kv['n'] = 5`` reads back ``'5'``). Build the client with
``decode_json=True`` to get JSON text decoded as well (``5``, ``True``,
dicts); ``get(key, raw=True)`` returns the stored bytes untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes, txn
from consulate.api.base import Endpoint
from consulate.api.values import (
    check_flags,
    decode_value,
    encode_value,
    key_path,
    quote_key,
    stored_bytes,
    stored_key,
)

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.types import KVPair, KVValue

__all__ = ['KV', 'Record']

#: A record as :meth:`KV.records` returns it: ``(key, flags, value)``.
Record = tuple[str, int, 'KVValue']


class KV(Endpoint):
    """The Consul KV store, used like a ``dict``.

    ``consul.kv['key'] = value``, ``consul.kv['key']``, ``del consul.kv['key']``,
    ``'key' in consul.kv``, ``len(consul.kv)`` and iteration over the keys all
    work as they do on a ``dict``; :meth:`get_record`, :meth:`set_record` and
    :meth:`records` reach the flags and indexes of each entry. Values come
    back as the module's description says (``decode_json`` decodes JSON too).
    """

    PREFIX = 'kv'
    INDEXED = True

    # -- the dict interface -------------------------------------------------

    def __contains__(self, item: object) -> bool:
        """Return True if the key exists (``GET /v1/kv/:key``, one request)."""
        if not isinstance(item, str):
            return False
        response = self._get(self._key_url(item), allow_404=True)
        return response.status_code == 200

    def __getitem__(self, item: str) -> KVValue:
        """Return the key's value: ``str`` if UTF-8, else ``bytes`` (``GET /v1/kv/:key``).

        JSON text is decoded too when the client has ``decode_json=True``.

        :raises consulate.exceptions.KeyNotFound: the key does not exist (a KeyError)
        """
        return self._decode(self._record(item)['Value'])

    def __setitem__(self, item: str, value: Any) -> None:
        """Store a value (``PUT /v1/kv/:key``, one request), as :meth:`set` does."""
        self.set(item, value)

    def __delitem__(self, item: str) -> None:
        """Delete a key (``DELETE /v1/kv/:key``); a missing key is not an error, as in consulate 0.6.0.

        ``delete(key, must_exist=True)`` raises KeyNotFound for a missing key instead.
        """
        self.delete(item)

    def __iter__(self) -> Iterator[str]:
        """Iterate over every key in the store."""
        return iter(self.keys())

    def __len__(self) -> int:
        """Return the number of keys in the store (one ``?keys`` request, no values)."""
        return len(self._keys(''))

    # -- single keys ----------------------------------------------------------

    def get(
        self,
        item: str,
        default: KVValue = None,
        raw: bool = False,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> KVValue:
        """Return the key's value (``str``, or ``bytes`` if not UTF-8), or ``default`` if it is missing.

        A stored value that is falsy (``0``, ``''``, ``None``) is returned, not
        ``default``. ``GET /v1/kv/:key``.

        :param raw: return the stored bytes untouched (``GET /v1/kv/:key?raw``)
        :param index: block until the key's index passes this one (a blocking query)
        :param wait: the longest time to block, seconds or a duration string
        :param consistency: ``'default'``, ``'stale'`` or ``'consistent'``
        """
        if raw:
            response = self._get(
                self._key_url(item),
                {'raw': True},
                allow_404=True,
                index=index,
                wait=wait,
                consistency=consistency,
            )
            return default if response.status_code == 404 else response.content
        try:
            record = self._record(item, index=index, wait=wait, consistency=consistency)
        except exceptions.KeyNotFound:
            return default
        return self._decode(record['Value'])

    def get_record(
        self,
        item: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> KVPair:
        """Return the key's whole entry: ``Key``, ``Flags``, ``Value`` (decoded), the indexes, ``Session``.

        :raises consulate.exceptions.KeyNotFound: the key does not exist (a KeyError)
        """
        record = self._record(item, index=index, wait=wait, consistency=consistency)
        record['Value'] = self._decode(record['Value'])
        return cast('KVPair', record)

    def set(self, item: str, value: Any, *, exact_key: bool = False) -> None:
        """Store a value: ``str`` as UTF-8, ``bytes`` as is, ``None`` empty, else JSON.

        One ``PUT /v1/kv/:key``; Consul applies it atomically. As in consulate
        0.6, a key ending in ``/`` loses its trailing slashes when the value is
        truthy (``set('a/', 'v')`` stores ``a``); an empty or ``None`` value
        keeps them, which is how a "folder" key is made.

        :param exact_key: store under ``item`` exactly, trailing ``/`` included
        :raises consulate.exceptions.PayloadTooLarge: the value is over the agent's limit
            (512 KiB by default); what was stored is left as it was
        """
        key = item if exact_key else stored_key(item, value)
        shapes.json_bool(self._put(self._key_url(key), data=encode_value(value), raw_body=True))

    def set_record(
        self,
        item: str,
        flags: int = 0,
        value: Any = None,
        replace: bool = True,
        *,
        exact_key: bool = False,
    ) -> bool:
        """Store a value with its flags (``PUT /v1/kv/:key?flags=N``).

        A trailing ``/`` is dropped from the key when the value is truthy, as
        :meth:`set` does.

        :param flags: an unsigned 64-bit integer kept beside the value
        :param replace: with False an existing key is never overwritten (``?cas=0``)
        :param exact_key: store under ``item`` exactly, trailing ``/`` included
        :returns: True if the value was written, False if ``replace`` was False
            and the key already existed
        """
        params: dict[str, Any] = {'flags': check_flags(flags)}
        if not replace:
            params['cas'] = 0
        key = item if exact_key else stored_key(item, value)
        return self._put_bool(self._key_url(key), params, encode_value(value), raw_body=True)

    def delete(self, item: str, recurse: bool = False, *, must_exist: bool = False) -> bool:
        """Delete a key, or with ``recurse`` every key under the prefix (``DELETE /v1/kv/:key``).

        Deleting a key that does not exist is not an error, as in consulate
        0.6.0: Consul answers true, and so does this method.

        :param must_exist: raise KeyNotFound if the key is missing; the check
            and the delete are one atomic transaction (``PUT /v1/txn``)
        :raises consulate.exceptions.KeyNotFound: ``must_exist`` and the key
            does not exist (a KeyError)
        :raises consulate.exceptions.ValidationError: ``must_exist`` with ``recurse``
        """
        if must_exist:
            if recurse:
                raise exceptions.ValidationError('must_exist deletes one key, not a prefix')
            path = key_path(item)
            response = self._txn([txn.kv_get(path), txn.kv_delete(path)])
            if response.status_code == 409:
                raise exceptions.KeyNotFound(404, 'DELETE', f'/v1/kv/{path}', f'no key {path!r}')
            return True
        url = self._key_url(item) if not recurse else self._url_for_prefix(item)
        return shapes.json_bool(self._delete(url, {'recurse': recurse}))

    # -- locks -----------------------------------------------------------------

    def acquire_lock(
        self,
        item: str,
        session: str,
        value: Any = None,
        cas: int | None = None,
        flags: int | None = None,
    ) -> bool:
        """Take the lock on a key for ``session`` (``PUT /v1/kv/:key?acquire=``).

        :param value: stored in the key when the lock is taken
        :param cas: take the lock only if the key's ModifyIndex is still ``cas``
            (0: only if the key does not exist). Consul refuses ``?acquire``
            with ``?cas``, so this is sent as one transaction.
        :param flags: flags stored with the key
        :returns: True if the lock was taken, False if it is held or a lock-delay is in force
        """
        if cas is not None:
            return self._acquire_cas(item, session, value, cas, flags)
        params: dict[str, Any] = {'acquire': session}
        if flags is not None:
            params['flags'] = check_flags(flags)
        return self._put_bool(self._key_url(item), params, encode_value(value), raw_body=True)

    def release_lock(self, item: str, session: str) -> bool:
        """Release the lock ``session`` holds on a key (``PUT /v1/kv/:key?release=``).

        :returns: True if released, False if ``session`` did not hold it
        """
        return self._put_bool(self._key_url(item), {'release': session})

    # -- many keys ---------------------------------------------------------

    def find(
        self,
        prefix: str,
        separator: str | None = None,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> dict[str, KVValue] | list[str]:
        """Find the keys that start with ``prefix``.

        :returns: a dict of ``{key: value}`` for every key under the prefix;
            with ``separator``, the sorted list of key names rolled up at the
            separator as Consul's ``?keys&separator=`` does
        """
        if separator is not None:
            return self._keys(prefix, separator, index=index, wait=wait, consistency=consistency)
        return self._values(prefix, index=index, wait=wait, consistency=consistency)

    def items(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> dict[str, KVValue]:
        """Return every key and its value as a dict (one ``?recurse`` request)."""
        return self._values('', index=index, wait=wait, consistency=consistency)

    def iteritems(self) -> Iterator[tuple[str, KVValue]]:
        """Iterate over ``(key, value)`` pairs of the whole store."""
        return ((key, value) for key, _flags, value in self._records(''))

    def keys(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[str]:
        """Return every key in the store, sorted (``?keys``: no values are read)."""
        return sorted(self._keys('', None, index=index, wait=wait, consistency=consistency))

    def values(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[KVValue]:
        """Return every value in the store, in key order."""
        return [
            value
            for _key, _flags, value in self._records(
                '', index=index, wait=wait, consistency=consistency
            )
        ]

    def records(
        self,
        key: str | None = None,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        raw: bool = False,
    ) -> list[Record]:
        """Return ``(key, flags, value)`` for every key, or every key under ``key``.

        :param raw: give each value as the exact stored ``bytes`` (``b''`` for
            an empty value), never decoded
        """
        query: dict[str, Any] = {'index': index, 'wait': wait, 'consistency': consistency}
        return self._records(key or '', raw=raw, **query)

    def entries(
        self,
        prefix: str = '',
        *,
        raw: bool = False,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
    ) -> list[KVPair]:
        """Return the whole entry of every key under ``prefix``, as :meth:`get_record` returns one.

        One ``GET /v1/kv/:prefix?recurse``. Each entry has ``Key``, ``Flags``,
        ``Value``, ``LockIndex``, ``CreateIndex``, ``ModifyIndex`` and, while
        a session holds the key, ``Session``. A prefix no key starts with
        gives an empty list.

        :param raw: give each ``Value`` as the exact stored ``bytes`` (``b''``
            for an empty value), never decoded
        :param index: block until the prefix's index passes this one (a blocking query)
        :param wait: the longest time to block, seconds or a duration string
        """
        url = self._url_for_prefix(prefix)
        query: dict[str, Any] = {'index': index, 'wait': wait, 'consistency': consistency}
        response = self._get(url, {'recurse': True}, allow_404=True, **query)
        if response.status_code == 404:
            return []
        decode = stored_bytes if raw else self._decode
        entries = [dict(row) for row in shapes.json_list(response, null=False)]
        with self._shaping(response):
            for entry in entries:
                entry['Key'], entry['Flags']
                entry['Value'] = decode(entry['Value'])
        return cast('list[KVPair]', entries)

    # -- helpers -----------------------------------------------------------------

    def _key_url(self, item: str) -> str:
        return f'{self._base_uri}/{quote_key(item)}'

    def _url_for_prefix(self, prefix: str) -> str:
        prefix = prefix[1:] if prefix.startswith('/') else prefix
        if not prefix:
            return f'{self._base_uri}/'
        return f'{self._base_uri}/{quote_key(prefix)}'

    def _record(self, item: str, **query: Any) -> dict[str, Any]:
        response = self._get(self._key_url(item), allow_404=True, **query)
        if response.status_code == 404:
            raise exceptions.KeyNotFound(404, 'GET', response.path, f'no key {key_path(item)!r}')
        with self._shaping(response):
            record = dict(response.json()[0])
            record['Key'], record['Flags'], record['Value']
        return record

    def _records(self, prefix: str, raw: bool = False, **query: Any) -> list[Record]:
        response = self._recurse(prefix, **query)
        if response is None:
            return []
        decode = stored_bytes if raw else self._decode
        rows = shapes.json_list(response, null=False)
        with self._shaping(response):
            return [(row['Key'], row['Flags'], decode(row['Value'])) for row in rows]

    def _values(self, prefix: str, **query: Any) -> dict[str, KVValue]:
        """``{key: decoded value}`` under ``prefix``, built straight from the answer's rows."""
        response = self._recurse(prefix, **query)
        if response is None:
            return {}
        decode_json = self._context.decode_json
        rows = shapes.json_list(response, None, null=False)  # each row is checked as it is read
        with self._shaping(response):
            return {row['Key']: decode_value(row['Value'], decode_json) for row in rows}

    def _recurse(self, prefix: str, **query: Any) -> Response | None:
        """``GET /v1/kv/:prefix?recurse``; None when nothing is stored under the prefix."""
        url = self._url_for_prefix(prefix)
        response = self._get(url, {'recurse': True}, allow_404=True, **query)
        return None if response.status_code == 404 else response

    def _keys(self, prefix: str, separator: str | None = None, **query: Any) -> list[str]:
        params = {'keys': True, 'separator': separator}
        response = self._get(self._url_for_prefix(prefix), params, allow_404=True, **query)
        if response.status_code == 404:
            return []
        return shapes.json_list(response, str, null=False)

    def _decode(self, value: str | None) -> KVValue:
        decoded: KVValue = decode_value(value, self._context.decode_json)
        return decoded

    def _acquire_cas(
        self, item: str, session: str, value: Any, cas: int, flags: int | None
    ) -> bool:
        path = key_path(item)
        check = txn.kv_check_not_exists(path) if cas == 0 else txn.kv_check_index(path, cas)
        lock = txn.kv_lock(path, session, value, flags=flags)
        response = self._txn([check, lock])
        return response.status_code == 200

    # -- bulk writes (transactions) ----------------------------------------------

    def update(self, mapping: Any = (), /, **kwargs: Any) -> int:
        """Store many keys, as ``dict.update`` does, in transactions of up to 64 keys and 512 KiB.

        ``PUT /v1/txn`` per batch. Values are encoded as for
        ``consul.kv[key] = value``. Each transaction is atomic, the whole
        update is not; see :meth:`consulate.api.txn.Txn.execute_batches`.

        :param mapping: a mapping, or an iterable of ``(key, value)`` pairs
        :returns: the number of keys written
        :raises consulate.exceptions.BatchFailed: a transaction failed; it
            names the keys written and not written
        """
        pairs = mapping.items() if hasattr(mapping, 'items') else mapping
        ops = [txn.kv_set(key, value) for key, value in [*pairs, *kwargs.items()]]
        return self._execute_batches(ops)

    def delete_many(self, keys: Iterable[str]) -> int:
        """Delete many keys in transactions of up to 64 keys; missing keys are not an error.

        ``PUT /v1/txn`` per batch, each atomic.

        :returns: the number of keys sent for deletion
        :raises consulate.exceptions.BatchFailed: a transaction failed; it
            names the keys deleted and not deleted
        """
        ops = [txn.kv_delete(key) for key in keys]
        return self._execute_batches(ops)

    def _execute_batches(self, ops: list[txn.Operation]) -> int:
        if not ops:
            return 0
        return self._child(txn.Txn).execute_batches(ops)
