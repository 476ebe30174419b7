"""Binary classification metrics in Model Monitor's model quality statistics schema, and its constraint operators.

Schema and conventions: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
- ``binary_classification_metrics.<metric> = {"value", "standard_deviation"}``; the standard deviation only with at
  least 200 samples, from five random 80% samples of the data (otherwise the string "NaN", as the example shows).
- ``confusion_matrix`` is keyed actual label -> predicted label: the page's example {"0": {"0": 1, "1": 2}, "1":
  {"0": 0, "1": 1}} has precision 1/3 and recall 1.0, which only holds if "0" -> "1" counts false positives.
- Best constant classifier: the constant prediction that scores best on each metric (always positive for recall,
  precision and F-scores; the majority class for accuracy).
PR-AUC (``pr_auc``, average precision) is ours: Model Monitor does not report it, and with 0.1-1% fraud it says
more than ROC AUC, which stays high even when most alerts are false.
Constraints: ``binary_classification_constraints.<metric> = {"threshold", "comparison_operator"}`` (model-monitor-
model-quality-constraints page); a violation reads like Model Monitor's: ``"Metric recall with 0.71 was
LessThanThreshold '0.78'"`` with ``constraint_check_type`` the operator and ``metric_name`` the metric.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from pipelines.core.errors import UsageError

MIN_SAMPLES_FOR_STD = 200
STD_REPEATS = 5
STD_FRACTION = 0.8
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def f_beta(precision: float, recall: float, beta: float) -> float:
    """F-beta from precision and recall (NaN when undefined, 0 when both are 0)."""
    if math.isnan(precision) or math.isnan(recall):
        return math.nan
    denominator = beta * beta * precision + recall
    return (1 + beta * beta) * precision * recall / denominator if denominator else 0.0


def counts_metrics(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """Every metric that depends only on the confusion matrix."""
    total = tp + fp + fn + tn
    recall, precision = _ratio(tp, tp + fn), _ratio(tp, tp + fp)
    prevalence = _ratio(tp + fn, total)
    values = {"recall": recall, "precision": precision, "accuracy": _ratio(tp + tn, total),
              "true_positive_rate": recall, "true_negative_rate": _ratio(tn, tn + fp),
              "false_positive_rate": _ratio(fp, fp + tn), "false_negative_rate": _ratio(fn, fn + tp),
              "recall_best_constant_classifier": 1.0 if tp + fn else math.nan,
              "precision_best_constant_classifier": prevalence,
              "accuracy_best_constant_classifier": max(prevalence, 1 - prevalence) if total else math.nan}
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        values[name] = f_beta(precision, recall, beta)
        values[f"{name}_best_constant_classifier"] = f_beta(prevalence, values["recall_best_constant_classifier"],
                                                            beta)
    return values


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if not positives or not negatives:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    boundaries = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1], True])
    for start, stop in zip(boundaries[:-1], boundaries[1:], strict=True):
        ranks[order[start:stop]] = (start + stop + 1) / 2.0  # average 1-based rank of the tie group
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision: sum over positives, by descending score, of precision at that positive's threshold."""
    positives = int(labels.sum())
    if not positives:
        return math.nan
    order = np.argsort(-scores, kind="mergesort")
    sorted_labels, sorted_scores = labels[order], scores[order]
    last_of_group = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    tp = np.cumsum(sorted_labels)[last_of_group]
    seen = (np.flatnonzero(last_of_group) + 1).astype(np.float64)
    recall_steps = np.diff(np.r_[0.0, tp / positives])
    return float((recall_steps * (tp / seen)).sum())


def all_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Every scalar metric for labels (0/1) and scores, predicting positive at score >= threshold."""
    predicted = scores >= threshold
    tp = float(np.sum(predicted & (labels == 1)))
    fp = float(np.sum(predicted & (labels == 0)))
    fn = float(np.sum(~predicted & (labels == 1)))
    tn = float(len(labels) - tp - fp - fn)
    values = counts_metrics(tp, fp, fn, tn)
    values["auc"] = roc_auc(labels, scores)
    values["pr_auc"] = pr_auc(labels, scores)
    return values


def binary_statistics(labels: np.ndarray, scores: np.ndarray, threshold: float, seed: int = 0) -> dict[str, Any]:
    """statistics.json for labelled predictions, in Model Monitor's model quality schema."""
    labels = labels.astype(np.int64)
    values = all_metrics(labels, scores, threshold)
    deviations = _standard_deviations(labels, scores, threshold, seed)
    predicted = scores >= threshold
    matrix = {actual: {guess: int(np.sum((labels == int(actual)) & (predicted == bool(int(guess)))))
                       for guess in ("0", "1")} for actual in ("0", "1")}
    metrics: dict[str, Any] = {"confusion_matrix": matrix}
    for name, value in values.items():
        metrics[name] = {"value": json_number(value), "standard_deviation": json_number(deviations.get(name,
                                                                                                       math.nan))}
    return {"version": 0.0, "dataset": {"item_count": int(len(labels))}, "binary_classification_metrics": metrics}


def _standard_deviations(labels: np.ndarray, scores: np.ndarray, threshold: float, seed: int) -> dict[str, float]:
    """Model Monitor's method: the metrics on five random 80% samples (without replacement), their std."""
    if len(labels) < MIN_SAMPLES_FOR_STD:
        return {}
    rng = np.random.default_rng(seed)
    size = int(len(labels) * STD_FRACTION)
    runs = []
    for _ in range(STD_REPEATS):
        pick = rng.choice(len(labels), size=size, replace=False)
        runs.append(all_metrics(labels[pick], scores[pick], threshold))
    return {name: float(np.std([run[name] for run in runs])) for name in runs[0]}


def json_number(value: float) -> float | str:
    """Model Monitor writes undefined values as the string "NaN"."""
    return "NaN" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def evaluate_constraints(metrics: dict[str, Any], constraints: dict[str, Any]) -> list[dict[str, str]]:
    """Violations of ``binary_classification_constraints`` by the metrics' values; UsageError on an unknown
    operator or a constraint on a metric that is not computed."""
    found = []
    for name, rule in sorted((constraints.get("binary_classification_constraints") or {}).items()):
        operator = rule.get("comparison_operator")
        if operator not in OPERATORS:
            raise UsageError(f"model quality constraint '{name}' has comparison_operator '{operator}'; use one of "
                             f"{', '.join(OPERATORS)}")
        if name not in metrics or not isinstance(metrics[name], dict):
            raise UsageError(f"model quality constraint '{name}' names a metric the analyzer does not compute; use "
                             "one of " + ", ".join(sorted(key for key in metrics if key != "confusion_matrix")))
        value, threshold = metrics[name]["value"], float(rule["threshold"])
        if value == "NaN":
            continue
        if OPERATORS[operator](float(value), threshold):
            found.append({"constraint_check_type": operator, "description":
                          f"Metric {name} with {value!r} was {operator} '{threshold!r}'", "metric_name": name})
    return found
