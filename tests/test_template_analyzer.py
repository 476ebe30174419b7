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
    assert {"AnalyzerEstimateSchedule", "EstimatedRecallAlarm", "ScoreDriftAlarm"} & set(resources) == set()


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


def test_the_alarm_watches_the_upper_end_of_the_estimates_interval_for_three_hours():
    alarm = render(_with(ON))["EstimatedRecallAlarm"]["Properties"]
    assert {key: value for key, value in alarm.items() if key not in ("AlarmActions", "OKActions")} == {
        "AlarmName": "fraud-detection-staging-estimated-recall",
        "AlarmDescription": "The upper end of the 95% interval of the estimated fraud recall of "
                            "fraud-detection-staging (calibrated scores, before the labels) stayed below 0.78 for 3 "
                            "hours. The estimate cannot see a new fraud pattern the model scores as legitimate; see "
                            "docs/analyzer.md.",
        "Namespace": "aws/sagemaker/Endpoints/data-metrics",  # AWS's custom-container sample (template comment)
        "MetricName": "estimated_recall_upper_95",
        "Dimensions": [{"Name": "Endpoint", "Value": "fraud-detection-staging"},
                       {"Name": "MonitoringSchedule", "Value": "fraud-detection-staging-estimate"}],
        "Statistic": "Maximum", "Period": 3600, "EvaluationPeriods": 3, "DatapointsToAlarm": 3,
        "ComparisonOperator": "LessThanThreshold", "Threshold": "0.78", "TreatMissingData": "missing", "Tags": TAGS}


def _alarms(props: dict, datapoints: list[float]) -> bool:
    """CloudWatch's M out of N rule (AWS docs, "Evaluating an alarm"): ALARM when at least DatapointsToAlarm of the
    last EvaluationPeriods datapoints breach; fewer datapoints than M never alarm with TreatMissingData missing."""
    breach = {"LessThanThreshold": lambda v, t: v < t, "GreaterThanOrEqualToThreshold": lambda v, t: v >= t}[
        props["ComparisonOperator"]]
    last = datapoints[-int(props["EvaluationPeriods"]):]
    return sum(breach(v, float(props["Threshold"])) for v in last) >= int(props["DatapointsToAlarm"])


def test_one_window_at_the_baseline_value_never_pages():
    import numpy as np

    from pipelines.analyze import estimate as cbpe

    alarm = render(_with(ON))["EstimatedRecallAlarm"]["Properties"]
    rng = np.random.default_rng(4)
    scores = np.where(rng.random(50_000) < 0.008, rng.beta(9.0, 2.0, 50_000), rng.beta(0.5, 300.0, 50_000))
    recall = cbpe.estimate_statistics(scores, 0.5, {"holds": None})["binary_classification_metrics"]["recall"]
    threshold = {**alarm, "Threshold": str(recall["value"])}  # the alarm set at exactly this window's value
    upper = recall["confidence_interval_95"][1]
    assert upper > recall["value"]  # the published metric is above the baseline value
    assert not _alarms(threshold, [upper])
    assert not _alarms(threshold, [recall["value"] - 0.05])  # even one low hour alone does not page
    assert _alarms(threshold, [recall["value"] - 0.05] * 3)


def test_a_calibration_file_adds_it_to_the_schedule_and_the_score_drift_alarm():
    calibration = f"{BUCKET}/derived-baselines/fraud/3/estimate/calibration.json"
    resources = render(_with({**ON, "AnalyzerCalibrationS3Uri": calibration}))
    environment = resources["AnalyzerEstimateSchedule"]["Properties"]["MonitoringScheduleConfig"][
        "MonitoringJobDefinition"]["Environment"]
    assert environment["calibration"] == calibration
    alarm = resources["ScoreDriftAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"],
            alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["TreatMissingData"]) == (
        "aws/sagemaker/Endpoints/data-metrics", "score_drift", "GreaterThanOrEqualToThreshold", 1, 3, 3, "missing")
    assert "ScoreDriftAlarm" not in render(_with(ON))


def test_no_alarm_without_a_threshold():
    resources = render(_with({**ON, "EstimatedRecallAlarmThreshold": ""}))
    assert "AnalyzerEstimateSchedule" in resources and "EstimatedRecallAlarm" not in resources


def test_cfn_lint_is_clean_with_the_block_on():
    findings = cfn_lint({"analyzer on": _with(ON), "with calibration": _with(
        {**ON, "AnalyzerCalibrationS3Uri": f"{BUCKET}/derived-baselines/fraud/3/estimate/calibration.json"})})
    assert findings == {"analyzer on": [], "with calibration": [], "": []}
