"""Fraud recall before the labels: confidence-based performance estimation (CBPE) from captured probabilities.

Method (NannyML's CBPE; Kull et al. on calibration): if the model's scores are calibrated, a record scored p is
fraud with probability p, independently of the others. At threshold t the expected confusion matrix is then
    TP = sum(p | p >= t)   FP = sum(1 - p | p >= t)   FN = sum(p | p < t)   TN = sum(1 - p | p < t)
and recall = TP / (TP + FN), precision = TP / (TP + FP), F1 = 2 TP / (2 TP + FP + FN), accuracy = (TP + TN) / n.
The realized counts are sums of independent Bernoulli(p) draws (Poisson-binomial), so Var(TP) = sum(p (1 - p) |
p >= t), likewise FN; the standard deviations below carry that through the ratios with the delta method, and the
95% interval is value +- 1.96 sd, clipped to [0, 1]. Under calibration the realized recall of the window falls in
that interval about 95% of the time (tests/test_analyze_estimate.py checks >= 90% on synthetic windows).

The assumption is the weak point, so it is checked, never assumed silently:
- with labels that have arrived (``--ground-truth``): observed vs expected fraud counts per score bin (0.1 wide),
  sum((O - E)^2 / Var) ~ chi-squared with one degree of freedom per bin; p < 0.01 means the scores are not
  calibrated and the estimate is not to be trusted. Labels that arrive early must not depend on the score for this
  to be fair (chargebacks arrive late whatever the score; manual-review labels do not; see docs/analyzer.md).
- without labels, against the model quality baseline: the window's mean score is the expected fraud rate; if it is
  more than twice or less than half the baseline's fraud rate, the scores or the traffic changed, and the tool says
  so (it cannot tell which without labels).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipelines.analyze.kll import chi2_sf
from pipelines.analyze.metrics import counts_metrics, json_number

Z_95 = 1.959963984540054
CALIBRATION_ALPHA = 0.01
BIN_WIDTH = 0.1
PREVALENCE_FACTOR = 2.0
METHOD = "confidence-based performance estimation (CBPE): expected confusion matrix from calibrated scores"
ASSUMPTION = ("the scores are calibrated probabilities of fraud (a record scored p is fraud with probability p) and "
              "the window's records are independent")


def expected_counts(scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Expected TP, FP, FN, TN and the variances of TP and FN."""
    positive = scores >= threshold
    p_pos, p_neg = scores[positive], scores[~positive]
    return {"tp": float(p_pos.sum()), "fp": float((1 - p_pos).sum()), "fn": float(p_neg.sum()),
            "tn": float((1 - p_neg).sum()), "var_tp": float((p_pos * (1 - p_pos)).sum()),
            "var_fn": float((p_neg * (1 - p_neg)).sum()), "n_pos": float(positive.sum()), "n": float(len(scores))}


def standard_deviations(c: dict[str, float]) -> dict[str, float]:
    """Delta-method standard deviations of the realized metrics (TP and FN independent; FP = n_pos - TP)."""
    tp, fn, n_pos, n = c["tp"], c["fn"], c["n_pos"], c["n"]
    var_tp, var_fn = c["var_tp"], c["var_fn"]
    found = tp + fn
    sd: dict[str, float] = {}
    if found > 0:
        sd["recall"] = math.sqrt((fn * fn * var_tp + tp * tp * var_fn) / found ** 4)
    if n_pos > 0:
        sd["precision"] = math.sqrt(var_tp) / n_pos
    denominator = n_pos + tp + fn  # 2TP + FP + FN with FP = n_pos - TP
    if denominator > 0:
        sd["f1"] = 2 * math.sqrt((n_pos + fn) ** 2 * var_tp + tp * tp * var_fn) / denominator ** 2
    if n > 0:
        sd["accuracy"] = math.sqrt(var_tp + var_fn) / n
    return sd


