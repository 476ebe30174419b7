"""pipelines.report: SageMaker side on botocore's Stubber (real response shapes), S3 side on moto."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipelines.core.files import canonical_json
from pipelines.core.monitors import MONITORS
from pipelines.report import cli as report
from tests.fixtures.violations.seed import fixture_bytes, seed_violations
from tests.support.reliability import break_bodies
from tests.support.report import BASE, ENDPOINT, PARAMS, put, run_report

FIXTURES = Path(__file__).parent / "fixtures" / "violations"
HOUR = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
EARLIER = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
MONITORING_TYPES = {"data-quality": "DataQuality", "model-quality": "ModelQuality", "model-bias": "ModelBias",
                    "model-explainability": "ModelExplainability"}


def output_prefix(monitor: str, when: datetime) -> str:
    return f"{PARAMS[MONITORS_BY_KEY[monitor].output_param]}/{ENDPOINT}/{BASE}-{monitor}/{when:%Y/%m/%d/%H}"


MONITORS_BY_KEY = {m.key: m for m in MONITORS}


def job_name(monitor: str) -> str:
    return f"model-monitoring-202611271000-{abs(hash(monitor)) % 10**8:08d}"[:63]


def stub_schedule(sm, monitor: str, executions: list[tuple[datetime, str, str]]) -> None:
    """DescribeMonitoringSchedule + ListMonitoringExecutions for one monitor, shaped like the service's answers."""
    name = f"{BASE}-{monitor}"
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{name}"
    sm.stubber.add_response("describe_monitoring_schedule", {
        "MonitoringScheduleArn": arn,
        "MonitoringScheduleName": name,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": MONITORING_TYPES[monitor],
        "CreationTime": EARLIER,
        "LastModifiedTime": EARLIER,
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": f"{monitor}-jobdef-a1b2c3",
            "MonitoringType": MONITORING_TYPES[monitor],
        },
        "EndpointName": ENDPOINT,
    }, {"MonitoringScheduleName": name})
    summaries = []
    for when, status, reason in executions:
        summary = {
            "MonitoringScheduleName": name,
            "ScheduledTime": when,
            "CreationTime": when,
            "LastModifiedTime": when,
            "MonitoringExecutionStatus": status,
            "EndpointName": ENDPOINT,
            "MonitoringJobDefinitionName": f"{monitor}-jobdef-a1b2c3",
            "MonitoringType": MONITORING_TYPES[monitor],
        }
        if status != "Pending":
            summary["ProcessingJobArn"] = f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{job_name(monitor)}"
        if reason:
            summary["FailureReason"] = reason
        summaries.append(summary)
    sm.stubber.add_response("list_monitoring_executions", {"MonitoringExecutionSummaries": summaries},
                            {"MonitoringScheduleName": name, "SortBy": "ScheduledTime", "SortOrder": "Descending",
                             "MaxResults": 3})


def stub_job(sm, monitor: str, when: datetime) -> None:
    """DescribeProcessingJob of the execution: its output prefix is where constraint_violations.json lives."""
    name = job_name(monitor)
    sm.stubber.add_response("describe_processing_job", {
        "ProcessingJobName": name,
        "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{name}",
        "ProcessingJobStatus": "Completed",
        "CreationTime": when,
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                         "sagemaker-model-monitor-analyzer"},
        "ProcessingOutputConfig": {"Outputs": [{
            "OutputName": "result",
            "S3Output": {"S3Uri": output_prefix(monitor, when), "LocalPath": "/opt/ml/processing/resultdata",
                         "S3UploadMode": "Continuous"},
        }]},
        "MonitoringScheduleArn": f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{BASE}-{monitor}",
    }, {"ProcessingJobName": name})


def stub_all_healthy(sm, s3) -> None:
    for monitor in MONITORS_BY_KEY:
        stub_schedule(sm, monitor, [(HOUR, "CompletedWithViolations", ""),
                                    (EARLIER, "Failed", "Job inputs had no data")])
        stub_job(sm, monitor, HOUR)
        put(s3, output_prefix(monitor, HOUR) + "/constraint_violations.json", fixture_bytes(monitor))
        put(s3, output_prefix(monitor, EARLIER) + "/constraint_violations.json", fixture_bytes("none"))


