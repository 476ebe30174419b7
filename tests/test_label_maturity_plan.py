"""The deploy CLI with label history (issue 18): the early recall alarm and its derived constraints appear once the
label development curve holds enough matured days, and a curve it cannot use is a warning (--strict fails)."""

from __future__ import annotations

import json

from devtools.seed import OUTPUTS_BUCKET
from pipelines.formats.label_development import day_counts
from tests.support.plan import strict_error, warnings
from tests.support.reliability import Fault

CURVE = "label-development/fraud-detect-{stage}/curve.json"  # s3://<GroundTruthInput's bucket>/label-development/...


def put_curve(s3, stage: str, days: int, maturity: int = 90) -> None:
    """``days`` matured days of 11 frauds: 9 caught (6 labelled within 5 days), 2 missed (labelled at 3 and 60)."""
    entry = day_counts([(2, True)] * 5 + [(5, True), (30, True), (30, True), (45, True), (3, False), (60, False)],
                       maturity)
    document = {"version": 1, "label_maturity_days": maturity,
                "days": {f"2026-08-{day + 1:02d}": entry for day in range(days)}}
    s3.put_object(Bucket=OUTPUTS_BUCKET, Key=CURVE.format(stage=stage), Body=json.dumps(document).encode())


def exported(ws, stage: str) -> dict[str, str]:
    return json.loads(ws.export(stage).read_text())["Parameters"]


def test_with_enough_label_history_the_early_alarm_and_its_constraints_are_derived(registry, ws):
    put_curve(registry.s3, "prod", 14)
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    prod, staging = exported(ws, "prod"), exported(ws, "staging")
    # prod: 30 frauds a day x 7/11 labelled by day 7, expected early recall 0.866242 x (6/7) / (9/11) = 0.89339
    assert prod["ModelQualityAlarmThreshold"] == "0.661769"
    assert "ModelQualityAlarmThreshold" not in staging  # no curve for the staging endpoint
    early = prod["ModelQualityBaselineConstraints"]
    assert "/derived-baselines/fraud-detect-p-abc123/3/model-quality/constraints-early-" in early
    body = registry.s3.get_object(Bucket=OUTPUTS_BUCKET, Key=early.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
    assert json.loads(body)["binary_classification_constraints"] == {
        "false_negative_rate": {"comparison_operator": "GreaterThanThreshold", "threshold": 0.338231},
        "recall": {"comparison_operator": "LessThanThreshold", "threshold": 0.661769},
        "true_positive_rate": {"comparison_operator": "LessThanThreshold", "threshold": 0.661769},
    }
    assert ("  note: early recall alarm at 0.661769 (label age 7 days): expected 0.89339 over 19.0909 labelled "
            "frauds a day, minus 3 x 0.077207; expected false pages on an unchanged model: 0.07 a month"
            in result.out.splitlines())


def test_a_curve_measured_with_another_maturity_is_a_warning_and_strict_fails(registry, ws):
    put_curve(registry.s3, "prod", 14, maturity=60)
    line = (f"prod: the label development curve s3://{OUTPUTS_BUCKET}/{CURVE.format(stage='prod')} was measured "
            "with a 60-day maturity but LabelMaturityDays is 90; early thresholds are not derived from it: start a "
            "new history or set LabelMaturityDays back")
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(line))
    assert "ModelQualityAlarmThreshold" not in exported(ws, "prod")
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(line))
    assert ws.files() == before


def test_an_unreadable_curve_is_a_warning_never_silence(registry, ws):
    registry.s3.put_object(Bucket=OUTPUTS_BUCKET, Key=CURVE.format(stage="prod"), Body=b"{not json")
    result = ws.run()
    assert result.code == 0
    assert result.err.startswith(f"warning: prod: the label development curve s3://{OUTPUTS_BUCKET}/"
                                 f"{CURVE.format(stage='prod')} cannot be read (")
    assert result.err.endswith("); early recall is not judged until it is fixed: rerun python -m "
                               "pipelines.ground_truth --matured-negatives, or delete the file to start the history "
                               "again\n")


def test_label_maturity_days_must_be_whole_days(registry, ws):
    document = ws.document("prod")
    document["Parameters"]["LabelMaturityDays"] = "90.5"
    ws.write_config("prod", document)
    result = ws.run()
    assert result.code == 2
    assert ("prod: LabelMaturityDays is 90.5; the matured model quality job's StartTimeOffset (-P<n>DT24H) is an "
            "integer, write a whole number") in result.err


