"""Ground-truth records as Model Monitor reads them (AWS docs, "Ingest Ground Truth labels and merge them with
predictions"): one JSON line per label under ``<GroundTruthInput>/yyyy/mm/dd/hh/``,
``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "<join key>"},
"eventVersion": "0"}``; ``eventId`` is the captured record's join key (formats/capture.py)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# One record; %s are the label ("1"/"0") and the JSON-quoted id. Formatting beats json.dumps per row.
RECORD = ('{"groundTruthData": {"data": "%s", "encoding": "CSV"}, "eventMetadata": {"eventId": %s}, '
          '"eventVersion": "0"}\n')
_BINARY = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}


def record_line(event_id: str, data: str) -> str:
    """One ground-truth line (with its newline) for ``event_id`` labelled ``data``."""
    return RECORD % (data, json.dumps(event_id, ensure_ascii=False))


def read_record(document: Any) -> tuple[str, str | None]:
    """(eventId, label text) of one parsed line; BASE64 data is decoded (None when it does not decode). Raises
    ValueError when the line is not a ground-truth record."""
    try:
        data = document["groundTruthData"]
        event_id = document["eventMetadata"]["eventId"]
    except (KeyError, TypeError):
        raise ValueError("not a ground-truth record (no groundTruthData and eventMetadata.eventId)") from None
    if not isinstance(data, dict) or event_id is None or isinstance(event_id, (dict, list)):
        raise ValueError("not a ground-truth record (no groundTruthData and eventMetadata.eventId)")
    text = data.get("data")
    encoding = data.get("encoding")
    if isinstance(encoding, str) and encoding.upper() == "BASE64":
        try:
            text = base64.b64decode(text or "", validate=True).decode("utf-8")
        except (binascii.Error, ValueError, TypeError):
            text = None
    return str(event_id), None if text is None else str(text)


def binary_label(text: str | None) -> int | None:
    """1 or 0 for a fraud label ("1", "0", "1.0", "true", ...); None when it is neither."""
    return _BINARY.get(str(text).strip().lower()) if text is not None else None
