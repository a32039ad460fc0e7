"""TLS settings: what ``verify`` means, and checking the certificate against a fixed name."""

from __future__ import annotations

import os
from typing import Any

import requests.adapters

__all__ = ['ServerNameAdapter', 'resolve_verify']


class ServerNameAdapter(requests.adapters.HTTPAdapter):
    """Check the server certificate against (and send as SNI) a fixed name."""

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name.rsplit(':', 1)[0] if ':' in server_name else server_name
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs['server_hostname'] = self.server_name
        kwargs['assert_hostname'] = self.server_name
        super().init_poolmanager(*args, **kwargs)


def resolve_verify(verify: bool | str) -> bool | str:
    """``True`` means the CA bundle the environment names (as requests does), else certifi's.

    Only ``False`` itself turns verification off: None, ``''`` or 0 mean True.
    """
    if verify is True or (not verify and verify is not False):
        return os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
    return verify
