"""The three analyses, each from inputs to the documents it writes; the CLI and the container entrypoint call these."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.analyze import checks, metrics, schema
from pipelines.analyze import estimate as cbpe
from pipelines.analyze import model_quality as mq
from pipelines.analyze.capture import Problems, Window, batches, capture_files, no_capture_files
from pipelines.analyze.sources import HourFile, Reader
from pipelines.analyze.stats import Profile
from pipelines.core.errors import NoDataError, OutputError, UsageError
from pipelines.core.files import atomic_write_many, canonical_json
from pipelines.formats.times import iso_z


@dataclass
class Outcome:
    """What an analysis produced: the files to write, its violations, lines for the terminal, CloudWatch metrics."""

    files: dict[str, Any]
    violations: list[dict[str, str]]
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)  # {"MetricName", "Value" | "StatisticValues"}
    failed_assumption: bool = False
    score_drift: bool = False  # estimate with a calibration file: the scores drifted from its reference
    skipped: int = 0  # files, folders, records and rows that could not be read (the run says so)

    @property
    def exit_violations(self) -> bool:
        return bool(self.violations) or self.failed_assumption or self.score_drift


def _problem_warnings(problems: Problems, what: str, total: int | None = None) -> list[str]:
    """One line per reason: '<n> of <total> <what> skipped: <reason>; first: <example>'."""
    return problems.lines(total, what) if problems.total else []


def _reader_warnings(reader: Reader, what: str) -> list[str]:
    return reader.skipped_lines(what)


def _nothing_read(reader: Reader, problems: Problems) -> str:
    """Why nothing could be read, for the one-line error: the first skipped file or record reason."""
    if reader.skipped:
        location, reason = reader.skipped[0]
        return f"; {len(reader.skipped)} file(s) or folder(s) skipped, first: {location} ({reason})"
    return f"; {problems.lines()[0]}" if problems.total else ""


def check_output(directory: str, name: str = "--output") -> None:
    """Fail before reading anything when ``directory`` cannot hold the outputs: it is a file, or neither it nor
    the nearest folder above it that exists is a writable directory. Nothing is created here."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{name} {directory} is a file; pass a directory (it is created if missing)")
    probe = target
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UsageError(f"{name} {directory}: {probe} is a file, so the directory cannot be created; pass another "
                         "directory")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{name} {directory}: {probe} is not writable; pass a writable directory")


def data_quality(reader: Reader, capture: str, window: Window, statistics_at: str,
                 constraints_at: str, output_columns_position: str = "START") -> Outcome:
    """statistics.json + constraint_violations.json for the window against the baseline. Each CSV row is the
    record's output columns and input columns, the output at ``output_columns_position`` (START, as Model Monitor's
    analyzer does by default, or END).

    Raises:
        UsageError: missing or malformed baseline, no captures, or no readable record in the window.
    """
    statistics, constraints, features = baseline_documents(reader, statistics_at, constraints_at)
    files = capture_files(reader, capture, window)
    window_profile = profile_window(reader, files, window, features, output_columns_position)
    return evaluate_window(window_profile, statistics, constraints, capture)


def baseline_documents(reader: Reader, statistics_at: str, constraints_at: str) -> tuple[dict, dict, list]:
    """The baseline statistics and constraints, checked before any capture is read, and the features."""
    statistics = reader.read_json(statistics_at, "baseline statistics", "statistics")
    constraints = reader.read_json(constraints_at, "baseline constraints", "constraints")
    features = schema.data_quality_statistics(statistics, statistics_at)
    schema.data_quality_constraints(constraints, constraints_at)
    for constraint in constraints["features"]:  # bad monitoring_config or overrides fail before any reading
        checks.settings(constraints.get("monitoring_config"), checks._overrides(constraint))
    checks.settings(constraints.get("monitoring_config"))
    _sketches_as_arrays(statistics)
    return statistics, constraints, features


@dataclass
class WindowProfile:
    """A window's (or a shard's) profile and what reading it found: records read, lines that could not be read,
    records read but not profiled. Partial statistics files carry exactly this (pipelines/analyze/partial.py)."""

    profile: Profile
    records: int = 0
    unreadable: Problems = field(default_factory=Problems)
    unprofiled: Problems = field(default_factory=Problems)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files or folders that could not be read


