"""The watchdog (issue 18 section 4) against botocore's SageMaker service model.

moto answers DescribeMonitoringSchedule with HTTP 500 (facts.md), so these tests use botocore's Stubber on real
clients: every stubbed request and response is validated against the service model shipped with botocore
(DescribeMonitoringSchedule, ListMonitoringExecutions, DescribeProcessingJob, S3 GetObject, SNS Publish), so a
field name or status value the API does not have fails the test. Status values are the service model's enums
(checked below); "Job inputs had no data" is the FailureReason real executions carry when there was nothing to
analyse (aws/sagemaker-python-sdk issue 2634, aws/amazon-sagemaker-examples issue 2934); "Failure reason unknown"
is another real one from the same examples issue.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from pipelines.watchdog import cli, rules

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2031, 3, 10, 14, 5, tzinfo=timezone.utc)  # judged: executions scheduled 12:00-13:00
HOUR = datetime(2031, 3, 10, 14, 0, tzinfo=timezone.utc)
BASE = "fraud-detect-prod"
ARN = "arn:aws:sagemaker:us-east-1:123456789012"
TYPES = {"data-quality": "DataQuality", "model-quality": "ModelQuality", "model-bias": "ModelBias",
         "model-explainability": "ModelExplainability", "model-quality-matured": "ModelQuality"}
OLD = datetime(2030, 1, 1, tzinfo=timezone.utc)  # created long before: past the first maturity window
NEW = datetime(2031, 3, 1, tzinfo=timezone.utc)  # created 9 days before NOW: inside a 90-day maturity window


def _client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def clients():
    return {name: _client(name) for name in ("sagemaker", "s3", "sns")}


@pytest.fixture
def aws(clients):
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    yield clients, stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def _schedule(kind, *, created=OLD, status="Scheduled", expression="cron(0 * ? * * *)", reason=None, last=None):
    name = f"{BASE}-{kind}"
    response = {"MonitoringScheduleArn": f"{ARN}:monitoring-schedule/{name}", "MonitoringScheduleName": name,
                "MonitoringScheduleStatus": status, "MonitoringType": TYPES[kind], "CreationTime": created,
                "LastModifiedTime": created, "EndpointName": BASE,
                "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": expression},
                                             "MonitoringJobDefinitionName": f"{name}-definition",
                                             "MonitoringType": TYPES[kind]}}
    if reason:
        response["FailureReason"] = reason
    if last:
        response["LastMonitoringExecutionSummary"] = _execution(kind, last, "Completed")
    return response


def _execution(kind, scheduled, status, reason=None, job="job-1"):
    name = f"{BASE}-{kind}"
    summary = {"MonitoringScheduleName": name, "ScheduledTime": scheduled, "CreationTime": scheduled,
               "LastModifiedTime": scheduled + timedelta(minutes=20), "MonitoringExecutionStatus": status,
               "ProcessingJobArn": f"{ARN}:processing-job/{job}", "EndpointName": BASE,
               "MonitoringType": TYPES[kind]}
    if reason:
        summary["FailureReason"] = reason
    return summary


def _hourly(kind, overrides=None, start=HOUR - timedelta(hours=28)):
    """Hourly executions from ``start`` up to the current hour, Completed unless ``overrides`` says otherwise."""
    overrides = overrides or {}
    executions, when = [], start
    while when <= HOUR:
        status, reason = overrides.get(when, ("Completed", None))
        executions.append(_execution(kind, when, status, reason, job=f"job-{when:%H}"))
        when += timedelta(hours=1)
    return list(reversed(executions))  # SortOrder Descending


def _expect(stubbers, kind, schedule, executions, lookback_hours=28):
    name = f"{BASE}-{kind}"
    stubbers["sagemaker"].add_response("describe_monitoring_schedule", schedule, {"MonitoringScheduleName": name})
    stubbers["sagemaker"].add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": executions},
        {"MonitoringScheduleName": name, "ScheduledTimeAfter": HOUR - timedelta(hours=lookback_hours),
         "SortBy": "ScheduledTime", "SortOrder": "Descending", "MaxResults": 100})


def _job_definition(stubbers, kind, start_offset, end_offset):
    """DescribeModelQualityJobDefinition of the schedule's job definition, shaped as model-monitor-template.yml deploys
    it (ModelQualityJobDefinition / ModelQualityMaturedJobDefinition; the service model checks the response)."""
    name = f"{BASE}-{kind}-definition"
    stubbers["sagemaker"].add_response("describe_model_quality_job_definition", {
        "JobDefinitionArn": f"{ARN}:model-quality-job-definition/{name}", "JobDefinitionName": name,
        "CreationTime": OLD, "RoleArn": "arn:aws:iam::123456789012:role/fraud-model-monitor",
        "ModelQualityAppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                                     "sagemaker-model-monitor-analyzer",
                                         "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": {"EndpointName": BASE, "LocalPath": "/opt/ml/processing/input/endpoint",
                              "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5,
                              **({"StartTimeOffset": start_offset, "EndTimeOffset": end_offset} if start_offset
                                 else {})},
            "GroundTruthS3Input": {"S3Uri": "s3://fraud-ground-truth/fraud-detect-prod"}},
        "ModelQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://monitor-outputs/{BASE}/{kind}", "LocalPath": "/opt/ml/processing/output"}}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
    }, {"JobDefinitionName": name})


def _violations(stubbers, job, checks):
    stubbers["sagemaker"].add_response(
        "describe_processing_job",
        {"ProcessingJobName": job, "ProcessingJobArn": f"{ARN}:processing-job/{job}", "ProcessingJobStatus": "Completed",
         "CreationTime": HOUR, "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                                                "sagemaker-model-monitor-analyzer"},
         "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                   "VolumeSizeInGB": 20}},
         "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
             "S3Uri": f"s3://monitor-outputs/{BASE}/data-quality/{job}", "LocalPath": "/opt/ml/processing/resultdata",
             "S3UploadMode": "EndOfJob"}}]}},
        {"ProcessingJobName": job})
    body = json.dumps({"violations": [{"feature_name": "amount", "constraint_check_type": c, "description": "d"}
                                      for c in checks]}).encode()
    stubbers["s3"].add_response("get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))},
                                {"Bucket": "monitor-outputs", "Key": f"{BASE}/data-quality/{job}/constraint_violations.json"})


def _reader(s3):
    return lambda bucket, key: s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _run(clients, kinds, now=NOW, **config):
    settings = {"schedules": tuple(f"{BASE}-{k}" for k in kinds), **config}
    report = rules.check(clients["sagemaker"], _reader(clients["s3"]), rules.Config(**settings), now)
    return rules.render(report)


def test_status_values_are_the_service_models():
    model = _client("sagemaker").meta.service_model
    assert rules.STATUSES == tuple(model.shape_for("ExecutionStatus").enum)
    assert rules.SCHEDULE_STATUSES == tuple(model.shape_for("ScheduleStatus").enum)
    assert set(TYPES.values()) == set(model.shape_for("MonitoringType").enum)


def test_all_completed_pages_nobody(aws):
    clients, stubbers = aws
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality"))
    assert _run(clients, ["data-quality"]) == []


def test_a_failed_execution_pages_with_its_reason(aws):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "Failure reason unknown")}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", failed))
    assert _run(clients, ["data-quality"]) == [
        "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z Failed: Failure reason unknown"]


def test_a_failure_is_judged_once_not_again_the_next_hour(aws):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=3): ("Failed", "Failure reason unknown")}  # judged in the previous run
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", failed))
    assert _run(clients, ["data-quality"]) == []


def test_no_ground_truth_yet_in_the_first_maturity_window_is_a_note_not_a_page(aws):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "Job inputs had no data")}
    _expect(stubbers, "model-quality", _schedule("model-quality", created=NEW),
            _hourly("model-quality", failed, start=NEW))
    assert _run(clients, ["model-quality"], label_maturity_days=90) == [
        "note fraud-detect-prod-model-quality: execution scheduled 2031-03-10T12:00Z Failed with no ground truth yet "
        "(Job inputs had no data); not a page: first label maturity window, until 2031-05-30T00:00Z"]


def test_no_ground_truth_after_the_first_maturity_window_pages(aws):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "Job inputs had no data")}
    _expect(stubbers, "model-quality", _schedule("model-quality"), _hourly("model-quality", failed))
    _job_definition(stubbers, "model-quality", "-P8D", "-P7D")  # its window reaches 8 days back: well inside
    assert _run(clients, ["model-quality"]) == [
        "PAGE fraud-detect-prod-model-quality: execution scheduled 2031-03-10T12:00Z Failed with no ground truth yet "
        "(Job inputs had no data) after the first label maturity window on a stage with continuous traffic: captures "
        "or labels are not arriving"]


def test_no_ground_truth_after_label_maturity_pages_when_the_job_has_no_offsets(aws):
    clients, stubbers = aws  # a job definition without offsets reads the last period: no longer first window
    failed = {HOUR - timedelta(hours=2): ("Failed", "Job inputs had no data")}
    _expect(stubbers, "model-quality", _schedule("model-quality"), _hourly("model-quality", failed))
    _job_definition(stubbers, "model-quality", None, None)
    assert _run(clients, ["model-quality"]) == [
        "PAGE fraud-detect-prod-model-quality: execution scheduled 2031-03-10T12:00Z Failed with no ground truth yet "
        "(Job inputs had no data) after the first label maturity window on a stage with continuous traffic: captures "
        "or labels are not arriving"]


def test_a_ground_truth_wording_we_read_as_no_labels_is_treated_like_no_data(aws):
    # our reading (AWS publishes no wording): a model quality failure that mentions ground truth is "no labels yet"
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "ClientError: No ground truth data found to merge")}
    _expect(stubbers, "model-quality", _schedule("model-quality", created=NEW),
            _hourly("model-quality", failed, start=NEW))
    assert _run(clients, ["model-quality"])[0].startswith(
        "note fraud-detect-prod-model-quality: execution scheduled 2031-03-10T12:00Z Failed with no ground truth yet")


@pytest.mark.parametrize("traffic, expected", [
    ("intermittent", "note fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z Failed with no data "
                     "(Job inputs had no data); not a page: this stage's traffic is intermittent"),
    ("continuous", "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z Failed with no data "
                   "(Job inputs had no data) after the first label maturity window on a stage with continuous "
                   "traffic: captures or labels are not arriving"),
])
def test_no_data_on_a_quiet_stage_is_a_note_and_on_a_busy_one_a_page(aws, traffic, expected):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "Job inputs had no data")}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", failed))
    assert _run(clients, ["data-quality"], stage_traffic=traffic) == [expected]


def test_data_quality_violations_no_alarm_watches_page(aws):
    clients, stubbers = aws
    flagged = {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", flagged))
    _violations(stubbers, "job-12", ["completeness_check", "baseline_drift_check", "data_type_check",
                                     "completeness_check", "missing_column_check"])
    assert _run(clients, ["data-quality"]) == [
        "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z CompletedWithViolations that no "
        "alarm watches: completeness_check x2, data_type_check x1, missing_column_check x1"]


def test_drift_only_violations_are_watched_by_the_drift_alarms(aws):
    clients, stubbers = aws
    flagged = {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", flagged))
    _violations(stubbers, "job-12", ["baseline_drift_check", "baseline_drift_check"])
    assert _run(clients, ["data-quality"]) == [
        "note fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z CompletedWithViolations: 2 "
        "baseline_drift_check (watched by the drift alarms)"]


def test_violations_file_that_cannot_be_read_pages(aws):
    clients, stubbers = aws
    flagged = {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", flagged))
    stubbers["sagemaker"].add_client_error("describe_processing_job", "AccessDeniedException", http_status_code=400)
    assert _run(clients, ["data-quality"]) == [
        "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z CompletedWithViolations and its "
        "constraint_violations.json could not be read (AccessDeniedException): cannot tell whether only watched "
        "checks failed"]


@pytest.mark.parametrize("kind, expected", [
    ("model-bias", "PAGE fraud-detect-prod-model-bias: execution scheduled 2031-03-10T12:00Z CompletedWithViolations; "
                   "no alarm watches ModelBias violations: read constraint_violations.json in its output"),
    ("model-explainability", "PAGE fraud-detect-prod-model-explainability: execution scheduled 2031-03-10T12:00Z "
                             "CompletedWithViolations; no alarm watches ModelExplainability violations: read "
                             "constraint_violations.json in its output"),
    ("model-quality", "note fraud-detect-prod-model-quality: execution scheduled 2031-03-10T12:00Z "
                      "CompletedWithViolations (watched by the ModelQuality alarm)"),
])
def test_bias_and_explainability_violations_page_and_model_quality_is_watched(aws, kind, expected):
    clients, stubbers = aws
    flagged = {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)}
    _expect(stubbers, kind, _schedule(kind), _hourly(kind, flagged))
    assert _run(clients, [kind]) == [expected]


@pytest.mark.parametrize("status, expected", [
    ("InProgress", "execution scheduled 2031-03-10T12:00Z is still InProgress 2 h later"),
    ("Stopped", "execution scheduled 2031-03-10T12:00Z was Stopped (MaxRuntimeInSeconds reached?): it analysed "
                "nothing"),
])
def test_stuck_and_stopped_executions_page(aws, status, expected):
    clients, stubbers = aws
    _expect(stubbers, "data-quality", _schedule("data-quality"),
            _hourly("data-quality", {HOUR - timedelta(hours=2): (status, None)}))
    assert _run(clients, ["data-quality"]) == [f"PAGE fraud-detect-prod-data-quality: {expected}"]


def test_a_missing_execution_pages_once_when_the_gap_opens(aws):
    clients, stubbers = aws
    executions = [e for e in _hourly("data-quality") if e["ScheduledTime"] <= HOUR - timedelta(hours=3)]
    _expect(stubbers, "data-quality", _schedule("data-quality"), executions)
    assert _run(clients, ["data-quality"]) == [
        "PAGE fraud-detect-prod-data-quality: no execution since 2031-03-10T11:00Z (expected every 1 h): check the "
        "schedule, the endpoint and capture"]


def test_an_open_gap_is_not_paged_again_the_next_hour(aws):
    clients, stubbers = aws
    executions = [e for e in _hourly("data-quality") if e["ScheduledTime"] <= HOUR - timedelta(hours=4)]
    _expect(stubbers, "data-quality", _schedule("data-quality"), executions)
    assert _run(clients, ["data-quality"]) == []


def test_a_daily_schedule_is_not_missing_between_its_runs(aws):
    clients, stubbers = aws
    daily = [_execution("model-quality", HOUR.replace(hour=0) - timedelta(days=d), "Completed") for d in range(2)]
    _expect(stubbers, "model-quality", _schedule("model-quality", expression="cron(0 0 ? * * *)"), daily,
            lookback_hours=28)
    assert _run(clients, ["model-quality"]) == []


def test_the_daily_note_lists_the_last_24_hours_and_open_gaps(aws):
    clients, stubbers = aws
    now = datetime(2031, 3, 10, 8, 2, tzinfo=timezone.utc)
    hour = now.replace(minute=0, second=0)
    executions = [e for e in _hourly("data-quality", start=hour - timedelta(hours=40))
                  if e["ScheduledTime"] <= hour - timedelta(hours=10)]
    executions = [_execution("data-quality", e["ScheduledTime"], "Failed", "Job inputs had no data")
                  if e["ScheduledTime"] == hour - timedelta(hours=12) else e for e in executions]
    name = f"{BASE}-data-quality"
    stubbers["sagemaker"].add_response("describe_monitoring_schedule", _schedule("data-quality"),
                                       {"MonitoringScheduleName": name})
    stubbers["sagemaker"].add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": [e for e in executions
                                                                        if e["ScheduledTime"] >= hour - timedelta(hours=28)]},
        {"MonitoringScheduleName": name, "ScheduledTimeAfter": hour - timedelta(hours=28), "SortBy": "ScheduledTime",
         "SortOrder": "Descending", "MaxResults": 100})
    assert _run(clients, ["data-quality"], now=now, stage_traffic="intermittent") == [
        "note fraud-detect-prod-data-quality: (last 24 h) execution scheduled 2031-03-09T20:00Z Failed with no data "
        "(Job inputs had no data); not a page: this stage's traffic is intermittent",
        "note fraud-detect-prod-data-quality: still no execution since 2031-03-09T22:00Z (expected every 1 h): check "
        "the schedule, the endpoint and capture"]


def test_a_schedule_that_does_not_exist_pages(aws):
    clients, stubbers = aws
    stubbers["sagemaker"].add_client_error("describe_monitoring_schedule", "ResourceNotFound", "Could not find",
                                           http_status_code=400,
                                           expected_params={"MonitoringScheduleName": f"{BASE}-model-bias"})
    assert _run(clients, ["model-bias"]) == [
        "PAGE fraud-detect-prod-model-bias: schedule does not exist: no monitoring is happening that the watchdog can "
        "see"]


def test_a_stopped_schedule_pages(aws):
    clients, stubbers = aws
    stubbers["sagemaker"].add_response("describe_monitoring_schedule", _schedule("model-bias", status="Stopped"),
                                       {"MonitoringScheduleName": f"{BASE}-model-bias"})
    assert _run(clients, ["model-bias"]) == [
        "PAGE fraud-detect-prod-model-bias: schedule is Stopped: no FailureReason given"]


@pytest.mark.parametrize("expression, hours", [("cron(0 * ? * * *)", 1), ("cron(0 */6 ? * * *)", 6),
                                                ("cron(0 0 ? * * *)", 24), ("cron(0 2,14 ? * * *)", 12),
                                                ("cron(0 1,5 ? * * *)", 20), ("NOW", None), ("rate(1 hour)", None)])
def test_schedule_intervals_from_model_monitor_cron_forms(expression, hours):
    assert rules.schedule_interval_hours(expression) == hours


def test_the_lambda_publishes_pages_to_the_topic(aws, monkeypatch):
    clients, stubbers = aws
    monkeypatch.setenv("SCHEDULES", f"{BASE}-data-quality,")
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:fraud-alarms")
    monkeypatch.setenv("STAGE", "prod")
    failed = {HOUR - timedelta(hours=2): ("Failed", "Failure reason unknown")}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", failed))
    stubbers["sns"].add_response("publish", {"MessageId": "m-1"}, {
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:fraud-alarms",
        "Subject": "Model Monitor watchdog prod: 1 page(s)",
        "Message": "PAGE (prod) fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z Failed: "
                   "Failure reason unknown"})
    assert rules.handler({}, None, now=NOW, clients=(clients["sagemaker"], clients["s3"], clients["sns"])) == \
        {"pages": 1, "notes": 0}


def test_cli_exit_code_3_with_pages_and_0_without(aws, capsys):
    clients, stubbers = aws
    failed = {HOUR - timedelta(hours=2): ("Failed", "Failure reason unknown")}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", failed))
    code = cli.main(["--schedules", f"{BASE}-data-quality"], now=NOW, clients=(clients["sagemaker"], clients["s3"]))
    assert code == 3
    assert capsys.readouterr().out.splitlines() == [
        "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z Failed: Failure reason unknown",
        "watchdog at 2031-03-10T14:05Z: 1 schedule(s), 1 page(s), 0 note(s)"]
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality"))
    assert cli.main(["--schedules", f"{BASE}-data-quality", "--now", "2031-03-10T14:05:00Z"],
                    clients=(clients["sagemaker"], clients["s3"])) == 0


def test_cli_bad_now_is_one_line_and_exit_2(capsys):
    assert cli.main(["--schedules", "x", "--now", "yesterday"], clients=(None, None)) == 2
    assert capsys.readouterr().err == "error: --now 'yesterday' is not an ISO-8601 time (e.g. 2026-11-28T10:00:00Z)\n"


def test_the_template_carries_this_module_verbatim_as_the_lambda_code():
    from devtools import sync_watchdog_code

    assert sync_watchdog_code.main(["--check"]) == 0


def test_the_lambda_code_imports_only_the_standard_library_and_boto3():
    source = (REPO / "pipelines" / "watchdog" / "rules.py").read_text()
    imports = {line.split()[1].split(".")[0] for line in source.splitlines()
               if line.startswith(("import ", "from ")) or line.strip().startswith("import boto3")}
    assert imports == {"__future__", "json", "os", "re", "dataclasses", "datetime", "typing", "boto3"}


@pytest.mark.slow
def test_a_yaml_parser_reads_the_lambda_code_back_exactly():
    from cfn_flip import to_json

    template = json.loads(to_json((REPO / "model-monitor-template.yml").read_text()))
    code = template["Resources"]["WatchdogFunction"]["Properties"]["Code"]["ZipFile"]
    assert code == (REPO / "pipelines" / "watchdog" / "rules.py").read_text()


def test_the_estimate_schedules_violations_are_watched_by_its_alarms(aws):
    clients, stubbers = aws
    name = f"{BASE}-estimate"
    schedule = {**_schedule("data-quality"), "MonitoringScheduleName": name,
                "MonitoringScheduleArn": f"{ARN}:monitoring-schedule/{name}"}
    executions = [{**e, "MonitoringScheduleName": name} for e in _hourly(
        "data-quality", {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)})]
    stubbers["sagemaker"].add_response("describe_monitoring_schedule", schedule, {"MonitoringScheduleName": name})
    stubbers["sagemaker"].add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": executions},
        {"MonitoringScheduleName": name, "ScheduledTimeAfter": HOUR - timedelta(hours=28), "SortBy": "ScheduledTime",
         "SortOrder": "Descending", "MaxResults": 100})
    report = rules.check(clients["sagemaker"], _reader(clients["s3"]), rules.Config(schedules=(name,)), NOW)
    assert rules.render(report) == [
        "note fraud-detect-prod-estimate: execution scheduled 2031-03-10T12:00Z CompletedWithViolations (calibration "
        "assumption or score drift; ScoreDriftAlarm and EstimatedRecallAlarm watch the estimate)"]


def test_cli_reads_the_violations_file_through_the_projects_s3_store(aws, capsys):
    clients, stubbers = aws
    flagged = {HOUR - timedelta(hours=2): ("CompletedWithViolations", None)}
    _expect(stubbers, "data-quality", _schedule("data-quality"), _hourly("data-quality", flagged))
    _violations(stubbers, "job-12", ["extra_column_check"])
    assert cli.main(["--schedule-base-name", BASE, "--now", "2031-03-10T14:05:00Z"],
                    clients=(clients["sagemaker"], clients["s3"])) == 3
    # the other three schedules of the base name were not stubbed: each is a page, never "fine"
    assert capsys.readouterr().out.splitlines()[0] == (
        "PAGE fraud-detect-prod-data-quality: execution scheduled 2031-03-10T12:00Z CompletedWithViolations that no "
        "alarm watches: extra_column_check x1")


# ---- The matured model quality schedule (issue 18): its first window comes from its own offsets ------------------
MATURED = "model-quality-matured"
SCHEDULED = HOUR - timedelta(hours=2)  # the execution judged at NOW: 2031-03-10T12:00Z, a daily cron(0 12 ? * * *)


def _matured_run(clients, stubbers, created, reason, offset_read=True):
    """One daily matured execution that failed at SCHEDULED, the schedule created ``created`` (LabelMaturityDays 90)."""
    executions = [_execution(MATURED, SCHEDULED - timedelta(days=d), "Failed", reason, job=f"job-{d}")
                  for d in range(2)]
    _expect(stubbers, MATURED, _schedule(MATURED, created=created, expression="cron(0 12 ? * * *)"), executions)
    if offset_read == "denied":
        stubbers["sagemaker"].add_client_error("describe_model_quality_job_definition", "AccessDeniedException",
                                               http_status_code=400,
                                               expected_params={"JobDefinitionName": f"{BASE}-{MATURED}-definition"})
    elif offset_read:
        _job_definition(stubbers, MATURED, "-P90DT24H", "-P90D")
    return _run(clients, [MATURED], label_maturity_days=90)


def test_matured_no_data_on_day_5_is_a_note_without_reading_the_offsets(aws):
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED - timedelta(days=5), "Job inputs had no data",
                        offset_read=False) == [
        "note fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed with no ground "
        "truth yet (Job inputs had no data); not a page: first label maturity window, until 2031-06-03T12:00Z"]


def test_matured_no_data_half_a_day_past_label_maturity_is_still_its_first_window(aws):
    # created 90.5 days before: CreationTime + 90 days has passed, but the window (-P90DT24H) still starts before the
    # schedule existed until CreationTime + 91 days; judging by CreationTime + 90 days would page here
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED - timedelta(days=90, hours=12), "Job inputs had no data") == [
        "note fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed with no ground "
        "truth yet (Job inputs had no data); not a page: first window: its captures reach back -P90DT24H, before the "
        "schedule was created, until 2031-03-11T00:00Z"]


def test_matured_no_data_two_days_past_label_maturity_pages(aws):
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED - timedelta(days=92), "Job inputs had no data") == [
        "PAGE fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed with no ground "
        "truth yet (Job inputs had no data) after the first label maturity window on a stage with continuous "
        "traffic: captures or labels are not arriving"]


def test_a_matured_failure_that_is_not_no_data_pages_on_day_5(aws):
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED - timedelta(days=5), "Failure reason unknown",
                        offset_read=False) == [
        "PAGE fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed: Failure reason "
        "unknown"]


def test_an_execution_scheduled_before_the_first_window_closes_is_judged_by_its_hour_not_the_clock(aws):
    # the window closes at 13:00 (created 91 days before that); the 12:00 execution had nothing in its window even
    # though the watchdog judges it at 14:05, after the window closed
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED + timedelta(hours=1) - timedelta(days=91),
                        "Job inputs had no data") == [
        "note fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed with no ground "
        "truth yet (Job inputs had no data); not a page: first window: its captures reach back -P90DT24H, before the "
        "schedule was created, until 2031-03-10T13:00Z"]


def test_a_window_offset_that_cannot_be_read_pages(aws):
    clients, stubbers = aws
    assert _matured_run(clients, stubbers, SCHEDULED - timedelta(days=90, hours=12), "Job inputs had no data",
                        offset_read="denied") == [
        "PAGE fraud-detect-prod-model-quality-matured: execution scheduled 2031-03-10T12:00Z Failed with no ground "
        "truth yet (Job inputs had no data) and its job definition's StartTimeOffset could not be read "
        "(AccessDeniedException): cannot tell whether it is still the schedule's first window"]


@pytest.mark.parametrize("offset, reach", [("-P90DT24H", timedelta(days=91)), ("-P8D", timedelta(days=8)),
                                           ("-PT1H", timedelta(hours=1)), ("-P1W", timedelta(days=7)),
                                           ("-P30DT1H30M", timedelta(days=30, hours=1, minutes=30)),
                                           ("P8D", None), ("-P", None), ("", None), ("-P1Y", None)])
def test_window_offsets_in_model_monitor_duration_forms(offset, reach):
    assert rules.offset_reach(offset) == reach


def test_the_cli_watches_the_matured_schedule_of_a_base_name():
    args = cli.parse_args(["--schedule-base-name", BASE])
    assert cli.config_from_args(args).schedules == (
        f"{BASE}-data-quality", f"{BASE}-model-quality", f"{BASE}-model-bias", f"{BASE}-model-explainability",
        f"{BASE}-model-quality-matured")