FULL_REPORT = """\
verdict: prod DEGRADED: data-quality: 3 violations since 2026-11-27T10:00:00Z (merchant_category, transaction_amount, txn_count_24h); model-quality: 2 violations since 2026-11-27T10:00:00Z (f2, recall); model-bias: 2 violations since 2026-11-27T10:00:00Z (DI [customer_age_band=65+], DPPL [customer_age_band=65+]); model-explainability: 1 violation since 2026-11-27T10:00:00Z (label0 (shap))
monitoring report: stage prod, endpoint fraud-detect-prod

data-quality: schedule fraud-detect-prod-data-quality
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  CompletedWithViolations
    2026-11-27T09:00:00Z  Failed                   Job inputs had no data
  violations: 3 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/data-quality/fraud-detect-prod/fraud-detect-prod-data-quality/2026/11/27/10/constraint_violations.json
    FEATURE / METRIC    CHECK                 DESCRIPTION
    merchant_category   missing_column_check  There are missing columns in current dataset. Number of columns in current dataset: 9, Number of columns in baseline constraints: 10
    transaction_amount  baseline_drift_check  Baseline drift distance: 0.2153846153846154 exceeds threshold: 0.1
    txn_count_24h       data_type_check       Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 97.2% of data is Integral.

model-quality: schedule fraud-detect-prod-model-quality
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  CompletedWithViolations
    2026-11-27T09:00:00Z  Failed                   Job inputs had no data
  violations: 2 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-quality/fraud-detect-prod/fraud-detect-prod-model-quality/2026/11/27/10/constraint_violations.json
    FEATURE / METRIC  CHECK              DESCRIPTION
    f2                LessThanThreshold  Metric f2 with 0.6521739130434783 +/- 0.003914 was LessThanThreshold 0.8108108108108107
    recall            LessThanThreshold  Metric recall with 0.6153846153846154 +/- 0.004590 was LessThanThreshold 0.7941176470588235

model-bias: schedule fraud-detect-prod-model-bias
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  CompletedWithViolations
    2026-11-27T09:00:00Z  Failed                   Job inputs had no data
  violations: 2 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-bias/fraud-detect-prod/fraud-detect-prod-model-bias/2026/11/27/10/constraint_violations.json
    FEATURE / METRIC              CHECK             DESCRIPTION
    DI [customer_age_band=65+]    bias_drift_check  Value 0.6617647058823529 does not meet the constraint requirement
    DPPL [customer_age_band=65+]  bias_drift_check  Value 0.21837349397590361 does not meet the constraint requirement

model-explainability: schedule fraud-detect-prod-model-explainability
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  CompletedWithViolations
    2026-11-27T09:00:00Z  Failed                   Job inputs had no data
  violations: 1 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-explainability/fraud-detect-prod/fraud-detect-prod-model-explainability/2026/11/27/10/constraint_violations.json
    FEATURE / METRIC  CHECK                            DESCRIPTION
    label0 (shap)     feature_attribution_drift_check  Feature attribution drift 0.8127 exceeds threshold 0.9

total: 8 violations (data-quality 3, model-quality 2, model-bias 2, model-explainability 1); verdict DEGRADED
"""


def test_report_shows_status_executions_and_violations_of_all_four_monitors(sm, s3, tmp_path, monkeypatch):
    stub_all_healthy(sm, s3)

    code, out = run_report(sm, s3, tmp_path, monkeypatch)

    assert (code, out) == (3, FULL_REPORT)


@pytest.mark.parametrize("fault", ["read-timeout", "connection-broken", "eof"])
def test_a_violations_file_that_breaks_while_being_read_is_read_again_with_the_same_report(sm, s3, tmp_path,
                                                                                           monkeypatch, no_backoff,
                                                                                           fault):
    stub_all_healthy(sm, s3)
    requests = break_bodies(s3, 2, fault, good=10)

    code, out = run_report(sm, s3, tmp_path, monkeypatch)

    assert (code, out) == (3, FULL_REPORT)
    # the latest violations file per monitor, each monitor's two executions read again for the verdict's 'since',
    # plus the two reads that broke
    assert len(requests) == 4 + 8 + 2


