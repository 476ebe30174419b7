"""The one clock. Every module that needs "now" takes a ``now`` argument defaulting to ``utc_now()``; tests pass a
fixed time, so no test depends on today's date."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)
