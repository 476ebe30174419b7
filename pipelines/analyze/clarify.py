"""Model bias on the processing engine (issue 19): the two steps around a SageMaker Clarify processing job.

Model Monitor's bias job joins the window's captures with their ground truth labels, runs Clarify and compares the
result with the baseline constraints. Without Model Monitor the processing engine runs the same three steps as
three Processing jobs (devtools/processing_engine_block.py):

1. ``clarify-dataset`` (our analyzer): the window's captured records that have a label become a CSV dataset
   without a header row (the columns are named by the config's ``headers``, as aws/sagemaker-python-sdk's
   ``tests/integ/test_clarify.py`` writes its datasets: ``to_csv(..., header=False)``), in the config's header order:
   the ground truth label in the label column, the captured features in the other columns, and a last column
   ``predicted_label`` = 1 when the captured score >= the threshold (Model Monitor's ProbabilityThresholdAttribute).
   Next to it the full Clarify analysis config, exactly what the SageMaker SDK builds for a bias run on a dataset
   that carries its predicted labels (``_AnalysisConfigGenerator.bias(DataConfig(..., predicted_label=...),
   BiasConfig, None, None)``; tests/fixtures/sdk/clarify_bias_dataset_analysis_config.json is that SDK output and
   a test requires ours to be identical): pre- and post-training methods "all", no ``predictor``, so Clarify
   starts no shadow endpoint.
2. The Clarify processing job writes ``analysis.json``: ``pre_training_bias_metrics`` / ``post_training_bias_metrics``
   each ``{"label", "label_value_or_threshold", "facets": {<facet>: [{"value_or_threshold", "metrics": [{"name",
   "description", "value"}]}]}}`` (AWS docs "Get the Analysis Results", clarify-processing-job-run; the SDK's
   integration test reads ``analysis["post_training_bias_metrics"]["facets"][facet][0]["metrics"][0]["value"]``;
   the registry's bias constraints are the same document, AWS docs model-monitor-bias-drift-baseline).
3. ``clarify-check`` (our analyzer): the bias drift rule of AWS docs "Bias drift violations"
   (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html): a metric
   whose value is further from 0 than the baseline constraint's value is a violation (baseline 0.2: 0.1 passes,
   -0.3 violates), written as ``constraint_violations.json`` with ``facet``, ``facet_value``, ``metric_name``,
   ``constraint_check_type: bias_drift_check`` and ``description: "Value <v> does not meet the constraint
   requirement"``; and the CloudWatch metrics of AWS docs "CloudWatch Metrics for Bias Drift Analysis"
   (clarify-model-monitor-bias-drift-cw): ``bias_metric_<SHORT>`` with dimensions Endpoint, MonitoringSchedule,
   BiasStage, Label, LabelValue, Facet, FacetValue; +/- infinity published as +/- 2.348543e108, nulls not at all.
"""

from __future__ import annotations

import math
from typing import Any

from pipelines.analyze import model_quality as mq
from pipelines.analyze.capture import Problems, Window, batches, capture_files
from pipelines.analyze.commands import Outcome, _problem_warnings
from pipelines.analyze.sources import Reader
from pipelines.core.errors import UsageError

PREDICTED_LABEL = "predicted_label"
DATASET_FILE = "dataset/data.csv"
CONFIG_FILE = "config/analysis_config.json"
ANALYSIS_FILE = "analysis.json"
# The keys of a bias analysis config that describe the data and the groups (BiasAnalysisConfig._to_dict plus
# DataConfig's dataset_type); anything else (methods, predictor, probability_threshold of an older pipeline's full
# processing config) is replaced by what this step runs.
_BIAS_KEYS = ("label", "headers", "label_values_or_threshold", "facet", "group_variable")
STAGES = (("pre_training_bias_metrics", "Pre-training"), ("post_training_bias_metrics", "Post-Training"))
INFINITY = 2.348543e108  # what Model Monitor publishes for +/- infinity (clarify-model-monitor-bias-drift-cw)