def test_report_json_is_canonical_and_lists_every_monitor_in_a_fixed_order(sm, s3, tmp_path, monkeypatch):
    stub_all_healthy(sm, s3)

    code, out = run_report(sm, s3, tmp_path, monkeypatch, "--json")

    data = json.loads(out)
    assert code == 3
    assert out == canonical_json(data).decode()
    assert [m["monitor"] for m in data["monitors"]] == ["data-quality", "model-quality", "model-bias",
                                                        "model-explainability"]
    assert data["total_violations"] == 8
    assert data["verdict"]["status"] == "DEGRADED"
    assert data["verdict"]["reasons"][0] == {
        "monitor": "data-quality", "since": "2026-11-27T10:00:00Z", "status": "DEGRADED",
        "text": "3 violations since 2026-11-27T10:00:00Z (merchant_category, transaction_amount, txn_count_24h)"}
    assert data["recall_windows"] is None  # no estimate output configured
    assert data["alarms"] is None  # no CloudWatch client given: not read
    bias_findings = [
        {"check": "bias_drift_check", "comparison": "outside", "description": "Value 0.6617647058823529 does not "
         "meet the constraint requirement", "feature": None, "metric": "DI", "name": "DI [customer_age_band=65+]",
         "observed": 0.6617647058823529, "threshold": None, "threshold_source": ""},
        {"check": "bias_drift_check", "comparison": "outside", "description": "Value 0.21837349397590361 does not "
         "meet the constraint requirement", "feature": None, "metric": "DPPL", "name": "DPPL [customer_age_band=65+]",
         "observed": 0.21837349397590361, "threshold": None, "threshold_source": ""},
    ]
    assert data["monitors"][2] == {
        "deployed": True,
        "executions": [
            {"failure_reason": "", "processing_job_arn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/"
             + job_name("model-bias"), "scheduled_time": "2026-11-27T10:00:00Z", "status": "CompletedWithViolations"},
            {"failure_reason": "Job inputs had no data", "processing_job_arn": "arn:aws:sagemaker:us-east-1:"
             "123456789012:processing-job/" + job_name("model-bias"), "scheduled_time": "2026-11-27T09:00:00Z",
             "status": "Failed"},
        ],
        "history": [
            {"error": None, "findings": [], "hour": "2026-11-27T09:00:00Z",
             "prefix": output_prefix("model-bias", EARLIER) + "/", "violations": 0},
            {"error": None, "findings": bias_findings, "hour": "2026-11-27T10:00:00Z",
             "prefix": output_prefix("model-bias", HOUR) + "/", "violations": 2},
        ],
        "history_error": None,
        "monitor": "model-bias",
        "not_deployed_reason": None,
        "schedule_error": None,
        "schedule_name": "fraud-detect-prod-model-bias",
        "schedule_status": "Scheduled",
        "violations": bias_findings,
        "violations_error": None,
        "violations_note": None,
        "violations_source": output_prefix("model-bias", HOUR) + "/constraint_violations.json",
    }
    model_quality = data["monitors"][1]["violations"]
    assert [(f["metric"], f["check"], f["observed"], f["comparison"], f["threshold"]) for f in model_quality] == [
        ("f2", "LessThanThreshold", 0.6521739130434783, "<", 0.8108108108108107),
        ("recall", "LessThanThreshold", 0.6153846153846154, "<", 0.7941176470588235)]
    data_quality = data["monitors"][0]["violations"]
    assert [(f["feature"], f["check"], f["observed"], f["comparison"], f["threshold"]) for f in data_quality] == [
        ("merchant_category", "missing_column_check", 9.0, "!=", 10.0),
        ("transaction_amount", "baseline_drift_check", 0.2153846153846154, ">", 0.1),
        ("txn_count_24h", "data_type_check", 0.972, "<", 1.0)]


def test_fail_on_violations_exits_3_and_names_the_counts(sm, s3, tmp_path, monkeypatch, capsys):
    stub_all_healthy(sm, s3)

    code, _ = run_report(sm, s3, tmp_path, monkeypatch, "--fail-on-violations")

    assert code == 3
    assert capsys.readouterr().err == (
        "error: verdict DEGRADED: 8 constraint violations (data-quality 3, model-quality 2, model-bias 2, model-explainability 1); "
        "investigate them, or update the baselines if the change is expected\n")


def test_fail_on_violations_exits_0_when_the_latest_executions_found_nothing(sm, s3, tmp_path, monkeypatch, capsys):
    for monitor in MONITORS_BY_KEY:
        stub_schedule(sm, monitor, [(HOUR, "Completed", "")])
        stub_job(sm, monitor, HOUR)
        put(s3, output_prefix(monitor, HOUR) + "/constraint_violations.json", fixture_bytes("none"))
        # an older file with violations must not count: only the latest completed execution does
        put(s3, output_prefix(monitor, EARLIER) + "/constraint_violations.json", fixture_bytes(monitor))

    code, out = run_report(sm, s3, tmp_path, monkeypatch, "--fail-on-violations")

    assert code == 0
    assert capsys.readouterr().err == ""
    assert out.splitlines()[0] == "verdict: prod OK: 4 monitors read, no violations"
    assert out.splitlines()[4:8] == [
        "  status: Scheduled",
        "  executions (newest first):",
        "    2026-11-27T10:00:00Z  Completed",
        "  violations: none in " + output_prefix("data-quality", HOUR) + "/constraint_violations.json",
    ]
    assert out.endswith("\ntotal: 0 violations; verdict OK\n")


