"""Per-monitor cadence: effective schedule and runtime, the cadence rules, missed-run windows, the cost lines; and the
same rules through the CLI's validation step (exit 2, every problem listed, nothing written)."""

from __future__ import annotations

import json

import pytest

from pipelines.core.monitors import DATA_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY, MODEL_QUALITY, MONITORS
from pipelines.deploy.schedules import (
    cadence,
    cost_lines,
    fill_missed_run_hours,
    missed_run_hours,
    offset_hours,
    run_hours,
    schedule_problems,
)
from pipelines.deploy.template_params import load_template_parameters
from tests.support.template_render import TEMPLATE_PATH

SPECS = load_template_parameters(TEMPLATE_PATH)
SHIPPED = json.loads((TEMPLATE_PATH.parent / "staging-monitoring-schedule-config.json").read_text())["Parameters"]


def params(**overrides: str) -> dict[str, str]:
    """The shipped staging cadence with ground truth, every monitor on, plus overrides."""
    return {**SHIPPED, "GroundTruthInput": "s3://fraud-monitor-outputs-123456789012/ground-truth/fraud-staging",
            **overrides}


@pytest.mark.parametrize(("expression", "hours"), [
    ("cron(0 * ? * * *)", list(range(24))),
    ("cron(0 4 ? * * *)", [4]),
    ("cron(0 0/6 ? * * *)", [0, 6, 12, 18]),
    ("cron(0 2/5 ? * * *)", [2, 7, 12, 17, 22]),
    ("NOW", None),
    ("cron(15 * ? * * *)", None),
    ("cron(0 0/0 ? * * *)", None),  # the cron pattern accepts "/0"; it is no schedule
])
def test_run_hours_reads_the_model_monitor_cron_forms(expression: str, hours: list[int] | None) -> None:
    assert run_hours(expression) == hours


@pytest.mark.parametrize(("offset", "hours"), [("-P8D", 192), ("-P7DT1H", 169), ("-PT1H", 1), ("-P", None),
                                               ("P8D", None)])
def test_offset_hours(offset: str, hours: int | None) -> None:
    assert offset_hours(offset) == hours


def test_each_monitor_gets_its_own_cadence_and_an_empty_value_falls_back_to_the_shared_one() -> None:
    shipped = params(DataQualityScheduleExpression="")
    assert {m.key: (c.expression, c.runtime, c.runs_per_day, c.interval_hours)
            for m in MONITORS for c in [cadence(shipped, SPECS, m)]} == {
        "data-quality": ("cron(0 * ? * * *)", 1800, 24, 1),  # shared ScheduleExpression and MaxRuntimeInSeconds
        "model-quality": ("cron(0 4 ? * * *)", 3600, 1, 24),
        "model-bias": ("cron(0 5 ? * * *)", 3600, 1, 24),
        "model-explainability": ("cron(0 6 ? * * *)", 7200, 1, 24),
    }


def test_now_in_the_shared_expression_runs_every_monitor_once() -> None:
    now = params(ScheduleExpression="NOW")
    assert {cadence(now, SPECS, m).expression for m in MONITORS} == {"NOW"}
    assert {cadence(now, SPECS, m).executions_per_month for m in MONITORS} == {1}


def test_the_shipped_fraud_cadence_passes_every_rule() -> None:
    assert schedule_problems(params(), SPECS) == []


def test_hourly_model_quality_and_bias_need_at_most_1800_seconds() -> None:
    hourly = params(ModelQualityScheduleExpression="cron(0 * ? * * *)", ModelBiasScheduleExpression="cron(0 * ? * * *)",
                    GroundTruthStartTimeOffset="-P7DT1H")
    assert schedule_problems(hourly, SPECS) == [
        "hourly model quality needs MaxRuntimeInSeconds <= 1800 (its ground-truth merge job shares the hour), got "
        "3600; lower ModelQualityMaxRuntimeInSeconds or run it daily",
        "hourly model bias needs MaxRuntimeInSeconds <= 1800 (its ground-truth merge job shares the hour), got 3600; "
        "lower ModelBiasMaxRuntimeInSeconds or run it daily",
    ]
    assert schedule_problems({**hourly, "ModelQualityMaxRuntimeInSeconds": "1800",
                              "ModelBiasMaxRuntimeInSeconds": ""}, SPECS) == []  # "" = the shared 1800


