"""Alarm thresholds from the baselines: drift per feature from the data quality constraints, the model quality alarm
with its margin below the baseline, and DriftAlarmFeatures checked against the baseline statistics (CLI, exit 2).

Constraints documents follow AWS's "Schema for Constraints (constraints.json file)" (model-monitor-byoc-constraints)
and the seed's real-format baselines (devtools/seed.py)."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools import seed as seedmod
from pipelines.deploy.baselines import Baseline
from pipelines.deploy.template_params import load_template_parameters
from pipelines.formats.label_development import Curve, day_counts, summarize
from pipelines.deploy.thresholds import (
    binomial_below,
    derived_constraints,
    drift_problems_and_thresholds,
    false_pages_per_month,
    feature_drift_threshold,
    model_quality_threshold,
    number_text,
    statistics_margin,
)
from tests.support.template_render import TEMPLATE_PATH

SPECS = load_template_parameters(TEMPLATE_PATH)
STATS_URI = "s3://sagemaker-project-p-abc123/model-build/v3/baselines/data-quality/statistics.json"


def dq_constraints() -> dict[str, Any]:
    """The seed's constraints with one per-feature override and one categorical feature."""
    document = seedmod.fixture("data_quality_constraints.json")
    document["monitoring_config"]["distribution_constraints"]["categorical_comparison_threshold"] = 0.3
    by_name = {f["name"]: f for f in document["features"]}
    by_name["transaction_amount"]["monitoringConfigOverrides"] = {"distribution_constraints": {"comparison_threshold": 0.2}}
    by_name["hour_of_day"]["monitoringConfigOverrides"] = {"comparison_threshold": 0.25}  # flat form, also accepted
    by_name["merchant_category"]["inferred_type"] = "String"
    return document


def available() -> dict[str, Baseline]:
    paths = ("ModelDataQuality.Statistics", "ModelDataQuality.Constraints", "ModelQuality.Constraints",
             "ModelQuality.Statistics")
    return {path: Baseline(path=path, uri=STATS_URI if path == "ModelDataQuality.Statistics" else f"s3://b/{path}.json")
            for path in paths}


def documents(**replace: Any) -> Any:
    docs = {"ModelDataQuality.Statistics": seedmod.fixture("data_quality_statistics.json"), "ModelDataQuality.Constraints": dq_constraints(),
            "ModelQuality.Constraints": seedmod.fixture("model_quality_constraints.json"),
            "ModelQuality.Statistics": seedmod.fixture("model_quality_statistics.json"), **replace}
    return docs.__getitem__


@pytest.mark.parametrize(("feature", "threshold"), [
    ("transaction_amount", 0.2),  # monitoringConfigOverrides.distribution_constraints
    ("hour_of_day", 0.25),  # flat override
    ("merchant_category", 0.3),  # String: categorical_comparison_threshold
    ("card_present", 0.1),  # global comparison_threshold
    ("not_in_constraints", 0.1),
])
def test_feature_drift_threshold_follows_the_constraints(feature: str, threshold: float) -> None:
    assert feature_drift_threshold(dq_constraints(), feature) == threshold


def test_without_any_distribution_threshold_the_documented_default_applies() -> None:
    assert feature_drift_threshold({"features": [], "monitoring_config": {}}, "x") == 0.1


def test_drift_thresholds_are_filled_in_feature_order() -> None:
    params = {"EnableDataQualityMonitor": "yes", "DriftAlarmFeatures": "merchant_category,transaction_amount,txn_count_24h"}
    assert drift_problems_and_thresholds(params, {}, available(), documents()) == ([], [])
    assert params["DriftAlarmThresholds"] == "0.3,0.2,0.1"


