"""The six data quality checks, evaluated from the window's profile against the baseline's statistics/constraints.

Check types and what each compares: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-
violations.html . monitoring_config keys and defaults (datatype_check_threshold 1.0, domain_content_threshold 1.0,
comparison_threshold 0.1, comparison_method Robust, categorical_comparison_threshold 0.1, categorical_drift_method
LInfinity): https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html .

Our reading of the thresholds, and why: Model Monitor evaluates them as Deequ constraints (value >= threshold),
and real violations report the share that DID match, e.g. ``data_type_check`` "Value: 0.986986986986987 does not
meet the constraint requirement! " with the default threshold 1.0 (aws/sagemaker-python-sdk
tests/data/monitor/constraint_violations.json, produced by a real job). So datatype_check_threshold and
domain_content_threshold are the share of non-null values that must have the baseline type / lie in the baseline
domain, and completeness is the share of non-null values that must be present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.analyze import kll
from pipelines.analyze.stats import FeatureProfile, Profile
from pipelines.core.errors import UsageError

DEFAULTS = {"datatype_check_threshold": 1.0, "domain_content_threshold": 1.0, "perform_comparison": "Enabled",
            "comparison_threshold": 0.1, "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity", "evaluate_constraints": "Enabled", "emit_metrics": "Enabled"}


@dataclass(frozen=True)
class Settings:
    """monitoring_config for one feature, after its per-feature overrides."""

    evaluate: bool
    emit_metrics: bool
    datatype_threshold: float
    domain_threshold: float
    compare: bool
    threshold: float
    method: str
    categorical_threshold: float
    categorical_method: str


@dataclass
class Result:
    """What the checks found: violations in file order, per-feature drift distances, and notes for the log."""

    violations: list[dict[str, str]] = field(default_factory=list)
    distances: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    emit: dict[str, bool] = field(default_factory=dict)  # feature -> emit_metrics
    unsketched: list[str] = field(default_factory=list)  # numerical features whose baseline has no KLL sketch

    def add(self, feature: str, check: str, description: str) -> None:
        self.violations.append({"feature_name": feature, "constraint_check_type": check, "description": description})


def settings(monitoring_config: dict[str, Any] | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Flatten monitoring_config (+ a feature's overrides) over the documented defaults; UsageError on bad values."""
    merged = dict(DEFAULTS)
    for layer in (monitoring_config or {}, overrides or {}):
        merged.update({key: value for key, value in layer.items() if key != "distribution_constraints"})
        merged.update(layer.get("distribution_constraints") or {})
    if "enable_comparisons" in merged and "perform_comparison" not in (monitoring_config or {}).get(
            "distribution_constraints", {}):  # older constraints files (SDK test data) spell it this way
        merged["perform_comparison"] = "Enabled" if merged["enable_comparisons"] in (True, "true") else "Disabled"
    if merged["comparison_method"] not in ("Simple", "Robust"):
        raise UsageError(f"constraints comparison_method '{merged['comparison_method']}' is not Simple or Robust; fix "
                         "monitoring_config.distribution_constraints")
    if merged["categorical_drift_method"] not in ("LInfinity", "ChiSquared"):
        raise UsageError(f"constraints categorical_drift_method '{merged['categorical_drift_method']}' is not "
                         "LInfinity or ChiSquared; fix monitoring_config.distribution_constraints")
    try:
        numbers = {key: float(merged[key]) for key in ("datatype_check_threshold", "domain_content_threshold",
                                                       "comparison_threshold", "categorical_comparison_threshold")}
    except (TypeError, ValueError):
        raise UsageError("constraints monitoring_config has a threshold that is not a number; fix the constraints "
                         "file") from None
    return Settings(evaluate=merged["evaluate_constraints"] != "Disabled",
                    emit_metrics=merged["emit_metrics"] != "Disabled",
                    datatype_threshold=numbers["datatype_check_threshold"],
                    domain_threshold=numbers["domain_content_threshold"],
                    compare=merged["perform_comparison"] != "Disabled", threshold=numbers["comparison_threshold"],
                    method=merged["comparison_method"],
                    categorical_threshold=numbers["categorical_comparison_threshold"],
                    categorical_method=merged["categorical_drift_method"])


def _overrides(constraint: dict[str, Any]) -> dict[str, Any]:
    """A feature's overrides: ``monitoringConfigOverrides`` (AWS docs) or ``monitoring_config_overrides`` (as the SDK
    test data has it, inside string_constraints / num_constraints)."""
    found: dict[str, Any] = {}
    for holder in (constraint, constraint.get("num_constraints") or {}, constraint.get("string_constraints") or {}):
        for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
            found.update(holder.get(key) or {})
    return found


def not_met(value: float) -> str:
    """Deequ's constraint message, as Model Monitor writes it (SDK tests/data/monitor/constraint_violations.json)."""
    return f"Value: {value!r} does not meet the constraint requirement! "