def test_the_ground_truth_start_offset_must_be_before_the_end_offset() -> None:
    assert schedule_problems(params(GroundTruthStartTimeOffset="-P7D", GroundTruthEndTimeOffset="-P8D"), SPECS) == [
        "GroundTruthStartTimeOffset -P7D must be earlier than GroundTruthEndTimeOffset -P8D (e.g. -P8D and -P7D)"]


def test_a_label_window_shorter_than_the_cadence_leaves_predictions_unchecked() -> None:
    assert schedule_problems(params(GroundTruthStartTimeOffset="-P7DT1H"), SPECS) == [
        f"the late-label window -P7DT1H to -P7D covers 1 hour(s) but the {title} schedule '{expression}' runs every "
        "24 hours, so predictions between runs are never compared with labels; widen the window to at least 24 hours "
        "or run more often"
        for title, expression in (("model quality", "cron(0 4 ? * * *)"), ("model bias", "cron(0 5 ? * * *)"))
    ]


def test_model_quality_needs_an_inference_or_probability_attribute() -> None:
    assert schedule_problems(params(ProbabilityAttribute="", InferenceAttribute=""), SPECS) == [
        "model quality needs InferenceAttribute or ProbabilityAttribute (where the prediction is in the endpoint "
        "output); set ProbabilityAttribute to the fraud probability's index, e.g. \"0\""]
    assert schedule_problems(params(ProbabilityAttribute="", InferenceAttribute="1"), SPECS) == []


def test_rules_of_a_monitor_that_does_not_deploy_are_not_applied() -> None:
    off = params(ProbabilityAttribute="", GroundTruthStartTimeOffset="-P7DT1H", GroundTruthInput="")
    assert schedule_problems(off, SPECS) == []


def test_drift_alarms_need_an_hourly_data_quality_schedule() -> None:
    assert schedule_problems(params(DriftAlarmFeatures="amount", DataQualityScheduleExpression="cron(0 0/2 ? * * *)"),
                             SPECS) == [
        "DriftAlarmFeatures needs an hourly data quality schedule, not 'cron(0 0/2 ? * * *)': drift alarms are "
        "Metrics Insights alarms, which see only the last 3 hours; set DataQualityScheduleExpression to "
        "cron(0 * ? * * *) or clear DriftAlarmFeatures"]


def test_a_per_monitor_cron_model_monitor_does_not_accept_is_named_and_runtime_over_a_day_is_refused() -> None:
    assert schedule_problems(params(ModelBiasScheduleExpression="cron(30 2 ? * * *)",
                                    ModelExplainabilityMaxRuntimeInSeconds="90000"), SPECS) == [
        "ModelBiasScheduleExpression 'cron(30 2 ? * * *)' is not a Model Monitor schedule; use hourly "
        "cron(0 * ? * * *), daily cron(0 H ? * * *) or every N hours cron(0 H/N ? * * *)",
        "model explainability MaxRuntimeInSeconds is 90000, over SageMaker's 86400; lower "
        "ModelExplainabilityMaxRuntimeInSeconds",
    ]


def test_every_zero_hours_is_refused_for_the_shared_and_a_per_monitor_expression() -> None:
    assert schedule_problems(params(ScheduleExpression="cron(0 0/0 ? * * *)",
                                    ModelQualityScheduleExpression="cron(0 3/00 ? * * *)"), SPECS) == [
        f"{name} '{expression}' is not a Model Monitor schedule; use hourly cron(0 * ? * * *), daily "
        "cron(0 H ? * * *) or every N hours cron(0 H/N ? * * *)"
        for name, expression in (("ScheduleExpression", "cron(0 0/0 ? * * *)"),
                                 ("ModelQualityScheduleExpression", "cron(0 3/00 ? * * *)"))
    ]


@pytest.mark.parametrize(("expression", "runtime", "hours"), [
    ("cron(0 * ? * * *)", "1800", 3), ("cron(0 4 ? * * *)", "3600", 26), ("cron(0 4 ? * * *)", "7200", 27),
    ("cron(0 2/5 ? * * *)", "600", 7), ("NOW", "1800", None)])
