"""``python -m consulate``: the ``consulate`` command."""

from __future__ import annotations

from consulate.cli import main

if __name__ == '__main__':
    raise SystemExit(main())
