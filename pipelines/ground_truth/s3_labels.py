"""Ground truth in S3: what is already uploaded in the look-back window, and writing new records (content-addressed
objects under <GroundTruthInput>/yyyy/mm/dd/hh/)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterator

from pipelines.core import aws
from pipelines.core.files import json_loads, sha256_hex
from pipelines.core.s3uri import parse_s3_uri
from pipelines.formats.ground_truth import read_record, record_line
from pipelines.formats.times import days_between, hour_folder, hour_of_path
from pipelines.ground_truth.shapes import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOOKBACK_HOURS,
    MAX_EXAMPLES_SHOWN,
    UploadResult,
    Validation,
)

if TYPE_CHECKING:  # typing only
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("pipelines.ground_truth")


def hour_prefix(gt_key_prefix: str, hour: str) -> str:
    """S3 key prefix of one label hour below GroundTruthInput."""
    base = gt_key_prefix.strip("/")
    return f"{base}/{hour}/" if base else f"{hour}/"


def list_keys(s3: "S3Client", bucket: str, prefix: str, *, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
    """Every object (or, with a delimiter, every CommonPrefix) under a prefix, page by page."""
    return aws.list_objects(s3, bucket, prefix, delimiter=delimiter)


def iter_s3_json_lines(s3: "S3Client", bucket: str, key: str) -> Iterator[Any]:
    """Parsed JSON per non-empty line of an S3 object, streamed; unparseable lines yield None."""
    for raw in aws.iter_object_lines(s3, bucket, key):
        if raw.strip():
            try:
                yield json_loads(raw)
            except ValueError:
                yield None


def existing_labels(s3: "S3Client", bucket: str, key: str) -> Iterator[tuple[str, str]]:
    """(eventId, data) of each ground-truth record in one S3 object, streamed."""
    for record in iter_s3_json_lines(s3, bucket, key):
        try:
            event_id, data = read_record(record)
            yield event_id, str(data)
        except ValueError:
            log.warning("skipping a line that is not a ground-truth record in s3://%s/%s", bucket, key)


def lookback_days(now: datetime, hours: int) -> list[str]:
    """'yyyy/mm/dd' of every day the look-back window touches, oldest first (one listing each)."""
    return days_between(now - timedelta(hours=hours), now)


def check_existing(result: Validation, s3: "S3Client", gt_uri: str, *, now: datetime,
                   lookback_hours: int = DEFAULT_LOOKBACK_HOURS, replace: bool = False) -> None:
    """Compare valid rows with every label uploaded in the look-back window, in any hour (read into the label
    store, not memory).

    Same id and label anywhere in the window: counted as already uploaded and skipped (a rerun, even hours later,
    uploads nothing twice). Same id, other label: a conflict, since the merge job would see two labels for one
    event; refused, or with ``replace`` the earlier record is removed when the new one is uploaded.
    """
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    store = result.store
    found = 0
    base = key_prefix.strip("/")
    for day in lookback_days(now, lookback_hours):
        for obj in list_keys(s3, bucket, f"{base}/{day}/" if base else f"{day}/"):
            hour = hour_of_path(obj["Key"])
            if hour is None:
                continue
            found += store.add_uploaded(hour_folder(hour), obj["Key"], existing_labels(s3, bucket, obj["Key"]))
    if not found:
        return
    for line, ident, hour, data, uploaded in store.in_s3():
        other = next(((u_data, u_key) for u_data, _, u_key in uploaded if u_data != data), None)
        if other is None:
            result.already_uploaded += 1
            continue
        if len(result.conflicts) < MAX_EXAMPLES_SHOWN:
            result.conflicts.append((ident, other[0], other[1]))
        if replace:
            for u_data, _, u_key in uploaded:
                result.replace.setdefault(u_key, set()).add(ident)
            continue
        result.reject("conflict", line, ident)
        result.positive -= data == "1"
        result.negative -= data != "1"
        result.hours[hour] -= 1
    store.skip_in_s3(keep_conflicts=replace)


def object_key(prefix: str, body: bytes) -> str:
    """Content-addressed object key: the same labels always land in the same object."""
    return f"{prefix}labels-{sha256_hex(body)[:20]}.jsonl"


def upload(result: Validation, s3: "S3Client | None", gt_uri: str, *, batch_size: int = DEFAULT_BATCH_SIZE,
           dry_run: bool = False) -> UploadResult:
    """Write valid, not yet uploaded rows in batches of ``batch_size`` per hour (file order), one PutObject each.

    Rows come from the label store hour by hour, so memory holds one batch, whatever the number of hours.
    Earlier records being replaced (``--replace-conflicting``) are removed first: a failure in between leaves an
    id with no label (the rerun uploads it), never with two.
    """
    bucket, key_prefix = parse_s3_uri(gt_uri, key_required=False)
    replaced = {key: remove_records(s3, bucket, key, ids, dry_run=dry_run)
                for key, ids in sorted(result.replace.items())}
    written: dict[str, list[tuple[str, int]]] = {}
    lines: list[str] = []
    current = ""

    def flush() -> None:
        body = "".join(lines).encode("utf-8")
        key = object_key(hour_prefix(key_prefix, current), body)
        if not dry_run:
            aws.put_object(s3, bucket, key, body, "application/jsonlines")
            log.debug("wrote s3://%s/%s (%d records)", bucket, key, len(lines))
        written.setdefault(current, []).append((key, len(lines)))
        lines.clear()

    for ident, data, hour in result.store.to_upload():
        if hour != current:
            if lines:
                flush()
            current = hour
        lines.append(record_line(ident, data))
        if len(lines) >= batch_size:
            flush()
    if lines:
        flush()
    return UploadResult(objects={hour: written[hour] for hour in sorted(written)}, replaced=replaced)


def remove_records(s3: "S3Client | None", bucket: str, key: str, ids: set[str], *,
                   dry_run: bool = False) -> tuple[str | None, int]:
    """Rewrite one ground-truth object without the records of ``ids``: (new key or None if none left, records left).

    The kept lines are copied byte for byte; the new object is content-addressed like every other, written before
    the old one is deleted.
    """
    body = aws.read_object(s3, bucket, key)
    kept = [line for line in body.decode("utf-8").splitlines(keepends=True)
            if line.strip() and _record_id(line) not in ids]
    new_key = None
    if kept:
        new_body = "".join(line if line.endswith("\n") else line + "\n" for line in kept).encode("utf-8")
        new_key = object_key(key.rsplit("/", 1)[0] + "/", new_body)
    if not dry_run:
        if new_key:
            aws.put_object(s3, bucket, new_key, new_body, "application/jsonlines")
        aws.delete_object(s3, bucket, key)
    return new_key, len(kept)


def _record_id(line: str) -> str | None:
    """The eventId of one ground-truth line (None when it is not a record)."""
    try:
        return read_record(json.loads(line))[0]
    except ValueError:
        return None