def test_a_misspelt_drift_feature_is_named_with_the_closest_baseline_feature() -> None:
    params = {"EnableDataQualityMonitor": "yes", "DriftAlarmFeatures": "transaction_amount,hour_of_dya,zzz"}
    problems, _ = drift_problems_and_thresholds(params, {}, available(), documents())
    assert problems == [
        f"DriftAlarmFeatures names 'hour_of_dya', which is not a feature of the data quality baseline statistics "
        f"{STATS_URI}; did you mean 'hour_of_day'?",
        f"DriftAlarmFeatures names 'zzz', which is not a feature of the data quality baseline statistics {STATS_URI}; "
        "features there: is_fraud, transaction_amount, merchant_category, card_present, customer_age_band, hour_of_day, "
        "txn_count_24h",
    ]
    assert "DriftAlarmThresholds" not in params


def test_explicit_drift_thresholds_must_match_the_feature_count() -> None:
    params = {"EnableDataQualityMonitor": "yes", "DriftAlarmFeatures": "card_present,hour_of_day",
              "DriftAlarmThresholds": "0.2"}
    assert drift_problems_and_thresholds(params, {"DriftAlarmThresholds": "0.2"}, available(), documents()) == ([
        "DriftAlarmThresholds has 1 value(s) for 2 DriftAlarmFeatures; give one per feature, in the same order, or "
        "leave it out to derive them"], [])


NO_DAILY = ("ExpectedDailyFrauds is not set: the recall alarms are sized for the baseline's 157 frauds a day; a day "
            "with fewer labelled frauds pages more often than the plan says; set ExpectedDailyFrauds (frauds per day "
            "of transactions, at maturity) in the stage file")
NO_CURVE = ("early recall (labels -P8D to -P7D old) is not paged: no label development curve yet (python -m "
            "pipelines.ground_truth --matured-negatives builds it day by day)")


def test_recall_alarm_sits_three_binomial_standard_errors_below_the_baseline_with_the_registry_fixture() -> None:
    # generate_model_quality.py: constraints threshold = the baseline recall 136/157 (as the real baselining job
    # writes it). Model Monitor's sd 0.013694539662666625 is below the binomial floor over the 157 frauds,
    # sqrt(r (1 - r) / 157) = 0.0271662..., so 0.8662420... - 3 x 0.0271662... = 0.7847433...
    statistics = seedmod.fixture("model_quality_statistics.json")["binary_classification_metrics"]
    threshold = seedmod.fixture("model_quality_constraints.json")["binary_classification_constraints"]["recall"]
    assert (statistics["recall"], threshold["threshold"], statistics["confusion_matrix"]["1"]) == (
        {"value": 0.8662420382165605, "standard_deviation": 0.013694539662666625}, 0.8662420382165605,
        {"0": 21, "1": 136})
    params = {"EnableModelQualityMonitor": "yes"}  # no ExpectedDailyFrauds: sized for the baseline's 157 (a warning)
    assert model_quality_threshold(params, {}, SPECS, available(), documents()) == ([NO_DAILY], [
        "matured recall alarm at 0.784743 (label age 90 days): expected 0.866242 over 157 labelled frauds a day, "
        "minus 3 x 0.027166; expected false pages on an unchanged model: 0.09 a month", NO_CURVE])
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.784743"
    assert "ModelQualityAlarmThreshold" not in params  # no label history: early recall is not paged


# The case: 30 labelled frauds a day on an unchanged model (recall 136/157). The margin sized on the
# baseline's 157 frauds (threshold 0.784743) pages when 23 or fewer of 30 are caught: P = 0.0967 a day, 2.90 pages a
# month; sized on 30 frauds (sd 0.062147) the threshold 0.679802 pages at 20 or fewer: 0.13 a month.
def test_thirty_labelled_frauds_a_day_paged_three_times_a_month_at_the_old_margin_and_rarely_at_the_new() -> None:
    recall = 136 / 157
    assert round(binomial_below(0.784743, 30, recall), 6) == 0.096712
    assert round(false_pages_per_month(0.784743, 30, recall), 4) == 2.9014
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}
    assert model_quality_threshold(params, {}, SPECS, available(), documents()) == ([], [
        "matured recall alarm at 0.679802 (label age 90 days): expected 0.866242 over 30 labelled frauds a day, "
        "minus 3 x 0.062147; expected false pages on an unchanged model: 0.13 a month", NO_CURVE])
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.679802"
    assert round(false_pages_per_month(0.679802, 30, recall), 4) == 0.1279


