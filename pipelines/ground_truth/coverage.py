"""The coverage join: captured events of the endpoint that have a label, by Model Monitor's join rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pipelines.core.s3uri import parse_s3_uri, s3_uri
from pipelines.ground_truth import store
from pipelines.ground_truth.s3_labels import iter_s3_json_lines, list_keys
from pipelines.ground_truth.shapes import MAX_EXAMPLES_SHOWN, Coverage
from pipelines.ground_truth.store import LabelStore

if TYPE_CHECKING:  # typing only
    from mypy_boto3_s3 import S3Client


def window_hours(end: datetime, hours: int) -> list[str]:
    """'yyyy/mm/dd/hh' of the ``hours`` hours ending with the hour of ``end`` (UTC), oldest first."""
    top = end.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return [(top - timedelta(hours=i)).strftime("%Y/%m/%d/%H") for i in range(hours - 1, -1, -1)]


def capture_coverage(s3: "S3Client", capture_uri: str, endpoint: str, labels: LabelStore, *,
                     end: datetime, hours: int) -> Coverage:
    """Read data-capture files of the window and join them with the label ids exactly as Model Monitor's merge
    does: on the record's ``inferenceId`` when it has one, on its ``eventId`` only otherwise.

    Captured ids go to the label store in chunks (not a set), so memory does not grow with the captures either.
    The eventIds of records that carry an inferenceId are kept aside: a label equal to one of them matches nothing.
    """
    bucket, key = parse_s3_uri(capture_uri, key_required=False)
    key = key.strip("/")
    if key.split("/")[-1] != endpoint:  # DestinationS3Uri is the root; captures live under <endpoint>/<variant>/
        key = f"{key}/{endpoint}" if key else endpoint
    endpoint_prefix = key + "/"
    variants = [p["Prefix"] for p in list_keys(s3, bucket, endpoint_prefix, delimiter="/")]
    captured_ids: list[tuple[str]] = []
    shadowed: list[tuple[str]] = []
    captured = with_label = with_inference_id = files = unreadable = 0
    examples: list[str] = []
    for variant in variants:
        for hour in window_hours(end, hours):
            for obj in list_keys(s3, bucket, f"{variant}{hour}/"):
                files += 1
                for record in iter_s3_json_lines(s3, bucket, obj["Key"]):
                    meta = record.get("eventMetadata") if isinstance(record, dict) else None
                    if not isinstance(meta, dict) or not (meta.get("eventId") or meta.get("inferenceId")):
                        unreadable += 1
                        continue
                    join_key = str(meta.get("inferenceId") or meta["eventId"])
                    if meta.get("inferenceId"):
                        with_inference_id += 1
                        if meta.get("eventId"):
                            shadowed.append((str(meta["eventId"]),))
                    captured += 1
                    captured_ids.append((join_key,))
                    if len(captured_ids) >= store.STORE_CHUNK or len(shadowed) >= store.STORE_CHUNK:
                        labels.add_captured(captured_ids, shadowed)
                        captured_ids.clear()
                        shadowed.clear()
                    if len(examples) < MAX_EXAMPLES_SHOWN:
                        examples.append(join_key)
                    if labels.has(join_key):
                        with_label += 1
    labels.add_captured(captured_ids, shadowed)
    unmatched_count, smallest = labels.unmatched(MAX_EXAMPLES_SHOWN)
    window = window_hours(end, hours)
    start = datetime.strptime(window[0], "%Y/%m/%d/%H").replace(tzinfo=timezone.utc)
    stop = datetime.strptime(window[-1], "%Y/%m/%d/%H").replace(tzinfo=timezone.utc) + timedelta(hours=1)
    return Coverage(window_start=start, window_end=stop, capture_prefix=s3_uri(bucket, endpoint_prefix),
                    files=files, variants=len(variants), captured=captured, captured_with_label=with_label,
                    with_inference_id=with_inference_id, labels_on_event_ids=labels.labels_on_shadowed(),
                    labels=labels.count(), labels_unmatched=unmatched_count, unmatched_examples=smallest,
                    capture_examples=examples, unreadable_lines=unreadable)
