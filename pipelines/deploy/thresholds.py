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
- Recall alarms sized for the window (issue 18): P is the window's expected labelled frauds, not the baseline's:
  ``ExpectedDailyFrauds`` a day for the matured window (``ModelQualityMaturedAlarmThreshold``), times the share
  labelled by the early window's label age for the early one (``ModelQualityAlarmThreshold``), whose expected recall
  is the baseline's corrected on the odds scale by the label development curve (label_development.py), with the
  history's own binomial error added. Fewer frauds, wider margin;
  the plan prints the exact binomial chance that a day of an unchanged model reads below the threshold, as false
  pages a month. A derived model quality constraints file carries the same thresholds (``derived_constraints``).
- The matured alarm on another ``ModelQualityAlarmMetric`` (issue 18 section 2): a rate is sized by the binomial error
  over its own denominator in one day, scaled from the baseline's confusion matrix to ``ExpectedDailyFrauds``:
  precision over the predicted frauds (TP + FP), accuracy over every labelled transaction; the threshold and false
  pages a month are then exact binomial figures as for recall. F-scores and AUC are no single binomial proportion
  (no exact false-page figure), so they are refused for the sized alarm: a warning (``--strict`` fails) that names
  the fix. The false-positive rate is not an alarm metric (the template's AllowedValues; the alarm fires below its
  threshold and a false-positive rate is bad above it); its derived constraint is sized over the day's legitimate
  transactions, which at fraud rates are thousands, so its margin is small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable

from pipelines.core.monitors import DATA_QUALITY, MODEL_QUALITY
from pipelines.deploy.baselines import Baseline
from pipelines.deploy.template_params import ParameterSpec, closest
from pipelines.formats.label_development import Curve, offset_days

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
                            available: dict[str, Baseline], document: Document, curve: Curve | None = None,
                            sized: dict[str, RecallAlarm] | None = None) -> tuple[list[str], list[str]]:
    """Fill the matured (ModelQualityMaturedAlarmThreshold) and early (ModelQualityAlarmThreshold) model quality alarm
    thresholds, each unless set in the stage file; (warnings, notes) for the plan.

    No alarm where the user gets one by default is a warning (``--strict``, as in CodeBuild, fails on it): never a
    quietly missing recall alarm. The early alarm is the exception the issue asks for: without enough label history
    (``curve``) nobody knows what recall looks like at that label age, so it is not created and the plan says so.
    """
    if params.get(MODEL_QUALITY.enable_param) != "yes":
        return [], []
    metric = params.get("ModelQualityAlarmMetric", specs["ModelQualityAlarmMetric"].default or "recall")
    problem_type = params.get("ProblemType", specs["ProblemType"].default or "BinaryClassification")
    wanted = [name for name in (MATURED_PARAM, EARLY_PARAM) if name not in explicit]
    if not wanted:
        return [], []
    not_created = (f"the model quality alarm is not created (set {' and '.join(wanted)} in the stage file)")
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
    statistics = document(MQ_STATISTICS) if MQ_STATISTICS in available else None
    if metric in WINDOW_COUNT and statistics_section == "binary_classification_metrics":
        return _recall_alarms(params, explicit, threshold, statistics, metric, curve,
                              sized if sized is not None else {})
    if statistics_section == "binary_classification_metrics" and MATURED_PARAM in wanted:
        # F-scores and AUC: no binomial count to size a day's alarm on (module docstring); never a quiet alarm that
        # pages on noise, never a quietly missing one
        return [f"no matured {metric} alarm: {metric} is not a proportion of one count, so a day's threshold cannot "
                "be sized from ExpectedDailyFrauds and its false pages a month cannot be stated; set "
                f"ModelQualityAlarmMetric to recall, true_positive_rate, precision or accuracy, or set "
                f"{MATURED_PARAM} in the stage file"], [
            f"early {metric} (labels {params.get('GroundTruthStartTimeOffset', '-P8D')} to "
            f"{params.get('GroundTruthEndTimeOffset', '-P7D')} old) is not paged: the label development curve "
            "corrects recall only"] if EARLY_PARAM in wanted else []
    warnings: list[str] = []
    notes: list[str] = []
    if EARLY_PARAM in wanted:
        notes.append(f"early {metric} (labels {params.get('GroundTruthStartTimeOffset', '-P8D')} to "
                     f"{params.get('GroundTruthEndTimeOffset', '-P7D')} old) is not paged: the label development "
                     "curve corrects recall only; the matured alarm watches it")
    if MATURED_PARAM not in wanted:
        return warnings, notes
    margin = statistics_margin(statistics, statistics_section, metric)
    if margin is None:
        params[MATURED_PARAM] = number_text(threshold)
        return warnings, notes + [f"{metric} alarm at the constraints threshold {number_text(threshold)} with no "
                                  f"margin: the model quality statistics (ModelQuality.Statistics) give no {metric} "
                                  "value and standard deviation"]
    if margin <= 0:  # a noisy baseline: an alarm at 0 or below could never fire
        params[MATURED_PARAM] = number_text(threshold)
        return warnings, notes + [f"{metric} alarm at the constraints threshold {number_text(threshold)}: the "
                                  f"baseline minus {MARGIN_SIGMAS} standard deviations is {number_text(margin)}, at "
                                  "or below 0"]
    params[MATURED_PARAM] = number_text(min(threshold, margin))
    return warnings, notes