@pytest.mark.parametrize(("recall", "new", "old"), [
    (0.5, 0.978613, 0.999285),  # the new fraud pattern: realized recall 0.50
    (0.6, 0.823714, 0.982817),
    (0.7, 0.411191, 0.840477),
])
def test_a_real_drop_still_pages_on_most_days_at_the_wider_margin(recall: float, new: float, old: float) -> None:
    # the price of 0.13 instead of 2.90 false pages a month (30 frauds a day): the chance that one matured day of a
    # model whose recall really fell reads below the threshold, at the new 0.679802 and the old 0.784743
    assert (round(binomial_below(0.679802, 30, recall), 6), round(binomial_below(0.784743, 30, recall), 6)) == (new, old)


@pytest.mark.parametrize(("daily", "threshold", "pages"), [
    ("1", None, None),  # sd 0.340392: 3 of them reach below 0, no daily alarm (a warning)
    ("3", "0.276666", 0.0718),  # pages only when none of the 3 is caught: 0.133758^3 a day
    ("10", "0.543318", 0.1801),
    ("30", "0.679802", 0.1279),
    ("100", "0.764124", 0.0856),
    ("1000", "0.825158", 0.0039),  # the binomial sd 0.010764 is below Model Monitor's 0.013695: that one counts
])
def test_fewer_expected_frauds_widen_the_margin(daily: str, threshold: str | None, pages: float | None) -> None:
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": daily}
    sized: dict[str, Any] = {}
    warnings, _ = model_quality_threshold(params, {}, SPECS, available(), documents(), None, sized)
    assert params.get("ModelQualityMaturedAlarmThreshold") == threshold
    if threshold is None:
        assert warnings == [
            "no matured recall alarm: 1 expected labelled frauds a day give a standard deviation of 0.340392, so 3 "
            "of them reach below 0 and a daily alarm cannot tell a broken model from noise; raise ExpectedDailyFrauds "
            "if it is too low, or set ModelQualityMaturedAlarmThreshold in the stage file"]
    else:
        assert (warnings, round(sized["matured"].false_pages_per_month, 4)) == ([], pages)


def test_recall_alarm_uses_model_monitors_standard_deviation_when_it_is_the_larger() -> None:
    statistics = seedmod.fixture("model_quality_statistics.json")
    statistics["binary_classification_metrics"]["recall"]["standard_deviation"] = 0.05  # above the binomial 0.0272
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "157"}  # 0.8662420... - 3 x 0.05
    model_quality_threshold(params, {}, SPECS, available(), documents(**{"ModelQuality.Statistics": statistics}))
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.716242"


def test_recall_alarm_keeps_a_constraints_threshold_already_below_the_margin() -> None:
    constraints = seedmod.fixture("model_quality_constraints.json")
    constraints["binary_classification_constraints"]["recall"]["threshold"] = 0.6  # a team's stricter-than-3-sd edit
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}  # margin 0.679802 > 0.6: 0.6 stays
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Constraints": constraints}))[1][0] == (
        "matured recall alarm at 0.6 (label age 90 days): expected 0.866242 over 30 labelled frauds a day, minus 3 x "
        "0.062147; expected false pages on an unchanged model: 0.00 a month")
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.6"


def test_without_model_quality_statistics_the_alarm_has_no_margin_and_the_plan_says_so() -> None:
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}
    baselines = {k: v for k, v in available().items() if k != "ModelQuality.Statistics"}
    assert model_quality_threshold(params, {}, SPECS, baselines, documents()) == ([], [
        "recall alarm at the constraints threshold 0.866242 with no margin: the model quality statistics "
        "(ModelQuality.Statistics) give no recall value and standard deviation",
        "early recall is not paged: no baseline recall to correct for label age"])
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.866242"


