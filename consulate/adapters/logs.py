"""urllib3's log records, with the secrets they may carry redacted.

urllib3 logs each request line at DEBUG (and retried URLs at WARNING). In
the legacy ACL API an ACL's ID is its token, and it is part of the URL path;
a filter on urllib3's loggers, installed when :mod:`consulate.adapters` is
imported, redacts those IDs, as consulate's own records do.
"""

from __future__ import annotations

import logging

from consulate.adapters.wire import redact_text

__all__ = ['URLLIB3_LOGGERS', 'RedactSecrets', 'install_redaction']


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites records naming a secret URL path (a legacy ACL's ID).

    Installed on urllib3's loggers, whose records show each request line whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; never drop it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its format
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


#: The loggers urllib3 writes to (filters apply to a logger's own records only).
URLLIB3_LOGGERS = (
    'urllib3',
    'urllib3.connection',
    'urllib3.connectionpool',
    'urllib3.poolmanager',
    'urllib3.response',
    'urllib3.util.retry',
)


def install_redaction() -> None:
    """Add a :class:`RedactSecrets` filter to each of urllib3's loggers (once)."""
    names = set(URLLIB3_LOGGERS) | {
        name for name in logging.Logger.manager.loggerDict if name.startswith('urllib3.')
    }
    for name in sorted(names):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