def bias_analysis_config(config: Any, location: str) -> dict[str, Any]:
    """The Clarify processing config for the prepared dataset, from the registered bias config."""
    if not isinstance(config, dict) or not isinstance(config.get("headers"), list) or not config.get("label") \
            or not isinstance(config.get("facet"), list) or "label_values_or_threshold" not in config:
        raise UsageError(f"bias analysis config {location} has no 'headers' list, 'label', "
                         "'label_values_or_threshold' and 'facet'; pass the model package's Bias.ConfigFile")
    headers = [str(header) for header in config["headers"]]
    if config["label"] not in headers:
        raise UsageError(f"bias analysis config {location}: label '{config['label']}' is not one of its headers")
    if PREDICTED_LABEL in headers:
        raise UsageError(f"bias analysis config {location} already has a '{PREDICTED_LABEL}' column; the dataset "
                         "step adds that column itself")
    analysis = {key: config[key] for key in _BIAS_KEYS if key in config}
    analysis["headers"] = [*headers, PREDICTED_LABEL]
    analysis["dataset_type"] = "text/csv"
    analysis["predicted_label"] = PREDICTED_LABEL
    analysis["methods"] = {"report": {"name": "report", "title": "Analysis Report"},
                           "pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}
    return analysis


def clarify_dataset(reader: Reader, capture: str, window: Window, ground_truth_at: str, config_at: str,
                    threshold: float) -> Outcome:
    """The window's labelled captures as a Clarify CSV dataset, and the analysis config to run on it."""
    analysis = bias_analysis_config(reader.read_json(config_at, "bias analysis config"), config_at)
    headers = analysis["headers"][:-1]
    label_at = headers.index(analysis["label"])
    width = len(headers) - 1
    problems = Problems()
    records: dict[str, tuple[list[str], float]] = {}  # join id -> (features, score); the last capture of an id wins
    total = 0
    for batch in batches(reader, capture_files(reader, capture, window), window, problems, outputs=True):
        for text, content_type, output, output_type, join_id, line in zip(
                batch.inputs, batch.input_types, batch.outputs, batch.output_types, batch.ids, batch.lines,
                strict=True):
            total += 1
            if "csv" not in (content_type or "text/csv").lower() or text is None:
                problems.add("endpointInput is not CSV", line)
                continue
            features = text.strip().split(",")
            if len(features) != width:
                problems.add(f"endpointInput has {len(features)} values, the bias config names {width} features",
                             line)
                continue
            try:
                records[join_id] = (features, mq.parse_score(output, output_type))
            except ValueError as exc:  # also json.JSONDecodeError
                problems.add(f"endpointOutput is not a fraud probability ({mq._reason(exc)})", line)
    labels = mq.ground_truth(reader, ground_truth_at, window, problems)
    rows = []
    for join_id, (features, score) in records.items():
        if join_id in labels:
            row = [*features[:label_at], str(labels[join_id]), *features[label_at:]]
            rows.append(",".join([*row, "1" if score >= threshold else "0"]))
    if not rows:
        raise UsageError(f"none of the {total} captured records in the window has a ground truth label in "
                         f"{ground_truth_at} ({len(labels)} labels read); labels are matched on the capture's "
                         "inferenceId (else eventId) = the label's eventMetadata.eventId")
    outcome = Outcome(files={DATASET_FILE: "\n".join(rows) + "\n", CONFIG_FILE: analysis}, violations=[],
                      warnings=_problem_warnings(problems, "records", total))
    positives = sum(row.endswith(",1") for row in rows)
    outcome.lines.append(f"clarify-dataset: {len(rows)} of {total} captured records have a label; "
                         f"{positives} predicted fraud at threshold {threshold}")
    return outcome


def _facets(document: Any, stage: str, location: str) -> dict[tuple[str, str, str], Any]:
    """(facet, facet value, metric name) -> value of one stage of an analysis.json-shaped document."""
    block = document.get(stage) if isinstance(document, dict) else None
    if block is None:
        return {}
    facets = block.get("facets") if isinstance(block, dict) else None
    if not isinstance(facets, dict):
        raise UsageError(f"{location}: '{stage}' has no 'facets' object; pass a SageMaker Clarify analysis.json")
    found: dict[tuple[str, str, str], Any] = {}
    for facet, groups in facets.items():
        for group in groups if isinstance(groups, list) else []:
            for metric in group.get("metrics", []) if isinstance(group, dict) else []:
                if isinstance(metric, dict) and metric.get("name"):
                    found[(str(facet), str(group.get("value_or_threshold")), str(metric["name"]))] = \
                        metric.get("value")
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def clarify_check(reader: Reader, analysis_at: str, constraints_at: str) -> Outcome:
    """Clarify's analysis.json against the baseline bias constraints: violations and metrics."""
    analysis = reader.read_json(analysis_at, "Clarify analysis")
    constraints = reader.read_json(constraints_at, "bias baseline constraints")
    violations: list[dict[str, str]] = []
    unread: list[str] = []
    metrics: list[dict[str, Any]] = []
    checked = 0
    for stage, bias_stage in STAGES:
        baseline = _facets(constraints, stage, constraints_at)
        current = _facets(analysis, stage, analysis_at)
        for (facet, facet_value, name), expected in sorted(baseline.items()):
            limit = _number(expected)
            if limit is None:
                continue  # a metric the baseline could not compute constrains nothing
            value = _number(current.get((facet, facet_value, name)))
            if value is None or math.isnan(value):
                unread.append(f"{name} ({facet}={facet_value})")
                continue
            checked += 1
            if abs(value) > abs(limit):
                violations.append({"facet": facet, "facet_value": facet_value, "metric_name": name,
                                   "constraint_check_type": "bias_drift_check",
                                   "description": f"Value {value!r} does not meet the constraint requirement"})
        block = analysis.get(stage) if isinstance(analysis, dict) else None
        for (facet, facet_value, name), raw in sorted(current.items()):
            value = _number(raw)
            if value is None or math.isnan(value):
                continue
            if math.isinf(value):
                value = math.copysign(INFINITY, value)
            metrics.append({"MetricName": f"bias_metric_{name}", "Value": value, "Dimensions": [
                {"Name": "BiasStage", "Value": bias_stage},
                {"Name": "Label", "Value": str(block.get("label", ""))},
                {"Name": "LabelValue", "Value": str(block.get("label_value_or_threshold", ""))},
                {"Name": "Facet", "Value": facet}, {"Name": "FacetValue", "Value": facet_value}]})
    if not checked and not unread:
        raise UsageError(f"bias baseline constraints {constraints_at} hold no metric value under "
                         "'pre_training_bias_metrics' or 'post_training_bias_metrics'; pass the model package's "
                         "bias constraints")
    outcome = Outcome(files={ANALYSIS_FILE: analysis,
                             "constraint_violations.json": {"version": "1.0", "violations": violations}},
                      violations=violations, metrics=metrics, failed_assumption=bool(unread))
    if unread:
        outcome.warnings.append(f"{len(unread)} baseline metric(s) missing from the analysis, so not checked: "
                                + ", ".join(unread))
    outcome.lines.append(f"clarify-check: {checked} bias metric(s) checked against the baseline; "
                         f"{len(violations)} violation(s)")
    outcome.lines += [f"  {v['metric_name']} ({v['facet']}={v['facet_value']}): {v['description']}"
                      for v in violations]
    return outcome
