"""Alarm thresholds from the baselines: drift per feature from the data quality constraints, the model quality alarm
with its margin below the baseline, and DriftAlarmFeatures checked against the baseline statistics (CLI, exit 2).

Constraints documents follow AWS's "Schema for Constraints (constraints.json file)" (model-monitor-byoc-constraints)
and the seed's real-format baselines (devtools/seed.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools import seed as seedmod
from pipelines.deploy.baselines import Baseline
from pipelines.deploy.template_params import load_template_parameters
from pipelines.deploy.thresholds import (
    drift_problems_and_thresholds,
    feature_drift_threshold,
    model_quality_threshold,
    number_text,
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


def test_recall_alarm_sits_three_binomial_standard_errors_below_the_baseline_with_the_registry_fixture() -> None:
    # generate_model_quality.py: constraints threshold = the baseline recall 136/157 (as the real baselining job
    # writes it). Model Monitor's sd 0.013694539662666625 is below the binomial floor over the 157 frauds,
    # sqrt(r (1 - r) / 157) = 0.0271662..., so 0.8662420... - 3 x 0.0271662... = 0.7847433...
    statistics = seedmod.fixture("model_quality_statistics.json")["binary_classification_metrics"]
    threshold = seedmod.fixture("model_quality_constraints.json")["binary_classification_constraints"]["recall"]
    assert (statistics["recall"], threshold["threshold"], statistics["confusion_matrix"]["1"]) == (
        {"value": 0.8662420382165605, "standard_deviation": 0.013694539662666625}, 0.8662420382165605,
        {"0": 21, "1": 136})
    params = {"EnableModelQualityMonitor": "yes"}
    assert model_quality_threshold(params, {}, SPECS, available(), documents()) == ([], [])
    assert params["ModelQualityAlarmThreshold"] == "0.784743"


def test_recall_alarm_uses_model_monitors_standard_deviation_when_it_is_the_larger() -> None:
    statistics = seedmod.fixture("model_quality_statistics.json")
    statistics["binary_classification_metrics"]["recall"]["standard_deviation"] = 0.05  # above the binomial 0.0272
    params = {"EnableModelQualityMonitor": "yes"}  # 0.8662420... - 3 x 0.05 = 0.7162420...
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Statistics": statistics})) == ([], [])
    assert params["ModelQualityAlarmThreshold"] == "0.716242"


def test_recall_alarm_keeps_a_constraints_threshold_already_below_the_margin() -> None:
    constraints = seedmod.fixture("model_quality_constraints.json")
    constraints["binary_classification_constraints"]["recall"]["threshold"] = 0.75  # a team's stricter-than-3-sd edit
    params = {"EnableModelQualityMonitor": "yes"}  # fixture statistics: margin 0.784743 > 0.75, so 0.75 stays
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Constraints": constraints})) == ([], [])
    assert params["ModelQualityAlarmThreshold"] == "0.75"


def test_without_model_quality_statistics_the_alarm_has_no_margin_and_the_plan_says_so() -> None:
    params = {"EnableModelQualityMonitor": "yes"}
    baselines = {k: v for k, v in available().items() if k != "ModelQuality.Statistics"}
    assert model_quality_threshold(params, {}, SPECS, baselines, documents()) == ([], [
        "recall alarm at the constraints threshold 0.866242 with no margin: the model quality statistics "
        "(ModelQuality.Statistics) give no recall value and standard deviation"])
    assert params["ModelQualityAlarmThreshold"] == "0.866242"


def test_a_margin_at_or_below_zero_keeps_the_constraints_threshold_and_says_why() -> None:
    statistics = seedmod.fixture("model_quality_statistics.json")
    statistics["binary_classification_metrics"]["recall"] = {"value": 0.30, "standard_deviation": 0.12}
    params = {"EnableModelQualityMonitor": "yes"}  # 0.30 - 3 x 0.12 = -0.06: an alarm there could never fire
    assert model_quality_threshold(params, {}, SPECS, available(),
                                   documents(**{"ModelQuality.Statistics": statistics})) == ([], [
        "recall alarm at the constraints threshold 0.866242: the baseline minus 3 standard deviations is -0.06, at or "
        "below 0"])
    assert params["ModelQualityAlarmThreshold"] == "0.866242"


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
        f"{why}; the model quality alarm is not created (set ModelQualityAlarmThreshold in the stage file)"], [])
    assert "ModelQualityAlarmThreshold" not in params


def test_constraints_set_in_the_stage_file_leave_no_derived_threshold_and_warn() -> None:
    params = {"EnableModelQualityMonitor": "yes"}
    explicit = {"ModelQualityBaselineConstraints": "s3://b/mine.json"}
    assert model_quality_threshold(params, explicit, SPECS, available(), documents()) == ([
        "no recall alarm threshold derived (ModelQualityBaselineConstraints set in the stage file); the model quality "
        "alarm is not created (set ModelQualityAlarmThreshold in the stage file)"], [])


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
