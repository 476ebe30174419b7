"""The optional analyzer block of model-monitor-template.yml (issue 13): off by default; with an image and an
output prefix, an hourly estimate schedule (custom container) and, with a threshold, an alarm on estimated_recall."""

from __future__ import annotations

import pytest
from botocore.validate import ParamValidator

from tests.support.template_render import BUCKET, _sagemaker_model, api_requests, cfn_lint, render, sample_parameters

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-monitor-analyzer:1"
ON = {"AnalyzerImageUri": IMAGE, "AnalyzerEstimateOutputS3Uri": f"{BUCKET}/monitoring/staging/estimate",
      "EstimatedRecallAlarmThreshold": "0.78"}
TAGS = [{"Key": "sagemaker:project-name", "Value": "fraud-detection"},
        {"Key": "sagemaker:project-id", "Value": "p-1a2b3c4d5e6f"}, {"Key": "stage", "Value": "staging"}]
pytestmark = pytest.mark.slow


def _with(extra: dict[str, str]) -> dict[str, str]:
    """sample_parameters plus the block's parameters (which sample_parameters does not know)."""
    return {**sample_parameters(), **extra}


def test_the_block_is_off_by_default():
    resources = render(sample_parameters())
    assert {"AnalyzerEstimateSchedule", "EstimatedRecallAlarm"} & set(resources) == set()


def test_an_image_and_an_output_prefix_add_the_estimate_schedule_as_a_valid_api_request():
    resources = render(_with(ON))
    schedule = resources["AnalyzerEstimateSchedule"]["Properties"]
    definition = schedule["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
    assert schedule["MonitoringScheduleName"] == "fraud-detection-staging-estimate"
    assert definition["MonitoringAppSpecification"] == {"ImageUri": IMAGE}
    assert definition["Environment"] == {"analyzer_command": "estimate", "threshold": "0.5",
                                         "ground_truth": sample_parameters()["GroundTruthInput"],
                                         "publish_cloudwatch_metrics": "Enabled"}
    assert definition["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] == \
        f"{BUCKET}/monitoring/staging/estimate"
    assert definition["NetworkConfig"]["EnableNetworkIsolation"] is False  # it reads the labels from S3 itself
    operation, request = api_requests(resources)["AnalyzerEstimateSchedule"]
    report = ParamValidator().validate(request, _sagemaker_model().operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def test_the_alarm_watches_estimated_recall_of_the_estimate_schedule():
    alarm = render(_with(ON))["EstimatedRecallAlarm"]["Properties"]
    assert {key: value for key, value in alarm.items() if key not in ("AlarmActions", "OKActions")} == {
        "AlarmName": "fraud-detection-staging-estimated-recall",
        "AlarmDescription": "Estimated fraud recall of fraud-detection-staging (from calibrated scores, before the "
                            "labels) fell below 0.78.",
        "Namespace": "/aws/sagemaker/Endpoint/data-metrics",
        "MetricName": "estimated_recall",
        "Dimensions": [{"Name": "Endpoint", "Value": "fraud-detection-staging"},
                       {"Name": "MonitoringSchedule", "Value": "fraud-detection-staging-estimate"}],
        "Statistic": "Minimum", "Period": 3600, "EvaluationPeriods": 1, "ComparisonOperator": "LessThanThreshold",
        "Threshold": "0.78", "TreatMissingData": "breaching", "Tags": TAGS}


def test_no_alarm_without_a_threshold():
    resources = render(_with({**ON, "EstimatedRecallAlarmThreshold": ""}))
    assert "AnalyzerEstimateSchedule" in resources and "EstimatedRecallAlarm" not in resources


def test_cfn_lint_is_clean_with_the_block_on():
    findings = cfn_lint({"analyzer on": _with(ON)})
    assert findings == {"analyzer on": [], "": []}
