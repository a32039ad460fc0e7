"""Validated request models, as the unreleased code after consulate 0.6.0 had them.

.. deprecated:: 1.0
   consulate's methods take keyword arguments and plain dicts; these classes
   are kept so that code written for that code keeps importing and working.
   A model is iterable as ``(Consul field name, value)`` pairs, so
   ``dict(model)`` is the JSON object Consul takes, and the methods that take
   check definitions (``checks=``, ``check=``) accept models as they are.
"""

from __future__ import annotations

from consulate.models import acl, agent, base

__all__ = ['acl', 'agent', 'base']
