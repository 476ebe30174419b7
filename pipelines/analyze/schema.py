"""The baseline documents' shapes, checked before any capture is read: a field of the wrong type is one UsageError
line that names the file, the field and the fix (exit 2), never a traceback halfway through the run.

Shapes are Model Monitor's (AWS docs pages model-monitor-byoc-statistics, model-monitor-byoc-constraints,
model-monitor-model-quality-metrics, model-monitor-model-quality-constraints). Only the types the analyzer relies on
are checked; which values a setting may take (comparison_method and the like) is checks.settings' business.
"""

from __future__ import annotations

import math
from typing import Any

from pipelines.core.errors import UsageError

FIX = "fix the file or regenerate it with a baselining job"


class _Doc:
    """One document being checked: ``fail`` raises the one-line UsageError."""

    def __init__(self, what: str, location: str) -> None:
        self.what, self.location = what, location

    def fail(self, path: str, problem: str) -> None:
        raise UsageError(f"{self.what} {self.location}: {path} {problem}; {FIX}")

    def mapping(self, value: Any, path: str, required: bool = False) -> dict[str, Any]:
        """``value`` as an object ({} when absent and not required)."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"is {_shown(value)}, not an object")
        return value

    def items(self, value: Any, path: str, required: bool = False) -> list[Any]:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.fail(path, f"is {_shown(value)}, not a list")
        return value

    def number(self, value: Any, path: str, low: float | None = None, high: float | None = None) -> float:
        """A finite JSON number (not a boolean, not a string) within [low, high]."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(path, f"is {_shown(value)}, not a number")
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(path, f"is {value!r}, not a number between {low:g} and {high:g}" if high is not None else
                      f"is {value!r}, not a number of at least {low:g}")
        return float(value)

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            self.fail(path, f"is {_shown(value)}, not a non-empty string")
        return value


def _shown(value: Any) -> str:
    """A value for a message: short, one line."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _names(doc: _Doc, features: list[Any]) -> list[str]:
    names = []
    for index, feature in enumerate(features):
        item = doc.mapping(feature, f"features[{index}]", required=True)
        names.append(doc.text(item.get("name"), f"features[{index}].name"))
        if "inferred_type" in item:
            doc.text(item["inferred_type"], f"features[{index}].inferred_type")
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            doc.fail(f"features[{index}].name", f"'{name}' appears twice (each feature once)")
        seen.add(name)
    return names


def data_quality_statistics(document: Any, location: str) -> list[tuple[str, str]]:
    """The baseline's features as (name, inferred_type), after checking every part the checks read."""
    doc = _Doc("baseline statistics", location)
    features = doc.items(doc.mapping(document, "the document", required=True).get("features"), "features",
                         required=True)
    if not features:
        doc.fail("features", "is empty")
    names = _names(doc, features)
    for index, feature in enumerate(features):
        at = f"features[{index}]"
        numbers = doc.mapping(feature.get("numerical_statistics"), f"{at}.numerical_statistics")
        distribution = doc.mapping(numbers.get("distribution"), f"{at}.numerical_statistics.distribution")
        kll = doc.mapping(distribution.get("kll"), f"{at}.numerical_statistics.distribution.kll")
        if kll.get("sketch") is not None:
            _sketch(doc, kll["sketch"], f"{at}.numerical_statistics.distribution.kll.sketch")
        strings = doc.mapping(feature.get("string_statistics"), f"{at}.string_statistics")
        distribution = doc.mapping(strings.get("distribution"), f"{at}.string_statistics.distribution")
        categorical = doc.mapping(distribution.get("categorical"), f"{at}.string_statistics.distribution.categorical")
        for number, bucket in enumerate(doc.items(categorical.get("buckets"), f"{at}.string_statistics.distribution."
                                                                               "categorical.buckets")):
            path = f"{at}.string_statistics.distribution.categorical.buckets[{number}]"
            bucket = doc.mapping(bucket, path, required=True)
            if "value" not in bucket or isinstance(bucket["value"], (dict, list)):
                doc.fail(f"{path}.value", "is missing or not a single value")
            doc.number(bucket.get("count"), f"{path}.count", low=0)
    return [(name, feature.get("inferred_type", "Fractional")) for name, feature in zip(names, features, strict=True)]


