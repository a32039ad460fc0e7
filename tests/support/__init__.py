"""Helpers every test uses.

- :mod:`tests.support.polling`: :func:`~tests.support.polling.eventually`, waiting
  for Consul to catch up, with a deadline;
- :mod:`tests.support.names`: :func:`~tests.support.names.unique` names and keys;
- :mod:`tests.support.agents`: healing a cluster, freezing and reviving an agent;
- :mod:`tests.support.proxy`: a recording (and, for faults, lying) HTTP proxy in
  front of a real agent, and clients that go through it;
- :mod:`tests.support.codebase`: the package's source read with :mod:`ast`
  (imports, the import graph, calls that reach the network), for the
  architecture tests;
- :mod:`tests.support.versions`: versions and requirements compared without
  the packaging library.

Fixtures stay in the ``conftest.py`` files; these are plain functions and classes.
"""
