"""pipelines.report.history: the numbers in violation descriptions, the verdict, the 'since' of a violation run."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipelines.report.cli import Execution, MonitorReport, Violation
from pipelines.report.history import (
    ExecutionOutput, Finding, History, constraint_thresholds, finding, verdict, violating_since,
)


@pytest.mark.parametrize("entry, expected", [
    # real job wording, 2020-11 to 2022-04 containers (facts.md "What real Model Monitor jobs wrote")
    ({"feature_name": "Age", "constraint_check_type": "data_type_check",
      "description": "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
                     "Observed: Only 99.63446475195823% of data is Integral."},
     ("Age", None, 0.9963446475195823, "<", 1.0, "description")),
    ({"metric_name": "auc", "constraint_check_type": "LessThanThreshold",
      "description": "Metric auc with 0.5127590160341251 +/- 0.007142 was LessThanThreshold '0.9395'"},
     (None, "auc", 0.5127590160341251, "<", 0.9395, "description")),
    ({"metric_name": "falsePositiveRate", "constraint_check_type": "GreaterThanThreshold",
      "description": "Metric falsePositiveRate with 0.2 +/- 0.01 was GreaterThanThreshold '0.05'"},
     (None, "falsePositiveRate", 0.2, ">", 0.05, "description")),
    # our analyzer's drift wording (Model Monitor's, as its sample notebooks print it)
    ({"feature_name": "amount", "constraint_check_type": "baseline_drift_check",
      "description": "Baseline drift distance: 0.2153846153846154 exceeds threshold: 0.1"},
     ("amount", None, 0.2153846153846154, ">", 0.1, "description")),
    ({"feature_name": "merchant", "constraint_check_type": "baseline_drift_check",
      "description": "Baseline drift p-value: 1e-05 is below threshold: 0.1"},
     ("merchant", None, 1e-05, "<", 0.1, "description")),
    ({"feature_name": "f8", "constraint_check_type": "missing_column_check",
      "description": "There are missing columns in current dataset. Number of columns in current dataset: 8, Number "
                     "of columns in baseline constraints: 9"},
     ("f8", None, 8.0, "!=", 9.0, "description")),
    # 2019 containers' Deequ wording (SDK test data): the threshold comes from the baseline constraints
    ({"feature_name": "fare", "constraint_check_type": "data_type_check",
      "description": "Value: 0.986986986986987 does not meet the constraint requirement! "},
     ("fare", None, 0.986986986986987, "<", 0.98, "baseline constraints")),
    # Clarify bias: the value only, and bias constraints are ranges
    ({"metric_name": "DPPL", "facet": "age", "facet_value": "65+", "constraint_check_type": "bias_drift_check",
      "description": "Value 0.21837349397590361 does not meet the constraint requirement"},
     (None, "DPPL", 0.21837349397590361, "outside", None, "")),
])
def test_a_violation_description_gives_its_observed_value_and_threshold_as_numbers(entry, expected):
    thresholds = constraint_thresholds({"monitoring_config": {"datatype_check_threshold": 0.98},
                                        "features": [{"name": "fare", "inferred_type": "Fractional"}]})

    found = finding(entry, "x", thresholds)

    assert (found.feature, found.metric, found.observed, found.comparison, found.threshold,
            found.threshold_source) == expected


def test_constraint_thresholds_apply_per_feature_overrides_and_completeness():
    constraints = {"monitoring_config": {"datatype_check_threshold": 1.0, "domain_content_threshold": 0.9},
                   "features": [{"name": "a", "completeness": 0.99,
                                 "string_constraints": {"monitoring_config_overrides": {
                                     "domain_content_threshold": 0.5}}}]}

    assert constraint_thresholds(constraints) == {("a", "data_type_check"): 1.0,
                                                  ("a", "categorical_values_check"): 0.5,
                                                  ("a", "completeness_check"): 0.99}


def _execution(hour: int, violations: int | None) -> ExecutionOutput:
    found = None if violations is None else [
        Finding("a", "a", None, "baseline_drift_check", 0.2, 0.1, ">", "description", "d")] * violations
    return ExecutionOutput(hour=f"2026-11-27T{hour:02d}:00:00Z", prefix=f"p/{hour}/", violations=found)


def test_violating_since_is_the_start_of_the_newest_unbroken_run_and_skips_folders_without_a_violations_file():
    history = History("data-quality", "s3://b/p", [_execution(6, 1), _execution(7, 0), _execution(8, 2),
                                                   _execution(9, None), _execution(10, 1)])

    assert violating_since(history) == "2026-11-27T08:00:00Z"


def _monitor(name: str, **kwargs) -> MonitorReport:
    return MonitorReport(monitor=name, schedule_name=f"base-{name}", **kwargs)


def test_verdict_is_unknown_not_ok_when_a_deployed_monitor_could_not_be_read():
    monitors = [_monitor("data-quality", schedule_status="Scheduled", violations_source="s3://b/v.json"),
                _monitor("model-quality", schedule_error="DescribeMonitoringSchedule failed: access denied",
                         violations_note="no constraint_violations.json under s3://b/mq yet"),
                _monitor("model-bias", deployed=False, not_deployed_reason="GroundTruthInput is empty")]

    result = verdict(monitors, {})

    assert result.status == "UNKNOWN"
    assert result.line("prod") == ("verdict: prod UNKNOWN: model-quality unknown: DescribeMonitoringSchedule failed: "
                                   "access denied; no constraint_violations.json under s3://b/mq yet")


def test_verdict_is_degraded_when_the_latest_execution_has_violations_or_an_alarm_fires():
    monitors = [_monitor("data-quality", schedule_status="Scheduled", violations_source="s3://b/p/10/v.json",
                         violations=[Violation("amount", "baseline_drift_check", "d")])]
    history = History("data-quality", "s3://b/p", [_execution(9, 0), _execution(10, 1)])

    result = verdict(monitors, {"data-quality": history},
                     [{"name": "base-recall", "state": "ALARM", "since": "2026-11-27T11:02:03Z"}])

    assert result.line("prod") == ("verdict: prod DEGRADED: data-quality: 1 violation since 2026-11-27T10:00:00Z "
                                   "(amount); alarms: base-recall in ALARM since 2026-11-27T11:02:03Z")


def test_verdict_is_unknown_when_the_latest_execution_failed_and_when_nothing_is_deployed():
    failed = [_monitor("data-quality", schedule_status="Scheduled", violations_source="s3://b/v.json",
                       executions=[Execution("2026-11-27T10:00:00Z", "Failed", "Job inputs had no data")])]

    assert verdict(failed, {}).line("prod") == ("verdict: prod UNKNOWN: data-quality unknown: the latest execution "
                                                "(2026-11-27T10:00:00Z) failed: Job inputs had no data")
    assert verdict([_monitor("data-quality", deployed=False)], {}).line("prod") == (
        "verdict: prod UNKNOWN: stage unknown: no monitor is deployed")


def test_verdict_is_ok_only_when_every_deployed_monitor_was_read_clean():
    monitors = [_monitor(name, schedule_status="Scheduled", violations_source=f"s3://b/{name}.json")
                for name in ("data-quality", "model-quality")]

    assert verdict(monitors, {}, []).line("staging") == "verdict: staging OK: 2 monitors read, no violations"


def _stats(path):
    import json
    from pathlib import Path

    return {f["name"]: f for f in json.loads((Path(__file__).parent / "fixtures" / path).read_text())["features"]}


@pytest.mark.parametrize("method", ["Robust", "Simple"])
def test_the_reports_drift_distance_is_the_analyzers_to_the_last_bit(method):
    """formats/statistics.py (stdlib, for --html) against pipelines/analyze/kll.py (numpy, the analyzer's checks):
    the registry's baseline against a window the analyzer profiled with transaction_amount shifted."""
    np = pytest.importorskip("numpy")
    from devtools.seed_monitoring import data_quality_outputs
    from pipelines.analyze import kll
    from pipelines.formats import statistics

    baseline = _stats("sdk/data_quality_statistics.json")
    hour = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    window = {f["name"]: f for f in data_quality_outputs(hour, 300, 40.0, seed=7)["statistics.json"]["features"]}

    ours, theirs = {}, {}
    for name, feature in baseline.items():
        ours[name] = statistics.distance(feature, window[name], method)
        if feature.get("numerical_statistics"):
            tables = [kll.KLL.from_json(side["numerical_statistics"]["distribution"]["kll"]["sketch"]).rank_table()
                      for side in (feature, window[name])]
            theirs[name] = kll.select_metric(*kll.linf_simple_numerical(*tables), method)
        else:
            theirs[name] = kll.select_metric(*kll.linf_simple_categorical(
                statistics.categorical_counts(feature), statistics.categorical_counts(window[name])), method)
    assert ours == theirs
    assert ours["transaction_amount"] > 0.1 and np.isfinite(ours["transaction_amount"])


def test_the_latest_violations_keep_their_numbers_when_their_file_is_outside_the_executions_read():
    from pipelines.report.cli import _latest_findings

    entry = {"feature_name": "amount", "constraint_check_type": "baseline_drift_check",
             "description": "Baseline drift distance: 0.3 exceeds threshold: 0.1"}
    rep = _monitor("data-quality", violations_source="s3://b/elsewhere/constraint_violations.json",
                   violations=[Violation("amount", "baseline_drift_check", entry["description"])], entries=[entry])

    found = _latest_findings(rep, History("data-quality", "s3://b/p", [_execution(10, 0)]))

    assert [(f.feature, f.check, f.observed, f.comparison, f.threshold) for f in found] == [
        ("amount", "baseline_drift_check", 0.3, ">", 0.1)]