# ---- recall alarms sized for the window (issue 18) -----------------------------------------------------------------

MATURED_PARAM = "ModelQualityMaturedAlarmThreshold"
EARLY_PARAM = "ModelQualityAlarmThreshold"
RECALL_METRICS = ("recall", "true_positive_rate")
# Alarm metric -> (the day's count its binomial error is over, its name in the plan): scaled from the baseline's
# confusion matrix to ExpectedDailyFrauds (P frauds, PP predicted frauds, ALL labelled transactions)
WINDOW_COUNT = {"recall": ("P", "labelled frauds"), "true_positive_rate": ("P", "labelled frauds"),
                "precision": ("PP", "predicted frauds"), "accuracy": ("ALL", "labelled transactions")}
WINDOW_DAYS = 1  # both evaluations cover one day of transactions (-P8D..-P7D; -P<M>DT24H..-P<M>D)
DAYS_PER_MONTH = 30  # the recall alarms have a one-day period: one datapoint, one chance to page, per day


@dataclass(frozen=True)
class RecallAlarm:
    """One recall alarm sized for its window: what an unchanged model shows there and how often it pages anyway."""

    window: str  # "matured" or "early"
    label_age_days: int
    expected_recall: float  # the expected value of the alarm's metric (recall unless ``metric`` says otherwise)
    expected_frauds: float  # labelled frauds in one window
    deviation: float
    threshold: float
    false_pages_per_month: float
    metric: str = "recall"
    trials: float | None = None  # the count the metric is a proportion of (None: expected_frauds)
    unit: str = "labelled frauds"

    @property
    def count(self) -> float:
        return self.expected_frauds if self.trials is None else self.trials

    def as_dict(self) -> dict[str, Any]:
        return {"window": self.window, "label_age_days": self.label_age_days,
                "expected_recall": round(self.expected_recall, 6), "expected_frauds": round(self.expected_frauds, 3),
                "standard_deviation": round(self.deviation, 6), "threshold": float(number_text(self.threshold)),
                "false_pages_per_month": round(self.false_pages_per_month, 4)}