DEGRADED_REPORT = """\
verdict: prod DEGRADED: data-quality: 3 violations since at least 2026-11-27T09:00:00Z (merchant_category, transaction_amount, txn_count_24h); model-quality: 2 violations since at least 2026-11-27T09:00:00Z (f2, recall); model-bias: 2 violations since at least 2026-11-27T09:00:00Z (DI [customer_age_band=65+], DPPL [customer_age_band=65+]); model-explainability: 1 violation since at least 2026-11-27T09:00:00Z (label0 (shap))
monitoring report: stage prod, endpoint fraud-detect-prod

data-quality: schedule fraud-detect-prod-data-quality
  schedule status unavailable: DescribeMonitoringSchedule failed: HTTP 500 Internal Server Error
  violations: 3 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/data-quality/fraud-detect-prod/fraud-detect-prod-data-quality/2026/11/27/10/constraint_violations.json (newest under DataQualityOutputS3Uri)
    FEATURE / METRIC    CHECK                 DESCRIPTION
    merchant_category   missing_column_check  There are missing columns in current dataset. Number of columns in current dataset: 9, Number of columns in baseline constraints: 10
    transaction_amount  baseline_drift_check  Baseline drift distance: 0.2153846153846154 exceeds threshold: 0.1
    txn_count_24h       data_type_check       Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 97.2% of data is Integral.

model-quality: schedule fraud-detect-prod-model-quality
  schedule status unavailable: DescribeMonitoringSchedule failed: HTTP 500 Internal Server Error
  violations: 2 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-quality/fraud-detect-prod/fraud-detect-prod-model-quality/2026/11/27/10/constraint_violations.json (newest under ModelQualityOutputS3Uri)
    FEATURE / METRIC  CHECK              DESCRIPTION
    f2                LessThanThreshold  Metric f2 with 0.6521739130434783 +/- 0.003914 was LessThanThreshold 0.8108108108108107
    recall            LessThanThreshold  Metric recall with 0.6153846153846154 +/- 0.004590 was LessThanThreshold 0.7941176470588235

model-bias: schedule fraud-detect-prod-model-bias
  schedule status unavailable: DescribeMonitoringSchedule failed: HTTP 500 Internal Server Error
  violations: 2 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-bias/fraud-detect-prod/fraud-detect-prod-model-bias/2026/11/27/10/constraint_violations.json (newest under ModelBiasOutputS3Uri)
    FEATURE / METRIC              CHECK             DESCRIPTION
    DI [customer_age_band=65+]    bias_drift_check  Value 0.6617647058823529 does not meet the constraint requirement
    DPPL [customer_age_band=65+]  bias_drift_check  Value 0.21837349397590361 does not meet the constraint requirement

model-explainability: schedule fraud-detect-prod-model-explainability
  schedule status unavailable: DescribeMonitoringSchedule failed: HTTP 500 Internal Server Error
  violations: 1 in s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-explainability/fraud-detect-prod/fraud-detect-prod-model-explainability/2026/11/27/10/constraint_violations.json (newest under ModelExplainabilityOutputS3Uri)
    FEATURE / METRIC  CHECK                            DESCRIPTION
    label0 (shap)     feature_attribution_drift_check  Feature attribution drift 0.8127 exceeds threshold 0.9

total: 8 violations (data-quality 3, model-quality 2, model-bias 2, model-explainability 1); verdict DEGRADED
"""


def test_report_without_schedule_api_says_why_and_still_shows_the_newest_violations_in_s3(
        sm, s3, tmp_path, monkeypatch):
    # moto_server answers DescribeMonitoringSchedule with an HTML 500 page (not implemented); asked once only
    sm.stubber.add_client_error("describe_monitoring_schedule", service_error_code="500", http_status_code=500,
                                service_message="<!doctype html>\n<html lang=en>\n<title>500 Internal Server "
                                                "Error</title>\n<h1>Internal Server Error</h1>",
                                expected_params={"MonitoringScheduleName": f"{BASE}-data-quality"})
    seed_violations(s3, PARAMS, when=EARLIER, create_buckets=False)
    for monitor in MONITORS_BY_KEY:  # the newer hour holds the file to show
        put(s3, output_prefix(monitor, HOUR) + "/constraint_violations.json", fixture_bytes(monitor))

    code, out = run_report(sm, s3, tmp_path, monkeypatch)

    assert (code, out) == (3, DEGRADED_REPORT)


