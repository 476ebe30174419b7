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
- before any of that: outputs that are not probabilities (hard 0/1 decisions, two values, numbers outside [0, 1])
  fail the check and no estimate is made (issue 17).
With a calibration file (issue 18; section "Calibration on a labelled reference" below and docs/analyzer.md) the
scores are first mapped through an isotonic fit on a matured labelled reference, and the window's raw scores are
compared with the reference's (score drift): the label-free signal for prior shift. Neither catches concept drift.
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


def expected_counts(scores: np.ndarray, threshold: float,
                    probabilities: np.ndarray | None = None) -> dict[str, float]:
    """Expected TP, FP, FN, TN and the variances of TP and FN. The decision is the model's (raw score >= threshold);
    the probability of fraud is the calibrated one when given, else the score itself."""
    positive = scores >= threshold
    p = scores if probabilities is None else probabilities
    p_pos, p_neg = p[positive], p[~positive]
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


def estimate_statistics(scores: np.ndarray, threshold: float, calibration: dict[str, Any],
                        probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """statistics.json (Model Monitor's model quality schema) holding the estimate, marked as one."""
    counts = expected_counts(scores, threshold, probabilities)
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


def calibration_from_baseline(scores: np.ndarray, baseline: dict[str, Any] | None,
                              reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """Without labels: the window's expected fraud rate against the baseline's (or the calibration reference's)."""
    if reference:
        baseline_rate, window_rate = float(reference["fraud_rate"]), float(scores.mean())
        ratio = window_rate / baseline_rate if baseline_rate else math.inf
        return {"checked_against": "calibration reference fraud rate", "baseline_fraud_rate": baseline_rate,
                "expected_fraud_rate": window_rate,
                "holds": bool(1 / PREVALENCE_FACTOR <= ratio <= PREVALENCE_FACTOR)}
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
    if "problem" in calibration:
        return f"calibration assumption FAILS: {calibration['problem']}"
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


# ==== Issue 18: calibration on a labelled reference, score drift, degenerate scores =============================
# Calibration as NannyML's CBPE does it (nannyml/performance_estimation/confidence_based/cbpe.py and
# nannyml/calibration.py: an IsotonicCalibrator fitted on the reference data's scores and labels, applied to the
# analysis data's scores before the expected confusion matrix is computed). NannyML fits scikit-learn's
# IsotonicRegression(out_of_bounds="clip"); ours is the same pool-adjacent-violators fit in numpy (the analyzer's
# only dependency), with scikit-learn's prediction rule: linear interpolation between the fitted points, clipped at
# both ends. NannyML states the limits, and so do we: the calibrated estimate holds under covariate shift only, never
# under concept drift (a new fraud pattern the model scores as legitimate) and not under prior shift (the
# probability of fraud given a score changes with the fraud rate). Score drift below is the label-free signal for
# the latter; nothing label-free sees the former.
CALIBRATION_KIND = "fraud-score-calibration"
CALIBRATION_METHOD = ("isotonic regression (pool adjacent violators) of the labels on the scores, as NannyML's CBPE "
                      "calibrates; applied by linear interpolation, clipped at both ends")
# Reference score quantiles kept in the calibration file: every 0.1% up to the 99th percentile, then every 0.001%
# (fraud lives in the top 1%, so the tail is where prior shift shows).
QUANTILE_LEVELS = np.concatenate([np.linspace(0.0, 0.99, 991), np.linspace(0.99, 1.0, 1001)[1:]])
# Score drift. The distribution distance is Deequ's Robust L-infinity (Model Monitor's baseline_drift_check method,
# awslabs/deequ Distance.scala: L-inf minus 1.8 sqrt((n + m) / (n m)), floored at 0) against Model Monitor's default
# comparison_threshold 0.1. With 0.1-1% fraud a tripled fraud rate moves the CDF by about 1-2% only, so the alert
# rate (share of scores at or above the decision threshold) is tested on its own: a change by 1.5x or more that is
# also at least 4 binomial standard errors away (our choice: a tenfold rate shift would be far past it, sampling
# noise of an unchanged model almost never reaches 4 standard errors).
DRIFT_LINF_THRESHOLD = 0.1
ALERT_RATE_FACTOR = 1.5
ALERT_RATE_Z = 4.0


def score_problem(scores: np.ndarray) -> str | None:
    """Why these outputs cannot be calibrated probabilities, or None (issue 17: hard 0/1 outputs fail the check)."""
    if len(scores) == 0:
        return None
    outside = int(np.count_nonzero((scores < 0) | (scores > 1) | ~np.isfinite(scores)))
    if outside:
        return (f"{outside} of {len(scores)} scores are outside [0, 1]: the endpoint's output is not a probability "
                "(a margin or logit?); calibrate it on labelled data first (python -m pipelines.analyze calibrate)")
    distinct = np.unique(scores)
    values = ", ".join(f"{v:g}" for v in distinct[:2])
    if set(distinct.tolist()) <= {0.0, 1.0}:
        return (f"every score is one of {values}: the endpoint returns decisions, not probabilities, and no recall "
                "can be estimated from decisions; capture the fraud probability instead")
    if len(distinct) <= 2:
        return (f"every score is one of {values}: two values are not a probability of fraud per record; capture the "
                "model's probability, or calibrate the scores on labelled data first")
    return None


def fit_isotonic(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent violators on the distinct scores (weighted by count): the fitted points (x, y) of a
    non-decreasing step fit, each block kept by its lowest and highest score as scikit-learn keeps them."""
    distinct, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=labels.astype(np.float64), minlength=len(distinct))
    values: list[float] = []
    weights: list[float] = []
    lows: list[int] = []
    highs: list[int] = []
    for index in range(len(distinct)):
        value, weight, low = sums[index] / counts[index], float(counts[index]), index
        while values and values[-1] >= value:  # merge with the previous block while the order is violated
            merged = weights[-1] + weight
            value = (values[-1] * weights[-1] + value * weight) / merged
            weight, low = merged, lows[-1]
            values.pop(), weights.pop(), lows.pop(), highs.pop()
        values.append(value), weights.append(weight), lows.append(low), highs.append(index)
    xs: list[float] = []
    ys: list[float] = []
    for value, low, high in zip(values, lows, highs, strict=True):
        xs.append(float(distinct[low]))
        ys.append(value)
        if high != low:
            xs.append(float(distinct[high]))
            ys.append(value)
    return np.array(xs), np.array(ys)


def apply_calibration(calibration: dict[str, Any], scores: np.ndarray) -> np.ndarray:
    """Calibrated fraud probabilities for raw scores (linear between the fitted points, clipped at the ends)."""
    mapping = calibration["map"]
    return np.interp(scores, np.asarray(mapping["scores"], dtype=np.float64),
                     np.asarray(mapping["probabilities"], dtype=np.float64))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean |observed - expected| fraud per 0.1-wide bin of the probabilities, weighted by records (as NannyML's
    needs_calibration compares before and after)."""
    bins = np.minimum((probabilities / BIN_WIDTH).astype(np.int64), int(round(1 / BIN_WIDTH)) - 1)
    error = 0.0
    for index in np.unique(bins):
        pick = bins == index
        error += abs(float(labels[pick].sum()) - float(probabilities[pick].sum()))
    return error / len(labels)


def build_calibration(scores: np.ndarray, labels: np.ndarray, source: str, created: str) -> dict[str, Any]:
    """The calibration file: the isotonic map, the reference's fraud rate and its score quantiles."""
    problem = score_problem(scores)
    if problem:
        raise ValueError(problem)
    frauds = int(labels.sum())
    if frauds == 0 or frauds == len(labels):
        raise ValueError(f"the reference has {frauds} frauds in {len(labels)} labelled records: a calibration needs "
                         "both classes; use a longer matured window")
    xs, ys = fit_isotonic(scores, labels)
    document: dict[str, Any] = {"kind": CALIBRATION_KIND, "version": 1, "method": CALIBRATION_METHOD,
                                "source": source, "created": created,
                                "reference": {"records": int(len(labels)), "frauds": frauds,
                                              "fraud_rate": frauds / len(labels)},
                                "map": {"scores": xs.tolist(), "probabilities": ys.tolist()},
                                "score_quantiles": {"levels": QUANTILE_LEVELS.tolist(),
                                                    "scores": np.quantile(scores, QUANTILE_LEVELS).tolist()}}
    calibrated = apply_calibration(document, scores)
    document["expected_calibration_error"] = {"raw_scores": expected_calibration_error(scores, labels),
                                              "calibrated": expected_calibration_error(calibrated, labels)}
    return document


def check_calibration_document(document: Any) -> dict[str, Any]:
    """The calibration file's shape, or ValueError naming what is wrong."""
    if not isinstance(document, dict) or document.get("kind") != CALIBRATION_KIND:
        raise ValueError(f"not a calibration file (no \"kind\": \"{CALIBRATION_KIND}\"); write one with python -m "
                         "pipelines.analyze calibrate")
    try:
        mapping, quantiles = document["map"], document["score_quantiles"]
        arrays = [np.asarray(mapping["scores"], dtype=np.float64), np.asarray(mapping["probabilities"],
                                                                               dtype=np.float64),
                  np.asarray(quantiles["levels"], dtype=np.float64), np.asarray(quantiles["scores"],
                                                                                dtype=np.float64)]
        records = int(document["reference"]["records"])
        float(document["reference"]["fraud_rate"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("calibration file is missing map.scores/probabilities, score_quantiles.levels/scores or "
                         "reference.records/fraud_rate; write it again with python -m pipelines.analyze calibrate") \
            from None
    if (any(a.ndim != 1 or len(a) < 2 or not np.all(np.isfinite(a)) for a in arrays) or len(arrays[0]) != len(
            arrays[1]) or len(arrays[2]) != len(arrays[3]) or np.any(np.diff(arrays[0]) < 0) or records < 1):
        raise ValueError("calibration file has empty, unsorted, non-finite or mismatched arrays; write it again "
                         "with python -m pipelines.analyze calibrate")
    return document


def _reference_cdf(calibration: dict[str, Any], values: np.ndarray) -> np.ndarray:
    """Share of the reference at or below each value (a step function over the stored quantiles)."""
    levels = np.asarray(calibration["score_quantiles"]["levels"], dtype=np.float64)
    quantile_scores = np.asarray(calibration["score_quantiles"]["scores"], dtype=np.float64)
    index = np.searchsorted(quantile_scores, values, side="right")
    return np.where(index > 0, levels[np.maximum(index - 1, 0)], 0.0)


def score_drift(scores: np.ndarray, calibration: dict[str, Any], threshold: float) -> dict[str, Any]:
    """The window's raw score distribution against the reference's: Robust L-infinity distance and alert rate."""
    n, m = len(scores), int(calibration["reference"]["records"])
    ordered = np.sort(scores)
    grid = np.asarray(calibration["score_quantiles"]["scores"], dtype=np.float64)
    points = np.unique(np.concatenate([ordered, grid]))
    window_cdf = np.searchsorted(ordered, points, side="right") / n
    linf = float(np.max(np.abs(window_cdf - _reference_cdf(calibration, points))))
    robust = max(0.0, linf - 1.8 * math.sqrt((n + m) / (n * m)))
    below = _reference_cdf(calibration, np.array([np.nextafter(threshold, -np.inf)]))[0]
    reference_rate = 1.0 - float(below)
    window_rate = float(np.count_nonzero(scores >= threshold)) / n
    if 0.0 < reference_rate < 1.0:
        z = (window_rate - reference_rate) * n / math.sqrt(n * reference_rate * (1 - reference_rate))
        ratio = window_rate / reference_rate
    else:
        z, ratio = (0.0, 1.0) if window_rate == reference_rate else (math.inf, math.inf)
    alert_part = 0.0
    if abs(z) >= ALERT_RATE_Z:
        alert_part = abs(math.log(ratio)) / math.log(ALERT_RATE_FACTOR) if 0 < ratio < math.inf else math.inf
    value = max(robust / DRIFT_LINF_THRESHOLD, alert_part)
    return {"linf": linf, "linf_robust": robust, "alert_rate": window_rate, "reference_alert_rate": reference_rate,
            "alert_rate_ratio": json_number(ratio), "alert_rate_z": json_number(z),
            "score_drift": json_number(value), "drift": bool(value >= 1.0),
            "rule": (f"score_drift = max(Robust L-inf / {DRIFT_LINF_THRESHOLD}, |ln(alert rate ratio)| / "
                     f"ln({ALERT_RATE_FACTOR}) when |z| >= {ALERT_RATE_Z:g}); drift when >= 1")}


def score_drift_message(drift: dict[str, Any]) -> str:
    """One line for the terminal."""
    verdict = "DRIFT" if drift["drift"] else "no drift"
    return (f"score drift {_fmt(drift['score_drift'])}: {verdict} (Robust L-inf {drift['linf_robust']:.4f}; alert "
            f"rate {drift['alert_rate']:.4%} vs reference {drift['reference_alert_rate']:.4%}, z "
            f"{_fmt(drift['alert_rate_z'])})")


def unavailable_statistics(count: int, threshold: float, calibration: dict[str, Any]) -> dict[str, Any]:
    """statistics.json when no estimate can be made (the scores are not probabilities): every value NaN."""
    metrics = {name: {"value": "NaN", "standard_deviation": "NaN"}
               for name in ("recall", "precision", "f1", "accuracy", "false_positive_rate", "f0_5", "f2")}
    return {"version": 0.0, "dataset": {"item_count": int(count)}, "binary_classification_metrics": metrics,
            "estimate": {"method": METHOD, "threshold": threshold, "assumption": ASSUMPTION,
                         "calibration": calibration}}