def profile_window(reader: Reader, files: list[HourFile], window: Window, features: list[tuple[str, str]],
                   output_columns_position: str = "START") -> WindowProfile:
    """Read the window's capture files into a profile of the baseline's features: all-numeric CSV captures of
    whole hours on local disk through the fast reader (pipelines/analyze/fastcsv.py), chunk by chunk, any chunk it
    does not take and everything else through the reference reader; the profile does not depend on which."""
    from pipelines.analyze import fastcsv

    result = WindowProfile(Profile(features, output_columns_position))
    fast = result.profile.all_numeric and fastcsv.enabled()
    columns = fastcsv.Columns(result.profile) if fast else None
    output_first = output_columns_position == "START"
    taken = [fast and not item.location.startswith("s3://") and window.hour_overlap(item.hour) == "full"
             for item in files]
    try:
        _profile_files(reader, files, taken, window, result, columns, output_first)
    finally:
        fastcsv.forget_prefetched()
    result.skipped = list(getattr(reader, "skipped", []))
    return result


def _profile_files(reader: Reader, files: list[HourFile], taken: list[bool], window: Window, result: WindowProfile,
                   columns: Any, output_first: bool) -> None:
    """profile_window's loop: the files the fast reader takes (``taken``) chunk by chunk, the others through the
    reference reader, in order."""
    from pipelines.analyze import fastcsv

    width = result.profile.width
    pending: list | None = None  # the last chunk parsed, added while the next one is parsed (fastcsv.Columns.add)
    buffers = 0
    for index, item in enumerate(files):
        if not taken[index]:
            if columns:
                if pending:
                    columns.add(pending)
                    pending = None
                columns.release()
            _reference_read(reader, [item], window, result)
            continue
        try:
            then = files[index + 1].location if index + 1 < len(files) and taken[index + 1] else None
            for chunk in fastcsv.chunks(item.location, then=then):
                buffers ^= 1  # the other set of arrays than the pending chunk's
                if pending:
                    parsed = columns.add(pending, following=(chunk, width, output_first, buffers))
                    pending = None
                else:
                    parsed = fastcsv.parse_columns(chunk, width, output_first, buffers)
                if parsed is None:
                    columns.release()
                    _reference_read(_ChunkReader(bytes(chunk)), [item], window, result)
                else:
                    rows = sum(values.shape[1] for values, _ in parsed)
                    result.records += rows
                    result.unreadable.seen += rows
                    pending = parsed
        except OSError as exc:  # as Reader.line_chunks: the lines read before an I/O error count
            reader.skip(item.location, f"cannot be read ({exc.strerror or exc})")
    if columns:
        if pending:
            columns.add(pending)
        columns.release()


def _reference_read(reader: Any, files: list[HourFile], window: Window, result: WindowProfile) -> None:
    for batch in batches(reader, files, window, result.unreadable):
        result.records += len(batch)
        result.profile.add_batch(batch, result.unprofiled)


class _ChunkReader:
    """One chunk of a capture file, read by the reference reader as Reader.line_chunks reads a file (text mode:
    UTF-8 with replacement characters, universal newlines)."""

    def __init__(self, chunk: bytes) -> None:
        self._chunk = chunk

    def line_chunks(self, location: str) -> Any:
        import io

        yield io.TextIOWrapper(io.BytesIO(self._chunk), encoding="utf-8", errors="replace").readlines()