def test_a_margin_at_or_below_zero_is_no_alarm_and_a_warning() -> None:
    statistics = seedmod.fixture("model_quality_statistics.json")
    statistics["binary_classification_metrics"]["recall"] = {"value": 0.30, "standard_deviation": 0.12}
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}  # 0.30 - 3 x 0.12 = -0.06
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Statistics": statistics}))[0] == [
        "no matured recall alarm: 30 expected labelled frauds a day give a standard deviation of 0.120000, so 3 of "
        "them reach below 0 and a daily alarm cannot tell a broken model from noise; raise ExpectedDailyFrauds if it "
        "is too low, or set ModelQualityMaturedAlarmThreshold in the stage file"]
    assert "ModelQualityMaturedAlarmThreshold" not in params


def label_curve(days: int) -> Curve:
    """``days`` matured days of 11 frauds each: 9 caught (6 labelled within 5 days, the rest at 30-45 days) and 2
    missed (one labelled at 3 days, one at 60), as analyst reviews then chargebacks would label them."""
    entry = day_counts([(2, True)] * 5 + [(5, True), (30, True), (30, True), (45, True), (3, False), (60, False)], 90)
    return summarize({"version": 1, "label_maturity_days": 90,
                      "days": {f"2026-08-{day + 1:02d}": entry for day in range(days)}})


def test_early_recall_is_compared_with_recall_at_the_same_label_age() -> None:
    # 14 days x 11 frauds: by day 7, 98 of 154 labelled (share 0.636364), 84 of them caught (recall there 0.857143
    # vs 0.818182 at maturity). The label-age bias on the odds scale, Laplace's rule on the counts: odds 6.476190
    # (0.866242) x (85/15) / (127/29) = 8.380, so an unchanged model shows 0.89339 over 30 x 98/154 = 19.0909
    # labelled frauds; the standard deviation adds the history's own error: sqrt(e (1 - e) (1/19.0909 + 1/98)) =
    # 0.077207, threshold 0.661769
    curve = label_curve(14)
    assert (curve.share(7), curve.early_recall(7), curve.matured_recall) == (7 / 11, 6 / 7, 9 / 11)
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30", "GroundTruthStartTimeOffset": "-P8D",
              "GroundTruthEndTimeOffset": "-P7D"}
    assert model_quality_threshold(params, {}, SPECS, available(), documents(), curve)[1][1] == (
        "early recall alarm at 0.661769 (label age 7 days): expected 0.89339 over 19.0909 labelled frauds a day, "
        "minus 3 x 0.077207; expected false pages on an unchanged model: 0.07 a month")
    assert params["ModelQualityAlarmThreshold"] == "0.661769"


def test_an_early_history_where_every_early_label_was_caught_is_not_a_certainty() -> None:
    # analysts label the caught frauds first: 14 days x 11 frauds, the 6 caught ones by day 5, the 5 others later
    entry = day_counts([(2, True)] * 6 + [(30, True)] * 3 + [(20, False), (60, False)], 90)
    curve = summarize({"version": 1, "label_maturity_days": 90,
                       "days": {f"2026-08-{day + 1:02d}": entry for day in range(14)}})
    assert curve.early_recall(7) == 1.0
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}
    model_quality_threshold(params, {}, SPECS, available(), documents(), curve)
    # odds 6.476190 x (85/1) / (127/29) = 125.70: an unchanged model shows 0.992107 on the 16.3636 frauds labelled by
    # day 7 (not 1.0), and the history's 84 labels add their error: sd 0.023911, threshold 0.920374. One miss among
    # 16 (0.9375) does not page; two do: 0.21 false pages a month
    assert params["ModelQualityAlarmThreshold"] == "0.920374"


