"""`python -m pipelines.report --check-alarms` against moto's CloudWatch.

The alarms are the template's own (rendered with cloud-radar, sent as the PutMetricAlarm calls CloudFormation makes);
the metrics are put the way Model Monitor publishes them (facts.md "CloudWatch metrics": the samples' namespace
aws/sagemaker/Endpoints/data-metrics with Endpoint + MonitoringSchedule, model-metrics likewise; the Developer Guide
page's variant uses EndpointName + ScheduleName) and the way EventBridge counts rule matches (AWS/Events
TriggeredRules by RuleName)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from pipelines.core import clock
from pipelines.report import cli as report
from pipelines.report.alarms_check import Watched, parse_query
from tests.support.template_render import alerting_requests, render, sample_parameters

BASE = "fraud-detection-staging"
DATA_NS = "aws/sagemaker/Endpoints/data-metrics"
MODEL_NS = "aws/sagemaker/Endpoints/model-metrics"


@pytest.fixture
def cw(mocked_aws):
    import boto3

    return boto3.client("cloudwatch", region_name="us-east-1")


@pytest.fixture
def params_file(tmp_path):
    path = tmp_path / "staging-config-export.json"
    path.write_text(json.dumps({"Parameters": sample_parameters(DriftAlarmFeatures="transaction_amount")}))
    return path


def deploy_template_alarms(cw) -> list[str]:
    """PutMetricAlarm for every alarm the template renders for the staging sample with one drift feature."""
    resources = render(sample_parameters(DriftAlarmFeatures="transaction_amount"))
    names = []
    for calls in alerting_requests(resources).values():
        for service, operation, request in calls:
            if operation == "PutMetricAlarm":
                cw.put_metric_alarm(**request)
                names.append(request["AlarmName"])
    return sorted(names)


def put(cw, namespace: str, metric: str, value: float, **dimensions: str) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": metric, "Value": value, "Timestamp": clock.utc_now() - timedelta(hours=1),
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}])


def check_alarms(params_file, cw, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = report.run(report.parse_args(["--params-file", str(params_file), "--check-alarms", *extra]), cw=cw, out=out)
    return code, out.getvalue()


def test_every_alarm_that_sees_data_is_ok_and_one_watching_nothing_fails_the_check(cw, params_file):
    assert deploy_template_alarms(cw) == [
        f"{BASE}-data-quality-no-execution", f"{BASE}-drift-transaction_amount", f"{BASE}-model-bias-no-execution",
        f"{BASE}-model-explainability-no-execution", f"{BASE}-model-quality-matured-no-execution",
        f"{BASE}-model-quality-matured-recall", f"{BASE}-model-quality-no-execution", f"{BASE}-model-quality-recall"]
    put(cw, DATA_NS, "feature_baseline_drift_transaction_amount", 0.04, Endpoint=BASE,
        MonitoringSchedule=f"{BASE}-data-quality")
    put(cw, MODEL_NS, "recall", 0.81, Endpoint=BASE, MonitoringSchedule=f"{BASE}-model-quality")
    put(cw, MODEL_NS, "recall", 0.79, Endpoint=BASE, MonitoringSchedule=f"{BASE}-model-quality-matured")
    for rule in ("DataQualityExecutedRule", "ModelQualityExecutedRule", "ModelBiasExecutedRule",
                 "ModelQualityMaturedExecutedRule"):
        put(cw, "AWS/Events", "TriggeredRules", 1, RuleName=rule)  # cloud-radar renders !Ref Rule as its id
    code, text = check_alarms(params_file, cw)
    assert code == 3
    assert text.splitlines() == [
        f"Alarms of {BASE}-* and the datapoints CloudWatch holds for them (last 7 days):",
        f"  ok      {BASE}-data-quality-no-execution: 1 datapoint(s) from 1 metric(s)",
        "          watches AWS/Events TriggeredRules (exactly RuleName=DataQualityExecutedRule)",
        f"  ok      {BASE}-drift-transaction_amount: 1 datapoint(s) from 1 metric(s)",
        f"          watches {DATA_NS} feature_baseline_drift_transaction_amount (at least Endpoint={BASE})",
        f"  ok      {BASE}-model-bias-no-execution: 1 datapoint(s) from 1 metric(s)",
        "          watches AWS/Events TriggeredRules (exactly RuleName=ModelBiasExecutedRule)",
        f"  NOTHING {BASE}-model-explainability-no-execution: 0 datapoint(s) from 0 metric(s)",
        "          watches AWS/Events TriggeredRules (exactly RuleName=ModelExplainabilityExecutedRule)",
        f"  ok      {BASE}-model-quality-matured-no-execution: 1 datapoint(s) from 1 metric(s)",
        "          watches AWS/Events TriggeredRules (exactly RuleName=ModelQualityMaturedExecutedRule)",
        f"  ok      {BASE}-model-quality-matured-recall: 1 datapoint(s) from 1 metric(s)",
        f"          watches {MODEL_NS} recall (exactly Endpoint={BASE}, MonitoringSchedule={BASE}-model-quality-"
        "matured)",
        f"  ok      {BASE}-model-quality-no-execution: 1 datapoint(s) from 1 metric(s)",
        "          watches AWS/Events TriggeredRules (exactly RuleName=ModelQualityExecutedRule)",
        f"  ok      {BASE}-model-quality-recall: 1 datapoint(s) from 1 metric(s)",
        f"          watches {MODEL_NS} recall (exactly Endpoint={BASE}, MonitoringSchedule={BASE}-model-quality)",
        "7 of 8 alarm(s) see data; 1 watch nothing: fix the namespace, metric or dimensions (README \"Alerts\"), or "
        "wait for the first executions",
    ]


def test_alarms_whose_dimensions_match_nothing_are_reported_even_when_the_metric_exists(cw, params_file):
    deploy_template_alarms(cw)
    # the Developer Guide page's dimension names for data quality, and a recall metric with one dimension more
    put(cw, DATA_NS, "feature_baseline_drift_transaction_amount", 0.3, EndpointName=BASE,
        ScheduleName=f"{BASE}-data-quality")
    put(cw, MODEL_NS, "recall", 0.8, Endpoint=BASE, MonitoringSchedule=f"{BASE}-model-quality", Feature="x")
    code, text = check_alarms(params_file, cw, "--days", "2")
    assert code == 3
    lines = text.splitlines()
    assert lines[0] == f"Alarms of {BASE}-* and the datapoints CloudWatch holds for them (last 2 days):"
    assert f"  NOTHING {BASE}-drift-transaction_amount: 0 datapoint(s) from 0 metric(s)" in lines
    assert f"  NOTHING {BASE}-model-quality-recall: 0 datapoint(s) from 0 metric(s)" in lines
    assert lines[-1].startswith("0 of 8 alarm(s) see data; 8 watch nothing")


def test_all_alarms_seeing_data_exit_zero(cw, tmp_path):
    cw.put_metric_alarm(AlarmName=f"{BASE}-model-quality-recall", Namespace=MODEL_NS, MetricName="recall",
                        Dimensions=[{"Name": "Endpoint", "Value": BASE}], Statistic="Minimum", Period=86400,
                        EvaluationPeriods=1, ComparisonOperator="LessThanThreshold", Threshold=0.7)
    cw.put_metric_alarm(AlarmName="other-stack-alarm", Namespace=MODEL_NS, MetricName="recall", Statistic="Minimum",
                        Period=86400, EvaluationPeriods=1, ComparisonOperator="LessThanThreshold", Threshold=0.7)
    put(cw, MODEL_NS, "recall", 0.8, Endpoint=BASE)
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"Parameters": {"MonitoringScheduleBaseName": BASE}}))
    assert check_alarms(path, cw) == (0, "\n".join([
        f"Alarms of {BASE}-* and the datapoints CloudWatch holds for them (last 7 days):",
        f"  ok      {BASE}-model-quality-recall: 1 datapoint(s) from 1 metric(s)",
        f"          watches {MODEL_NS} recall (exactly Endpoint={BASE})",
        "1 of 1 alarm(s) see data.", ""]))


def test_no_alarms_for_the_stack_is_a_finding(cw, params_file):
    assert check_alarms(params_file, cw) == (3, (
        f"No CloudWatch alarms named {BASE}-*: the stack is not deployed in this account and region, or its alarms "
        "are off (no topic needed; check DriftAlarmFeatures / ModelQualityAlarmThreshold).\n"))


def test_days_out_of_range_is_a_usage_error(cw, params_file, capsys):
    code = report.main(["--params-file", str(params_file), "--check-alarms", "--days", "0"])
    assert code == 2
    assert capsys.readouterr().err == "error: --days 0 must be between 1 and 90\n"


@pytest.mark.parametrize(("query", "watched"), [
    ('SELECT MAX("feature_baseline_drift_a") FROM "ns/x" WHERE Endpoint = \'e\'',
     Watched("ns/x", "feature_baseline_drift_a", (("Endpoint", "e"),), exact=False)),
    ("SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId)",
     Watched("AWS/EC2", "CPUUtilization", (), exact=False, keys=("InstanceId",))),
    ("SELECT MAX(m) FROM \"ns\" WHERE a = '1' AND b = '2'", Watched("ns", "m", (("a", "1"), ("b", "2")), exact=False)),
    ("SELECT MAX(m) FROM \"ns\" WHERE a LIKE 'x%'", None),
    ("m1 * 2", None),
])
def test_parse_query_reads_the_metrics_insights_forms_the_check_understands(query: str, watched) -> None:
    assert parse_query(query) == watched