def evaluate_window(window_profile: WindowProfile, statistics: dict[str, Any], constraints: dict[str, Any],
                    source: str) -> Outcome:
    """The checks on a window's profile: the files, violations, lines and metrics of data-quality."""
    profile, records = window_profile.profile, window_profile.records
    unreadable, unprofiled = window_profile.unreadable, window_profile.unprofiled
    skipped = Reader()  # the files and folders that could not be read, worded as the reader words them
    skipped.skipped = list(window_profile.skipped)
    if not profile.items:
        problems = Problems()
        problems.merge(unreadable)
        problems.merge(unprofiled)
        raise UsageError(f"no readable captured record in {source} for the window{_nothing_read(skipped, problems)}"
                         "; captures must be Data Capture JSON lines with CSV or JSON endpointInput data")
    result = checks.evaluate(profile, statistics, constraints)
    outcome = Outcome(files={"statistics.json": profile.to_json(),
                             "constraint_violations.json": {"violations": result.violations}},
                      violations=result.violations,
                      warnings=_reader_warnings(skipped, "capture") +
                      _problem_warnings(unreadable, "captured records", unreadable.seen) +
                      _problem_warnings(unprofiled, "rows", profile.items + unprofiled.total),
                      skipped=len(skipped.skipped) + unreadable.total + unprofiled.total)
    outcome.lines.append(f"data-quality: {profile.items} rows from {records} captured records; "
                         f"{len(result.violations)} violation(s)")
    outcome.lines += [f"  {v['constraint_check_type']} {v['feature_name']}: {v['description'].strip()}"
                      for v in result.violations]
    outcome.warnings += result.notes
    outcome.metrics = _data_metrics(profile, result)
    return outcome


def data_quality_partial(reader: Reader, capture: str, window: Window, statistics_at: str,
                         host: str | None = None, output_columns_position: str = "START",
                         constraints_at: str | None = None, file_name: str | None = None) -> Outcome:
    """One shard's partial statistics (pipelines/analyze/partial.py); no checks, no violations. The baseline
    documents ride along in the file, so the merge step needs no other input (it may run network-isolated)."""
    from pipelines.analyze import partial

    if constraints_at:
        statistics, constraints, features = baseline_documents(reader, statistics_at, constraints_at)
        statistics, constraints = reader.read_json(statistics_at, "baseline statistics", "statistics"), \
            reader.read_json(constraints_at, "baseline constraints", "constraints")  # as written, not as arrays
    else:
        statistics, constraints = reader.read_json(statistics_at, "baseline statistics", "statistics"), None
        features = schema.data_quality_statistics(statistics, statistics_at)
    files = capture_files(reader, capture, window, shard=True)
    window_profile = profile_window(reader, files, window, features, output_columns_position)
    shard = {"host": host, "capture": capture, "files": len(files),
             "first_capture": files[0].location if files else None,
             "captures_found": bool(files) or bool(reader.hour_files(capture))}
    document = partial.to_document(window_profile, window, shard)
    document["baseline"] = {"statistics": statistics, "constraints": constraints}
    outcome = Outcome(files={file_name or partial.file_name(host): document}, violations=[],
                      skipped=len(window_profile.skipped) + window_profile.unreadable.total +
                      window_profile.unprofiled.total)
    outcome.warnings = _problem_warnings(window_profile.unreadable, "captured records",
                                         window_profile.unreadable.seen)
    outcome.lines.append(f"data-quality --partial: {window_profile.profile.items} rows from "
                         f"{window_profile.records} captured records in {len(files)} file(s); merge the shards "
                         "with merge-statistics")
    return outcome


def merge_statistics(reader: Reader, locations: list[str], statistics_at: str | None,
                     constraints_at: str | None) -> Outcome:
    """Merge shards' partial statistics; then the same checks, files and metrics as data-quality. Without
    ``--statistics``/``--constraints`` the baseline the shards carried is used (every shard must carry the same)."""
    import tempfile

    from pipelines.analyze import partial

    partials = [partial.read_partial(reader, location) for location in partial.partial_locations(reader, locations)]
    if not (statistics_at and constraints_at):
        carried = partial.carried_baseline(partials)
        with tempfile.TemporaryDirectory() as folder:  # the same checks as files passed by flag
            paths = {}
            for kind, document in (("statistics", carried[0]), ("constraints", carried[1])):
                paths[kind] = os.path.join(folder, f"{kind}.json")
                with open(paths[kind], "w", encoding="utf-8") as handle:
                    json.dump(document, handle)
            statistics, constraints, features = baseline_documents(
                reader, statistics_at or paths["statistics"], constraints_at or paths["constraints"])
    else:
        statistics, constraints, features = baseline_documents(reader, statistics_at, constraints_at)
    for item in partials:
        theirs = [(f.name, f.baseline_type) for f in item.window_profile.profile.features]
        if theirs != features:
            raise UsageError(f"partial statistics {item.location} was profiled against other features than "
                             f"{statistics_at or 'the baseline the shards carry'}; merge with the baseline the "
                             "shards used")
    if not any(item.shard.get("captures_found", True) for item in partials):  # as one pass over the union says it
        raise no_capture_files(", ".join(sorted({str(item.shard.get("capture")) for item in partials})))
    outcome = evaluate_window(partial.merge(partials), statistics, constraints, ", ".join(locations))
    outcome.lines[0] = outcome.lines[0].replace("data-quality:", f"merge-statistics ({len(partials)} shard(s)):", 1)
    outcome.files.setdefault("constraints.json", constraints)  # the execution's constraints, as data-quality writes
    return outcome