def test_report_asks_every_schedule_when_one_is_missing_or_access_is_denied(sm, s3, tmp_path, monkeypatch):
    sm.stubber.add_client_error("describe_monitoring_schedule", service_error_code="ResourceNotFound",
                                service_message="Monitoring schedule fraud-detect-prod-data-quality not found",
                                http_status_code=400)
    sm.stubber.add_client_error("describe_monitoring_schedule", service_error_code="AccessDeniedException",
                                service_message="User is not authorized", http_status_code=400)
    stub_schedule(sm, "model-bias", [])
    stub_schedule(sm, "model-explainability", [(HOUR, "InProgress", "")])

    code, out = run_report(sm, s3, tmp_path, monkeypatch)

    assert code == 4  # UNKNOWN: no deployed monitor has a violations file to judge
    assert out == """\
verdict: prod UNKNOWN: data-quality unknown: DescribeMonitoringSchedule failed: ResourceNotFound (Monitoring schedule fraud-detect-prod-data-quality not found); no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/data-quality yet; model-quality unknown: DescribeMonitoringSchedule failed: access denied (grant sagemaker:DescribeMonitoringSchedule); no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-quality yet; model-bias unknown: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-bias yet; model-explainability unknown: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-explainability yet
monitoring report: stage prod, endpoint fraud-detect-prod

data-quality: schedule fraud-detect-prod-data-quality
  schedule status unavailable: DescribeMonitoringSchedule failed: ResourceNotFound (Monitoring schedule fraud-detect-prod-data-quality not found)
  violations: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/data-quality yet

model-quality: schedule fraud-detect-prod-model-quality
  schedule status unavailable: DescribeMonitoringSchedule failed: access denied (grant sagemaker:DescribeMonitoringSchedule)
  violations: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-quality yet

model-bias: schedule fraud-detect-prod-model-bias
  status: Scheduled
  executions: none yet
  violations: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-bias yet

model-explainability: schedule fraud-detect-prod-model-explainability
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  InProgress
  violations: no constraint_violations.json under s3://fraud-monitor-outputs-123456789012/monitoring/prod/model-explainability yet

total: unknown: no violations file read for data-quality, model-quality, model-bias, model-explainability
"""


def test_completed_execution_without_a_violations_file_says_so(sm, s3, tmp_path, monkeypatch):
    params = dict(PARAMS, EnableModelQualityMonitor="no", GroundTruthInput="", EnableModelExplainabilityMonitor="no")
    stub_schedule(sm, "data-quality", [(HOUR, "Completed", "")])
    stub_job(sm, "data-quality", HOUR)

    code, out = run_report(sm, s3, tmp_path, monkeypatch, params=params)

    assert code == 4  # UNKNOWN, not OK: the execution left nothing to judge
    assert out == """\
verdict: prod UNKNOWN: data-quality unknown: no constraint_violations.json in the latest completed execution's output
monitoring report: stage prod, endpoint fraud-detect-prod

data-quality: schedule fraud-detect-prod-data-quality
  status: Scheduled
  executions (newest first):
    2026-11-27T10:00:00Z  Completed
  violations: no constraint_violations.json in the latest completed execution's output

model-quality: not deployed (EnableModelQualityMonitor is no)

model-bias: not deployed (GroundTruthInput is empty)

model-explainability: not deployed (EnableModelExplainabilityMonitor is no)

total: unknown: no violations file read for data-quality
"""


def test_unreadable_violations_file_is_shown_and_fails_the_run_with_exit_1(sm, s3, tmp_path, monkeypatch):
    params = dict(PARAMS, EnableModelQualityMonitor="no", EnableModelBiasMonitor="no",
                  EnableModelExplainabilityMonitor="no")
    stub_schedule(sm, "data-quality", [(HOUR, "CompletedWithViolations", "")])
    stub_job(sm, "data-quality", HOUR)
    uri = output_prefix("data-quality", HOUR) + "/constraint_violations.json"
    put(s3, uri, b'{"violations": {"oops": 1}}')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod-config-export.json").write_text(json.dumps({"Parameters": params}))
    out = io.StringIO()

    with pytest.raises(report.MonitorError) as exc:
        report.run(report.parse_args(["--stage", "prod"]), sm=sm, s3=s3, out=out)

    message = f"{uri} is not a constraint violations file (violations is not a list); check what wrote it"
    assert str(exc.value) == f"could not read the violations of data-quality: {message}"
    assert exc.value.exit_code == 1
    assert f"  violations unavailable: {message}\n" in out.getvalue()


