"""Sharded model quality (issue 19 section 2): what one shard of a window writes (``model-quality --partial``) and how
shards merge (``merge-model-quality``) into the statistics.json and violations one model-quality pass over the whole
window writes, byte for byte.

Why: model quality can run as a SageMaker Processing job with ``InstanceCount`` N and the capture prefix distributed
``ShardedByS3Key`` (each instance gets a share of the capture files; AWS docs, ProcessingS3Input
S3DataDistributionType). Ground truth is not sharded: every instance lists and reads the whole ground truth prefix
of the window itself (it is an s3:// prefix the container reads, not a Processing input), so each shard joins its
captures against all the labels, as FullyReplicated would give them.

Model Monitor's binary classification metrics are not all mergeable from counts: AUC, PR-AUC and the curves need the
scores, and the standard deviations are drawn from five random 80% samples of the joined records *by position*
(pipelines/analyze/metrics.py ``_standard_deviations``), so they depend on the records' order. A partial therefore
carries the shard's joined (label, score) pairs file by file, plus what the join counted (captured records, lines
that could not be read, the labels read); the merge puts the files back in the order one pass reads them (hour
folder, then path below the capture root: ``Reader.hour_files``) and computes the metrics once. Exact, not
approximate: the merged files are the single pass's bytes (tests/test_analyze_mq_merge.py, a property test over
random shardings). The cost is the pairs: 10-21 bytes a labelled record in the partial file (measured).

No data: a shard never fails for no data (a shard may get no capture file, and labels may not have arrived yet); it
writes what it found. The merge decides on the union, with the single pass's errors and messages: no capture file in
any shard (UsageError), no ground truth file (NoDataError), no captured record with a label (NoDataError). The
container marks NoDataError "NoData: " in the message file, so the state machine's no-data handling (first maturity
window, daily note) applies to the Merge step as it did to the one-instance job.

Every shard must have read the same ground truth (the labels' digest, their count and the unreadable lines): labels
uploaded while the shards ran would otherwise join some shards against more labels than others; the merge refuses
such shards (rerun the job) rather than mix them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.analyze import model_quality as mq
from pipelines.analyze.capture import Problems, Window, endpoint_of, no_capture_files, one_endpoint
from pipelines.analyze.partial import _iso, _problems_from, _problems_json, _window, find_documents, read_document
from pipelines.analyze.sources import Reader
from pipelines.core.errors import NoDataError, UsageError

FORMAT = "fraud-monitor/partial-model-quality"  # the document's "kind"; VERSION changes when the fields do
VERSION = 1
FILE_PREFIX = "partial_model_quality"  # partial_model_quality.json (CLI), <host>/partial_model_quality.json (container)
_NAME_RE = re.compile(r"^partial_model_quality(-[A-Za-z0-9._-]+)?\.json$")


def file_name(host: str | None = None) -> str:
    """``partial_model_quality.json``, or ``partial_model_quality-<host>.json`` when several instances write to one
    prefix (the container writes ``<host>/partial_model_quality.json`` instead)."""
    return f"{FILE_PREFIX}-{host}.json" if host else f"{FILE_PREFIX}.json"


def _relative(location: str, root: str) -> str:
    """A capture file's (or endpoint folder's) path below the capture root: the same for a shard and for one pass
    over the whole root ("" for the root itself)."""
    prefix = root.rstrip("/") + "/"
    if location == root.rstrip("/"):
        return ""
    return location[len(prefix):] if location.startswith(prefix) else location


def _below(root: str, relative: str) -> str:
    return f"{root.rstrip('/')}/{relative}" if relative else root.rstrip("/")


def labels_digest(labels: dict[str, int]) -> str:
    """SHA-256 of the labels read (id and label, sorted): shards that read other ground truth differ here."""
    digest = hashlib.sha256()
    for key in sorted(labels):
        digest.update(f"{key}\t{labels[key]}\n".encode())
    return digest.hexdigest()


def shard_document(reader: Reader, capture: str, window: Window, ground_truth_at: str, threshold: float,
                   host: str | None) -> dict[str, Any]:
    """One shard's partial model quality: per capture file of the window its records, unreadable lines and joined
    (label, score) pairs; the ground truth read. Reads the captures first, then the labels, as model-quality does."""
    listed = reader.hour_files(capture)  # an empty shard is no error here: the merge judges the union
    one_endpoint(capture, sorted({endpoint_of(item.owner) for item in listed}))
    endpoints = sorted({_relative(endpoint_of(item.owner), capture) for item in listed})  # below the root
    files = [item for item in listed if window.hour_overlap(item.hour) != "none"]
    parts = []
    for item in files:
        problems = Problems()
        predictions = mq.file_predictions(reader, [item], window, problems)
        parts.append((item, problems, predictions))
    capture_skipped = list(reader.skipped)
    label_problems = Problems()
    try:
        labels = mq.ground_truth(reader, ground_truth_at, window, label_problems)
        no_data = None
    except NoDataError as exc:  # no ground truth file at all: the merge raises it, with this message
        labels, no_data = {}, str(exc)
    entries = []
    for item, problems, predictions in parts:
        joined = mq.merge(predictions, labels)
        entries.append({"path": _relative(item.location, capture), "hour": _iso(item.hour),
                        "records": predictions.records, "problems": _problems_json(problems),
                        "labels": joined.labels.tolist(), "scores": joined.scores.tolist()})
    return {"kind": FORMAT, "version": VERSION,
            "shard": {"host": host, "capture": capture, "listed": len(listed), "endpoints": endpoints},
            "window": {"start": _iso(window.start), "end": _iso(window.end)}, "threshold": threshold,
            "ground_truth": {"location": ground_truth_at, "labels": len(labels), "digest": labels_digest(labels),
                             "problems": _problems_json(label_problems), "no_data": no_data,
                             "skipped": [[where, why] for where, why in reader.skipped[len(capture_skipped):]]},
            "skipped": [[where, why] for where, why in capture_skipped], "files": entries}


@dataclass
class Shard:
    """One shard's partial model quality, read back and checked."""

    location: str
    document: dict[str, Any]

    @property
    def files(self) -> list[dict[str, Any]]:
        return self.document["files"]