def evaluate(profile: Profile, statistics: dict[str, Any], constraints: dict[str, Any]) -> Result:
    """Run every check; violations come out in the baseline's feature order, column checks first."""
    result = Result()
    _column_checks(profile, constraints, result)
    baseline_stats = {item.get("name"): item for item in statistics.get("features") or []}
    by_name = {feature.name: feature for feature in profile.features}
    for constraint in constraints.get("features") or []:
        name = constraint.get("name")
        feature = by_name.get(name)
        config = settings(constraints.get("monitoring_config"), _overrides(constraint))
        result.emit[name] = config.emit_metrics
        if feature is None or feature.present + feature.missing == 0 or not config.evaluate:
            continue
        _type_check(feature, constraint, config, result)
        _completeness_check(feature, constraint, result)
        _domain_check(feature, constraint, config, result)
        if config.compare:
            _drift_check(feature, baseline_stats.get(name) or {}, config, result)
    if result.unsketched:
        result.notes.append(f"drift not checked for {', '.join(result.unsketched)}: the baseline statistics hold no "
                            "KLL sketch (distribution.kll.sketch) for them")
    return result


def _column_checks(profile: Profile, constraints: dict[str, Any], result: Result) -> None:
    """missing_column_check / extra_column_check on the window's column count (its most common row width)."""
    expected, seen = len(constraints.get("features") or []) or profile.width, profile.dataset_width
    if not seen or seen == expected:
        return
    names = [feature.name for feature in profile.features]
    # Wording as Model Monitor writes it: a real job's violation reads "... current dataset: 8, Number of columns
    # in baseline constraints: 9" (a public walk-through of a missing column, found with find_string).
    counts = f"Number of columns in current dataset: {seen}, Number of columns in baseline constraints: {expected}"
    if seen < expected:
        result.add(names[seen] if seen < len(names) else "", "missing_column_check",
                   f"There are missing columns in current dataset. {counts}")
    else:
        result.add(f"_c{expected}", "extra_column_check", f"There are extra columns in current dataset. {counts}")


def _type_check(feature: FeatureProfile, constraint: dict[str, Any], config: Settings, result: Result) -> None:
    expected = constraint.get("inferred_type") or feature.baseline_type
    if expected not in ("Integral", "Fractional", "String", "Boolean") or not feature.present:
        return
    ratio = feature.types[expected] / feature.present  # Deequ ratioTypes(ignoreUnknown = true)
    if ratio < config.datatype_threshold:
        result.add(feature.name, "data_type_check", not_met(ratio))


def _completeness_check(feature: FeatureProfile, constraint: dict[str, Any], result: Result) -> None:
    if "completeness" not in constraint:
        return
    completeness = feature.present / (feature.present + feature.missing)
    if completeness < float(constraint["completeness"]):
        result.add(feature.name, "completeness_check", not_met(completeness))


def _domain_check(feature: FeatureProfile, constraint: dict[str, Any], config: Settings, result: Result) -> None:
    domains = (constraint.get("string_constraints") or {}).get("domains")
    if not domains or feature.numeric or not feature.present:
        return
    allowed = set(domains)
    inside = sum(count for value, count in feature.categories.items() if value in allowed)
    share = inside / feature.present
    if share < config.domain_threshold:
        result.add(feature.name, "categorical_values_check", not_met(share))


def _drift_check(feature: FeatureProfile, baseline: dict[str, Any], config: Settings, result: Result) -> None:
    """baseline_drift_check: Deequ's distance between the baseline's profile and the window's."""
    if feature.numeric:
        sketch = ((baseline.get("numerical_statistics") or {}).get("distribution") or {}).get("kll", {}).get("sketch")
        baseline_table = kll.KLL.from_json(sketch).rank_table() if sketch else (np.empty(0), np.empty(0))
        if not len(baseline_table[0]):
            result.unsketched.append(feature.name)
            return
        if not feature.count:
            return
        simple, n, m = kll.linf_simple_numerical(baseline_table, feature.sketch.rank_table())
        distance, threshold = kll.select_metric(simple, n, m, config.method), config.threshold
    else:
        counts = {str(item["value"]): float(item["count"]) for item in ((baseline.get("string_statistics") or {})
                  .get("distribution") or {}).get("categorical", {}).get("buckets", [])}
        if not counts or not feature.categories:
            result.notes.append(f"{feature.name}: no categorical distribution to compare; drift not checked")
            return
        threshold = config.categorical_threshold
        if config.categorical_method == "ChiSquared":
            p_value = kll.chi_squared_p_value(dict(feature.categories), counts)
            result.distances[feature.name] = p_value
            if not math.isnan(p_value) and p_value < threshold:  # our reading: a small p-value means drift
                result.add(feature.name, "baseline_drift_check",
                           f"Baseline drift p-value: {p_value!r} is below threshold: {threshold!r}")
            return
        simple, n, m = kll.linf_simple_categorical(counts, dict(feature.categories))
        distance = kll.select_metric(simple, n, m, config.method)
    result.distances[feature.name] = distance
    if distance > threshold:
        # Model Monitor's wording for this check, as its violations files show it
        result.add(feature.name, "baseline_drift_check",
                   f"Baseline drift distance: {distance!r} exceeds threshold: {threshold!r}")