def test_until_enough_label_history_exists_early_recall_is_not_paged_and_the_plan_says_so() -> None:
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": "30"}
    assert model_quality_threshold(params, {}, SPECS, available(), documents(), label_curve(13))[1][1] == (
        "early recall (labels -P8D to -P7D old) is not paged: 13 matured day(s) with 143 fraud(s) so far; early "
        "thresholds need 14 days and 100 frauds (python -m pipelines.ground_truth --matured-negatives builds it day "
        "by day)")
    assert "ModelQualityAlarmThreshold" not in params


def test_the_derived_constraints_carry_the_alarm_threshold_and_window_sized_margins() -> None:
    # 30 frauds a day; the baseline's confusion matrix scales the other counts: 11843 legitimate per 157 frauds ->
    # 2262.99 legitimate, 161 predicted frauds per 157 -> 30.76 predicted frauds, 12000 records -> 2292.99; each
    # threshold is value -/+ 3 binomial standard errors over its count (f-scores over the 30 frauds, AUC by Hanley
    # & McNeil over 30 and 2262.99), recall and true positive rate at the alarm's 0.679802
    document = derived_constraints(seedmod.fixture("model_quality_constraints.json"),
                                   seedmod.fixture("model_quality_statistics.json"), 30, "recall", "0.679802")
    assert document == {"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"comparison_operator": "LessThanThreshold", "threshold": 0.992295},
        "auc": {"comparison_operator": "LessThanThreshold", "threshold": 0.910442},
        "f0_5": {"comparison_operator": "LessThanThreshold", "threshold": 0.652795},
        "f1": {"comparison_operator": "LessThanThreshold", "threshold": 0.662684},
        "f2": {"comparison_operator": "LessThanThreshold", "threshold": 0.672855},
        "false_negative_rate": {"comparison_operator": "GreaterThanThreshold", "threshold": 0.320198},
        "false_positive_rate": {"comparison_operator": "GreaterThanThreshold", "threshold": 0.005005},
        "precision": {"comparison_operator": "LessThanThreshold", "threshold": 0.648831},
        "recall": {"comparison_operator": "LessThanThreshold", "threshold": 0.679802},
        "true_negative_rate": {"comparison_operator": "LessThanThreshold", "threshold": 0.994995},
        "true_positive_rate": {"comparison_operator": "LessThanThreshold", "threshold": 0.679802},
    }}


def test_the_early_constraints_keep_only_what_labels_without_negatives_can_judge() -> None:
    document = derived_constraints(seedmod.fixture("model_quality_constraints.json"),
                                   seedmod.fixture("model_quality_statistics.json"), 19.0909, "recall", "0.661769",
                                   early=True)
    assert document["binary_classification_constraints"] == {
        "false_negative_rate": {"comparison_operator": "GreaterThanThreshold", "threshold": 0.338231},
        "recall": {"comparison_operator": "LessThanThreshold", "threshold": 0.661769},
        "true_positive_rate": {"comparison_operator": "LessThanThreshold", "threshold": 0.661769},
    }


@pytest.mark.parametrize(("constraints", "why"), [
    ({"binary_classification_constraints": {}}, "no recall threshold in the model quality constraints "
                                                "s3://b/ModelQuality.Constraints.json (binary_classification_constraints)"),
    ({"binary_classification_constraints": {"recall": {"threshold": float("inf"),
                                                       "comparison_operator": "LessThanThreshold"}}},
     "the recall threshold in s3://b/ModelQuality.Constraints.json is inf, not a finite number"),
])
def test_no_derivable_recall_threshold_is_a_warning_not_a_quietly_missing_alarm(constraints, why) -> None:
    params = {"EnableModelQualityMonitor": "yes"}
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Constraints": constraints})) == ([
        f"{why}; the model quality alarm is not created (set ModelQualityMaturedAlarmThreshold and ModelQualityAlarmThreshold in the stage file)"], [])
    assert "ModelQualityAlarmThreshold" not in params


