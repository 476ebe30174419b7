"""Estimated vs realized fraud recall per capture window, for ``python -m pipelines.report``.

Estimated: the ``statistics.json`` files the estimate schedule writes (``python -m pipelines.analyze estimate`` in
the analyzer container; each holds ``estimate.window``). Realized: the model quality monitor's ``statistics.json``
files, under ``<ModelQualityOutputS3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh/`` (the execution's hour); an execution
at hour H measured the captures of [H + GroundTruthStartTimeOffset, H + GroundTruthEndTimeOffset], so a window's
realized recall is the newest execution whose range covers it, available only once the labels are in.
boto3 and the standard library only (the report is not an analyzer entry point).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pipelines.core import aws
from pipelines.core.s3uri import parse_s3_uri, s3_uri
from pipelines.formats.times import parse_iso8601

STATISTICS = "statistics.json"
HOUR_IN_KEY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/(\d{2})/statistics\.json$")
DURATION = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True)
class RecallWindow:
    """One capture window: the estimate and, once labels arrived, the realized recall."""

    start: datetime
    end: datetime
    estimated: float | None
    low: float | None
    high: float | None
    calibration_holds: bool | None
    realized: float | None


def offset(text: str) -> timedelta:
    """An ISO-8601 offset as the template takes it (-P8D, -PT1H, -P1DT2H); ValueError otherwise."""
    match = DURATION.match(text or "")
    if not match or not any(match.groups()[1:]):
        raise ValueError(f"'{text}' is not an ISO-8601 offset like -P8D or -PT1H")
    sign, days, hours, minutes = match.groups()
    value = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    return -value if sign else value


def _statistics_keys(s3: Any, prefix_uri: str) -> list[str]:
    bucket, prefix = parse_s3_uri(prefix_uri, key_required=False)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    keys: list[str] = []
    keys += [item["Key"] for item in aws.list_objects(s3, bucket, prefix) if item["Key"].endswith("/" + STATISTICS)]
    return [s3_uri(bucket, key) for key in sorted(keys)]


def _read(s3: Any, uri: str, skipped: list[tuple[str, str]]) -> dict[str, Any] | None:
    """A statistics.json as an object; None (and the reason kept in ``skipped``) when it is not JSON or not an
    object: one bad file in the history is said, and never ends the report."""
    bucket, key = parse_s3_uri(uri)
    try:
        document = json.loads(aws.read_object(s3, bucket, key))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        skipped.append((uri, "not JSON"))
        return None
    if not isinstance(document, dict):
        skipped.append((uri, "not a statistics.json object"))
        return None
    return document


def _when(text: Any) -> datetime | None:
    try:
        return parse_iso8601(text) if text else None
    except ValueError:  # not a string, or not ISO-8601
        return None


def _value(entry: Any) -> float | None:
    value = (entry or {}).get("value") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value) else None


def _interval(entry: Any) -> list[float | None]:
    interval = entry.get("confidence_interval_95") if isinstance(entry, dict) else None
    if isinstance(interval, list) and len(interval) == 2 and all(_value({"value": end}) is not None
                                                                   for end in interval):
        return [float(interval[0]), float(interval[1])]
    return [None, None]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def collect(s3: Any, estimate_uri: str, realized_uri: str, start_offset: str, end_offset: str,
            limit: int = 6, skipped: list[tuple[str, str]] | None = None) -> list[RecallWindow]:
    """The newest ``limit`` estimated windows, each with its realized recall when one covers it. A file that cannot
    be read as a statistics.json is kept in ``skipped`` (uri, reason) for the section to say so."""
    skipped = [] if skipped is None else skipped
    estimates = []
    for uri in _statistics_keys(s3, estimate_uri):
        document = _read(s3, uri, skipped)
        if document is None:
            continue
        estimate = _mapping(document.get("estimate"))
        window = _mapping(estimate.get("window"))
        start, end = _when(window.get("start")), _when(window.get("end"))
        block = document.get("binary_classification_metrics")
        if not (start and end and isinstance(block, dict)):
            skipped.append((uri, "no estimate.window start/end times and binary_classification_metrics"))
            continue
        holds = _mapping(estimate.get("calibration")).get("holds")
        estimates.append((start, end, block, holds if isinstance(holds, bool) else None))
    realized = []
    for uri in _statistics_keys(s3, realized_uri):
        match = HOUR_IN_KEY.search(uri)
        if match:
            hour = datetime(*(int(part) for part in match.groups()), tzinfo=timezone.utc)
            realized.append((hour + offset(start_offset), hour + offset(end_offset), uri))
    rows = []
    for start, end, block, holds in sorted(estimates, key=lambda item: item[1])[-limit:]:
        covering = [uri for low, high, uri in realized if low <= start and end <= high]
        document = _read(s3, covering[-1], skipped) if covering else None
        recall = _value(_mapping((document or {}).get("binary_classification_metrics")).get("recall"))
        interval = _interval(block.get("recall"))
        rows.append(RecallWindow(start, end, _value(block.get("recall")), interval[0], interval[1], holds, recall))
    return rows


def render(rows: list[RecallWindow], skipped: list[tuple[str, str]] | None = None) -> str:
    """The report's section: one line per window, realized recall or 'labels pending'; then one line per reason a
    statistics.json was skipped (count and the first file)."""
    lines = ["", "fraud recall by capture window: estimated (no labels needed) vs realized (once labels arrive)"]
    by_reason: dict[str, list[str]] = {}
    for uri, reason in skipped or []:
        by_reason.setdefault(reason, []).append(uri)
    notes = [f"  {len(uris)} statistics.json skipped: {reason}; first: {uris[0]}" for reason, uris in
             sorted(by_reason.items())]
    if not rows:
        return "\n".join(lines + ["  no estimate statistics.json yet", *notes, ""])
    lines.append("  WINDOW (UTC)                       ESTIMATED  95% INTERVAL   REALIZED")
    for row in rows:
        window = f"{row.start:%Y-%m-%d %H:%M}-{row.end:%H:%M}"
        estimated = f"{row.estimated:.3f}" if row.estimated is not None else "-"
        interval = f"{row.low:.3f}-{row.high:.3f}" if row.low is not None and row.high is not None else "-"
        realized = f"{row.realized:.3f}" if row.realized is not None else "labels pending"
        caveat = "  (calibration FAILS: estimate not trusted)" if row.calibration_holds is False else ""
        lines.append(f"  {window:<34} {estimated:<10} {interval:<14} {realized}{caveat}")
    return "\n".join(lines + notes) + "\n"