def test_missing_parameter_file_is_a_config_error_with_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert report.main(["--stage", "staging"]) == 2
    assert capsys.readouterr().err == (
        "error: no parameter file for stage staging: staging-config-export.json or "
        "staging-monitoring-schedule-config.json does not exist; run get_baselines_and_configs.py first or pass "
        "--params-file\n")


def test_stage_config_file_is_used_when_the_generated_file_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod-monitoring-schedule-config.json").write_text(json.dumps({"Parameters": {"StageName": "prod"}}))

    assert report.load_stage_params("prod", None) == ({"StageName": "prod"}, "prod-monitoring-schedule-config.json")


@pytest.mark.parametrize(("fixture", "names"), [
    ("data-quality", ["merchant_category", "transaction_amount", "txn_count_24h"]),
    ("model-quality", ["f2", "recall"]),
    ("model-bias", ["DI [customer_age_band=65+]", "DPPL [customer_age_band=65+]"]),
    ("model-explainability", ["label0 (shap)"]),
    ("none", []),
])
def test_each_monitor_types_violations_file_is_summarised_by_what_it_names(fixture, names):
    entries = json.loads((FIXTURES / f"{fixture}.json").read_text())["violations"]

    assert sorted(report.violation_name(e) for e in entries) == names


def test_a_params_file_that_is_a_directory_is_named_as_such(tmp_path, capsys):
    assert report.main(["--stage", "prod", "--params-file", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (f"error: {tmp_path} is a directory; pass the exported "
                                                        "<stage>-config-export.json file")


SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "report.schema.json").read_text())


def _validate(document) -> None:
    import jsonschema

    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_report_json_follows_the_documented_schema_with_violations(sm, s3, tmp_path, monkeypatch):
    stub_all_healthy(sm, s3)

    code, out = run_report(sm, s3, tmp_path, monkeypatch, "--json")

    _validate(json.loads(out))
    assert code == 3


def test_report_json_follows_the_documented_schema_when_nothing_could_be_read(sm, s3, tmp_path, monkeypatch,
                                                                               capsys):
    for _ in MONITORS:
        sm.stubber.add_client_error("describe_monitoring_schedule", service_error_code="AccessDeniedException",
                                    service_message="User is not authorized", http_status_code=400)

    code, out = run_report(sm, s3, tmp_path, monkeypatch, "--json")

    data = json.loads(out)
    _validate(data)
    assert (code, data["verdict"]["status"], data["total_violations"]) == (4, "UNKNOWN", 0)
    assert [r["monitor"] for r in data["verdict"]["reasons"]] == ["data-quality", "model-quality", "model-bias",
                                                                  "model-explainability"]
    assert capsys.readouterr().err.startswith("error: could read nothing for stage prod: no schedule status and no "
                                              "constraint_violations.json for data-quality, model-quality, ")


def test_report_schema_rejects_a_threshold_given_as_text(sm, s3, tmp_path, monkeypatch):
    import jsonschema

    stub_all_healthy(sm, s3)
    _, out = run_report(sm, s3, tmp_path, monkeypatch, "--json")
    data = json.loads(out)
    data["monitors"][0]["violations"][0]["threshold"] = "0.1"

    with pytest.raises(jsonschema.ValidationError) as exc:
        _validate(data)
    assert exc.value.message == "'0.1' is not of type 'number', 'null'"


def test_html_without_the_report_extra_is_one_usage_line_before_any_aws_call(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if `pip install .[report]` was not run

    code = report.main(["--stage", "prod", "--html", str(tmp_path / "r.html")])

    assert (code, capsys.readouterr().err) == (2, "error: --html needs matplotlib (the 'report' extra): pip install "
                                                  "'.[report]' or pip install -r requirements-report.txt\n")
    assert not (tmp_path / "r.html").exists()


def test_html_into_a_folder_that_does_not_exist_is_one_usage_line(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)

    code = report.main(["--stage", "prod", "--html", "missing/r.html"])

    assert (code, capsys.readouterr().err) == (2, "error: --html missing/r.html: folder missing does not exist; "
                                                  "create it or pass another path\n")
