"""Binary classification metrics in Model Monitor's model quality statistics schema, and its constraint operators.

Schema and conventions: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
- ``binary_classification_metrics.<metric> = {"value", "standard_deviation"}``; the standard deviation only with at
  least 200 samples, from five random 80% samples of the data (otherwise the string "NaN", as the example shows).
- ``confusion_matrix`` is keyed actual label -> predicted label: the page's example {"0": {"0": 1, "1": 2}, "1":
  {"0": 0, "1": 1}} has precision 1/3 and recall 1.0, which only holds if "0" -> "1" counts false positives.
- Best constant classifier: the majority class for every metric (recall, precision and F-scores 0 when the majority
  is negative, accuracy the majority share, standard deviation 0), as 2021-2022 containers wrote it in real
  executions (../shared/docs/facts.md; a 2021-02 container and the page's example used always-positive: the newer
  jobs win). Our reading for an exact tie: the negative class.
- ``receiver_operating_characteristic_curve`` {false_positive_rates, true_positive_rates} and
  ``precision_recall_curve`` {precisions, recalls}: real statistics carry both (key names as the page's example);
  the points are Spark's BinaryClassificationMetrics roc() / pr() (one point per distinct score, (0, 0) and (1, 1)
  added to the ROC curve, (0, first precision) to the PR curve). Our reading: more than CURVE_BINS distinct scores
  are downsampled as Spark's ``numBins`` does (Model Monitor's bin count is not published).
PR-AUC (``pr_auc``, average precision) is ours: Model Monitor does not report it, and with 0.1-1% fraud it says
more than ROC AUC, which stays high even when most alerts are false.
Constraints: ``binary_classification_constraints.<metric> = {"threshold", "comparison_operator"}`` (model-monitor-
model-quality-constraints page); a violation reads as real 2021-2022 executions wrote it (facts.md): ``"Metric auc
with 0.5127590160341251 +/- 0.00714... was LessThanThreshold '0.9395...'"`` (value, +/- its standard deviation,
quoted threshold), ``constraint_check_type`` the operator and ``metric_name`` the metric, camelCase for
truePositiveRate, trueNegativeRate, falsePositiveRate and falseNegativeRate. No violation is written for f0_5 (real
jobs wrote none with f0_5 below its threshold); the run says so.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from pipelines.core.errors import UsageError

MIN_SAMPLES_FOR_STD = 200
STD_REPEATS = 5
STD_FRACTION = 0.8
CURVE_BINS = 1000
# metric_name in violations: the statistics' snake_case keys, camelCase for these four (real violation files)
VIOLATION_NAMES = {"true_positive_rate": "truePositiveRate", "true_negative_rate": "trueNegativeRate",
                   "false_positive_rate": "falsePositiveRate", "false_negative_rate": "falseNegativeRate"}
NOT_EVALUATED = ("f0_5",)  # real jobs wrote no violation for it though it was below its threshold
CONSTANT = "_best_constant_classifier"
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}


def java_double(value: float) -> str:
    """A double as Java's Double.toString writes it (Model Monitor's Scala code formats its messages this way): the
    shortest digits that read back (Python's repr), positional from 1e-3 to 1e7, else "1.0E-4", "1.5E7"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # Python's repr is positional in this range too
    number = Decimal(repr(value))
    digits = "".join(map(str, number.as_tuple().digits)).rstrip("0") or "0"
    return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:] or '0'}E{number.adjusted()}"


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
    values = {"recall": recall, "precision": precision, "accuracy": _ratio(tp + tn, total),
              "true_positive_rate": recall, "true_negative_rate": _ratio(tn, tn + fp),
              "false_positive_rate": _ratio(fp, fp + tn), "false_negative_rate": _ratio(fn, fn + tp)}
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        values[name] = f_beta(precision, recall, beta)
    values.update(constant_classifier(tp + fn, fp + tn))
    return values


