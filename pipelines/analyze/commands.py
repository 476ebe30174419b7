"""The three analyses, each from inputs to the documents it writes; the CLI and the container entrypoint call these."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.analyze import checks, metrics
from pipelines.analyze import estimate as cbpe
from pipelines.analyze import model_quality as mq
from pipelines.analyze.capture import Problems, Window, batches, capture_files
from pipelines.analyze.sources import Reader
from pipelines.analyze.stats import Profile
from pipelines.core.errors import OutputError, UsageError
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

    @property
    def exit_violations(self) -> bool:
        return bool(self.violations) or self.failed_assumption or self.score_drift


def _problem_warnings(problems: Problems, what: str, total: int) -> list[str]:
    if not problems.total:
        return []
    return [f"{problems.total} of {total} {what} could not be read and were skipped:",
            *[f"  {line}" for line in problems.lines()]]


def _features(statistics: dict[str, Any], location: str) -> list[tuple[str, str]]:
    features = statistics.get("features") if isinstance(statistics, dict) else None
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) and f.get("name")
                                                                  for f in features):
        raise UsageError(f"baseline statistics {location} has no 'features' list with names; pass a data quality "
                         "statistics.json")
    return [(item["name"], item.get("inferred_type", "Fractional")) for item in features]


def data_quality(reader: Reader, capture: str, window: Window, statistics_at: str,
                 constraints_at: str, output_columns_position: str = "START") -> Outcome:
    """statistics.json + constraint_violations.json for the window against the baseline. Each CSV row is the
    record's output columns and input columns, the output at ``output_columns_position`` (START, as Model Monitor's
    analyzer does by default, or END).

    Raises:
        UsageError: missing or malformed baseline, no captures, or no readable record in the window.
    """
    statistics = reader.read_json(statistics_at, "baseline statistics", "statistics")
    constraints = reader.read_json(constraints_at, "baseline constraints", "constraints")
    if not isinstance(constraints, dict) or not isinstance(constraints.get("features"), list):
        raise UsageError(f"baseline constraints {constraints_at} has no 'features' list; pass a data quality "
                         "constraints.json")
    checks.settings(constraints.get("monitoring_config"))  # bad monitoring_config fails before any reading
    profile = Profile(_features(statistics, statistics_at), output_columns_position)
    problems, row_problems = Problems(), Problems()  # lines the reader could not use; records it read but not profiled
    records = 0
    for batch in batches(reader, capture_files(reader, capture, window), window, problems):
        records += len(batch)
        profile.add_batch(batch, row_problems)
    total = records + problems.total
    problems.merge(row_problems)
    if not profile.items:
        detail = f"; {problems.lines()[0]}" if problems.total else ""
        raise UsageError(f"no readable captured record in {capture} for the window{detail}")
    result = checks.evaluate(profile, statistics, constraints)
    outcome = Outcome(files={"statistics.json": profile.to_json(),
                             "constraint_violations.json": {"violations": result.violations}},
                      violations=result.violations, warnings=_problem_warnings(problems, "captured records", total))
    outcome.lines.append(f"data-quality: {profile.items} rows from {records} captured records; "
                         f"{len(result.violations)} violation(s)")
    outcome.lines += [f"  {v['constraint_check_type']} {v['feature_name']}: {v['description'].strip()}"
                      for v in result.violations]
    outcome.warnings += result.notes
    outcome.metrics = _data_metrics(profile, result)
    return outcome


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


def model_quality(reader: Reader, capture: str, window: Window, ground_truth_at: str, constraints_at: str | None,
                  threshold: float) -> Outcome:
    """Merge the window's predictions with ground truth; model quality statistics and violations."""
    constraints = reader.read_json(constraints_at, "model quality constraints", "model-quality-constraints") if constraints_at else {}
    problems = Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    labels = mq.ground_truth(reader, ground_truth_at, window, problems)
    merged = mq.merge(predictions, labels)
    if not len(merged.labels):
        raise UsageError(f"none of the {predictions.records} captured records in the window has a ground truth "
                         f"label in {ground_truth_at} ({len(labels)} labels read); labels are matched on the "
                         "capture's inferenceId (else eventId) = the label's eventMetadata.eventId")
    statistics = metrics.binary_statistics(merged.labels, merged.scores, threshold)
    statistics["dataset"]["join_rate"] = merged.join_rate  # ours: how many of the window's records had a label
    block = statistics["binary_classification_metrics"]
    notes: list[str] = []
    violations = metrics.evaluate_constraints(block, constraints, notes) if constraints else []
    outcome = Outcome(files={"statistics.json": statistics, "constraint_violations.json": {"violations": violations}},
                      violations=violations,
                      warnings=_problem_warnings(problems, "records", predictions.records) + notes)
    outcome.lines.append(f"model-quality: {len(merged.labels)} of {merged.records} captured records have a label "
                         f"(join rate {merged.join_rate:.1%}); recall {_value(block['recall'])}, precision "
                         f"{_value(block['precision'])}, pr_auc {_value(block['pr_auc'])}; "
                         f"{len(violations)} violation(s)")
    outcome.lines += [f"  {v['description']}" for v in violations]
    outcome.metrics = [{"MetricName": name, "Value": entry["value"]} for name, entry in block.items()
                       if isinstance(entry, dict) and "value" in entry and entry["value"] != "NaN"]
    return outcome