def estimate_statistics(scores: np.ndarray, threshold: float, calibration: dict[str, Any]) -> dict[str, Any]:
    """statistics.json (Model Monitor's model quality schema) holding the estimate, marked as one."""
    counts = expected_counts(scores, threshold)
    values = counts_metrics(counts["tp"], counts["fp"], counts["fn"], counts["tn"])
    deviations = standard_deviations(counts)
    metrics: dict[str, Any] = {"confusion_matrix": {"0": {"0": counts["tn"], "1": counts["fp"]},
                                                    "1": {"0": counts["fn"], "1": counts["tp"]}}}
    for name in ("recall", "precision", "f1", "accuracy"):
        value, sd = values[name], deviations.get(name, math.nan)
        entry: dict[str, Any] = {"value": json_number(value), "standard_deviation": json_number(sd)}
        if not (math.isnan(value) or math.isnan(sd)):
            entry["confidence_interval_95"] = [max(0.0, value - Z_95 * sd), min(1.0, value + Z_95 * sd)]
        metrics[name] = entry
    for name in ("false_positive_rate", "f0_5", "f2"):
        metrics[name] = {"value": json_number(values[name]), "standard_deviation": "NaN"}
    return {"version": 0.0, "dataset": {"item_count": int(len(scores))}, "binary_classification_metrics": metrics,
            "estimate": {"method": METHOD, "threshold": threshold, "assumption": ASSUMPTION,
                         "calibration": calibration}}


def calibration_from_labels(labels: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """Binned observed-vs-expected test of calibration on the labelled records."""
    bins = np.minimum((scores / BIN_WIDTH).astype(np.int64), int(round(1 / BIN_WIDTH)) - 1)
    statistic, dof, error = 0.0, 0, 0.0
    for index in np.unique(bins):
        pick = bins == index
        expected, observed = float(scores[pick].sum()), float(labels[pick].sum())
        variance = float((scores[pick] * (1 - scores[pick])).sum())
        error += abs(observed - expected)
        if variance > 0:
            statistic += (observed - expected) ** 2 / variance
            dof += 1
    p_value = chi2_sf(statistic, dof) if dof else math.nan
    holds = bool(p_value >= CALIBRATION_ALPHA) if dof else None
    return {"checked_against": "labels that have arrived", "labelled_records": int(len(labels)),
            "observed_fraud": int(labels.sum()), "expected_fraud": float(scores.sum()),
            "p_value": json_number(p_value), "expected_calibration_error": error / len(labels) if len(labels) else
            "NaN", "holds": holds}


def calibration_from_baseline(scores: np.ndarray, baseline: dict[str, Any] | None) -> dict[str, Any]:
    """Without labels: the window's expected fraud rate against the baseline's fraud rate."""
    matrix = ((baseline or {}).get("binary_classification_metrics") or {}).get("confusion_matrix")
    if not matrix:
        return {"checked_against": "nothing (no labels, no model quality baseline confusion matrix)", "holds": None}
    positives = sum(float(v) for v in matrix.get("1", {}).values())
    total = positives + sum(float(v) for v in matrix.get("0", {}).values())
    baseline_rate, window_rate = positives / total, float(scores.mean())
    ratio = window_rate / baseline_rate if baseline_rate else math.inf
    holds = 1 / PREVALENCE_FACTOR <= ratio <= PREVALENCE_FACTOR
    return {"checked_against": "model quality baseline fraud rate", "baseline_fraud_rate": baseline_rate,
            "expected_fraud_rate": window_rate, "holds": holds}


def calibration_message(calibration: dict[str, Any]) -> str:
    """One line for the terminal: does the assumption hold, and on what evidence."""
    against = calibration["checked_against"]
    if calibration["holds"] is None:
        return f"calibration assumption not checked ({against}); treat the estimate as unverified"
    if "p_value" in calibration:
        detail = (f"{calibration['observed_fraud']} fraud observed vs {calibration['expected_fraud']:.1f} expected "
                  f"in {calibration['labelled_records']} labelled records, p={_fmt(calibration['p_value'])}")
    else:
        detail = (f"expected fraud rate {calibration['expected_fraud_rate']:.4%} vs baseline "
                  f"{calibration['baseline_fraud_rate']:.4%}")
    if calibration["holds"]:
        verdict = "holds"
    elif "p_value" in calibration:
        verdict = "FAILS: the scores are not calibrated; do not trust the estimate"
    else:
        verdict = "FAILS: the fraud rate the scores imply is far from the baseline's (the scores or the traffic changed)"
    return f"calibration assumption {verdict} ({against}: {detail})"


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else f"{value:.3g}"