def _sketches_as_arrays(statistics: dict[str, Any]) -> None:
    """The baseline's KLL sketch items as numpy arrays instead of Python floats (8 bytes an item instead of ~32): a
    2,000-feature baseline held ~300 MiB as parsed JSON while the window was read."""
    import numpy as np

    for feature in statistics["features"]:
        sketch = (((feature.get("numerical_statistics") or {}).get("distribution") or {}).get("kll") or {}).get(
            "sketch")
        if sketch and sketch.get("data"):
            sketch["data"] = [np.asarray(level, dtype=np.float64) for level in sketch["data"]]


def _data_metrics(profile: Profile, result: checks.Result) -> list[dict[str, Any]]:
    """Model Monitor's data metrics (model-monitor-interpreting-cloudwatch): feature_data_<f> (statistic set),
    feature_non_null_<f> (completeness), feature_baseline_drift_<f> (distance); only where emit_metrics is on."""
    found: list[dict[str, Any]] = []
    absent = {feature.name for feature in profile.absent}  # columns the window does not have: no metric
    for feature in profile.features:
        if feature.name in absent or not result.emit.get(feature.name, True):
            continue
        if feature.numeric and feature.count:
            found.append({"MetricName": f"feature_data_{feature.name}", "StatisticValues": {
                "SampleCount": float(feature.count), "Sum": feature.total, "Minimum": feature.low,
                "Maximum": feature.high}})
        if feature.present + feature.missing:
            found.append({"MetricName": f"feature_non_null_{feature.name}",
                          "Value": feature.present / (feature.present + feature.missing)})
        if feature.name in result.distances:
            found.append({"MetricName": f"feature_baseline_drift_{feature.name}",
                          "Value": result.distances[feature.name]})
    return found


def _mq_constraints(reader: Reader, location: str | None) -> dict[str, Any]:
    if not location:
        return {}
    document = reader.read_json(location, "model quality constraints", "model-quality-constraints")
    return schema.model_quality_constraints(document, location)


def model_quality(reader: Reader, capture: str, window: Window, ground_truth_at: str, constraints_at: str | None,
                  threshold: float) -> Outcome:
    """Merge the window's predictions with ground truth; model quality statistics and violations."""
    constraints = _mq_constraints(reader, constraints_at)
    problems, label_problems = Problems(), Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    labels = mq.ground_truth(reader, ground_truth_at, window, label_problems)
    merged = mq.merge(predictions, labels)
    return model_quality_outcome(merged, len(labels), ground_truth_at, constraints, threshold,
                                 _mq_warnings(reader, problems, label_problems),
                                 len(reader.skipped) + problems.total + label_problems.total)