def binomial_below(threshold: float, trials: int, rate: float) -> float:
    """P(X / trials < threshold) for X ~ Binomial(trials, rate): the chance one window of an unchanged model reads
    below the threshold. Exact sum (log-gamma terms, so thousands of trials neither overflow nor underflow)."""
    if trials < 1:
        return 0.0
    if rate <= 0 or rate >= 1:
        return 1.0 if (rate if rate > 0 else 0.0) < threshold else 0.0
    below = math.ceil(threshold * trials) - 1  # largest k with k / trials < threshold
    if below * 1.0 / trials >= threshold:
        below -= 1
    total = 0.0
    for k in range(0, min(below, trials) + 1):
        total += math.exp(math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
                          + k * math.log(rate) + (trials - k) * math.log1p(-rate))
    return min(total, 1.0)


def false_pages_per_month(threshold: float, frauds: float, rate: float) -> float:
    """Expected pages a month on an unchanged model: 30 daily windows x P(window recall < threshold), with the
    window's labelled frauds rounded to a whole number (a day holds whole frauds)."""
    return DAYS_PER_MONTH * binomial_below(threshold, max(1, round(frauds)), rate)


def size_recall_alarm(window: str, age: int, expected: float, frauds: float, floor_deviation: float,
                      history: float = 0.0, *, metric: str = "recall", trials: float | None = None) -> RecallAlarm:
    """The threshold MARGIN_SIGMAS standard deviations below ``expected``: the binomial standard error over the
    window's labelled frauds, sqrt(r (1 - r) / n), or Model Monitor's own figure when larger. ``history``: the
    labelled frauds the expectation itself was estimated from (the early window's label development curve); its
    binomial variance r (1 - r) / history is added, since that expectation is an estimate too. ``metric`` and
    ``trials``: another proportion (precision, accuracy) over its own day's count (WINDOW_COUNT) instead of the
    frauds."""
    count = frauds if trials is None else trials
    if count <= 0:
        deviation = math.inf
    else:
        variance = expected * (1 - expected) * (1 / count + (1 / history if history > 0 else 0.0))
        deviation = max(floor_deviation, math.sqrt(variance))
    threshold = expected - MARGIN_SIGMAS * deviation
    pages = false_pages_per_month(float(number_text(threshold)), count, expected) if threshold > 0 else 0.0
    return RecallAlarm(window=window, label_age_days=age, expected_recall=expected, expected_frauds=frauds,
                       deviation=deviation, threshold=threshold, false_pages_per_month=pages, metric=metric,
                       trials=trials, unit=WINDOW_COUNT.get(metric, ("P", "labelled frauds"))[1])


