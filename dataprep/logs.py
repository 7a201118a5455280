"""Log lines pass through the same redaction as outputs: nothing personal reaches a terminal."""

from __future__ import annotations

import logging


class RedactingFilter(logging.Filter):
    """Replace e-mail addresses, secrets, IPs and phone numbers in a record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        from dataprep.text.redact import redact_text

        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
