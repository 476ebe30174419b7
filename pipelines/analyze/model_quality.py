"""Predictions from captures, labels from ground truth, merged as Model Monitor merges them.

The join rule (AWS docs, "Ingest Ground Truth labels and merge them with predictions",
model-monitor-model-quality-merge): a captured record with ``eventMetadata.inferenceId`` is matched on it; only a
record without one is matched on its ``eventId``. Ground truth lines are ``{"groundTruthData": {"data": "1",
"encoding": "CSV"}, "eventMetadata": {"eventId": "<the capture's inferenceId or eventId>"}, "eventVersion": "0"}``
in hour folders named for when the label was collected, so labels for a window can sit in any later hour: every
hour folder from the window's start on is read.

Every captured record is joined, not every id: in real executions ids repeated 5-6 times in the captures were each
counted with their label (facts.md, "The merge joined every captured record"). Two labels that disagree for one id
(0 in one upload, 1 in another) are a conflict: its records are left out and counted, never settled by file order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.analyze.capture import Problems, Window, batches, capture_files
from pipelines.analyze.sources import Reader
from pipelines.core.errors import NoDataError
from pipelines.core.files import json_loads
from pipelines.formats.ground_truth import binary_label, read_record

SCORE_KEYS = ("score", "probability", "probabilities", "predicted_probability", "prediction")


def parse_score(text: str | None, content_type: str) -> float:
    """The positive-class probability from an endpoint's output; ValueError naming what is wrong."""
    if text is None:
        raise ValueError("capture without endpointOutput data")
    stripped = text.strip()
    if "json" in content_type.lower() or stripped[:1] in ("{", "["):
        try:
            document = json_loads(stripped)
        except ValueError:  # not JSON, or nested too deep
            raise ValueError("not JSON") from None
        return _json_score(document)
    first = stripped.split("\n", 1)
    if len(first) > 1 and first[1].strip():
        raise ValueError("more than one prediction in one record (batch request)")
    return _probability(first[0].split(",", 1)[0])


def _probability(value: Any) -> float:
    """A score as a float in [0, 1]; ValueError naming what it is instead."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("score is not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("score is not a number") from None
    if not 0.0 <= number <= 1.0:  # NaN fails this too
        raise ValueError("output is not a probability between 0 and 1")
    return number


def _json_score(document: Any) -> float:
    if isinstance(document, (int, float)) and not isinstance(document, bool):
        return _probability(document)
    if isinstance(document, list) and len(document) == 1:
        return _json_score(document[0])
    elif isinstance(document, dict) and isinstance(document.get("predictions"), list) and \
            len(document["predictions"]) == 1:
        return _json_score(document["predictions"][0])
    elif isinstance(document, dict) and any(key in document for key in SCORE_KEYS):
        value = document[next(key for key in SCORE_KEYS if key in document)]
        if isinstance(value, list) and value:  # [p(0), p(1)] from multi-output containers: the positive class is last
            value = value[-1]
        return _probability(value)
    raise ValueError("JSON output without a single score (expected a number, [p], {\"score\": p} or "
                     "{\"predictions\": [...]})")


@dataclass
class Predictions:
    """The window's scored records, one entry per captured record (an id captured twice is here twice)."""

    ids: list[str]
    scores: list[float]
    records: int


def window_predictions(reader: Reader, capture: str, window: Window, problems: Problems) -> Predictions:
    """Scores of every readable record in the window; unreadable outputs are counted problems."""
    return file_predictions(reader, capture_files(reader, capture, window), window, problems)


def file_predictions(reader: Reader, files: list[Any], window: Window, problems: Problems) -> Predictions:
    """Scores of every readable record of the window in these capture files (HourFile), in order."""
    ids: list[str] = []
    scores: list[float] = []
    records = 0
    for batch in batches(reader, files, window, problems, outputs=True):
        for text, content_type, join_id, line in zip(batch.outputs, batch.output_types, batch.ids, batch.lines,
                                                     strict=True):
            records += 1
            try:
                score = parse_score(text, content_type)
            except ValueError as exc:
                problems.add(f"endpointOutput is not a fraud probability ({exc})", line)
                continue
            ids.append(join_id)  # type: ignore[arg-type]
            scores.append(score)
    return Predictions(ids, scores, records)


CONFLICT = "ground truth id labelled both 0 and 1 (in different lines); its records are left out"


def ground_truth(reader: Reader, root: str, window: Window, problems: Problems) -> dict[str, int]:
    """eventId -> label (0/1) from every ground-truth hour folder at or after the window's start; an id with labels
    that disagree is left out and counted in ``problems`` once (CONFLICT)."""
    files = reader.hour_files(root)
    if not files:
        raise NoDataError(f"no ground truth files under {root} (expected yyyy/mm/dd/hh/*.jsonl); check that it is the "
                         "stage's GroundTruthInput and that labels were uploaded (python -m pipelines.ground_truth)")
    labels: dict[str, int] = {}
    conflicts: dict[str, str] = {}  # id -> the first line that disagreed
    for item in files:
        if window.start and item.hour < window.start.replace(minute=0, second=0, microsecond=0):
            continue
        for line in reader.lines(item.location):
            if line.strip():
                _add_label(line, labels, conflicts, problems)
    for event_id, line in conflicts.items():
        del labels[event_id]
        problems.add(CONFLICT, line)
    return labels


def _add_label(line: str, labels: dict[str, int], conflicts: dict[str, str], problems: Problems) -> None:
    reason, document = _label_fields(line)
    if reason:
        problems.add(reason, line)
        return
    event_id, text = read_record(document)  # every field it reads was type-checked above
    label = binary_label(text)
    if label is None:
        problems.add("ground truth label that is not 0/1", line)
        return
    known = labels.get(event_id)
    if known is None:
        labels[event_id] = label
    elif known != label:
        conflicts.setdefault(event_id, line)


def _label_fields(line: str) -> tuple[str, Any]:
    """(reason it is not a label, or "", the parsed line): each field's type checked before it is used."""
    try:
        document = json_loads(line)
    except ValueError:
        return "ground truth line that is not JSON", None
    data = document.get("groundTruthData") if isinstance(document, dict) else None
    metadata = document.get("eventMetadata") if isinstance(document, dict) else None
    if not isinstance(data, dict) or not isinstance(metadata, dict) or metadata.get("eventId") in (None, ""):
        return "ground truth line without groundTruthData.data and eventMetadata.eventId", None
    event_id = metadata["eventId"]
    if isinstance(event_id, bool) or not isinstance(event_id, (str, int)):
        return "ground truth eventMetadata.eventId is not a string", None
    if not isinstance(data.get("data"), (str, int, float, type(None))) or \
            not isinstance(data.get("encoding"), (str, type(None))):
        return "ground truth groundTruthData.data or .encoding is not a string", None
    return "", document


@dataclass
class Merged:
    """Matched predictions: labels and scores side by side, and how many of the window's records matched."""

    labels: np.ndarray
    scores: np.ndarray
    records: int

    @property
    def join_rate(self) -> float:
        return len(self.labels) / self.records if self.records else math.nan


def merge(predictions: Predictions, labels: dict[str, int]) -> Merged:
    """Inner join of every captured record on its join id (inferenceId, else eventId) = the label's eventId."""
    matched = [(labels[key], score) for key, score in zip(predictions.ids, predictions.scores, strict=True)
               if key in labels]
    return Merged(np.array([pair[0] for pair in matched], dtype=np.int64),
                  np.array([pair[1] for pair in matched], dtype=np.float64), predictions.records)
