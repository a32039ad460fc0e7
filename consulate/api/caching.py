"""The options of the reads the local agent can answer from its cache.

Consul's agent keeps a cache of some reads (health and catalog service
lookups, the catalog's services and datacenters, Connect CA roots and leaf
certificates, prepared query execution, discovery chains). A read sent with
``?cached`` is answered from it; ``Cache-Control: max-age=<s>`` bounds how
old a cached answer may be and ``stale-if-error=<s>`` lets the agent answer
with an older one while the servers cannot be reached. The answer says
whether it came from the cache in ``X-Cache`` (``HIT`` or ``MISS``) and how
old it is in ``Age``: :attr:`consulate.adapters.Response.cache` and
:attr:`~consulate.adapters.Response.age`, read from the endpoint's
``last_response``.

Results the agent keeps current with its own blocking query (health and
catalog service lookups, Connect roots and leaves, discovery chains) ignore
``max-age``; the others ("simple" caching) may be up to three days old
unless ``max-age`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from consulate import exceptions
from consulate.api.base import duration_seconds, go_duration

__all__ = ['cache_options']


def cache_options(
    cached: bool, max_age: str | float | None, stale_if_error: str | float | None
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The query parameter and the ``Cache-Control`` header of a read, as ``(params, headers)``.

    :param cached: send ``?cached``: let the agent answer from its cache
    :param max_age: the oldest cached answer to accept, seconds or a duration
        (sent as whole seconds)
    :param stale_if_error: how much older an answer may be when the agent
        cannot refresh it, seconds or a duration
    :raises consulate.exceptions.ValidationError: ``max_age`` or
        ``stale_if_error`` without ``cached``, or not a duration
    """
    if not cached:
        if max_age is not None or stale_if_error is not None:
            raise exceptions.ValidationError('max_age and stale_if_error need cached=True')
        return {}, None
    directives = [
        f'{name}={_whole_seconds(value)}'
        for name, value in (('max-age', max_age), ('stale-if-error', stale_if_error))
        if value is not None
    ]
    return {'cached': True}, ({'Cache-Control': ', '.join(directives)} if directives else None)


def _whole_seconds(value: str | float) -> int:
    """A duration as the whole seconds ``Cache-Control`` takes (rounded down)."""
    return int(duration_seconds(go_duration(value)))