def model_quality_outcome(merged: mq.Merged, labels_read: int, ground_truth_at: str, constraints: dict[str, Any],
                          threshold: float, warnings: list[str], skipped: int) -> Outcome:
    """The statistics, violations, lines and metrics of model-quality for the window's joined records (one pass, or
    the shards' joined records merged: merge-model-quality).

    Raises:
        NoDataError: no captured record of the window has a label.
    """
    if not len(merged.labels):
        raise NoDataError(f"none of the {merged.records} captured records in the window has a ground truth "
                          f"label in {ground_truth_at} ({labels_read} labels read); labels are matched on the "
                          "capture's inferenceId (else eventId) = the label's eventMetadata.eventId")
    statistics = metrics.binary_statistics(merged.labels, merged.scores, threshold)
    statistics["dataset"]["join_rate"] = merged.join_rate  # ours: how many of the window's records had a label
    block = statistics["binary_classification_metrics"]
    notes: list[str] = []
    violations = metrics.evaluate_constraints(block, constraints, notes) if constraints else []
    outcome = Outcome(files={"statistics.json": statistics, "constraint_violations.json": {"violations": violations}},
                      violations=violations, warnings=warnings + notes, skipped=skipped)
    outcome.lines.append(f"model-quality: {len(merged.labels)} of {merged.records} captured records have a label "
                         f"(join rate {merged.join_rate:.1%}); recall {_value(block['recall'])}, precision "
                         f"{_value(block['precision'])}, pr_auc {_value(block['pr_auc'])}; "
                         f"{len(violations)} violation(s)")
    outcome.lines += [f"  {v['description']}" for v in violations]
    outcome.metrics = [{"MetricName": name, "Value": entry["value"]} for name, entry in block.items()
                       if isinstance(entry, dict) and "value" in entry and entry["value"] != "NaN"]
    return outcome


def model_quality_partial(reader: Reader, capture: str, window: Window, ground_truth_at: str,
                          constraints_at: str | None, threshold: float, host: str | None = None,
                          file_name: str | None = None) -> Outcome:
    """One shard of model quality (pipelines/analyze/mq_partial.py): its captures' joined (label, score) pairs, file
    by file, and ALL the window's ground truth read for the join; no metrics, no checks. Never fails for no data:
    the merge step decides that on the union of the shards."""
    from pipelines.analyze import mq_partial

    constraints = _mq_constraints(reader, constraints_at)  # a bad constraints file fails every shard, before reading
    document = mq_partial.shard_document(reader, capture, window, ground_truth_at, threshold, host)
    document["constraints"] = {"location": constraints_at, "document": constraints if constraints_at else None}
    pairs = sum(len(item["labels"]) for item in document["files"])
    records = sum(item["records"] for item in document["files"])
    outcome = Outcome(files={file_name or mq_partial.file_name(host): document}, violations=[])
    outcome.lines.append(f"model-quality --partial: {pairs} of {records} captured records have a label, in "
                         f"{len(document['files'])} file(s); merge the shards with merge-model-quality")
    return outcome


def merge_model_quality(reader: Reader, locations: list[str], constraints_at: str | None) -> Outcome:
    """Merge shards' partial model quality into the statistics, violations, lines and metrics one model-quality pass
    over the whole window writes, byte for byte; also constraints.json (the constraints the shards carried, as the
    container writes them). ``constraints_at`` replaces the constraints the shards carried."""
    from pipelines.analyze import mq_partial

    shards = [mq_partial.read_partial(reader, location)
              for location in mq_partial.partial_locations(reader, locations)]
    carried = mq_partial.carried_constraints(shards)
    if constraints_at:
        constraints = written = _mq_constraints(reader, constraints_at)
    else:
        constraints = schema.model_quality_constraints(carried["document"], carried["location"]) \
            if carried["document"] is not None else {}
        written = carried["document"]
    union = mq_partial.merge(shards)
    outcome = model_quality_outcome(union.merged, union.labels_read, union.ground_truth_at, constraints,
                                    union.threshold, union.warnings, union.skipped)
    outcome.lines[0] = outcome.lines[0].replace("model-quality:", f"merge-model-quality ({len(shards)} shard(s)):", 1)
    outcome.files["constraints.json"] = written if written is not None else {"version": 0.0}
    return outcome