def _check(document: Any, location: str) -> None:
    """KeyError/TypeError/ValueError when a field the merge reads is missing or of the wrong type."""
    shard, truth = document["shard"], document["ground_truth"]
    if not isinstance(shard["capture"], str) or not isinstance(shard["listed"], int) or \
            not all(isinstance(name, str) for name in shard["endpoints"]):
        raise ValueError("shard.capture, .listed or .endpoints has the wrong type")
    if isinstance(document["threshold"], bool) or not isinstance(document["threshold"], (int, float)):
        raise ValueError("threshold is not a number")
    if not isinstance(truth["location"], str) or not isinstance(truth["labels"], int) or \
            not isinstance(truth["no_data"], (str, type(None))):
        raise ValueError("ground_truth.location, .labels or .no_data has the wrong type")
    _problems_from(truth["problems"])
    for item in document["files"]:
        if not isinstance(item["path"], str) or not isinstance(item["hour"], str) or \
                not isinstance(item["records"], int):
            raise ValueError("a file's path, hour or records has the wrong type")
        _problems_from(item["problems"])
        if len(item["labels"]) != len(item["scores"]) or \
                not all(label in (0, 1) and not isinstance(label, bool) for label in item["labels"]) or \
                not all(isinstance(score, (int, float)) and not isinstance(score, bool) and 0.0 <= score <= 1.0
                        for score in item["scores"]):
            raise ValueError(f"file {item['path']}: labels must be 0/1 and scores in [0, 1], as many of each")


def read_partial(reader: Reader, location: str) -> Shard:
    """A partial model quality file; UsageError naming the file when it is not one or is malformed."""
    def build(document: dict[str, Any]) -> Shard:
        _check(document, location)
        return Shard(location, document)

    return read_document(reader, location, "partial model quality", FORMAT, VERSION, "model-quality --partial", build)