def expected_daily_frauds(params: dict[str, str]) -> float | None:
    """ExpectedDailyFrauds as a number (None when empty or not a positive number; validation names a bad value)."""
    try:
        value = float(params.get("ExpectedDailyFrauds", "") or "nan")
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _recall_alarms(params: dict[str, str], explicit: dict[str, str], constraint: float, statistics: Any, metric: str,
                   curve: Curve | None, sized: dict[str, RecallAlarm]) -> tuple[list[str], list[str]]:
    metrics = statistics.get("binary_classification_metrics") if isinstance(statistics, dict) else None
    entry = metrics.get(metric) if isinstance(metrics, dict) else None
    value = _number(entry.get("value")) if isinstance(entry, dict) else None
    mm_deviation = _number(entry.get("standard_deviation")) if isinstance(entry, dict) else None
    warnings: list[str] = []
    notes: list[str] = []
    if value is None or not 0 < value < 1:
        if MATURED_PARAM not in explicit:
            params[MATURED_PARAM] = number_text(constraint)
            notes.append(f"{metric} alarm at the constraints threshold {number_text(constraint)} with no margin: the "
                         f"model quality statistics (ModelQuality.Statistics) give no {metric} value and standard "
                         "deviation")
        if EARLY_PARAM not in explicit:
            notes.append(f"early {metric} is not paged: no baseline {metric} to correct for label age")
        return warnings, notes
    baseline_frauds = _positives(metrics.get("confusion_matrix"))
    daily = expected_daily_frauds(params)
    if daily is None:
        daily = float(baseline_frauds or 0)
        warnings.append(f"ExpectedDailyFrauds is not set: the {metric} alarms are sized for the baseline's "
                        f"{baseline_frauds} frauds a day; a day with fewer labelled frauds pages more often than the "
                        "plan says; set ExpectedDailyFrauds (frauds per day of transactions, at maturity) in the stage "
                        "file")
    if daily <= 0:
        return warnings + [f"no {metric} alarm derived: neither ExpectedDailyFrauds nor the baseline's confusion "
                           "matrix gives a number of frauds; set ExpectedDailyFrauds in the stage file"], notes
    maturity = _int(params.get("LabelMaturityDays")) or 90
    if MATURED_PARAM not in explicit:
        per_fraud = _per_fraud(metrics.get("confusion_matrix"), metric)
        if per_fraud is None:
            warnings.append(f"no matured {metric} alarm: the baseline's confusion matrix (ModelQuality.Statistics) "
                            f"has no {WINDOW_COUNT[metric][1]} to size a day's {metric} on; set {MATURED_PARAM} in "
                            "the stage file")
        else:
            trials = None if metric in RECALL_METRICS else daily * WINDOW_DAYS * per_fraud
            alarm = size_recall_alarm("matured", maturity, value, daily * WINDOW_DAYS, mm_deviation or 0.0,
                                      metric=metric, trials=trials)
            if 0 < constraint < alarm.threshold:  # a team's stricter-than-3-sd edit of the constraint stays
                alarm = replace(alarm, threshold=constraint,
                                false_pages_per_month=false_pages_per_month(constraint, alarm.count, value))
            problem = _unusable(alarm, metric)
            if problem:
                warnings.append(problem)
            else:
                params[MATURED_PARAM] = number_text(alarm.threshold)
                sized["matured"] = alarm
                notes.append(_alarm_note(alarm, metric))
    if EARLY_PARAM not in explicit and metric not in RECALL_METRICS:
        notes.append(f"early {metric} (labels {params.get('GroundTruthStartTimeOffset', '-P8D')} to "
                     f"{params.get('GroundTruthEndTimeOffset', '-P7D')} old) is not paged: the label development "
                     "curve corrects recall only; the matured alarm watches it")
    elif EARLY_PARAM not in explicit:
        age = offset_days(params.get("GroundTruthEndTimeOffset", "-P7D")) or 0
        window = (f"labels {params.get('GroundTruthStartTimeOffset', '-P8D')} to "
                  f"{params.get('GroundTruthEndTimeOffset', '-P7D')} old")
        missing = "no label development curve yet" if curve is None else curve.missing_history()
        early, matured_history = (curve.early_recall(age), curve.matured_recall) if curve else (None, None)
        share = curve.share(age) if curve else None
        if not missing and (not early or not matured_history or not share):
            missing = f"the label development curve has no fraud labelled by day {age}"
        if missing:
            notes.append(f"early {metric} ({window}) is not paged: {missing} (python -m pipelines.ground_truth "
                         "--matured-negatives builds it day by day)")
        else:
            # The history's label-age bias carried onto the baseline on the odds scale (it stays inside 0..1), with
            # Laplace's rule of succession on the history's counts: early labels are mostly caught frauds, so an early
            # recall of 1.0 (every early-labelled fraud caught) is common and must not become a certainty
            labelled, caught_early = curve.labelled_by_day[min(age, curve.maturity_days)], \
                curve.caught_labelled_by_day[min(age, curve.maturity_days)]
            odds = (value / (1 - value)) * ((caught_early + 1) / (labelled - caught_early + 1)) \
                / ((curve.caught + 1) / (curve.frauds - curve.caught + 1))
            expected = odds / (1 + odds)
            alarm = size_recall_alarm("early", age, expected, daily * WINDOW_DAYS * share, mm_deviation or 0.0,
                                      history=labelled)
            problem = _unusable(alarm, metric)
            if problem:
                notes.append(f"early {metric} ({window}) is not paged: {problem}")
            else:
                params[EARLY_PARAM] = number_text(alarm.threshold)
                sized["early"] = alarm
                notes.append(_alarm_note(alarm, metric))
    return warnings, notes