def estimate(reader: Reader, capture: str, window: Window, threshold: float, ground_truth_at: str | None,
             statistics_at: str | None, constraints_at: str | None, calibration_at: str | None = None) -> Outcome:
    """Estimated recall/precision/F1 from captured scores, with the calibration check and, given a calibration file,
    calibrated probabilities and score drift against its reference."""
    baseline = schema.model_quality_statistics(reader.read_json(
        statistics_at, "model quality baseline statistics", "model-quality-statistics"), statistics_at) \
        if statistics_at else None
    constraints = _mq_constraints(reader, constraints_at)
    reference = _read_calibration(reader, calibration_at) if calibration_at else None
    problems, label_problems = Problems(), Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    if not predictions.ids:
        raise UsageError(f"no captured fraud probability in {capture} for the window"
                         f"{_nothing_read(reader, problems)}; endpointOutput must hold the fraud probability")
    import numpy as np

    scores = np.asarray(predictions.scores, dtype=np.float64)
    problem = cbpe.score_problem(scores)
    not_probabilities = sum(count for reason, count in problems.counts.items()
                            if reason.startswith("endpointOutput is not a fraud probability (output is not a "
                                                 "probability"))
    if not_probabilities:  # a model that outputs logits: the rest are logits in [0, 1], not p
        problem = (f"{not_probabilities} of {predictions.records} outputs are numbers outside [0, 1]: the endpoint's "
                   "output is not a probability (a margin or logit?), so neither are the others; capture the fraud "
                   "probability, or calibrate the scores on labelled data first")
    if problem:  # issue 17: hard 0/1 outputs must fail the check, never read as "recall 1.000"
        calibration = {"checked_against": "the captured scores", "holds": False, "problem": problem}
        statistics = cbpe.unavailable_statistics(len(scores), threshold, calibration)
        statistics["estimate"]["window"] = {"start": _iso(window.start), "end": _iso(window.end)}
        outcome = Outcome(files={"statistics.json": statistics, "constraint_violations.json": {"violations": []}},
                          violations=[], warnings=_mq_warnings(reader, problems, label_problems),
                          failed_assumption=True, skipped=len(reader.skipped) + problems.total)
        outcome.lines.append(f"estimate: {len(scores)} scored records at threshold {threshold}; no estimate")
        outcome.lines.append("  " + cbpe.calibration_message(calibration))
        return outcome
    probabilities = cbpe.apply_calibration(reference, scores) if reference else scores
    if ground_truth_at:
        merged = mq.merge(predictions, mq.ground_truth(reader, ground_truth_at, window, label_problems))
        labelled = cbpe.apply_calibration(reference, merged.scores) if reference else merged.scores
        calibration = cbpe.calibration_from_labels(merged.labels, labelled) if len(merged.labels) else \
            cbpe.calibration_from_baseline(probabilities, baseline, reference and reference["reference"])
    else:
        calibration = cbpe.calibration_from_baseline(probabilities, baseline, reference and reference["reference"])
    statistics = cbpe.estimate_statistics(scores, threshold, calibration, probabilities if reference else None)
    statistics["estimate"]["window"] = {"start": _iso(window.start), "end": _iso(window.end)}  # for the report
    drift = cbpe.score_drift(scores, reference, threshold) if reference else None
    if reference:
        statistics["estimate"]["calibration_file"] = {"location": calibration_at, "source": reference.get("source"),
                                                      "created": reference.get("created"),
                                                      "reference": reference["reference"]}
        statistics["estimate"]["score_drift"] = drift
    block = statistics["binary_classification_metrics"]
    rules = (constraints or {}).get("binary_classification_constraints") or {}
    unestimated = sorted(name for name in rules if name not in block)  # auc and the like need labels
    estimable = {"binary_classification_constraints": {k: v for k, v in rules.items() if k in block}}
    violations = metrics.evaluate_constraints(block, estimable) if rules else []
    outcome = Outcome(files={"statistics.json": statistics, "constraint_violations.json": {"violations": violations}},
                      violations=violations, warnings=_mq_warnings(reader, problems, label_problems),
                      failed_assumption=calibration["holds"] is False, score_drift=bool(drift and drift["drift"]),
                      skipped=len(reader.skipped) + problems.total + label_problems.total)
    if unestimated:
        outcome.warnings.append(f"constraints on {', '.join(unestimated)} not checked: they cannot be estimated "
                                "from scores without labels")
    recall = block["recall"]
    interval = recall.get("confidence_interval_95")
    span = f" (95% interval {interval[0]:.3f}-{interval[1]:.3f})" if interval else ""
    scale = "calibrated " if reference else ""
    outcome.lines.append(f"estimate: {len(scores)} scored records at threshold {threshold}; {scale}estimated recall "
                         f"{_value(recall)}{span}, precision {_value(block['precision'])}; "
                         f"{len(violations)} violation(s)")
    outcome.lines.append("  " + cbpe.calibration_message(calibration))
    if drift:
        outcome.lines.append("  " + cbpe.score_drift_message(drift))
    outcome.lines += [f"  {v['description']}" for v in violations]
    outcome.metrics = [{"MetricName": f"estimated_{name}", "Value": block[name]["value"]}
                       for name in ("recall", "precision", "f1") if block[name]["value"] != "NaN"]
    if interval:  # the estimate's alarm watches the interval's upper end: it pages only when recall is surely low
        outcome.metrics.append({"MetricName": "estimated_recall_upper_95", "Value": interval[1]})
    if drift and drift["score_drift"] != "NaN":
        outcome.metrics.append({"MetricName": "score_drift", "Value": min(drift["score_drift"], 1e6)})
        outcome.metrics.append({"MetricName": "alert_rate", "Value": drift["alert_rate"]})
    return outcome


