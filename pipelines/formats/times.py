"""Times and hour folders, one rule for the whole project.

- ISO-8601 text -> an aware UTC datetime (``parse_iso8601``). A time without a timezone is read as UTC: every time
  Model Monitor and Data Capture write is UTC (``inferenceTime`` "2026-11-28T10:15:00Z"; the custom-container
  contract's ``start_time``/``end_time``), and so are the hour folders. Spaces are dropped, since AWS's own contract
  example writes "2019-12-01T16: 20: 00Z" (model-monitor-byoc-contract-inputs).
- Hour folders ``yyyy/mm/dd/hh`` (UTC): Data Capture writes ``<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``
  (model-monitor-data-capture-endpoint) and Model Monitor reads ground truth from ``<GroundTruthInput>/yyyy/mm/dd/hh/``
  ("Ingest Ground Truth labels and merge them with predictions").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from pipelines.core.errors import UsageError

HOUR_FORMAT = "%Y/%m/%d/%H"
DAY_FORMAT = "%Y/%m/%d"
# ``.../yyyy/mm/dd/hh/<file>``: the hour folder of an object key or a local path (groups: year, month, day, hour)
HOUR_PATH_RE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")
EXAMPLE = "2026-11-28T10:00:00Z"


def parse_iso8601(text: str) -> datetime:
    """``text`` as an aware UTC datetime; raises ValueError when it is not ISO-8601 (or not a string)."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not an ISO-8601 time")
    when = datetime.fromisoformat(text.replace(" ", ""))  # Python 3.11 reads "Z" and every ISO-8601 form used here
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def parse_time_flag(text: str, flag: str) -> datetime:
    """``parse_iso8601`` for a flag or setting: a bad value is a UsageError naming ``flag`` and an example."""
    try:
        return parse_iso8601(text)
    except ValueError:
        raise UsageError(f"{flag} '{text}' is not an ISO-8601 time (e.g. {EXAMPLE})") from None


def iso_z(when: datetime) -> str:
    """``2026-11-28T10:00:00Z``: the form Model Monitor writes (seconds, UTC, 'Z'); a naive time counts as UTC."""
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_start(when: datetime) -> datetime:
    """The UTC hour that holds ``when``."""
    return parse_iso8601(when.isoformat()).replace(minute=0, second=0, microsecond=0)


def hour_folder(when: datetime) -> str:
    """``yyyy/mm/dd/hh`` of the UTC hour that holds ``when``."""
    return hour_start(when).strftime(HOUR_FORMAT)


def day_folder(when: datetime) -> str:
    """``yyyy/mm/dd`` of the UTC day that holds ``when``."""
    return hour_start(when).strftime(DAY_FORMAT)


def parse_hour_folder(text: str) -> datetime:
    """The UTC start of an hour folder ``yyyy/mm/dd/hh``; raises ValueError when it is not one."""
    return datetime.strptime(text, HOUR_FORMAT).replace(tzinfo=timezone.utc)


def hour_of_path(path: str) -> datetime | None:
    """The UTC hour of a ``.../yyyy/mm/dd/hh/<file>`` key or path; None when it is not in an hour folder (or the
    folder is no real hour, e.g. 2026/02/30/10)."""
    match = HOUR_PATH_RE.search(path)
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


def hours_ending(end: datetime, hours: int) -> list[str]:
    """``yyyy/mm/dd/hh`` of the ``hours`` hours ending with the hour of ``end``, oldest first."""
    top = hour_start(end)
    return [(top - timedelta(hours=i)).strftime(HOUR_FORMAT) for i in range(hours - 1, -1, -1)]


def days_between(start: datetime, end: datetime) -> list[str]:
    """``yyyy/mm/dd`` of every UTC day from the day of ``start`` to the day of ``end``, oldest first."""
    first, last = hour_start(start).date(), hour_start(end).date()
    return [(first + timedelta(days=i)).strftime(DAY_FORMAT) for i in range((last - first).days + 1)]
