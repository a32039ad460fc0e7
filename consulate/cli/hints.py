"""Hints for a newcomer, printed on stderr next to a result that may mislead.

Under ACLs Consul leaves out of a listing what the token may not read and
answers 200 (or 404 for KV), so an empty listing without a token can mean
"no permission" rather than "nothing there". When a listing comes back
empty and no token was given, :func:`acl_filter_hint` asks the agent whether
it has ACLs on and says so; a non-empty listing, or one made with a token,
costs no extra request.
"""

from __future__ import annotations

import argparse

from consulate import exceptions
from consulate.cli.output import error
from consulate.client import Consul

__all__ = ['acl_filter_hint', 'acls_enabled']


def acls_enabled(consul: Consul) -> bool:
    """Whether the agent has ACLs on, asked with one ``GET /v1/acl/token/self``.

    Without ACLs every ACL route answers 401 ``ACL support disabled``; with
    them, a request without a token gets 403 ``ACL not found`` (or the
    anonymous token). Any other failure counts as "cannot tell": False.
    """
    try:
        consul.acl.read_self_token()
    except exceptions.ACLDisabled:
        return False
    except exceptions.ClientError:
        return True
    except exceptions.ConsulateException:
        return False
    return True


def acl_filter_hint(consul: Consul, args: argparse.Namespace) -> None:
    """After an empty listing: say that ACLs may have hidden results, if they may have.

    The hint is printed only when no token was given (``args.anonymous``)
    and the agent has ACLs on; the exit status does not change.
    """
    if not getattr(args, 'anonymous', False) or not acls_enabled(consul):
        return
    error(
        'this agent has ACLs on and no token was given: results may be filtered by ACLs '
        '(give a token with --token or CONSUL_HTTP_TOKEN)'
    )