def test_constraints_set_in_the_stage_file_leave_no_derived_threshold_and_warn() -> None:
    params = {"EnableModelQualityMonitor": "yes"}
    explicit = {"ModelQualityBaselineConstraints": "s3://b/mine.json"}
    assert model_quality_threshold(params, explicit, SPECS, available(), documents()) == ([
        "no recall alarm threshold derived (ModelQualityBaselineConstraints set in the stage file); the model quality "
        "alarm is not created (set ModelQualityMaturedAlarmThreshold and ModelQualityAlarmThreshold in the stage "
        "file)"], [])


@pytest.mark.parametrize(("change", "switch"), [
    (lambda c: c["monitoring_config"].update(emit_metrics="Disabled"), 'monitoring_config.emit_metrics "Disabled"'),
    (lambda c: c["monitoring_config"]["distribution_constraints"].update(perform_comparison="Disabled"),
     'monitoring_config.distribution_constraints.perform_comparison "Disabled"'),
])
def test_drift_alarms_on_a_baseline_that_publishes_no_drift_metric_are_refused(change, switch) -> None:
    constraints = dq_constraints()
    change(constraints)
    params = {"EnableDataQualityMonitor": "yes", "DriftAlarmFeatures": "transaction_amount"}
    assert drift_problems_and_thresholds(params, {}, available(),
                                         documents(**{"ModelDataQuality.Constraints": constraints})) == ([
        f"DriftAlarmFeatures is set but the data quality constraints s3://b/ModelDataQuality.Constraints.json have "
        f"{switch}: Model Monitor publishes no feature_baseline_drift metric, so the drift alarms could never fire; "
        "enable it in the baseline or leave DriftAlarmFeatures empty"], [])
    assert "DriftAlarmThresholds" not in params


# ---- the matured alarm on precision or accuracy: sized over that metric's own day count (issue 18 section 2) ---------

# The registry fixture's confusion matrix {"0": {"0": 11818, "1": 25}, "1": {"0": 21, "1": 136}}: 161 predicted frauds
# and 12000 transactions per 157 frauds. At 30 frauds a day: 30.7643 predicted frauds, 2292.99 transactions.
def _matured(metric: str, daily: str = "30", **replace: Any) -> tuple[tuple[list[str], list[str]], dict[str, str],
                                                                      dict[str, Any]]:
    params = {"EnableModelQualityMonitor": "yes", "ExpectedDailyFrauds": daily, "ModelQualityAlarmMetric": metric}
    sized: dict[str, Any] = {}
    result = model_quality_threshold(params, {}, SPECS, available(), documents(**replace), None, sized)
    return result, params, sized


def test_a_precision_alarm_is_sized_over_the_days_predicted_frauds_not_model_monitors_resampling() -> None:
    # precision 136/161 = 0.84472, sd sqrt(p (1 - p) / 30.7643) = 0.065296 (Model Monitor's 0.011283 is over the whole
    # baseline): threshold 0.84472 - 3 x 0.065296 = 0.648831, the derived constraints' precision threshold exactly
    (warnings_, notes), params, sized = _matured("precision")
    assert (warnings_, notes) == ([], [
        "matured precision alarm at 0.648831 (label age 90 days): expected 0.84472 over 30.7643 predicted frauds a "
        "day, minus 3 x 0.065296; expected false pages on an unchanged model: 0.16 a month",
        "early precision (labels -P8D to -P7D old) is not paged: the label development curve corrects recall only; "
        "the matured alarm watches it"])
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.648831"
    assert round(sized["matured"].false_pages_per_month, 4) == 0.1554
    assert sized["matured"].expected_frauds == 30  # what the derived constraints scale the other counts by
    derived = derived_constraints(seedmod.fixture("model_quality_constraints.json"),
                                  seedmod.fixture("model_quality_statistics.json"), 30, "recall", "0.679802")
    assert derived["binary_classification_constraints"]["precision"]["threshold"] == 0.648831


