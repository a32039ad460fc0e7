"""How a request is written: URIs, query strings and headers, encoded as requests encodes them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = ['encode_query', 'merge_headers', 'redact_path', 'redact_text', 'split_uri']

#: Routes whose last segment is a secret: in the legacy ACL API an ACL's ID is its token.
_SECRET_ROUTES = ('/v1/acl/info/', '/v1/acl/clone/', '/v1/acl/destroy/')
#: Those routes' secret segment anywhere in a text (a log line, a URL with a host).
_SECRET_SEGMENT = re.compile(r'(/v1/acl/(?:info|clone|destroy)/)[^\s"\'?#&]+')


def split_uri(uri: str) -> tuple[str, str, str]:
    """``(origin, target, path)`` of a URI: ``http://h:1/v1/kv/a?x`` -> ``http://h:1``, ``/v1/kv/a?x``, ``/v1/kv/a``."""
    start = uri.find('://')
    end = len(uri)
    for delimiter in '/?#':  # the authority ends at the first of them (RFC 3986, 3.2)
        found = uri.find(delimiter, start + 3 if start >= 0 else 0, end)
        if found >= 0:
            end = found
    origin, target = uri[:end], uri[end:]
    fragment = target.find('#')
    if fragment >= 0:
        target = target[:fragment]
    if not target.startswith('/'):
        target = '/' + target
    mark = target.find('?')
    return origin, target, target if mark < 0 else target[:mark]


def merge_headers(headers: dict[str, str], extra: Mapping[str, str | None]) -> None:
    """Add ``extra`` to ``headers`` as requests merges them: names match in any case, None removes."""
    for name, value in extra.items():
        lowered = name.lower()
        for existing in [key for key in headers if key.lower() == lowered]:
            del headers[existing]
        if value is not None:
            headers[name] = value


def encode_query(params: Mapping[str, Any]) -> str:
    """A query string, as requests encodes a params dict: None left out, lists repeated."""
    pairs: list[tuple[str, Any]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, bytes)) or not hasattr(value, '__iter__'):
            pairs.append((key, value))
        else:
            pairs.extend((key, item) for item in value if item is not None)
    return urlencode(pairs)


def redact_path(path: str) -> str:
    """The path as logs and messages may show it: a legacy ACL's ID (a token) replaced."""
    if path.startswith('/v1/acl/'):
        for route in _SECRET_ROUTES:
            if path.startswith(route):
                return f'{route}<redacted>'
    return path


def redact_text(text: str) -> str:
    """``text`` with every legacy ACL ID (a token) in a URL path replaced, as :func:`redact_path` does."""
    if '/v1/acl/' not in text:
        return text
    return _SECRET_SEGMENT.sub(r'\1<redacted>', text)