def _read_calibration(reader: Reader, location: str) -> dict[str, Any]:
    document = reader.read_json(location, "calibration file")
    try:
        return cbpe.check_calibration_document(document)
    except ValueError as exc:
        raise UsageError(f"--calibration {location}: {exc}") from None


def calibrate(reader: Reader, capture: str, window: Window, ground_truth_at: str, created: str) -> Outcome:
    """The calibration file from a matured labelled window: captured scores joined with their labels."""
    problems, label_problems = Problems(), Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    merged = mq.merge(predictions, mq.ground_truth(reader, ground_truth_at, window, label_problems))
    if not len(merged.labels):
        raise UsageError(f"no captured record in {capture} has a label in {ground_truth_at} for the window"
                         f"{_nothing_read(reader, problems)}; pass a matured window (--start/--end at least the "
                         "label maturity ago)")
    source = f"captures {capture} joined with labels {ground_truth_at}, window {_iso(window.start)} to " \
             f"{_iso(window.end)}"
    try:
        document = cbpe.build_calibration(merged.scores, merged.labels, source, created)
    except ValueError as exc:
        raise UsageError(f"cannot calibrate: {exc}") from None
    outcome = Outcome(files={"calibration.json": document}, violations=[],
                      warnings=_mq_warnings(reader, problems, label_problems),
                      skipped=len(reader.skipped) + problems.total + label_problems.total)
    error = document["expected_calibration_error"]
    reference = document["reference"]
    outcome.lines.append(f"calibrate: {reference['records']} labelled records ({reference['frauds']} frauds, join "
                         f"rate {merged.join_rate:.1%}); expected calibration error {error['raw_scores']:.5f} raw, "
                         f"{error['calibrated']:.5f} calibrated; {len(document['map']['scores'])} fitted points")
    return outcome


def _mq_warnings(reader: Reader, problems: Problems, label_problems: Problems) -> list[str]:
    """Files skipped, captured records whose line or output could not be read (of all lines in the window), and
    ground truth lines that are not labels."""
    return (_reader_warnings(reader, "capture or ground truth") +
            _problem_warnings(problems, "captured records", problems.seen) +
            _problem_warnings(label_problems, "ground truth label(s)"))


def _iso(when: Any) -> str | None:
    return iso_z(when) if when else None


def _value(entry: dict[str, Any]) -> str:
    value = entry["value"]
    return value if isinstance(value, str) else f"{value:.4f}"