def test_the_old_precision_margin_paged_ten_times_a_month_on_an_unchanged_model() -> None:
    # before: value - 3 x Model Monitor's sd = 0.810873 whatever the day's count; 31 predicted frauds a day read below
    # it when 25 or fewer are frauds: 0.348 a day, 10.44 pages a month. Sized over the day: 0.16
    precision = 136 / 161
    assert round(statistics_margin(seedmod.fixture("model_quality_statistics.json"), "binary_classification_metrics",
                                   "precision"), 6) == 0.810873
    assert round(binomial_below(0.810873, 31, precision), 6) == 0.348081
    assert (round(false_pages_per_month(0.810873, 30 * 161 / 157, precision), 4),
            round(false_pages_per_month(0.648831, 30 * 161 / 157, precision), 4)) == (10.4424, 0.1554)


@pytest.mark.parametrize(("daily", "threshold", "pages"), [
    ("3", "0.225264", 0.1123),  # 3.08 predicted frauds: pages when none of 3 is a fraud
    ("10", "0.50543", 0.3436),
    ("100", "0.737427", 0.0519),
    ("1000", "0.810791", 0.0575),  # the binomial 0.011310 just above Model Monitor's 0.011283
])
def test_fewer_expected_frauds_widen_the_precision_margin(daily: str, threshold: str, pages: float) -> None:
    (warnings_, _), params, sized = _matured("precision", daily)
    assert (warnings_, params["ModelQualityMaturedAlarmThreshold"], round(sized["matured"].false_pages_per_month, 4)) \
        == ([], threshold, pages)


def test_an_accuracy_alarm_is_sized_over_the_days_transactions() -> None:
    # accuracy 11954/12000 = 0.996167 over 2292.99 transactions a day: sd 0.001290, threshold 0.992295 (the derived
    # constraints' accuracy threshold); the old margin 0.995523 paged 8.07 times a month
    (warnings_, notes), params, sized = _matured("accuracy")
    assert (warnings_, notes[0]) == ([], "matured accuracy alarm at 0.992295 (label age 90 days): expected 0.996167 "
                                         "over 2292.99 labelled transactions a day, minus 3 x 0.001290; expected false "
                                         "pages on an unchanged model: 0.12 a month")
    assert params["ModelQualityMaturedAlarmThreshold"] == "0.992295"
    assert round(false_pages_per_month(0.995523, 30 * 12000 / 157, 11954 / 12000), 4) == 8.074


@pytest.mark.parametrize("metric", ["f1", "f2", "auc"])
def test_f_scores_and_auc_are_refused_for_the_sized_matured_alarm_with_the_fix(metric: str) -> None:
    (warnings_, notes), params, sized = _matured(metric)
    assert warnings_ == [
        f"no matured {metric} alarm: {metric} is not a proportion of one count, so a day's threshold cannot be sized "
        "from ExpectedDailyFrauds and its false pages a month cannot be stated; set ModelQualityAlarmMetric to "
        "recall, true_positive_rate, precision or accuracy, or set ModelQualityMaturedAlarmThreshold in the stage "
        "file"]
    assert notes == [f"early {metric} (labels -P8D to -P7D old) is not paged: the label development curve corrects "
                     "recall only"]
    assert sized == {}
    assert "ModelQualityMaturedAlarmThreshold" not in params


def test_a_precision_alarm_without_predicted_frauds_in_the_baseline_is_a_warning() -> None:
    statistics = seedmod.fixture("model_quality_statistics.json")
    statistics["binary_classification_metrics"]["confusion_matrix"] = {"0": {"0": 11843, "1": 0},
                                                                        "1": {"0": 157, "1": 0}}
    statistics["binary_classification_metrics"]["precision"] = {"value": 0.5, "standard_deviation": 0.01}
    (warnings_, _), params, _ = _matured("precision", **{"ModelQuality.Statistics": statistics})
    assert warnings_ == [
        "no matured precision alarm: the baseline's confusion matrix (ModelQuality.Statistics) has no predicted "
        "frauds to size a day's precision on; set ModelQualityMaturedAlarmThreshold in the stage file"]
    assert "ModelQualityMaturedAlarmThreshold" not in params


