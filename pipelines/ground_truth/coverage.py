"""The coverage join: captured events of the endpoint that have a label, by Model Monitor's join rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pipelines.core.s3uri import parse_s3_uri, s3_uri
from pipelines.formats.capture import join_key, shadowed_event_id
from pipelines.formats.times import hours_ending, parse_hour_folder
from pipelines.ground_truth import store
from pipelines.ground_truth.s3_labels import iter_s3_json_lines, list_keys
from pipelines.ground_truth.shapes import MAX_EXAMPLES_SHOWN, Coverage
from pipelines.ground_truth.store import LabelStore

if TYPE_CHECKING:  # typing only
    from mypy_boto3_s3 import S3Client


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
        for hour in hours_ending(end, hours):
            for obj in list_keys(s3, bucket, f"{variant}{hour}/"):
                files += 1
                for record in iter_s3_json_lines(s3, bucket, obj["Key"]):
                    meta = record.get("eventMetadata") if isinstance(record, dict) else None
                    key = join_key(meta)
                    if key is None:
                        unreadable += 1
                        continue
                    if meta.get("inferenceId"):
                        with_inference_id += 1
                        if (event_id := shadowed_event_id(meta)) is not None:
                            shadowed.append((event_id,))
                    captured += 1
                    captured_ids.append((key,))
                    if len(captured_ids) >= store.STORE_CHUNK or len(shadowed) >= store.STORE_CHUNK:
                        labels.add_captured(captured_ids, shadowed)
                        captured_ids.clear()
                        shadowed.clear()
                    if len(examples) < MAX_EXAMPLES_SHOWN:
                        examples.append(key)
                    if labels.has(key):
                        with_label += 1
    labels.add_captured(captured_ids, shadowed)
    unmatched_count, smallest = labels.unmatched(MAX_EXAMPLES_SHOWN)
    window = hours_ending(end, hours)
    start, stop = parse_hour_folder(window[0]), parse_hour_folder(window[-1]) + timedelta(hours=1)
    return Coverage(window_start=start, window_end=stop, capture_prefix=s3_uri(bucket, endpoint_prefix),
                    files=files, variants=len(variants), captured=captured, captured_with_label=with_label,
                    with_inference_id=with_inference_id, labels_on_event_ids=labels.labels_on_shadowed(),
                    labels=labels.count(), labels_unmatched=unmatched_count, unmatched_examples=smallest,
                    capture_examples=examples, unreadable_lines=unreadable)
