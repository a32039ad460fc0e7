"""consulate's version, alone in its module so that nothing has to import the package top."""

from __future__ import annotations

__version__ = '1.0.0.dev0'