def test_the_false_positive_rate_is_no_alarm_metric_and_its_constraint_is_sized_over_the_days_legitimate() -> None:
    # the alarm fires below its threshold; a false-positive rate is bad above it, so the template does not offer it
    assert "false_positive_rate" not in SPECS["ModelQualityAlarmMetric"].allowed_values
    # its derived constraint: 0.002111 + 3 sqrt(f (1 - f) / 2262.99) = 0.005005 over 11843 x 30/157 legitimate a day
    derived = derived_constraints(seedmod.fixture("model_quality_constraints.json"),
                                  seedmod.fixture("model_quality_statistics.json"), 30, "recall", "0.679802")
    assert derived["binary_classification_constraints"]["false_positive_rate"] == {
        "comparison_operator": "GreaterThanThreshold", "threshold": 0.005005}


@pytest.mark.parametrize(("value", "text"), [(0.1, "0.1"), (0.72, "0.72"), (1.0, "1"), (1e-5, "0.00001"), (0.0, "0")])
def test_number_text_fits_the_template_pattern(value: float, text: str) -> None:
    assert number_text(value) == text


# ---- through the CLI --------------------------------------------------------------------------------------------


def _stage_file(tmp_path, **overrides: str):
    path = tmp_path / "staging-config.json"
    document = json.loads((TEMPLATE_PATH.parent / "staging-monitoring-schedule-config.json").read_text())
    document["Parameters"].update(overrides)
    path.write_text(json.dumps(document))
    return path


def test_the_cli_derives_per_feature_drift_thresholds_from_the_registry_constraints(cli, clients, tmp_path):
    constraints = tmp_path / "dq_constraints.json"
    constraints.write_text(json.dumps(dq_constraints()))
    seedmod.seed(*clients, overrides={"ModelDataQuality.Constraints": str(constraints)})  # an absolute path wins
    staging = _stage_file(tmp_path, DriftAlarmFeatures="transaction_amount,merchant_category,card_present")
    result = cli("--import-staging-config", str(staging))
    assert result.exit_code == 0, result.err
    parameters = json.loads((cli.tmp / "staging.json").read_text())["Parameters"]
    assert (parameters["DriftAlarmFeatures"], parameters["DriftAlarmThresholds"]) == (
        "transaction_amount,merchant_category,card_present", "0.2,0.3,0.1")


def test_the_cli_refuses_a_misspelt_drift_feature_and_writes_nothing(cli, seeded, tmp_path):
    staging = _stage_file(tmp_path, DriftAlarmFeatures="transaction_amnt")
    result = cli("--import-staging-config", str(staging))
    assert result.exit_code == 2
    assert result.err.splitlines() == [
        "error: staging: DriftAlarmFeatures names 'transaction_amnt', which is not a feature of the data quality "
        f"baseline statistics {STATS_URI}; did you mean 'transaction_amount'?",
        "error: 1 problem(s) in the generated parameters; nothing was written",
    ]
    assert cli.files() == {}


@pytest.mark.slow
@given(trials=st.integers(1, 60), rate=st.fractions(0, 1).filter(lambda r: 0 < r < 1),
       threshold=st.fractions(0, 1))
@settings(max_examples=200, deadline=None)
def test_the_false_page_chance_is_the_exact_binomial_tail(trials: int, rate: Fraction, threshold: Fraction) -> None:
    """P(X / n < t) against exact rational arithmetic: the count k with k / n < t exactly, summed with math.comb."""
    exact = sum(Fraction(math.comb(trials, k)) * rate ** k * (1 - rate) ** (trials - k)
                for k in range(trials + 1) if Fraction(k, trials) < threshold)
    assert binomial_below(float(threshold), trials, float(rate)) == pytest.approx(float(exact), abs=1e-9)
