"""Names consulate 0.6.0 had in ``consulate.adapters``, kept for code that used them.

.. deprecated:: 1.0
   consulate sets the content type and encodes bodies itself; these are not
   used by consulate any more.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ['CONTENT_FORM', 'CONTENT_JSON', 'prepare_data']

#: The content type 0.6.0 labelled text bodies with.
CONTENT_FORM = 'application/x-www-form-urlencoded; charset=utf-8'
#: The content type of JSON bodies.
CONTENT_JSON = 'application/json; charset=utf-8'

_F = TypeVar('_F', bound=Callable[..., Any])


def prepare_data(fun: _F) -> _F:
    """Decorate ``fun(self, uri, data)`` so that ``data`` other than str/bytes is JSON-encoded.

    .. deprecated:: 1.0 consulate encodes request bodies itself
    """

    @functools.wraps(fun)
    def inner(*args: Any, **kwargs: Any) -> Any:
        data = kwargs.get('data')
        if data is not None and not isinstance(data, (str, bytes)):
            kwargs['data'] = json.dumps(data)
        elif len(args) == 3 and args[2] is not None and not isinstance(args[2], (str, bytes)):
            args = (args[0], args[1], json.dumps(args[2]))
        return fun(*args, **kwargs)

    return inner  # type: ignore[return-value]