def _unusable(alarm: RecallAlarm, metric: str) -> str:
    if alarm.threshold > 0:
        return ""
    return (f"no {alarm.window} {metric} alarm: {alarm.count:g} expected {alarm.unit} a day give a "
            f"standard deviation of {alarm.deviation:.6f}, so {MARGIN_SIGMAS} of them reach below 0 and a daily "
            f"alarm cannot tell a broken model from noise; raise ExpectedDailyFrauds if it is too low, or set "
            f"{MATURED_PARAM if alarm.window == 'matured' else EARLY_PARAM} in the stage file")


def _alarm_note(alarm: RecallAlarm, metric: str) -> str:
    return (f"{alarm.window} {metric} alarm at {number_text(alarm.threshold)} (label age {alarm.label_age_days} days): "
            f"expected {number_text(alarm.expected_recall)} over {alarm.count:g} {alarm.unit} a day, "
            f"minus {MARGIN_SIGMAS} x {alarm.deviation:.6f}; expected false pages on an unchanged model: "
            f"{alarm.false_pages_per_month:.2f} a month")


def _per_fraud(matrix: Any, metric: str) -> float | None:
    """The alarm metric's day count per fraud, from the baseline's binary confusion matrix ({actual: {predicted:
    n}}): 1 for recall, (TP + FP) / P for precision, (P + N) / P for accuracy; None when the matrix has none of them."""
    cells = {f"{a}{p}": (_number((matrix.get(a) or {}).get(p)) if isinstance(matrix, dict)
                         and isinstance(matrix.get(a), dict) else None) or 0.0 for a in "01" for p in "01"}
    positives = cells["10"] + cells["11"]
    count = {"P": positives, "PP": cells["11"] + cells["01"],
             "ALL": positives + cells["00"] + cells["01"]}[WINDOW_COUNT[metric][0]]
    if metric in RECALL_METRICS:
        return 1.0
    return count / positives if positives > 0 and count > 0 else None


def _positives(matrix: Any) -> int:
    row = matrix.get("1") if isinstance(matrix, dict) else None
    counts = [_number(n) for n in row.values()] if isinstance(row, dict) else []
    return int(sum(n for n in counts if n is not None))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


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


# ---- the derived model quality constraints: Model Monitor's verdict agrees with the alarm (issue 18) ---------------

# Metric -> which window count its binomial standard error is over (P frauds, N legitimate, PP predicted frauds,
# ALL records), scaled from the baseline's confusion matrix to the window's expected frauds. F-scores combine recall
# and precision: our reading takes the binomial error over the smaller of P and PP (the noisier of the two). AUC uses
# Hanley & McNeil's standard error (Radiology 143:29-36, 1982) over P and N. Any other metric scales Model Monitor's
# own standard deviation by sqrt(baseline frauds / window frauds) (it resamples the baseline, so shrinks as 1/sqrt n).
# Real jobs wrote violations for the four rates only (facts.md, "What real Model Monitor jobs wrote"), so the rates'
# thresholds are the ones that decide CompletedWithViolations; the others are kept consistent all the same.
DENOMINATORS = {"recall": "P", "true_positive_rate": "P", "false_negative_rate": "P", "precision": "PP",
                "false_positive_rate": "N", "true_negative_rate": "N", "accuracy": "ALL", "f0_5": "F", "f1": "F",
                "f2": "F", "auc": "AUC"}
EARLY_METRICS = ("recall", "true_positive_rate", "false_negative_rate")  # need no negatives (written at maturity)


