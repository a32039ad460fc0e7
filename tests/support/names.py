"""Names no other test uses, so tests sharing an agent never collide."""

from __future__ import annotations

import uuid


def unique(kind: str = 'test') -> str:
    """``<kind>-<10 hex digits>``."""
    return f'{kind}-{uuid.uuid4().hex[:10]}'