def test_the_missed_run_window_is_the_longest_gap_plus_runtime_plus_an_hour(expression: str, runtime: str,
                                                                              hours: int | None) -> None:
    run = cadence(params(ScheduleExpression=expression, DataQualityScheduleExpression="",
                         MaxRuntimeInSeconds=runtime), SPECS, DATA_QUALITY)
    assert missed_run_hours(run) == hours


def test_missed_run_hours_are_filled_for_deployed_monitors_unless_the_stage_file_sets_them() -> None:
    values = params(EnableModelBiasMonitor="no")
    fill_missed_run_hours(values, {"ModelQualityMissedRunAlarmHours": "48"}, SPECS)
    assert {k: v for k, v in values.items() if k.endswith("MissedRunAlarmHours")} == {
        "DataQualityMissedRunAlarmHours": "3", "ModelExplainabilityMissedRunAlarmHours": "27"}


def test_cost_lines_show_executions_and_the_instance_hours_upper_bound_per_monitor_and_in_total() -> None:
    lines = cost_lines(params(InstanceCount="2"), SPECS, [DATA_QUALITY, MODEL_QUALITY, MODEL_BIAS,
                                                          MODEL_EXPLAINABILITY])
    assert lines == [
        "  cadence (30-day month; upper bound = executions x MaxRuntime x InstanceCount 2):",
        "      data quality          cron(0 * ? * * *)   720 executions/month  MaxRuntime 1800s  <= 720.0 "
        "instance-hours/month",
        "      model quality         cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 60.0 "
        "instance-hours/month",
        # the matured evaluation (issue 18): the same job, same cadence, on captures LabelMaturityDays old
        "      model quality matured cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 60.0 "
        "instance-hours/month",
        "      model bias            cron(0 5 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 60.0 "
        "instance-hours/month",
        "      model explainability  cron(0 6 ? * * *)    30 executions/month  MaxRuntime 7200s  <= 120.0 "
        "instance-hours/month",
        "      stage total                               840 executions/month  <= 1020.0 instance-hours/month",
    ]


# ---- through the CLI --------------------------------------------------------------------------------------------


def _stage_file(tmp_path, stage: str, **overrides: str):
    path = tmp_path / f"{stage}-config.json"
    document = json.loads((TEMPLATE_PATH.parent / f"{stage}-monitoring-schedule-config.json").read_text())
    document["Parameters"].update(overrides)
    path.write_text(json.dumps(document))
    return path


def test_the_cli_lists_every_cadence_problem_and_writes_nothing(cli, seeded, tmp_path):
    staging = _stage_file(tmp_path, "staging", ModelQualityScheduleExpression="cron(0 * ? * * *)",
                          GroundTruthStartTimeOffset="-P7D", GroundTruthEndTimeOffset="-P7D")
    result = cli("--import-staging-config", str(staging))
    assert result.exit_code == 2
    assert result.err.splitlines() == [
        "error: staging: hourly model quality needs MaxRuntimeInSeconds <= 1800 (its ground-truth merge job shares "
        "the hour), got 3600; lower ModelQualityMaxRuntimeInSeconds or run it daily",
        "error: staging: GroundTruthStartTimeOffset -P7D must be earlier than GroundTruthEndTimeOffset -P7D "
        "(e.g. -P8D and -P7D)",
        "error: 2 problem(s) in the generated parameters; nothing was written",
    ]
    assert cli.files() == {}


def test_the_printed_plan_shows_the_cost_of_each_stage(cli, seeded):
    result = cli("--dry-run")
    assert result.exit_code == 0, result.err
    staging = result.out.split("Stage staging")[1].split("Stage prod")[0].splitlines()
    start = staging.index("  cadence (30-day month; upper bound = executions x MaxRuntime x InstanceCount 1):")
    assert staging[start + 1:start + 7] == [
        "      data quality          cron(0 * ? * * *)   720 executions/month  MaxRuntime 1800s  <= 360.0 "
        "instance-hours/month",
        "      model quality         cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 30.0 "
        "instance-hours/month",
        "      model quality matured cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 30.0 "
        "instance-hours/month",
        "      model bias            cron(0 5 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 30.0 "
        "instance-hours/month",
        "      model explainability  cron(0 6 ? * * *)    30 executions/month  MaxRuntime 7200s  <= 60.0 "
        "instance-hours/month",
        "      stage total                               840 executions/month  <= 510.0 instance-hours/month",
    ]
