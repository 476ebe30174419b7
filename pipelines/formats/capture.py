"""Data Capture records (AWS docs, model-monitor-data-capture-endpoint) and the ground-truth join key.

A record is one JSON line: ``{"captureData": {"endpointInput": {"observedContentType", "mode", "data", "encoding"},
"endpointOutput": {...}}, "eventMetadata": {"eventId", "inferenceId"?, "inferenceTime"}, "eventVersion": "0"}``.

The join rule (AWS docs, "Ingest Ground Truth labels and merge them with predictions"): if the captured record has
an ``inferenceId``, Model Monitor matches labels on it; only if it has none does it match on the ``eventId``. So the
``eventId`` of a record that carries an ``inferenceId`` matches nothing ("shadowed").
"""

from __future__ import annotations

from typing import Any


def join_key(metadata: Any) -> str | None:
    """The id a label must carry to join this record: ``inferenceId``, else ``eventId``; None when it has neither
    (or ``eventMetadata`` is not an object)."""
    if not isinstance(metadata, dict):
        return None
    key = metadata.get("inferenceId") or metadata.get("eventId")
    return str(key) if key not in (None, "") and not isinstance(key, (dict, list)) else None


def shadowed_event_id(metadata: Any) -> str | None:
    """The ``eventId`` of a record that also has an ``inferenceId``: a label on it joins nothing."""
    if isinstance(metadata, dict) and metadata.get("inferenceId") and metadata.get("eventId"):
        return str(metadata["eventId"])
    return None