def carried_constraints(shards: list[Shard]) -> dict[str, Any]:
    """The constraints every shard carries ({"location", "document"}); UsageError when they differ."""
    first = shards[0]
    for shard in shards[1:]:
        if shard.document.get("constraints") != first.document.get("constraints"):
            raise UsageError(f"partial model quality {shard.location} carries other constraints than "
                             f"{first.location}; every shard must run against the same constraints")
    carried = first.document.get("constraints")
    if not isinstance(carried, dict) or "document" not in carried:
        raise UsageError(f"partial model quality {first.location} is malformed (KeyError: 'constraints'); rerun the "
                         "shard")
    return carried


@dataclass
class Union:
    """The shards merged: the joined records in one pass's order and what model_quality_outcome needs."""

    merged: mq.Merged
    labels_read: int
    ground_truth_at: str
    threshold: float
    warnings: list[str]
    skipped: int


def merge(shards: list[Shard]) -> Union:
    """The shards' joined records in the order one pass reads them, and the single pass's no-data errors.

    Raises:
        UsageError: shards of other windows, thresholds or ground truth; a capture file in two shards; no capture
            file in any shard; captures of more than one endpoint.
        NoDataError: no ground truth file (the shards' message).
    """
    from pipelines.analyze.commands import _mq_warnings

    ordered = sorted(shards, key=lambda shard: shard.location)
    first = ordered[0]
    for shard in ordered[1:]:
        mine, theirs = shard.document, first.document
        if mine["window"] != theirs["window"]:
            raise UsageError(f"partial model quality {shard.location} covers window {_window(mine['window'])}, "
                             f"{first.location} covers {_window(theirs['window'])}; merge shards of one window")
        if mine["threshold"] != theirs["threshold"]:
            raise UsageError(f"partial model quality {shard.location} has threshold {mine['threshold']}, "
                             f"{first.location} has {theirs['threshold']}; run every shard with the same threshold")
        if mine["ground_truth"] != theirs["ground_truth"]:
            raise UsageError(f"partial model quality {shard.location} read other ground truth than {first.location} "
                             f"({mine['ground_truth']['labels']} labels, {theirs['ground_truth']['labels']} there): "
                             "labels changed while the shards ran; rerun the job")
    root = first.document["shard"]["capture"]
    if not sum(shard.document["shard"]["listed"] for shard in ordered):
        raise no_capture_files(root)
    one_endpoint(root, sorted({_below(root, name) for shard in ordered for name in shard.document["shard"]["endpoints"]}))
    truth = first.document["ground_truth"]
    if truth["no_data"]:
        raise NoDataError(truth["no_data"])
    owners: dict[str, str] = {}
    files = []
    for shard in ordered:
        for item in shard.files:
            if item["path"] in owners:
                raise UsageError(f"capture file {item['path']} is in two shards ({owners[item['path']]} and "
                                 f"{shard.location}); each file must be read by one shard (ShardedByS3Key)")
            owners[item["path"]] = shard.location
            files.append(item)
    files.sort(key=lambda item: (item["hour"], item["path"]))  # Reader.hour_files: hour, then location
    problems = Problems()
    for item in files:
        part = _problems_from(item["problems"])
        problems.merge(part)
        problems.seen += part.seen
    labels = np.array([label for item in files for label in item["labels"]], dtype=np.int64)
    scores = np.array([score for item in files for score in item["scores"]], dtype=np.float64)
    skipped = Reader()  # the files and folders that could not be read, worded as the reader words them
    skipped.skipped = [(str(where), str(why)) for shard in ordered for where, why in shard.document["skipped"]] + \
        [(str(where), str(why)) for where, why in truth["skipped"]]
    label_problems = _problems_from(truth["problems"])
    return Union(mq.Merged(labels, scores, sum(item["records"] for item in files)), truth["labels"],
                 truth["location"], float(first.document["threshold"]),
                 _mq_warnings(skipped, problems, label_problems),
                 len(skipped.skipped) + problems.total + label_problems.total)


def partial_locations(reader: Reader, locations: list[str]) -> list[str]:
    """Files as given; a folder or ``s3://`` prefix stands for every ``partial_model_quality*.json`` under it."""
    return find_documents(reader, locations, "partial model quality", "partial_model_quality*.json",
                          lambda path: bool(_NAME_RE.match(path.rsplit("/", 1)[-1])))
