"""Alarm thresholds derived from the registry's baselines, so an alarm fires where the monitor itself would.

- Drift (``DriftAlarmThresholds``): per ``DriftAlarmFeatures`` entry, the data quality constraints' distribution
  threshold: the feature's ``monitoringConfigOverrides`` first, else ``monitoring_config.distribution_constraints``;
  ``categorical_comparison_threshold`` for String features (their drift is an L-infinity distance), else
  ``comparison_threshold``; 0.1 (the documented default) when neither is set. AWS documents
  ``monitoringConfigOverrides`` as an object without listing its keys ("Schema for Constraints", model-monitor-byoc-
  constraints); we read it as a partial ``monitoring_config`` and also accept the keys at its top level.
- Model quality (``ModelQualityAlarmThreshold``): the lower of the constraints threshold and the baseline value minus
  ``MARGIN_SIGMAS`` standard deviations from the model quality statistics. The baseline job writes the constraint at
  the baseline value itself, so alarming there would page on every below-average day; at a 0.1-1 % fraud rate a
  day holds tens to hundreds of positives, and recall on so few moves by several points from noise alone. For
  recall (true positive rate) the standard deviation is at least the binomial standard error over the baseline's
  frauds, sqrt(r (1 - r) / P) with P from its confusion matrix: Model Monitor's own figure resamples the one
  baseline dataset (five 80 % samples) and comes out about half that, so a window of the unchanged model would page.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from pipelines.core.monitors import DATA_QUALITY, MODEL_QUALITY
from pipelines.deploy.baselines import Baseline
from pipelines.deploy.template_params import ParameterSpec, closest

DEFAULT_DRIFT_THRESHOLD = 0.1  # monitoring_config.distribution_constraints default (model-monitor-byoc-constraints)
MARGIN_SIGMAS = 3  # model quality alarm: this many standard deviations below the baseline value
# ProblemType -> (constraints section, statistics section) holding the alarm metric
MQ_SECTIONS = {
    "BinaryClassification": ("binary_classification_constraints", "binary_classification_metrics"),
    "MulticlassClassification": ("multiclass_classification_constraints", "multiclass_classification_metrics"),
    "Regression": ("regression_constraints", "regression_metrics"),
}
DQ_STATISTICS, DQ_CONSTRAINTS = (b.sources[0] for b in DATA_QUALITY.baselines)
MQ_CONSTRAINTS = MODEL_QUALITY.baselines[0].sources[0]
MQ_STATISTICS = MODEL_QUALITY.optional_sources[0]

Document = Callable[[str], Any]


def number_text(value: float) -> str:
    """A threshold as the template's parameter pattern wants it: plain decimal, no exponent, at most 6 places."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _number(value: Any, *, finite: bool = True) -> float | None:
    """A JSON number as a float; None for anything else (and for NaN/Infinity unless ``finite`` is False)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return None if finite and not math.isfinite(value) else float(value)


def feature_drift_threshold(constraints: dict[str, Any], feature: str) -> float:
    """The distribution threshold Model Monitor applies to one feature (see the module docstring)."""
    entry = next((f for f in constraints.get("features", []) if isinstance(f, dict) and f.get("name") == feature), {})
    key = "categorical_comparison_threshold" if entry.get("inferred_type") == "String" else "comparison_threshold"
    overrides = entry.get("monitoringConfigOverrides") if isinstance(entry.get("monitoringConfigOverrides"), dict) \
        else {}
    config = constraints.get("monitoring_config") if isinstance(constraints.get("monitoring_config"), dict) else {}
    for section in (overrides.get("distribution_constraints"), overrides, config.get("distribution_constraints")):
        value = _number(section.get(key)) if isinstance(section, dict) else None
        if value is not None:
            return value
    return DEFAULT_DRIFT_THRESHOLD


def drift_problems_and_thresholds(params: dict[str, str], explicit: dict[str, str], available: dict[str, Baseline],
                                  document: Document) -> tuple[list[str], list[str]]:
    """(problems, notes), filling DriftAlarmThresholds unless the stage file sets it."""
    features = [f.strip() for f in params.get("DriftAlarmFeatures", "").split(",") if f.strip()]
    if not features or params.get(DATA_QUALITY.enable_param) != "yes":
        return [], []
    if "DataQualityBaselineStatistics" in explicit or DQ_STATISTICS not in available:
        return [], ["DriftAlarmFeatures not checked against the baseline (statistics set in the stage file)"]
    statistics_uri = available[DQ_STATISTICS].uri
    known = [f.get("name") for f in document(DQ_STATISTICS).get("features", []) if isinstance(f, dict)]
    problems = []
    for feature in features:
        if feature not in known:
            hint = closest(feature, [k for k in known if isinstance(k, str)])
            fix = f"did you mean '{hint}'?" if hint else f"features there: {', '.join(map(str, known))}"
            problems.append(f"DriftAlarmFeatures names '{feature}', which is not a feature of the data quality "
                            f"baseline statistics {statistics_uri}; {fix}")
    if "DriftAlarmThresholds" in explicit:
        count = len([t for t in explicit["DriftAlarmThresholds"].split(",") if t.strip()])
        if count != len(features):
            problems.append(f"DriftAlarmThresholds has {count} value(s) for {len(features)} DriftAlarmFeatures; "
                            "give one per feature, in the same order, or leave it out to derive them")
        return problems, []
    if problems:
        return problems, []
    if "DataQualityBaselineConstraints" in explicit or DQ_CONSTRAINTS not in available:
        return [], ["drift alarm thresholds not derived (constraints set in the stage file); 0.1 each"]
    constraints = document(DQ_CONSTRAINTS)
    silent = _drift_metrics_off(constraints)
    if silent:  # the alarms would watch a metric that never arrives (README "Alerts")
        return [f"DriftAlarmFeatures is set but the data quality constraints {available[DQ_CONSTRAINTS].uri} have "
                f"{silent}: Model Monitor publishes no feature_baseline_drift metric, so the drift alarms could never "
                "fire; enable it in the baseline or leave DriftAlarmFeatures empty"], []
    params["DriftAlarmThresholds"] = ",".join(number_text(feature_drift_threshold(constraints, f)) for f in features)
    return [], []


def _drift_metrics_off(constraints: dict[str, Any]) -> str:
    """Which monitoring_config switch stops drift metrics ('' when they are published).

    Model Monitor computes drift only with ``distribution_constraints.perform_comparison`` Enabled and publishes
    metrics only with ``emit_metrics`` Enabled; both default to Enabled ("Schema for Constraints",
    model-monitor-byoc-constraints; facts.md, CloudWatch metrics).
    """
    config = constraints.get("monitoring_config") if isinstance(constraints.get("monitoring_config"), dict) else {}
    distribution = config.get("distribution_constraints")
    distribution = distribution if isinstance(distribution, dict) else {}
    if str(config.get("emit_metrics", "Enabled")) == "Disabled":
        return 'monitoring_config.emit_metrics "Disabled"'
    if str(distribution.get("perform_comparison", "Enabled")) == "Disabled":
        return 'monitoring_config.distribution_constraints.perform_comparison "Disabled"'
    return ""


def model_quality_threshold(params: dict[str, str], explicit: dict[str, str], specs: dict[str, ParameterSpec],
                            available: dict[str, Baseline], document: Document) -> tuple[list[str], list[str]]:
    """Fill ModelQualityAlarmThreshold (unless set in the stage file); (warnings, notes) for the plan.

    No alarm where the user gets one by default is a warning (``--strict``, as in CodeBuild, fails on it): never a
    quietly missing recall alarm.
    """
    if "ModelQualityAlarmThreshold" in explicit or params.get(MODEL_QUALITY.enable_param) != "yes":
        return [], []
    metric = params.get("ModelQualityAlarmMetric", specs["ModelQualityAlarmMetric"].default or "recall")
    problem_type = params.get("ProblemType", specs["ProblemType"].default or "BinaryClassification")
    not_created = "the model quality alarm is not created (set ModelQualityAlarmThreshold in the stage file)"
    if "ModelQualityBaselineConstraints" in explicit or MQ_CONSTRAINTS not in available:
        return [f"no {metric} alarm threshold derived (ModelQualityBaselineConstraints set in the stage file); "
                f"{not_created}"], []
    if problem_type not in MQ_SECTIONS:
        return [], []  # validation reports the unknown ProblemType
    constraints_section, statistics_section = MQ_SECTIONS[problem_type]
    section = document(MQ_CONSTRAINTS).get(constraints_section)
    entry = section.get(metric) if isinstance(section, dict) else None
    raw = entry.get("threshold") if isinstance(entry, dict) else None
    threshold = _number(raw)
    uri = available[MQ_CONSTRAINTS].uri
    if threshold is None and _number(raw, finite=False) is not None:  # NaN or Infinity in the registry's JSON
        return [f"the {metric} threshold in {uri} is {raw}, not a finite number; {not_created}"], []
    if threshold is None:
        return [f"no {metric} threshold in the model quality constraints {uri} ({constraints_section}); "
                f"{not_created}"], []
    margin = statistics_margin(document(MQ_STATISTICS) if MQ_STATISTICS in available else None, statistics_section,
                                metric)
    if margin is None:
        params["ModelQualityAlarmThreshold"] = number_text(threshold)
        return [], [f"{metric} alarm at the constraints threshold {number_text(threshold)} with no margin: the model "
                    f"quality statistics (ModelQuality.Statistics) give no {metric} value and standard deviation"]
    if margin <= 0:  # a noisy baseline: an alarm at 0 or below could never fire
        params["ModelQualityAlarmThreshold"] = number_text(threshold)
        return [], [f"{metric} alarm at the constraints threshold {number_text(threshold)}: the baseline minus "
                    f"{MARGIN_SIGMAS} standard deviations is {number_text(margin)}, at or below 0"]
    params["ModelQualityAlarmThreshold"] = number_text(min(threshold, margin))
    return [], []


def statistics_margin(statistics: Any, section: str, metric: str) -> float | None:
    """Baseline value minus MARGIN_SIGMAS standard deviations (None without both numbers); see the module docstring
    for the binomial floor on recall's standard deviation."""
    metrics = statistics.get(section) if isinstance(statistics, dict) else None
    entry = metrics.get(metric) if isinstance(metrics, dict) else None
    if not isinstance(entry, dict):
        return None
    value, deviation = _number(entry.get("value")), _number(entry.get("standard_deviation"))
    if value is None or deviation is None:
        return None
    if metric in ("recall", "true_positive_rate"):
        deviation = max(deviation, _binomial_deviation(value, metrics.get("confusion_matrix")))
    return value - MARGIN_SIGMAS * deviation


def _binomial_deviation(rate: float, matrix: Any) -> float:
    """sqrt(r (1 - r) / P) over the P actual positives of a binary confusion matrix ({actual: {predicted: n}}); 0
    when the matrix does not say."""
    row = matrix.get("1") if isinstance(matrix, dict) else None
    counts = [_number(n) for n in row.values()] if isinstance(row, dict) else []
    positives = sum(n for n in counts if n is not None)
    return math.sqrt(rate * (1 - rate) / positives) if positives > 0 and 0 <= rate <= 1 else 0.0
