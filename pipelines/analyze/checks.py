"""The six data quality checks, evaluated from the window's profile against the baseline's statistics/constraints.

Check types and what each compares: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-
violations.html . monitoring_config keys and defaults: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-
byoc-constraints.html (checked 2026-12-03, ../shared/docs/facts.md "Constraints defaults"): datatype_check_threshold
0.1, domain_content_threshold 0.1, comparison_threshold 0.1, comparison_method ``linf_simple`` | ``linf_robust``
(real generated files write ``Simple`` | ``Robust``; both spellings are accepted), categorical_comparison_threshold
defaults to comparison_threshold, categorical_drift_method LInfinity. Real generated constraints write
datatype_check_threshold and domain_content_threshold 1.0 explicitly; the 0.1 default only reaches hand-written
files, and the run says when it applied.

The direction of the thresholds, from real output: every data type violation of 2020-11 to 2022-04 containers reads
"Expected match: 100.0%. Observed: Only 99.63446475195823% of data is Integral." for datatype_check_threshold 1.0,
so the threshold is the share of non-null values that must match (value >= threshold passes), and an absent one
(0.1) asks only 10% to match. Our reading: domain_content_threshold works the same way (share inside the domain),
and completeness is the share of values that must be present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines.analyze import kll
from pipelines.analyze.metrics import java_double
from pipelines.analyze.stats import FeatureProfile, Profile
from pipelines.core.errors import UsageError

DEFAULTS = {"datatype_check_threshold": 0.1, "domain_content_threshold": 0.1, "perform_comparison": "Enabled",
            "comparison_threshold": 0.1, "comparison_method": "Robust", "categorical_drift_method": "LInfinity",
            "evaluate_constraints": "Enabled", "emit_metrics": "Enabled"}
# the page's spelling -> the spelling real constraints files write (and ours internally)
COMPARISON_METHODS = {"Simple": "Simple", "Robust": "Robust", "linf_simple": "Simple", "linf_robust": "Robust"}


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
    merged.setdefault("categorical_comparison_threshold", merged["comparison_threshold"])
    if merged["comparison_method"] not in COMPARISON_METHODS:
        raise UsageError(f"constraints comparison_method '{merged['comparison_method']}' is not Simple, Robust, "
                         "linf_simple or linf_robust; fix monitoring_config.distribution_constraints")
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
                    method=COMPARISON_METHODS[merged["comparison_method"]],
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


def defaults_applied(monitoring_config: dict[str, Any] | None) -> list[str]:
    """Notes for the log: thresholds the constraints leave out, so the AWS page's default applies."""
    config = monitoring_config if isinstance(monitoring_config, dict) else {}
    return [f"{key} absent from the constraints' monitoring_config: AWS's default 0.1 applies (at least 10% of "
            f"values must {what})" for key, what in (("datatype_check_threshold", "have the baseline type"),
                                                      ("domain_content_threshold", "lie in the baseline domain"))
            if key not in config]


def type_not_met(expected: str, threshold: float, ratio: float) -> str:
    """The data type violation as 2020-11 to 2022-04 containers wrote it (real job outputs, facts.md): "Data type
    match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only
    99.63446475195823% of data is Integral." (the share times 100, as a Java double)."""
    return (f"Data type match requirement is not met. Expected data type: {expected}, Expected match: "
            f"{java_double(threshold * 100)}%. Observed: Only {java_double(ratio * 100)}% of data is {expected}.")


def not_met(value: float) -> str:
    """Deequ's constraint message, as Model Monitor writes it (SDK tests/data/monitor/constraint_violations.json)."""
    return f"Value: {value!r} does not meet the constraint requirement! "


def evaluate(profile: Profile, statistics: dict[str, Any], constraints: dict[str, Any]) -> Result:
    """Run every check; violations come out in the baseline's feature order, column checks first.

    A feature that fails its data_type_check gets no baseline_drift_check: in real executions the violation count
    was exactly the type failures + 1 (facts.md, "What real Model Monitor jobs wrote")."""
    result = Result()
    result.notes += defaults_applied(constraints.get("monitoring_config"))
    _column_checks(profile, constraints, result)
    baseline_stats = {item.get("name"): item for item in statistics.get("features") or []}
    absent = {feature.name for feature in profile.absent}
    by_name = {feature.name: feature for feature in profile.features if feature.name not in absent}
    for constraint in constraints.get("features") or []:
        name = constraint.get("name")
        feature = by_name.get(name)
        config = settings(constraints.get("monitoring_config"), _overrides(constraint))
        result.emit[name] = config.emit_metrics
        if feature is None or feature.present + feature.missing == 0 or not config.evaluate:
            continue
        typed = _type_check(feature, constraint, config, result)
        _completeness_check(feature, constraint, result)
        _domain_check(feature, constraint, config, result)
        if config.compare and typed:
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


def _type_check(feature: FeatureProfile, constraint: dict[str, Any], config: Settings, result: Result) -> bool:
    """False when the feature fails its data_type_check (then it gets no drift check)."""
    expected = constraint.get("inferred_type") or feature.baseline_type
    if expected not in ("Integral", "Fractional", "String", "Boolean") or not feature.present:
        return True
    ratio = feature.types[expected] / feature.present  # Deequ ratioTypes(ignoreUnknown = true)
    if ratio < config.datatype_threshold:
        result.add(feature.name, "data_type_check", type_not_met(expected, config.datatype_threshold, ratio))
        return False
    return True


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
        sketch = (((baseline.get("numerical_statistics") or {}).get("distribution") or {}).get("kll") or {}).get(
            "sketch")
        baseline_table = kll.KLL.from_json(sketch).rank_table() if sketch else (np.empty(0), np.empty(0))
        if not len(baseline_table[0]):
            result.unsketched.append(feature.name)
            return
        if not feature.count:
            return
        simple, n, m = kll.linf_simple_numerical(baseline_table, feature.sketch.rank_table())
        distance, threshold = kll.select_metric(simple, n, m, config.method), config.threshold
    else:
        counts = {str(item["value"]): float(item["count"]) for item in ((((baseline.get("string_statistics") or {})
                  .get("distribution") or {}).get("categorical") or {}).get("buckets") or [])}
        if not counts or not feature.categories:
            result.notes.append(f"{feature.name}: no categorical distribution to compare; drift not checked")
            return
        threshold = config.categorical_threshold
        if config.categorical_method == "ChiSquared":
            p_value = kll.chi_squared_p_value(dict(feature.categories), counts)
            if math.isnan(p_value):  # never a silent pass: the run says the check could not be made
                result.notes.append(f"{feature.name}: ChiSquared drift not checked (fewer than 2 categories left "
                                    "after regrouping, or a baseline that counts nothing)")
                return
            result.distances[feature.name] = p_value
            if p_value < threshold:  # our reading: a small p-value means drift
                result.add(feature.name, "baseline_drift_check",
                           f"Baseline drift p-value: {p_value!r} is below threshold: {threshold!r}")
            return
        simple, n, m = kll.linf_simple_categorical(counts, dict(feature.categories))
        distance = kll.select_metric(simple, n, m, config.method)
    if math.isnan(distance):
        result.notes.append(f"{feature.name}: drift not checked (the baseline's distribution counts nothing)")
        return
    result.distances[feature.name] = distance
    if distance > threshold:
        # Model Monitor's wording for this check, as its violations files show it
        result.add(feature.name, "baseline_drift_check",
                   f"Baseline drift distance: {distance!r} exceeds threshold: {threshold!r}")
