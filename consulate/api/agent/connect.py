"""The agent's Connect endpoints (``/v1/agent/connect``), reached as ``consul.agent.connect``.

These are what a Connect proxy or a natively integrated service asks its
local agent: the CA roots to trust, its own leaf certificate, and whether a
client may connect to it. The agent answers roots and leaves from its cache,
which it keeps current with blocking queries of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from consulate.api import shapes
from consulate.api.base import Endpoint
from consulate.api.caching import cache_options

if TYPE_CHECKING:
    from consulate.types import AgentAuthorize, CARootList, LeafCert

__all__ = ['AgentConnect']


class AgentConnect(Endpoint):
    """The local agent's Connect CA roots, leaf certificates and authorization.

    Reached as ``consul.agent.connect``; the class is also ``Agent.Connect``.
    """

    PREFIX = 'agent/connect'
    ACCEPTS_DC = False

    def authorize(
        self, target: str, client_cert_uri: str, *, client_cert_serial: str | None = None
    ) -> AgentAuthorize:
        """Ask whether a client may connect to ``target`` (``POST /v1/agent/connect/authorize``).

        The answer follows the intentions (and the ACL default policy):
        ``{'Authorized': False, 'Reason': 'Matched intention: ...'}``.

        :param target: the name of the service being connected to
        :param client_cert_uri: the SPIFFE ID in the client's certificate,
            ``spiffe://<trust domain>/ns/default/dc/<dc>/svc/<service>``
        :param client_cert_serial: the client certificate's serial number, as
            colon-separated hex (``'0a:1b:...'``)
        :raises consulate.exceptions.BadRequest: ``client_cert_uri`` is not a
            Connect identifier
        :raises consulate.exceptions.Forbidden: the token may not write ``target``
        """
        data = {'Target': target, 'ClientCertURI': client_cert_uri}
        if client_cert_serial is not None:
            data['ClientCertSerial'] = client_cert_serial
        return cast(
            'AgentAuthorize', shapes.json_object(self._post(self._url('authorize'), data=data))
        )

    def ca_roots(
        self,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> CARootList:
        """Return the CA roots to trust, from the agent's cache (``GET /v1/agent/connect/ca/roots``).

        ``{'ActiveRootID', 'TrustDomain', 'Roots': [{'ID', 'RootCert', 'Active', ...}]}``.
        A blocking read: pass ``index`` (from
        ``consul.agent.connect.last_response.index``) and ``wait`` to wait
        for a rotation. The agent always answers from its cache; ``cached``,
        ``max_age`` and ``stale_if_error`` are sent as for any cached read
        (:mod:`consulate.api.caching`).

        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        url = self._url('ca', 'roots')
        params, headers = cache_options(cached, max_age, stale_if_error)
        return cast(
            'CARootList',
            self._get_object(
                url, params, index=index, wait=wait, consistency=consistency, headers=headers
            ),
        )

    def ca_leaf(
        self,
        service: str,
        *,
        index: int | None = None,
        wait: str | float | None = None,
        consistency: str | None = None,
        cached: bool = False,
        max_age: str | float | None = None,
        stale_if_error: str | float | None = None,
    ) -> LeafCert:
        """Return a leaf certificate for ``service``, with its key (``GET /v1/agent/connect/ca/leaf/:service``).

        ``{'SerialNumber', 'CertPEM', 'PrivateKeyPEM', 'Service', 'ServiceURI',
        'ValidAfter', 'ValidBefore', ...}``. The agent makes the certificate on
        the first request and renews it before it expires; a blocking read
        (``index``, ``wait``) returns when it has a new one. The service need
        not be registered. ``cached``, ``max_age`` and ``stale_if_error`` are
        sent as in :meth:`ca_roots`.

        :raises consulate.exceptions.Forbidden: the token may not write ``service``
        :raises consulate.exceptions.ValidationError: ``max_age`` or
            ``stale_if_error`` without ``cached``
        """
        url = self._url('ca', 'leaf', service)
        params, headers = cache_options(cached, max_age, stale_if_error)
        return cast(
            'LeafCert',
            self._get_object(
                url, params, index=index, wait=wait, consistency=consistency, headers=headers
            ),
        )
