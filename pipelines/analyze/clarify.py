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
from pipelines.core.errors import NoDataError, UsageError

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
    # every captured record, as model quality joins them (an id captured twice is two rows; model_quality.merge)
    records: list[tuple[str, list[str], float]] = []
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
                records.append((join_id, features, mq.parse_score(output, output_type)))
            except ValueError as exc:  # also json.JSONDecodeError
                problems.add(f"endpointOutput is not a fraud probability ({mq._reason(exc)})", line)
    labels = mq.ground_truth(reader, ground_truth_at, window, problems)
    rows = []
    for join_id, features, score in records:
        if join_id in labels:
            row = [*features[:label_at], str(labels[join_id]), *features[label_at:]]
            rows.append(",".join([*row, "1" if score >= threshold else "0"]))
    if not rows:
        raise NoDataError(f"none of the {total} captured records in the window has a ground truth label in "
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


# ---- Model explainability: the same three steps with Clarify's SHAP (feature attribution drift) ------------------
# The registered config is ClarifyCheckStep's ExplainabilityAnalysisConfig (headers = the features, methods.shap,
# predictor without model_name); the CLI's derived config adds predictor.model_name = the endpoint's model
# (pipelines/deploy/derived.py), from which Clarify starts its shadow endpoint. What Clarify runs on the prepared
# dataset is what the SDK builds for it: _AnalysisConfigGenerator.explainability(DataConfig(headers=features,
# dataset_type="text/csv"), ModelConfig(model_name=...), None, SHAPConfig) (tests/fixtures/sdk/
# clarify_shap_dataset_analysis_config.json, generate.py). Rule (AWS docs "Model Feature Attribution Drift
# Violations", clarify-model-monitor-model-attribution-drift-violations, and "Feature attribution drift for models in
# production", clarify-model-monitor-feature-attribution-drift): per label, the nDCG of the current global SHAP
# ranking against the baseline's: F = features by baseline attribution, F' = by current attribution, a(f) = the
# baseline attribution; DCG = sum a(F'_i) / log2(i + 1), iDCG = sum a(F_i) / log2(i + 1); below 0.9 is a violation
# ("Feature attribution drift <nDCG> exceeds threshold 0.9"). Metrics (clarify-feature-attribute-drift-cw):
# feature_<name> = the global SHAP value in aws/sagemaker/Endpoints/explainability-metrics with Endpoint,
# MonitoringSchedule, ExplainabilityMethod KernelShap, Label, ValueType GlobalShapValues.

NDCG_THRESHOLD = 0.9


def shap_analysis_config(config: Any, location: str) -> dict[str, Any]:
    """The Clarify processing config for the prepared feature dataset, from the derived explainability config."""
    methods = config.get("methods") if isinstance(config, dict) else None
    predictor = config.get("predictor") if isinstance(config, dict) else None
    if not isinstance(methods, dict) or not isinstance(methods.get("shap"), dict) \
            or not isinstance(config.get("headers"), list) or not isinstance(predictor, dict):
        raise UsageError(f"explainability analysis config {location} has no 'headers' list, 'methods.shap' and "
                         "'predictor'; pass the derived explainability config (get_baselines_and_configs.py writes "
                         "it)")
    if not predictor.get("model_name"):
        raise UsageError(f"explainability analysis config {location} names no predictor.model_name, so Clarify "
                         "cannot start its shadow endpoint; use the derived config get_baselines_and_configs.py "
                         "writes (it adds the endpoint's model)")
    analysis = {key: value for key, value in config.items() if key not in ("methods", "label")}
    analysis["headers"] = [str(header) for header in config["headers"] if header != config.get("label")]
    analysis["dataset_type"] = "text/csv"
    analysis["methods"] = {"report": {"name": "report", "title": "Analysis Report"}, "shap": methods["shap"]}
    return analysis


def shap_dataset(reader: Reader, capture: str, window: Window, config_at: str) -> Outcome:
    """The window's captured feature rows as a Clarify CSV dataset, and the SHAP analysis config to run on it."""
    analysis = shap_analysis_config(reader.read_json(config_at, "explainability analysis config"), config_at)
    width = len(analysis["headers"])
    problems = Problems()
    rows: list[str] = []
    total = 0
    for batch in batches(reader, capture_files(reader, capture, window), window, problems):
        for text, content_type, line in zip(batch.inputs, batch.input_types, batch.lines, strict=True):
            total += 1
            if "csv" not in (content_type or "text/csv").lower() or text is None:
                problems.add("endpointInput is not CSV", line)
                continue
            features = text.strip().split(",")
            if len(features) != width:
                problems.add(f"endpointInput has {len(features)} values, the explainability config names {width} "
                             "features", line)
                continue
            rows.append(",".join(features))
    if not rows:
        raise UsageError(f"no captured CSV record with {width} features in {capture} for the window; nothing to "
                         "explain")
    outcome = Outcome(files={DATASET_FILE: "\n".join(rows) + "\n", CONFIG_FILE: analysis}, violations=[],
                      warnings=_problem_warnings(problems, "records", total))
    outcome.lines.append(f"shap-dataset: {len(rows)} of {total} captured records to explain with the model "
                         f"'{analysis['predictor']['model_name']}'")
    return outcome


def _shap_labels(document: Any, location: str) -> dict[str, dict[str, float]]:
    """label -> feature -> global SHAP value of an analysis.json-shaped document (explanations.kernel_shap)."""
    kernel = (document.get("explanations") or {}).get("kernel_shap") if isinstance(document, dict) else None
    if not isinstance(kernel, dict) or not kernel:
        raise UsageError(f"{location} has no 'explanations.kernel_shap' labels; pass a SageMaker Clarify SHAP "
                         "analysis.json")
    labels: dict[str, dict[str, float]] = {}
    for label, block in kernel.items():
        values = block.get("global_shap_values") if isinstance(block, dict) else None
        if isinstance(values, dict):
            labels[str(label)] = {str(name): number for name, value in values.items()
                                  if (number := _number(value)) is not None and not math.isnan(number)}
    return labels


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current attribution ranking against the baseline's (AWS's feature attribution drift score)."""
    ideal = sorted(baseline, key=lambda name: (-baseline[name], name))
    live = sorted(baseline, key=lambda name: (-current[name], name))
    dcg = sum(baseline[name] / math.log2(position + 2) for position, name in enumerate(live))
    idcg = sum(baseline[name] / math.log2(position + 2) for position, name in enumerate(ideal))
    return dcg / idcg if idcg else 1.0


def shap_check(reader: Reader, analysis_at: str, constraints_at: str) -> Outcome:
    """Clarify's SHAP analysis.json against the baseline explainability constraints: violations and metrics."""
    analysis = reader.read_json(analysis_at, "Clarify analysis")
    baseline = _shap_labels(reader.read_json(constraints_at, "explainability baseline constraints"), constraints_at)
    current = _shap_labels(analysis, analysis_at)
    violations: list[dict[str, str]] = []
    unread: list[str] = []
    scores: list[str] = []
    for label, expected in sorted(baseline.items()):
        values = current.get(label, {})
        missing = sorted(name for name in expected if name not in values)
        if missing:
            unread.append(f"{label} ({', '.join(missing)})")
            continue
        score = ndcg(expected, values)
        scores.append(f"{label} nDCG {score:.4f}")
        if score < NDCG_THRESHOLD:
            violations.append({"label": label, "metric_name": "shap",
                               "constraint_check_type": "feature_attribution_drift_check",
                               "description": f"Feature attribution drift {score!r} exceeds threshold "
                                              f"{NDCG_THRESHOLD}"})
    metrics = [{"MetricName": f"feature_{name}", "Value": value, "Dimensions": [
        {"Name": "ExplainabilityMethod", "Value": "KernelShap"}, {"Name": "Label", "Value": label},
        {"Name": "ValueType", "Value": "GlobalShapValues"}]}
        for label, values in sorted(current.items()) for name, value in sorted(values.items())]
    outcome = Outcome(files={ANALYSIS_FILE: analysis,
                             "constraint_violations.json": {"version": "1.0", "violations": violations}},
                      violations=violations, metrics=metrics, failed_assumption=bool(unread))
    if unread:
        outcome.warnings.append("baseline features missing from the analysis, so not checked: " + "; ".join(unread))
    outcome.lines.append(f"shap-check: {', '.join(scores) or 'no label checked'}; {len(violations)} violation(s)")
    outcome.lines += [f"  {v['label']}: {v['description']}" for v in violations]
    return outcome