def _sketch(doc: _Doc, sketch: Any, path: str) -> None:
    """A KLL sketch: parameters c (0 < c <= 1) and k (a positive integer), data a list of lists of numbers."""
    sketch = doc.mapping(sketch, path, required=True)
    parameters = doc.mapping(sketch.get("parameters"), f"{path}.parameters")
    if "c" in parameters:
        doc.number(parameters["c"], f"{path}.parameters.c", low=0, high=1)
    if "k" in parameters:
        k = doc.number(parameters["k"], f"{path}.parameters.k", low=1)
        if k != int(k):
            doc.fail(f"{path}.parameters.k", f"is {k!r}, not a whole number")
    for level, items in enumerate(doc.items(sketch.get("data"), f"{path}.data")):
        items = doc.items(items, f"{path}.data[{level}]", required=True)
        if not set(map(type, items)) <= {int, float} or not all(map(math.isfinite, items)):
            bad = next(index for index, item in enumerate(items) if isinstance(item, bool) or not isinstance(
                item, (int, float)) or not math.isfinite(item))
            doc.number(items[bad], f"{path}.data[{level}][{bad}]")


def data_quality_constraints(document: Any, location: str) -> dict[str, Any]:
    """The constraints document, after checking the parts the checks read; returns it."""
    doc = _Doc("baseline constraints", location)
    top = doc.mapping(document, "the document", required=True)
    features = doc.items(top.get("features"), "features", required=True)
    _names(doc, features)
    _config(doc, top.get("monitoring_config"), "monitoring_config")
    for index, feature in enumerate(features):
        at = f"features[{index}]"
        if "completeness" in feature:
            doc.number(feature["completeness"], f"{at}.completeness", low=0, high=1)
        for holder_name in ("num_constraints", "string_constraints"):
            holder = doc.mapping(feature.get(holder_name), f"{at}.{holder_name}")
            for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
                _config(doc, holder.get(key), f"{at}.{holder_name}.{key}")
        for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
            _config(doc, feature.get(key), f"{at}.{key}")
        domains = doc.items((feature.get("string_constraints") or {}).get("domains"),
                            f"{at}.string_constraints.domains")
        for number, value in enumerate(domains):
            if isinstance(value, (dict, list)):
                doc.fail(f"{at}.string_constraints.domains[{number}]", "is not a single value")
    return top


THRESHOLDS = ("datatype_check_threshold", "domain_content_threshold", "comparison_threshold",
              "categorical_comparison_threshold")

SWITCHES = ("comparison_method", "categorical_drift_method", "perform_comparison", "evaluate_constraints",
            "emit_metrics")


def _config(doc: _Doc, config: Any, path: str) -> None:
    """monitoring_config or a feature's overrides: objects where objects go, numbers where thresholds go."""
    config = doc.mapping(config, path)
    distribution = doc.mapping(config.get("distribution_constraints"), f"{path}.distribution_constraints")
    for holder, at in ((config, path), (distribution, f"{path}.distribution_constraints")):
        for key in THRESHOLDS:
            if key in holder:
                doc.number(holder[key], f"{at}.{key}")
        for key in SWITCHES:  # which values each may take is checks.settings' business; here only the type
            if key in holder and not isinstance(holder[key], str):
                doc.fail(f"{at}.{key}", f"is {_shown(holder[key])}, not a string")


def model_quality_constraints(document: Any, location: str) -> dict[str, Any]:
    """binary_classification_constraints: each an object with a comparison_operator string and a numeric threshold."""
    doc = _Doc("model quality constraints", location)
    top = doc.mapping(document, "the document", required=True)
    rules = doc.mapping(top.get("binary_classification_constraints"), "binary_classification_constraints")
    for name, rule in rules.items():
        at = f"binary_classification_constraints.{name}"
        rule = doc.mapping(rule, at, required=True)
        if not isinstance(rule.get("comparison_operator"), str):
            doc.fail(f"{at}.comparison_operator", f"is {_shown(rule.get('comparison_operator'))}, not an operator "
                     "name such as LessThanThreshold")
        doc.number(rule.get("threshold"), f"{at}.threshold")
    return top


def model_quality_statistics(document: Any, location: str) -> dict[str, Any]:
    """A model quality baseline whose confusion_matrix (when present) holds counts: {"0"|"1": {"0"|"1": n}} with n
    >= 0 and at least one record (an all-zero matrix has no fraud rate to compare with)."""
    doc = _Doc("model quality baseline statistics", location)
    top = doc.mapping(document, "the document", required=True)
    block = doc.mapping(top.get("binary_classification_metrics"), "binary_classification_metrics")
    if block.get("confusion_matrix") is None:
        return top
    matrix = doc.mapping(block["confusion_matrix"], "binary_classification_metrics.confusion_matrix")
    total = 0.0
    for actual in ("0", "1"):
        row = doc.mapping(matrix.get(actual), f"binary_classification_metrics.confusion_matrix.{actual}",
                          required=True)
        for predicted in ("0", "1"):
            total += doc.number(row.get(predicted), f"binary_classification_metrics.confusion_matrix.{actual}."
                                                    f"{predicted}", low=0)
    if not total:
        doc.fail("binary_classification_metrics.confusion_matrix", "counts no records (all zero)")
    return top
