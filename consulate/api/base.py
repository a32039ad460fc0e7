"""The plumbing every endpoint class shares: its settings, URLs, common parameters and requests.

Each endpoint receives a :class:`Context` (the client's API URI, adapter,
datacenter, token and defaults) and hands it to the endpoints it makes, with
:meth:`Endpoint._child`. A public method builds its path segments and query
parameters and calls one of :meth:`Endpoint._get`, :meth:`Endpoint._put`,
:meth:`Endpoint._post` or :meth:`Endpoint._delete`. Those quote each path
segment, add the datacenter, consistency mode, namespace and blocking-query
parameters, and send the request through the adapter's one path
(:meth:`consulate.adapters.Request.request`), which owns the token, timeouts,
retries and the status -> exception mapping.

Every answer is first checked to come from Consul (:func:`consulate.api.shapes.check_consul`):
an HTML page, or a 404 to a KV, catalog or health read without ``X-Consul-Index``,
raises :class:`~consulate.exceptions.InvalidResponse` whatever its status.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

from consulate import exceptions
from consulate.api import shapes
from consulate.api.params import (
    CONSISTENCY_MODES,
    check_consistency,
    duration,
    duration_seconds,
    flag_params,
    go_duration,
)

if TYPE_CHECKING:
    from consulate.adapters import Request, Response

# The parameter helpers are re-exported: endpoint modules import them from here.
__all__ = [
    'CONSISTENCY_MODES',
    'Context',
    'Endpoint',
    'JSONList',
    'JSONObject',
    'check_consistency',
    'duration',
    'duration_seconds',
    'flag_params',
    'go_duration',
]

#: A JSON object as Consul returns it.
JSONObject = dict[str, Any]
#: A JSON list of objects; use it in annotations of classes that have a ``list`` method.
JSONList = list[dict[str, Any]]

#: Added to a blocking query's read timeout on top of wait + wait/16.
BLOCKING_MARGIN = 5.0


_ALLOW_NONE: frozenset[int] = frozenset()
_ALLOW_404 = frozenset({404})
_ALLOW_409 = frozenset({409})
_ALLOW_BOTH = frozenset({404, 409})

_E = TypeVar('_E', bound='Endpoint')


@dataclasses.dataclass(frozen=True)
class Context:
    """What every endpoint of a client shares: where and how to send, and the defaults of requests.

    :ivar uri: the API's base URI, for example ``http://localhost:8500/v1``
    :ivar adapter: the :class:`consulate.adapters.Request` every request goes through
    :ivar datacenter: sent as ``?dc=`` by the endpoints that take one
    :ivar token: the ACL token, sent in the ``X-Consul-Token`` header (never shown in the repr)
    :ivar consistency: the default consistency mode of reads
    :ivar namespace: Consul Enterprise namespace, sent as ``?ns=`` when set
    :ivar partition: Consul Enterprise admin partition, sent as ``?partition=`` when set
    :ivar decode_json: whether KV reads decode JSON text into Python values
        (default False: the stored text, as consulate 0.6.0 returned it)
    """

    uri: str
    adapter: Request
    datacenter: str | None = None
    token: str | None = dataclasses.field(default=None, repr=False)
    consistency: str | None = None
    namespace: str | None = None
    partition: str | None = None
    decode_json: bool = False

    def __post_init__(self) -> None:
        check_consistency(self.consistency)


class Endpoint:
    """The base of every endpoint class: ``(uri, adapter, datacenter=None, token=None)``.

    Endpoints made by the client (and by :meth:`_child`) get a :class:`Context`
    in place of ``uri`` (and its adapter); consulate 0.6.0's four arguments still work.

    :param uri: the API's base URI, for example ``http://localhost:8500/v1``,
        or a :class:`Context`
    :param adapter: the :class:`consulate.adapters.Request` that sends requests
    :param datacenter: sent as ``?dc=`` by the endpoints that take one
    :param token: the ACL token, sent in the ``X-Consul-Token`` header
    :param consistency: the default consistency mode of reads
        (``'default'``, ``'stale'`` or ``'consistent'``)
    :param namespace: Consul Enterprise namespace, sent as ``?ns=`` when set
    :param partition: Consul Enterprise admin partition, sent as ``?partition=`` when set
    :param decode_json: whether KV reads decode JSON text into Python values
    """

    #: The Consul URL prefix this class serves (``/v1/<prefix>/...``).
    PREFIX: ClassVar[str] = ''
    #: Whether the endpoint accepts ``?dc=`` (agent-local endpoints do not).
    ACCEPTS_DC: ClassVar[bool] = True
    #: Whether Consul marks every 404 of this prefix with ``X-Consul-Index`` (KV, catalog,
    #: health: only their reads answer 404): a 404 without it does not come from Consul.
    INDEXED: ClassVar[bool] = False
    #: Endpoints made with this one and kept as its attributes (``consul.agent.check``),
    #: by attribute name; they share its context.
    CHILDREN: ClassVar[Mapping[str, type[Endpoint]]] = {}

    def __init__(
        self,
        uri: str | Context,
        adapter: Request | None,
        datacenter: str | None = None,
        token: str | None = None,
        *,
        consistency: str | None = None,
        namespace: str | None = None,
        partition: str | None = None,
        decode_json: bool = False,
    ) -> None:
        if isinstance(uri, Context):
            context = uri
            if adapter is not None and adapter is not context.adapter:
                context = dataclasses.replace(context, adapter=adapter)
        else:
            if adapter is None:
                raise exceptions.ValidationError(f'{type(self).__name__} needs an adapter')
            context = Context(
                uri, adapter, datacenter, token, consistency, namespace, partition, decode_json
            )
        self._context = context
        self._api_uri = context.uri
        self._base_uri = f'{context.uri}/{self.PREFIX}' if self.PREFIX else context.uri
        self._adapter = context.adapter
        self._dc = context.datacenter
        self._token = context.token
        self._consistency = context.consistency
        self._namespace = context.namespace
        self._partition = context.partition
        self._local = threading.local()
        for name, child in self.CHILDREN.items():
            setattr(self, name, self._child(child))

    def _child(self, cls: type[_E], **extra: Any) -> _E:
        """Make another endpoint that shares this one's context (its adapter, token, defaults)."""
        return cls(self._context, self._adapter, **extra)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self._base_uri}>'

    @property
    def last_response(self) -> Response | None:
        """The last answer this thread got through this endpoint, or None.

        This is how the metadata of a read reaches the caller without changing
        what the read returns: after ``consul.kv.get('k', index=i, wait='30s')``,
        ``consul.kv.last_response.index`` is the ``X-Consul-Index`` to pass as
        the next ``index``, and ``known_leader`` / ``last_contact`` tell how
        fresh a stale read was. It is kept per thread, so threads sharing a
        client do not see each other's answers.
        """
        response: Response | None = getattr(self._local, 'response', None)
        return response

    def _url(self, *segments: str) -> str:
        """The URL of ``segments`` under this endpoint, each percent-encoded."""
        if not segments:
            return self._base_uri
        return self._base_uri + '/' + '/'.join(quote(s, safe='') for s in segments)

    def _params(
        self,
        params: Mapping[str, Any] | None,
        *,
        read: bool,
        consistency: str | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        dc: str | None = None,
    ) -> dict[str, Any]:
        """The query parameters of one request, with the common ones added."""
        query: dict[str, Any] = {}
        if params:
            for key, value in params.items():
                if value is None or value is False:
                    continue
                query[key] = '' if value is True else value
        datacenter = dc or self._dc
        if datacenter and self.ACCEPTS_DC:
            query['dc'] = datacenter
        if self._namespace:
            query.setdefault('ns', self._namespace)  # a per-call ns wins
        if self._partition:
            query.setdefault('partition', self._partition)
        if read:
            mode = check_consistency(consistency) or self._consistency
            if mode and mode != 'default':
                query[mode] = ''
            if index:
                query['index'] = int(index)
            if wait is not None:
                query['wait'] = go_duration(wait)
        return query

    def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        *,
        allow_404: bool = False,
        allow_409: bool = False,
        allow: frozenset[int] | None = None,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        dc: str | None = None,
        raw_body: bool = False,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: tuple[float, float] | None = None,
        indexed: bool | None = None,
    ) -> Response:
        """Send one request through the adapter's one path; error statuses raise, unless allowed.

        :param data: bytes or str are sent as they are (``raw_body``), a binary
            file is streamed, any other value is JSON-encoded; ``None`` sends no body
        :param allow_404: return a 404 answer instead of raising NotFound
        :param allow_409: return a 409 answer instead of raising Conflict
        :param headers: more request headers (``Cache-Control`` of agent-cached reads)
        :param stream: read the answer's body lazily (:meth:`Response.iter_content`);
            a stream is a long poll
        :param timeout: ``(connect, read)`` seconds instead of the client's
        :param indexed: whether Consul sends ``X-Consul-Index`` with this read
            (default: :attr:`INDEXED`)
        :raises consulate.exceptions.InvalidResponse: the answer is not Consul's
        """
        read = method == 'GET'
        indexed = self.INDEXED if indexed is None else indexed
        query = self._params(
            params, read=read, consistency=consistency, index=index, wait=wait, dc=dc
        )
        body, content_type = _encode_body(data, raw_body)
        blocking = bool(index or query.get('hash'))  # index- or hash-based blocking
        if blocking and wait is not None:
            timeout = self._blocking_timeout(wait)
        if allow is None:
            allow = _ALLOW_BOTH if allow_404 and allow_409 else (
                _ALLOW_404 if allow_404 else _ALLOW_409 if allow_409 else _ALLOW_NONE
            )  # fmt: skip
        try:
            response = self._adapter.request(
                method,
                url,
                params=query,
                data=body,
                token=self._token,
                content_type=content_type,
                headers=headers,
                timeout=timeout,
                allow=allow,
                stream=stream,
                long_poll=blocking or stream,
            )
        except exceptions.APIError as error:
            self._local.response = error.response
            if error.response is not None:
                shapes.check_consul(error.response, self._api_uri, indexed, stream, error)
            raise
        self._local.response = response
        shapes.check_consul(response, self._api_uri, indexed, stream)
        return response

    def _get(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Response:
        return self._request('GET', url, params, **kwargs)

    def _put(
        self, url: str, params: Mapping[str, Any] | None = None, data: Any = None, **kwargs: Any
    ) -> Response:
        return self._request('PUT', url, params, data, **kwargs)

    def _post(
        self, url: str, params: Mapping[str, Any] | None = None, data: Any = None, **kwargs: Any
    ) -> Response:
        return self._request('POST', url, params, data, **kwargs)

    def _delete(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Response:
        return self._request('DELETE', url, params, **kwargs)

    def _get_json(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET ``url`` and return the decoded JSON body."""
        return self._get(url, params, **kwargs).json()

    def _get_list(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        of: type | None = dict,
        **kwargs: Any,
    ) -> list[Any]:
        """GET ``url`` and return its JSON list of ``of`` items (``null`` is an empty list).

        :raises consulate.exceptions.InvalidResponse: the answer is not such a list
        """
        return shapes.json_list(self._get(url, params, **kwargs), of)

    def _get_object(
        self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> JSONObject:
        """GET ``url`` and return its JSON object.

        :raises consulate.exceptions.InvalidResponse: the answer is not an object
        """
        return shapes.json_object(self._get(url, params, **kwargs))

    def _put_bool(
        self, url: str, params: Mapping[str, Any] | None = None, data: Any = None, **kwargs: Any
    ) -> bool:
        """PUT and return Consul's ``true``/``false`` answer.

        :raises consulate.exceptions.InvalidResponse: the answer is anything else
        """
        return shapes.json_bool(self._put(url, params, data, **kwargs))

    def _put_ok(
        self, url: str, params: Mapping[str, Any] | None = None, data: Any = None, **kwargs: Any
    ) -> bool:
        """PUT to a route Consul answers with an empty body (the agent's writes); return True.

        :raises consulate.exceptions.InvalidResponse: the answer has a body
        """
        shapes.empty(self._put(url, params, data, **kwargs))
        return True

    def _txn(self, ops: Sequence[Mapping[str, Any]]) -> Response:
        """Send a transaction (``PUT /v1/txn``); a rollback (409) is returned, other errors raise.

        :raises consulate.exceptions.InvalidResponse: a 200 answer without Consul's ``Results``
        """
        response = self._request('PUT', f'{self._api_uri}/txn', data=ops, allow_409=True)
        if response.status_code == 200:
            shapes.list_field(response, 'Results')
        return response

    def _request_since(
        self,
        since: str,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> Response:
        """Send a request to a route that older or OSS agents lack (``since``: who has it).

        A 404 means the route is missing when its body says so (newer agents), or
        when it is empty (1.8.x) and ``OPTIONS`` on the same URL is a 404 too.
        Other 404s raise NotFound (or are returned with ``allow_404``).

        :raises consulate.exceptions.UnsupportedEndpoint: the agent has no such route
        """
        allow_404 = kwargs.pop('allow_404', False)
        response = self._request(method, url, params, data, allow_404=True, **kwargs)
        if response.status_code != 404:
            return response
        if self._route_missing(url, response):
            response.close()
            raise exceptions.UnsupportedEndpoint(
                404, method, response.path, f'this endpoint needs {since}'
            )
        if not allow_404:
            response.raise_for_status()
        return response

    def _route_missing(self, url: str, response: Response) -> bool:
        """Whether the 404 ``response`` from ``url`` means the agent has no such route.

        Newer agents say so in the body; 1.8.x answer with an empty body, and
        then ``OPTIONS`` on the same URL is a 404 too.
        """
        body = response.content.strip()
        return b'not a recognized HTTP API endpoint' in body or (
            not body and self._adapter.request('OPTIONS', url).status_code == 404
        )

    @staticmethod
    def _shaping(response: Response) -> contextlib.AbstractContextManager[None]:
        """Turn an answer of the wrong shape (``null``, ``{}``, a missing field) into InvalidResponse.

        Consul does not send such answers; a proxy or a broken agent might.
        """
        return shapes.shaping(response)

    def _blocking_timeout(self, wait: str | float) -> tuple[float, float]:
        """A read timeout that outlasts a blocking query: wait + wait/16 + a margin."""
        seconds = duration_seconds(wait)
        configured = self._adapter.timeout
        connect = configured[0] if isinstance(configured, tuple) else configured
        return (connect, seconds + seconds / 16 + BLOCKING_MARGIN)


def _encode_body(data: Any, raw: bool) -> tuple[bytes | IO[bytes] | None, str | None]:
    """Encode a request body: bytes/str as they are with ``raw``, a file as is, else JSON."""
    if data is None:
        return None, None
    if raw:
        if isinstance(data, str):
            return data.encode('utf-8'), 'application/octet-stream'
        if hasattr(data, 'read'):
            return data, 'application/octet-stream'
        return bytes(data), 'application/octet-stream'
    return json.dumps(data, separators=(',', ':')).encode('utf-8'), 'application/json'


def __getattr__(name: str) -> Any:
    """``consulate.api.base.Response``, where the code after 0.6.0 had it (deprecated)."""
    if name == 'Response':
        from consulate.adapters.response import Response

        return Response
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
