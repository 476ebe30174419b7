"""The watchdog block of model-monitor-template.yml (issue 18 section 4): what deploys, with which code, rights and
environment; the rendered Lambda request checked against botocore's Lambda service model."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.validate import ParamValidator

from pipelines.watchdog import rules
from tests.support.template_render import coerce, render, sample_parameters

pytestmark = pytest.mark.slow  # each case renders the whole template
EMAIL = {"NotificationEmail": "fraud-ml-oncall@example.com"}
WATCHDOG = {"WatchdogRole", "WatchdogFunction", "WatchdogScheduleRule", "WatchdogInvokePermission",
            "WatchdogNotRunningAlarm", "WatchdogReadViolationsPolicy", "WatchdogTopicKeyPolicy"}


def _environment(resources):
    return resources["WatchdogFunction"]["Properties"]["Environment"]["Variables"]


def test_the_watchdog_watches_exactly_the_deployed_schedules():
    resources = render(sample_parameters(**EMAIL, EnableModelBiasMonitor="no"))
    config = rules.config_from_environment(_environment(resources))
    assert config == rules.Config(
        schedules=("fraud-detection-staging-data-quality", "fraud-detection-staging-model-quality",
                   "fraud-detection-staging-model-quality-matured", "fraud-detection-staging-model-explainability"),
        label_maturity_days=90, stage_traffic="continuous", settle_hours=2, note_hour=8, stage="staging")
    assert _environment(resources)["TOPIC_ARN"] == "AlarmTopic"


def test_stage_traffic_and_label_maturity_reach_the_watchdog():
    resources = render({**sample_parameters(**EMAIL), "StageTraffic": "intermittent", "LabelMaturityDays": "60"})
    config = rules.config_from_environment(_environment(resources))
    assert (config.stage_traffic, config.label_maturity_days) == ("intermittent", 60)


def test_a_now_run_or_the_processing_engine_has_no_matured_schedule_to_watch():
    resources = render({**sample_parameters(**EMAIL), "ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                        "DataAnalysisEndTime": "-PT0H"})
    assert "fraud-detection-staging-model-quality-matured" not in rules.config_from_environment(
        _environment(resources)).schedules


def test_no_watchdog_without_a_topic_or_when_switched_off():
    assert WATCHDOG & set(render(sample_parameters())) == set()
    assert WATCHDOG & set(render({**sample_parameters(**EMAIL), "EnableWatchdog": "no"})) == set()
    assert WATCHDOG <= set(render(sample_parameters(**EMAIL)))


def test_the_function_is_a_valid_create_function_request_running_this_repositorys_code():
    props = dict(render(sample_parameters(**EMAIL))["WatchdogFunction"]["Properties"])
    assert props.pop("ReservedConcurrentExecutions") == 1  # PutFunctionConcurrency, not CreateFunction
    props.pop("Tags")  # a list in CloudFormation, a map in the API
    shape = botocore.session.get_session().get_service_model("lambda").operation_model("CreateFunction").input_shape
    request = coerce({**props, "Role": "arn:aws:iam::555555555555:role/watchdog"}, shape)
    request["Code"] = {"ZipFile": request["Code"]["ZipFile"].encode()}
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert (props["Runtime"], props["Handler"]) == ("python3.12", "index.handler")  # CloudFormation writes index.py
    assert props["DeadLetterConfig"] == {"TargetArn": "AlarmTopic"}  # a failed run reaches the people paged


def test_the_role_allows_exactly_the_calls_the_watchdog_makes():
    resources = render(sample_parameters(**EMAIL))
    statements = resources["WatchdogRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    policies = [resources[p]["Properties"]["PolicyDocument"]["Statement"][0]
                for p in ("WatchdogReadViolationsPolicy", "WatchdogTopicKeyPolicy")]
    assert actions == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                       "sagemaker:DescribeMonitoringSchedule", "sagemaker:ListMonitoringExecutions",
                       "sagemaker:DescribeProcessingJob", "sagemaker:DescribeModelQualityJobDefinition",
                       "sagemaker:DescribeModelBiasJobDefinition", "sns:Publish"}
    offsets = next(s for s in statements if s["Sid"] == "ReadWindowOffsets")["Resource"]
    assert offsets == [f"arn:aws:sagemaker:us-east-1:555555555555:{kind}-job-definition/*"
                       for kind in ("model-quality", "model-bias")]
    assert policies[0]["Action"] == "s3:GetObject"
    assert policies[0]["Resource"].startswith("arn:aws:s3:::") and policies[0]["Resource"].endswith("/*")
    assert policies[1]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    with open(rules.__file__, encoding="utf-8") as handle:
        source = handle.read()
    for call in ("describe_monitoring_schedule", "list_monitoring_executions", "describe_processing_job",
                 "get_object", "publish"):
        assert f".{call}(" in source
    assert set(rules.JOB_DEFINITION_INPUTS) == {"ModelQuality", "ModelBias"}  # called by name from this table
    assert {call for call, _ in rules.JOB_DEFINITION_INPUTS.values()} == {
        "describe_model_quality_job_definition", "describe_model_bias_job_definition"}


def test_the_watchdog_runs_hourly_five_minutes_past():
    rule = render(sample_parameters(**EMAIL))["WatchdogScheduleRule"]["Properties"]
    assert rule["ScheduleExpression"] == "cron(5 * * * ? *)"
    assert rule["Targets"] == [{"Id": "Watchdog", "Arn": "WatchdogFunction.Arn"}]