def estimate(reader: Reader, capture: str, window: Window, threshold: float, ground_truth_at: str | None,
             statistics_at: str | None, constraints_at: str | None, calibration_at: str | None = None) -> Outcome:
    """Estimated recall/precision/F1 from captured scores, with the calibration check and, given a calibration file,
    calibrated probabilities and score drift against its reference."""
    baseline = reader.read_json(statistics_at, "model quality baseline statistics", "model-quality-statistics") if statistics_at else None
    constraints = reader.read_json(constraints_at, "model quality constraints", "model-quality-constraints") if constraints_at else {}
    reference = _read_calibration(reader, calibration_at) if calibration_at else None
    problems = Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    if not predictions.ids:
        detail = f"; {problems.lines()[0]}" if problems.total else ""
        raise UsageError(f"no captured fraud probability in {capture} for the window{detail}")
    import numpy as np

    scores = np.asarray(predictions.scores, dtype=np.float64)
    warnings = _problem_warnings(problems, "records", predictions.records)
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
                          violations=[], warnings=warnings, failed_assumption=True)
        outcome.lines.append(f"estimate: {len(scores)} scored records at threshold {threshold}; no estimate")
        outcome.lines.append("  " + cbpe.calibration_message(calibration))
        return outcome
    probabilities = cbpe.apply_calibration(reference, scores) if reference else scores
    if ground_truth_at:
        merged = mq.merge(predictions, mq.ground_truth(reader, ground_truth_at, window, problems))
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
                      violations=violations, warnings=warnings,
                      failed_assumption=calibration["holds"] is False, score_drift=bool(drift and drift["drift"]))
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
    problems = Problems()
    predictions = mq.window_predictions(reader, capture, window, problems)
    merged = mq.merge(predictions, mq.ground_truth(reader, ground_truth_at, window, problems))
    if not len(merged.labels):
        raise UsageError(f"no captured record in {capture} has a label in {ground_truth_at} for the window; pass a "
                         "matured window (--start/--end at least the label maturity ago)")
    source = f"captures {capture} joined with labels {ground_truth_at}, window {_iso(window.start)} to " \
             f"{_iso(window.end)}"
    try:
        document = cbpe.build_calibration(merged.scores, merged.labels, source, created)
    except ValueError as exc:
        raise UsageError(f"cannot calibrate: {exc}") from None
    outcome = Outcome(files={"calibration.json": document}, violations=[],
                      warnings=_problem_warnings(problems, "records", predictions.records))
    error = document["expected_calibration_error"]
    reference = document["reference"]
    outcome.lines.append(f"calibrate: {reference['records']} labelled records ({reference['frauds']} frauds, join "
                         f"rate {merged.join_rate:.1%}); expected calibration error {error['raw_scores']:.5f} raw, "
                         f"{error['calibrated']:.5f} calibrated; {len(document['map']['scores'])} fitted points")
    return outcome


def _iso(when: Any) -> str | None:
    return iso_z(when) if when else None


def _value(entry: dict[str, Any]) -> str:
    value = entry["value"]
    return value if isinstance(value, str) else f"{value:.4f}"


def write_outputs(outcome: Outcome, directory: str) -> list[Path]:
    """Write every file of the outcome at once (all or none)."""
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        # statistics.json is mostly KLL sketch numbers: compact, so the C encoder writes it (indenting it costs more
        # than reading a million captures); the small files stay indented for people
        paths = {target / name: (document.encode() if isinstance(document, str)  # a CSV (clarify-dataset)
                                 else json.dumps(document, sort_keys=True, separators=(",", ":")).encode() + b"\n"
                                 if name == "statistics.json" else canonical_json(document))
                 for name, document in outcome.files.items()}
        for path in paths:  # clarify-dataset writes dataset/ and config/, the two inputs of the Clarify job
            path.parent.mkdir(parents=True, exist_ok=True)
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
