"""Consul's answers, checked: what a method reads must have the shape Consul sends.

Consul always answers with the shape each endpoint documents; a proxy, a
gateway's login page or a broken agent may not. Every endpoint reads its
answers through these functions (or :meth:`Endpoint._shaping
<consulate.api.base.Endpoint._shaping>` for deeper reads), so that a wrong
shape raises :class:`~consulate.exceptions.InvalidResponse` naming the
request and what was wrong, never a ``TypeError`` or ``KeyError``, and a
write whose answer is not Consul's is never reported as done.

Messages describe the body's shape (``got a list of 3 items``), never its
content: a wrong-shaped answer to a token read would still carry the token.

Before any of that, :func:`check_consul` looks at who answered: a web
server on the wrong port, a proxy's error page or a login gateway answers
HTTP too, but not as Consul does (see its docstring). Its answers are
refused as a whole, whatever their status, so an empty listing or a 404 is
never taken from something that is not Consul.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from consulate import exceptions

if TYPE_CHECKING:
    from consulate.adapters import Response

__all__ = [
    'acknowledged',
    'address',
    'bool_field',
    'describe',
    'empty',
    'field',
    'invalid',
    'json_bool',
    'json_list',
    'json_object',
    'keyed_objects',
    'check_consul',
    'list_field',
    'object_field',
    'shaping',
    'text',
]

_READS = frozenset({'GET', 'HEAD', 'OPTIONS'})
_HTML = (b'<!doctype html', b'<html')
#: The statuses of a gateway (or Consul) that is busy or cannot reach Consul: its page
#: stays the ServerError or TooManyRequests the retry policy knows.
_GATEWAY = frozenset({429, 500, 502, 503, 504})
_KINDS = {dict: 'an object', list: 'a list', str: 'a string', bool: 'true or false'}


def describe(value: Any) -> str:
    """Say what a decoded JSON value is, without showing what it holds."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return f'a string of {len(value)} characters'
    if isinstance(value, list):
        return f'a list of {len(value)} items' if value else 'an empty list'
    if isinstance(value, dict):
        if not value:
            return 'an empty object'
        names = ', '.join(str(key)[:40] for key in list(value)[:5])
        more = ', ...' if len(value) > 5 else ''
        return f'an object with {names}{more}'
    return type(value).__name__  # pragma: no cover - JSON decodes to the types above


def describe_body(response: Response) -> str:
    """Say what an answer's body is: its JSON shape, or its size and type when it is not JSON."""
    content = response.content.strip()
    if not content:
        return 'an empty body'
    try:
        return describe(response.json())
    except exceptions.InvalidResponse:
        kind = response.headers.get('Content-Type') or 'no Content-Type'
        return f'a body of {len(content)} bytes that is not JSON ({kind})'


def invalid(
    response: Response, expected: str, got: str | None = None
) -> exceptions.InvalidResponse:
    """The InvalidResponse for an answer that is not ``expected``: it names the request, never the body.

    For a write it is ``maybe_applied``: the request reached whatever answered
    (a proxy may have passed it on to Consul), so it may have been applied.
    """
    error = exceptions.InvalidResponse(
        f'{response.status_code} on {response.method} {response.path}: '
        f'expected {expected}, got {got or describe_body(response)}'
    )
    error.maybe_applied = response.method not in _READS
    return error


def address(uri: str) -> str:
    """The address of a client's API URI, as a user gave it (``http://host:8500``, ``unix:///path``)."""
    base = uri.removesuffix('/v1')
    if base.startswith('http+unix://'):
        return 'unix://' + unquote(base.removeprefix('http+unix://'))
    return base


def check_consul(
    response: Response,
    uri: str,
    indexed: bool,
    stream: bool = False,
    cause: BaseException | None = None,
) -> None:
    """Refuse an answer a Consul agent never sends: it came from some other server.

    Consul answers its API with JSON, text or archives, never with an HTML
    page (a 429, 500, 502, 503 or 504 page is a gateway's in front of Consul,
    and stays the ServerError or TooManyRequests the retry policy knows); and its KV, catalog and health reads (``indexed``) always carry
    ``X-Consul-Index``, a missing key's empty 404 too (their writes never
    answer 404). A 404 is what any web server answers for a path it does not
    know, so a 404 from those routes without that header is not Consul's. (A 200 without it is let through:
    no stray server sends Consul's JSON, and HTTP mocks of 0.6-era test suites
    answer reads that way.)

    :param uri: the client's API URI, whose address the message names
    :param stream: the body is not read yet: only the headers are looked at
    :param cause: the exception the answer raised (its ``__cause__``)
    :raises consulate.exceptions.InvalidResponse: "the server at ADDRESS does not
        look like a Consul agent: ..."
    """
    status = response.status_code
    kind = (response.headers.get('Content-Type') or '').lower()
    gateway = status in _GATEWAY  # a gateway in front of Consul: retried, kept
    if not gateway and (
        'html' in kind
        or (not stream and not kind and response.content.lstrip()[:14].lower().startswith(_HTML))
    ):
        why = f'an HTML page ({status})'
    elif indexed and status == 404 and not response.headers.get('X-Consul-Index'):
        why = 'a 404 without the X-Consul-Index header Consul sends'
    else:
        return
    response.close()
    error = exceptions.InvalidResponse(
        f'the server at {address(uri)} does not look like a Consul agent: it answered '
        f'{response.method} {response.path} with {why}'
    )
    error.maybe_applied = response.method not in _READS
    raise error from cause