def constant_classifier(positives: float, negatives: float) -> dict[str, float]:
    """The best constant classifier's metrics: the majority class predicted for every record (a tie: negative)."""
    total = positives + negatives
    if not total:
        return {f"{name}{CONSTANT}": math.nan for name in ("recall", "precision", "accuracy", "f0_5", "f1", "f2")}
    if positives > negatives:  # always positive
        prevalence = positives / total
        found = {"recall": 1.0, "precision": prevalence, "accuracy": prevalence}
        found.update({name: f_beta(prevalence, 1.0, beta) for name, beta in (("f0_5", 0.5), ("f1", 1.0),
                                                                                ("f2", 2.0))})
    else:  # always negative: nothing found, nothing flagged
        found = {"recall": 0.0, "precision": 0.0, "accuracy": negatives / total, "f0_5": 0.0, "f1": 0.0, "f2": 0.0}
    return {f"{name}{CONSTANT}": value for name, value in found.items()}


def curves(labels: np.ndarray, scores: np.ndarray, bins: int = CURVE_BINS) -> dict[str, dict[str, list[float]]]:
    """Spark BinaryClassificationMetrics roc() and pr() points, downsampled to ``bins`` as its numBins does."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_labels = scores[order], labels[order]
    last = np.r_[sorted_scores[1:] != sorted_scores[:-1], True] if len(scores) else np.zeros(0, dtype=bool)
    tp = np.cumsum(sorted_labels)[last].astype(np.float64)
    fp = (np.flatnonzero(last) + 1 - tp).astype(np.float64)
    if bins > 0 and len(tp) // bins >= 2:  # Spark: groups of len // bins consecutive thresholds, the last of each
        grouping = len(tp) // bins
        keep = np.r_[np.arange(grouping - 1, len(tp), grouping)]
        if keep[-1] != len(tp) - 1:
            keep = np.r_[keep, len(tp) - 1]
        tp, fp = tp[keep], fp[keep]
    tpr = tp / positives if positives else np.zeros_like(tp)
    fpr = fp / negatives if negatives else np.zeros_like(fp)
    precision = tp / np.maximum(tp + fp, 1.0)
    recall = tpr
    first = float(precision[0]) if len(precision) else 1.0
    return {"receiver_operating_characteristic_curve": {
                "false_positive_rates": [0.0, *fpr.tolist(), 1.0], "true_positive_rates": [0.0, *tpr.tolist(), 1.0]},
            "precision_recall_curve": {"precisions": [first, *precision.tolist()],
                                       "recalls": [0.0, *recall.tolist()]}}


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
        deviation = 0.0 if name.endswith(CONSTANT) and deviations else deviations.get(name, math.nan)
        metrics[name] = {"value": json_number(value), "standard_deviation": json_number(deviation)}
    metrics.update(curves(labels, scores))
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


def evaluate_constraints(metrics: dict[str, Any], constraints: dict[str, Any],
                         notes: list[str] | None = None) -> list[dict[str, str]]:
    """Violations of ``binary_classification_constraints`` by the metrics' values; UsageError on an unknown
    operator or a constraint on a metric that is not computed. ``notes`` collects the constraints not evaluated."""
    found = []
    for name, rule in sorted((constraints.get("binary_classification_constraints") or {}).items()):
        operator = rule.get("comparison_operator")
        if operator not in OPERATORS:
            raise UsageError(f"model quality constraint '{name}' has comparison_operator '{operator}'; use one of "
                             f"{', '.join(OPERATORS)}")
        if name not in metrics or not isinstance(metrics[name], dict) or "value" not in metrics[name]:
            raise UsageError(f"model quality constraint '{name}' names a metric the analyzer does not compute; use "
                             "one of " + ", ".join(sorted(key for key, entry in metrics.items()
                                                          if isinstance(entry, dict) and "value" in entry)))
        value, threshold = metrics[name]["value"], float(rule["threshold"])
        if name in NOT_EVALUATED:
            if notes is not None and value != "NaN" and OPERATORS[operator](float(value), threshold):
                notes.append(f"{name} {java_double(float(value))} is {operator} '{java_double(threshold)}' but is not "
                             "a violation: Model Monitor writes none for it")
            continue
        if value == "NaN":
            continue
        if OPERATORS[operator](float(value), threshold):
            metric = VIOLATION_NAMES.get(name, name)
            deviation = metrics[name].get("standard_deviation", "NaN")
            spread = "NaN" if deviation == "NaN" else java_double(float(deviation))
            found.append({"constraint_check_type": operator, "description":
                          f"Metric {metric} with {java_double(float(value))} +/- {spread} was {operator} "
                          f"'{java_double(threshold)}'", "metric_name": metric})
    return found