def test_a_curve_the_build_may_not_read_is_a_warning(registry, ws, calls):
    calls.faults.append(Fault("s3.GetObject", "access-denied", first=10, times=1))  # after the nine baselines
    result = ws.run()
    assert result.code == 0
    assert result.err == warnings(
        f"staging: cannot read the label development curve s3://{OUTPUTS_BUCKET}/{CURVE.format(stage='staging')} "
        f"(access denied: s3:GetObject on s3://{OUTPUTS_BUCKET}/{CURVE.format(stage='staging')}; grant s3:GetObject "
        "to the role running this build); early recall is not judged until it can be read")


def test_without_the_watchdog_the_plan_says_the_matured_schedule_pages_daily_at_first(registry, ws):
    # issue 18: the matured schedule fails daily until captures reach its window, and with EnableWatchdog "no" the
    # failed-execution rule pages each failure: the plan says so (never silently)
    note = ('  note: EnableWatchdog is "no": the matured schedule fraud-detect-prod-model-quality-matured fails '
            "daily for its first 90 days or so after deployment (its window, -P90DT24H to -P90D, holds no captures "
            "yet), and MonitoringExecutionFailedRule pages each failure, as it pages the model quality and bias "
            'schedules while no labels have arrived; set EnableWatchdog to "yes" to make those daily notes until the '
            "first window is over (docs/watchdog.md)")
    document = ws.document("prod")
    document["Parameters"].update({"NotificationEmail": "fraud-ml-oncall@example.com", "EnableWatchdog": "no"})
    ws.write_config("prod", document)
    result = ws.run()
    assert result.code == 0
    assert note in result.out.splitlines()
    document["Parameters"]["EnableWatchdog"] = "yes"  # the watchdog makes them notes: nothing to say
    ws.write_config("prod", document)
    assert "EnableWatchdog" not in ws.run().out
    document["Parameters"].update({"EnableWatchdog": "no", "NotificationEmail": ""})  # no topic: nothing pages
    ws.write_config("prod", document)
    assert "EnableWatchdog" not in ws.run().out


def _with_metric(ws, metric: str) -> None:
    for stage in ("prod", "staging"):
        document = ws.document(stage)
        document["Parameters"]["ModelQualityAlarmMetric"] = metric
        ws.write_config(stage, document)


def test_a_precision_alarm_is_sized_over_predicted_frauds_and_model_monitor_agrees(registry, ws):
    _with_metric(ws, "precision")
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    prod = exported(ws, "prod")
    # 30 frauds a day x 161/157 predicted frauds per fraud (the registry baseline): tests/test_thresholds.py
    assert prod["ModelQualityMaturedAlarmThreshold"] == "0.648831"
    assert ("  note: matured precision alarm at 0.648831 (label age 90 days): expected 0.84472 over 30.7643 predicted "
            "frauds a day, minus 3 x 0.065296; expected false pages on an unchanged model: 0.16 a month"
            in result.out.splitlines())
    key = prod["ModelQualityMaturedBaselineConstraints"].split(f"{OUTPUTS_BUCKET}/")[1]
    body = json.loads(registry.s3.get_object(Bucket=OUTPUTS_BUCKET, Key=key)["Body"].read())
    assert body["binary_classification_constraints"]["precision"] == {
        "comparison_operator": "LessThanThreshold", "threshold": 0.648831}


def test_an_f1_alarm_cannot_be_sized_a_warning_and_strict_fails(registry, ws):
    _with_metric(ws, "f1")
    line = ("no matured f1 alarm: f1 is not a proportion of one count, so a day's threshold cannot be sized from "
            "ExpectedDailyFrauds and its false pages a month cannot be stated; set ModelQualityAlarmMetric to recall, "
            "true_positive_rate, precision or accuracy, or set ModelQualityMaturedAlarmThreshold in the stage file")
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(f"staging: {line}", f"prod: {line}"))
    assert "ModelQualityMaturedAlarmThreshold" not in exported(ws, "prod")
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out) == (2, "")
    assert strict.err == strict_error(f"staging: {line}", f"prod: {line}")
    assert ws.files() == before