def json_object(response: Response, *fields: str) -> dict[str, Any]:
    """The body as a JSON object holding ``fields``.

    :raises consulate.exceptions.InvalidResponse: it is anything else
    """
    body = response.json()
    if not isinstance(body, dict):
        raise invalid(response, 'a JSON object')
    missing = [name for name in fields if name not in body]
    if missing:
        raise invalid(response, f'an object with {", ".join(fields)}')
    return body


def field(response: Response, name: str) -> str:
    """One string field of the JSON object in the body, such as the ``ID`` a create answers with.

    :raises consulate.exceptions.InvalidResponse: no object, no such field, or not a string
    """
    value: str = _typed_field(response, name, str)
    return value


def bool_field(response: Response, name: str) -> bool:
    """One ``true``/``false`` field of the JSON object in the body, such as an intention check's ``Allowed``.

    :raises consulate.exceptions.InvalidResponse: no object, no such field, or not a boolean
    """
    value: bool = _typed_field(response, name, bool)
    return value


def object_field(response: Response, name: str) -> dict[str, Any]:
    """One object-valued field of the JSON object in the body, such as a discovery chain's ``Chain``.

    :raises consulate.exceptions.InvalidResponse: no object, no such field, or not an object
    """
    value: dict[str, Any] = _typed_field(response, name, dict)
    return value


def _typed_field(response: Response, name: str, kind: type) -> Any:
    value = json_object(response, name)[name]
    if not isinstance(value, kind):
        raise invalid(response, f'{name} as {_KINDS[kind]}', f'{name} as {describe(value)}')
    return value


def json_list(response: Response, of: type | None = dict, *, null: bool = True) -> list[Any]:
    """The body as a JSON list whose items are all ``of`` (objects by default; None: anything).

    :param null: take ``null`` as an empty list, as Consul sends it for an
        empty result (not where it answers an empty one with a 404: KV listings)
    :raises consulate.exceptions.InvalidResponse: not a list, or an item of another type
    """
    body = response.json()
    if body is None and null:
        return []
    if not isinstance(body, list):
        raise invalid(response, 'a JSON list')
    if of is not None:
        for number, item in enumerate(body):
            if not isinstance(item, of) or (of is not bool and isinstance(item, bool)):
                raise invalid(
                    response, f'a list of {_plural(of)}', f'item {number} is {describe(item)}'
                )
    return body


def list_field(response: Response, name: str, of: type = dict) -> list[Any]:
    """One list-valued field of the JSON object in the body (``null`` is an empty list), such as a transaction's ``Results``.

    :raises consulate.exceptions.InvalidResponse: no object, no such field, or not a list of ``of``
    """
    value = json_object(response, name)[name]
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, of) for item in value):
        raise invalid(
            response, f'{name} as a list of {_plural(of)}', f'{name} as {describe(value)}'
        )
    return value


def keyed_objects(response: Response) -> list[dict[str, Any]]:
    """The values of a JSON object keyed by name (``{id: {...}}``), in key order; ``null`` is none.

    :raises consulate.exceptions.InvalidResponse: not an object of objects
    """
    if response.json() is None:
        return []
    found = json_object(response)
    for name, value in found.items():
        if not isinstance(value, dict):
            raise invalid(
                response, 'an object of objects', f'{str(name)[:40]} as {describe(value)}'
            )
    return [found[name] for name in sorted(found)]


def text(response: Response) -> str:
    """The body as text (a rules translation, a PEM bundle): neither a web page nor JSON.

    :raises consulate.exceptions.InvalidResponse: an HTML or JSON answer, or not UTF-8
    """
    kind = response.headers.get('Content-Type') or ''
    if 'html' in kind or 'json' in kind:
        raise invalid(response, 'text', f'a {kind.split(";")[0]} body')
    try:
        return response.content.decode('utf-8')
    except UnicodeDecodeError:
        raise invalid(response, 'UTF-8 text', 'bytes that are not UTF-8') from None


def json_bool(response: Response) -> bool:
    """Consul's ``true`` or ``false``: its answer to KV writes, session destroy, config apply...

    :raises consulate.exceptions.InvalidResponse: any other body (an empty one too)
    """
    content = response.content.strip()
    if content == b'true':
        return True
    if content == b'false':
        return False
    raise invalid(response, 'true or false')


def empty(response: Response) -> None:
    """Check that the body is empty, as Consul answers agent writes, query updates and the like.

    :raises consulate.exceptions.InvalidResponse: there is a body (a proxy's page, say)
    """
    if response.content.strip():
        raise invalid(response, 'an empty answer')


def acknowledged(response: Response) -> None:
    """Check an answer Consul sends as nothing, ``true`` or an object, depending on its version.

    For the routes whose answer consulate does not use and that cannot be
    measured on every Consul it serves (Enterprise, newer routes): an empty
    body, ``true`` or a JSON object is Consul's; anything else, such as an
    HTML page, ``false`` or a list, is not.

    :raises consulate.exceptions.InvalidResponse: any other body
    """
    if not response.content.strip():
        return
    body = response.json()
    if body is not True and not isinstance(body, dict):
        raise invalid(response, 'an empty answer, true or an object')


@contextlib.contextmanager
def shaping(response: Response) -> Iterator[None]:
    """Turn a lookup that fails on a wrong shape (``null``, ``{}``, a missing field) into InvalidResponse."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
        if isinstance(error, exceptions.ConsulateException):
            raise
        raise invalid(response, 'the shape Consul sends') from error


def _plural(kind: type) -> str:
    name = _KINDS.get(kind, kind.__name__)
    if name.startswith('an '):
        return f'{name[3:]}s'
    return f'{name[2:]}s' if name.startswith('a ') else name