def derived_constraints(constraints: Any, statistics: Any, frauds: float, alarm_metric: str, alarm_threshold: str,
                        *, early: bool = False) -> dict[str, Any] | None:
    """The registry's binary classification constraints with every threshold moved to where a window of
    ``frauds`` labelled frauds tells a change from noise (MARGIN_SIGMAS standard deviations), and the alarm metric at
    exactly the alarm's threshold, so the job's CompletedWithViolations and the alarm say the same.

    ``early``: only recall, true positive rate and false negative rate are kept: the early window holds the labels
    that have arrived and no negatives, so precision, false-positive rate, accuracy and AUC there mean nothing (the
    matured window checks them). None when the documents are not binary classification ones.
    """
    section = constraints.get("binary_classification_constraints") if isinstance(constraints, dict) else None
    metrics = statistics.get("binary_classification_metrics") if isinstance(statistics, dict) else None
    if not isinstance(section, dict) or not isinstance(metrics, dict) or frauds <= 0:
        return None
    matrix = metrics.get("confusion_matrix") if isinstance(metrics.get("confusion_matrix"), dict) else {}
    cells = {f"{a}{p}": _number((matrix.get(a) or {}).get(p)) or 0.0 for a in "01" for p in "01"}
    positives, negatives = cells["10"] + cells["11"], cells["00"] + cells["01"]
    if positives <= 0:
        return None
    scale = frauds / positives
    counts = {"P": frauds, "N": negatives * scale, "PP": (cells["11"] + cells["01"]) * scale,
              "ALL": (positives + negatives) * scale}
    counts["F"] = min(counts["P"], counts["PP"]) if counts["PP"] > 0 else counts["P"]
    alarm = float(alarm_threshold)
    recall_family = alarm_metric in RECALL_METRICS
    derived: dict[str, Any] = {}
    for name, entry in sorted(section.items()):
        if not isinstance(entry, dict) or (early and name not in EARLY_METRICS):
            continue
        operator = entry.get("comparison_operator")
        threshold = _number(entry.get("threshold"))
        if name == alarm_metric or (recall_family and name in RECALL_METRICS):
            value = alarm
        elif recall_family and name == "false_negative_rate":
            value = float(number_text(1 - alarm))
        elif early or threshold is None or operator not in ("LessThanThreshold", "GreaterThanThreshold"):
            derived[name] = entry
            continue
        else:
            value = _window_threshold(metrics.get(name), operator, threshold, DENOMINATORS.get(name), counts,
                                      positives, frauds)
        derived[name] = dict(entry, threshold=value)
    document = {key: value for key, value in constraints.items() if key != "binary_classification_constraints"}
    document["binary_classification_constraints"] = derived
    return document


def _window_threshold(entry: Any, operator: str, constraint: float, denominator: str | None,
                      counts: dict[str, float], baseline_frauds: float, frauds: float) -> float:
    value = _number(entry.get("value")) if isinstance(entry, dict) else None
    deviation = _number(entry.get("standard_deviation")) if isinstance(entry, dict) else None
    if value is None:
        return constraint
    if denominator == "AUC" and 0 < value < 1 and counts["P"] > 0 and counts["N"] > 0:
        deviation = max(deviation or 0.0, _hanley_mcneil(value, counts["P"], counts["N"]))
    elif denominator and denominator != "AUC" and 0 <= value <= 1 and counts[denominator] > 0:
        deviation = max(deviation or 0.0, math.sqrt(value * (1 - value) / counts[denominator]))
    elif deviation is not None:
        deviation *= math.sqrt(baseline_frauds / frauds)
    else:
        return constraint
    if operator == "LessThanThreshold":
        return float(number_text(max(0.0, min(constraint, value - MARGIN_SIGMAS * deviation))))
    return float(number_text(min(1.0, max(constraint, value + MARGIN_SIGMAS * deviation))))


def _hanley_mcneil(auc: float, positives: float, negatives: float) -> float:
    """Standard error of an AUC over ``positives`` and ``negatives`` (Hanley & McNeil 1982, equation 2)."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) \
        / (positives * negatives)
    return math.sqrt(max(variance, 0.0))