def write_outputs(outcome: Outcome, directory: str) -> list[Path]:
    """Write every file of the outcome at once (all or none), as strict JSON: a value that is not a finite number
    (an overflowing sum, an undefined ratio) is written as the string Model Monitor uses for it ("NaN", "Infinity")
    and named in a warning; a CloudWatch metric record without a finite value is dropped with a warning."""
    target = Path(directory)
    files: dict[str, Any] = {}
    replaced: list[str] = []
    for name, document in outcome.files.items():
        files[name] = finite_json(document, name, replaced)
    if replaced:
        outcome.warnings.append(f"{len(replaced)} value(s) that are not finite numbers written as strings "
                                f"(\"NaN\", \"Infinity\"); first: {replaced[0]}")
    kept = [metric for metric in outcome.metrics if _finite_metric(metric)]
    if len(kept) != len(outcome.metrics):
        dropped = [metric["MetricName"] for metric in outcome.metrics if not _finite_metric(metric)]
        outcome.warnings.append(f"{len(dropped)} CloudWatch metric(s) without a finite value not published "
                                f"(CloudWatch takes numbers only); first: {dropped[0]}")
        outcome.metrics = kept
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in files:  # a shard's file sits in its host's folder (<host>/statistics.json)
            (target / name).parent.mkdir(parents=True, exist_ok=True)
        # statistics.json is mostly KLL sketch numbers: compact, so the C encoder writes it (indenting it costs more
        # than reading a million captures); the small files stay indented for people
        paths = {target / name: (document.encode() if isinstance(document, str)  # a CSV (clarify-dataset)
                                 else json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
                                 .encode() + b"\n" if name.endswith("statistics.json") or
                                 name.rsplit("/", 1)[-1].startswith("partial_") else canonical_json(document))
                 for name, document in files.items()}
        atomic_write_many(paths)
    except OSError as exc:
        raise OutputError(f"cannot write to --output {directory}: {exc.strerror or exc}; pass a writable "
                          "directory") from None
    return sorted(paths)


def upload_calibration(reader: Reader, document: dict[str, Any], prefix: str) -> str:
    """Put the calibration next to the model version's derived baselines, content-addressed as the deploy CLI keys
    its derived files (``<prefix>estimate/calibration-<sha256[:16]>.json``), only if absent; its s3:// URI."""
    from pipelines.core import aws
    from pipelines.core.files import sha256_hex
    from pipelines.core.s3uri import S3UriError, parse_s3_uri, s3_uri

    try:
        bucket, key_prefix = parse_s3_uri(prefix, key_required=False)
    except S3UriError as exc:
        raise UsageError(f"--upload {prefix}: {exc}; pass s3://<bucket>/derived-baselines/<group>/<version>/") \
            from None
    body = canonical_json(document)
    key = f"{key_prefix.rstrip('/')}/estimate/calibration-{sha256_hex(body)[:16]}.json".lstrip("/")
    if not aws.any_object(reader.s3, bucket, key):
        aws.put_object(reader.s3, bucket, key, body)
    return s3_uri(bucket, key)


def _finite_metric(metric: dict[str, Any]) -> bool:
    values = [metric["Value"]] if "Value" in metric else list((metric.get("StatisticValues") or {}).values())
    return bool(values) and all(isinstance(value, (int, float)) and not isinstance(value, bool) and
                                math.isfinite(value) for value in values)


def finite_json(document: Any, path: str, replaced: list[str]) -> Any:
    """``document`` with every non-finite float replaced by "NaN", "Infinity" or "-Infinity" (strict JSON has no
    such numbers; Model Monitor writes an undefined metric as the string "NaN"); each replacement's path is added
    to ``replaced``. Iterative, and copies only the containers on a path to a replacement."""
    if isinstance(document, float):
        if math.isfinite(document):
            return document
        replaced.append(path)
        return "NaN" if math.isnan(document) else ("Infinity" if document > 0 else "-Infinity")
    if isinstance(document, dict):
        changed = {key: finite_json(value, f"{path}.{key}", replaced) for key, value in document.items()
                   if isinstance(value, (float, dict, list))}
        return {**document, **changed} if changed else document
    if isinstance(document, list):
        try:  # the long lists (sketch levels): numbers, all finite, checked in one C-speed pass
            if document and all(map(math.isfinite, document)):
                return document  # ints and floats, every one finite: nothing to replace
        except (TypeError, OverflowError):  # a string, None, a container, or an int beyond a double: item by item
            pass
        return [finite_json(value, f"{path}[{index}]", replaced) if isinstance(value, (float, dict, list)) else value
                for index, value in enumerate(document)]
    return document
