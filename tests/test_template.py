"""model-monitor-template.yml: what deploys for each parameter set, and whether SageMaker, moto, cfn-lint and checkov
accept it. Rendering: tests/support/template_render.py (cloud-radar plus the fixes noted there)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.support.template_render import (
    REPO_ROOT,
    TEMPLATE_PATH,
    TemplateRuleError,
    alerting_problems,
    alerting_requests,
    api_problems,
    api_requests,
    cfn_lint,
    create_job_definitions_in_moto,
    generated_job_definition_name,
    render,
    render_stack,
    sample_parameters,
)

MONITORS = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
JOB_DEFINITIONS = (*(f"{m}JobDefinition" for m in MONITORS), "ModelQualityMaturedJobDefinition")
SCHEDULES = tuple(f"{m}MonitoringSchedule" for m in MONITORS)
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = "subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788"
SECURITY_GROUPS = "sg-0123456789abcdef0"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fraud-ml-alerts"
FIVE_FEATURES = "transaction_amount,merchant_category,card_present,hour_of_day,account_age_days"
TAGS = [
    {"Key": "sagemaker:project-name", "Value": "fraud-detection"},
    {"Key": "sagemaker:project-id", "Value": "p-1a2b3c4d5e6f"},
    {"Key": "stage", "Value": "staging"},
]


def monitor_resources(*monitors: str) -> set[str]:
    """Job definition + schedule logical ids of the given monitors."""
    return {f"{m}{suffix}" for m in monitors for suffix in ("JobDefinition", "MonitoringSchedule")}


def liveness(*monitors: str) -> set[str]:
    """Executed-rule + missed-run alarm logical ids of the given monitors (cron schedules only)."""
    return {f"{m}{suffix}" for m in monitors for suffix in ("ExecutedRule", "MissedRunAlarm")}


# the matured model quality evaluation (issue 18): a second job definition and schedule, and its recall alarm
MATURED = {"ModelQualityMaturedJobDefinition", "ModelQualityMaturedMonitoringSchedule", "ModelQualityMaturedAlarm",
           "ModelQualityMaturedExecutedRule", "ModelQualityMaturedMissedRunAlarm"}  # + its missed-run alarm
ALL_MONITORS = monitor_resources(*MONITORS) | liveness(*MONITORS) | MATURED
EMAIL_TOPIC = {"AlarmTopicKey", "AlarmTopic", "AlarmTopicPolicy", "AlarmTopicEmailSubscription"}
FAILURE_RULE = {"MonitoringExecutionFailedRule"}
WATCHDOG = {"WatchdogRole", "WatchdogFunction", "WatchdogScheduleRule", "WatchdogInvokePermission",
            "WatchdogNotRunningAlarm", "WatchdogReadViolationsPolicy"}  # issue 18: with a topic and data quality on
FRAUD_CADENCE = {  # the shipped stage configs' per-monitor schedules
    "DataQualityScheduleExpression": "cron(0 * ? * * *)",
    "ModelQualityScheduleExpression": "cron(0 4 ? * * *)",
    "ModelBiasScheduleExpression": "cron(0 5 ? * * *)",
    "ModelExplainabilityScheduleExpression": "cron(0 6 ? * * *)",
    "ModelQualityMaxRuntimeInSeconds": "3600",
    "ModelBiasMaxRuntimeInSeconds": "3600",
    "ModelExplainabilityMaxRuntimeInSeconds": "7200",
}

# name -> (parameter overrides on sample_parameters("staging"), exact logical ids rendered)
CASES: dict[str, tuple[dict[str, str], set[str]]] = {
    "staging": ({}, ALL_MONITORS | {"ModelQualityAlarm"}),
    "prod": ({"StageName": "prod"}, ALL_MONITORS | {"ModelQualityAlarm"}),
    "data quality off": (
        {"EnableDataQualityMonitor": "no", "DriftAlarmFeatures": "transaction_amount"},
        monitor_resources("ModelQuality", "ModelBias", "ModelExplainability")
        | liveness("ModelQuality", "ModelBias", "ModelExplainability") | {"ModelQualityAlarm"} | MATURED,
    ),
    "model quality off": (
        {"EnableModelQualityMonitor": "no"},
        monitor_resources("DataQuality", "ModelBias", "ModelExplainability")
        | liveness("DataQuality", "ModelBias", "ModelExplainability"),
    ),
    "model bias off": (
        {"EnableModelBiasMonitor": "no"},
        ALL_MONITORS - monitor_resources("ModelBias") - liveness("ModelBias") | {"ModelQualityAlarm"},
    ),
    "model explainability off": (
        {"EnableModelExplainabilityMonitor": "no"},
        ALL_MONITORS - monitor_resources("ModelExplainability") - liveness("ModelExplainability")
        | {"ModelQualityAlarm"},
    ),
    "all off": ({f"Enable{m}Monitor": "no" for m in MONITORS}, set()),
    "all off with empty baselines": (
        {
            **{f"Enable{m}Monitor": "no" for m in MONITORS},
            "DataQualityBaselineStatistics": "",
            "DataQualityBaselineConstraints": "",
            "ModelQualityBaselineConstraints": "",
            "ModelBiasBaselineConstraints": "",
            "ModelBiasConfigUri": "",
            "ModelExplainabilityBaselineConstraints": "",
            "ModelExplainabilityConfigUri": "",
        },
        set(),
    ),
    "no ground truth": (
        {"GroundTruthInput": ""},
        monitor_resources("DataQuality", "ModelExplainability") | liveness("DataQuality", "ModelExplainability"),
    ),
    "kms": ({"KmsKeyId": KMS_KEY}, ALL_MONITORS | {"ModelQualityAlarm"}),
    "vpc": ({"SubnetIds": SUBNETS, "SecurityGroupIds": SECURITY_GROUPS}, ALL_MONITORS | {"ModelQualityAlarm"}),
    "now": (
        {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H",
         **FRAUD_CADENCE},
        monitor_resources(*MONITORS) | {"ModelQualityAlarm"},
    ),
    "alarms to email": (
        {"NotificationEmail": "fraud-ml-oncall@example.com"},
        ALL_MONITORS | {"ModelQualityAlarm"} | EMAIL_TOPIC | FAILURE_RULE | WATCHDOG | {"WatchdogTopicKeyPolicy"},
    ),
    "alarms to topic": ({"NotificationTopicArn": TOPIC_ARN},
                        ALL_MONITORS | {"ModelQualityAlarm"} | FAILURE_RULE | WATCHDOG),
    "alarms to email, all monitors off": (
        {"NotificationEmail": "fraud-ml-oncall@example.com", **{f"Enable{m}Monitor": "no" for m in MONITORS}},
        EMAIL_TOPIC,
    ),
    "fraud cadence": (FRAUD_CADENCE, ALL_MONITORS | {"ModelQualityAlarm"}),
    "no model quality threshold": ({"ModelQualityAlarmThreshold": ""}, ALL_MONITORS),
    "no matured threshold": ({"ModelQualityMaturedAlarmThreshold": ""},
                             ALL_MONITORS - {"ModelQualityMaturedAlarm"} | {"ModelQualityAlarm"}),
    "matured constraints not derived": ({"ModelQualityMaturedBaselineConstraints": "", "LabelMaturityDays": "30"},
                                        ALL_MONITORS | {"ModelQualityAlarm"}),
    "drift features 0": ({"DriftAlarmFeatures": ""}, ALL_MONITORS | {"ModelQualityAlarm"}),
    "drift features 1": (
        {"DriftAlarmFeatures": "transaction_amount"},
        ALL_MONITORS | {"ModelQualityAlarm", "DriftAlarm1"},
    ),
    "drift features 5": (
        {"DriftAlarmFeatures": FIVE_FEATURES},
        ALL_MONITORS | {"ModelQualityAlarm"} | {f"DriftAlarm{i}" for i in range(1, 6)},
    ),
}


def case_parameters(name: str) -> dict[str, str]:
    """The full parameter set of a case."""
    overrides = CASES[name][0]
    return sample_parameters(overrides.get("StageName", "staging"), **overrides)


@functools.cache
def rendered(name: str) -> dict[str, Any]:
    """Rendered Resources and Outputs of a case (cached: the cases are read-only)."""
    return render_stack(case_parameters(name))


def shipped_parameters(stage: str) -> dict[str, str]:
    """sample_parameters(stage) with the shipped stage config's explicit Parameters on top, as the CLI merges them."""
    config = json.loads((REPO_ROOT / f"{stage}-monitoring-schedule-config.json").read_text())
    return sample_parameters(stage, **config["Parameters"])


# ---- What deploys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_each_case_renders_exactly_the_expected_resources(case: str) -> None:
    assert set(rendered(case)["Resources"]) == CASES[case][1]


@pytest.mark.parametrize("case", CASES)
def test_each_case_passes_the_sagemaker_api_input_validation(case: str) -> None:
    assert api_problems(rendered(case)["Resources"]) == []


@pytest.mark.parametrize("case", CASES)
def test_each_case_passes_the_cloudwatch_and_eventbridge_api_input_validation(case: str) -> None:
    assert alerting_problems(rendered(case)["Resources"]) == []


@pytest.mark.parametrize("case", CASES)
def test_each_case_creates_its_job_definitions_in_moto(case: str) -> None:
    resources = rendered(case)["Resources"]
    described = create_job_definitions_in_moto(resources)
    expected = {r for r in resources if r in JOB_DEFINITIONS}
    assert set(described) == expected
    for logical_id, response in described.items():
        assert response["JobDefinitionName"] == generated_job_definition_name(logical_id)
        assert response["RoleArn"] == "arn:aws:iam::123456789012:role/fraud-model-monitor"


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_the_shipped_stage_configs_render_all_four_monitors_without_api_problems(stage: str) -> None:
    resources = render(shipped_parameters(stage))
    assert ALL_MONITORS <= set(resources)
    assert api_problems(resources) == []


def test_outputs_name_the_schedules_and_the_alarms() -> None:
    outputs = {k: v["Value"] for k, v in rendered("drift features 5")["Outputs"].items()}
    assert outputs == {
        "DataQualityMonitoringScheduleName": "fraud-detection-staging-data-quality",
        "ModelQualityMonitoringScheduleName": "fraud-detection-staging-model-quality",
        "ModelBiasMonitoringScheduleName": "fraud-detection-staging-model-bias",
        "ModelExplainabilityMonitoringScheduleName": "fraud-detection-staging-model-explainability",
        "ModelQualityAlarmName": "ModelQualityAlarm",  # Ref of an alarm is its name; cloud-radar gives the id
        **{f"DriftAlarm{i}Name": f"DriftAlarm{i}" for i in range(1, 6)},
        **{f"{m}MissedRunAlarmName": f"{m}MissedRunAlarm" for m in MONITORS},
        "ModelQualityMaturedMonitoringScheduleName": "fraud-detection-staging-model-quality-matured",
        "ModelQualityMaturedAlarmName": "ModelQualityMaturedAlarm",
        "ModelQualityMaturedMissedRunAlarmName": "ModelQualityMaturedMissedRunAlarm",
    }


def test_outputs_of_a_disabled_monitor_are_left_out() -> None:
    assert set(rendered("no ground truth")["Outputs"]) == {
        "DataQualityMonitoringScheduleName",
        "ModelExplainabilityMonitoringScheduleName",
        "DataQualityMissedRunAlarmName",
        "ModelExplainabilityMissedRunAlarmName",
    }


def test_an_enabled_monitor_without_its_baseline_is_refused_by_the_template_rules() -> None:
    params = sample_parameters(ModelBiasConfigUri="", DataQualityBaselineStatistics="")
    with pytest.raises(TemplateRuleError) as exc:
        render(params)
    assert str(exc.value) == (
        'EnableDataQualityMonitor is "yes" but DataQualityBaselineStatistics is empty; set it '
        '(get_baselines_and_configs.py does) or set EnableDataQualityMonitor to "no".; '
        'EnableModelBiasMonitor is "yes" but ModelBiasConfigUri is empty; set it '
        '(get_baselines_and_configs.py does) or set EnableModelBiasMonitor to "no".'
    )


def test_empty_ground_truth_switches_model_quality_and_bias_off_even_without_their_baselines() -> None:
    params = sample_parameters(GroundTruthInput="", ModelQualityBaselineConstraints="", ModelBiasConfigUri="")
    assert set(render(params)) == monitor_resources("DataQuality", "ModelExplainability") | liveness(
        "DataQuality", "ModelExplainability")


# ---- Job definition details -------------------------------------------------------------------------------------


def test_schedules_point_at_their_own_job_definition_with_the_derived_names() -> None:
    resources = rendered("staging")["Resources"]
    configs = {s: resources[s]["Properties"] for s in SCHEDULES}
    assert {s: (c["MonitoringScheduleName"], c["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"],
                c["MonitoringScheduleConfig"]["MonitoringType"]) for s, c in configs.items()} == {
        "DataQualityMonitoringSchedule": (
            "fraud-detection-staging-data-quality", "DataQualityJobDefinition.JobDefinitionName", "DataQuality"),
        "ModelQualityMonitoringSchedule": (
            "fraud-detection-staging-model-quality", "ModelQualityJobDefinition.JobDefinitionName", "ModelQuality"),
        "ModelBiasMonitoringSchedule": (
            "fraud-detection-staging-model-bias", "ModelBiasJobDefinition.JobDefinitionName", "ModelBias"),
        "ModelExplainabilityMonitoringSchedule": (
            "fraud-detection-staging-model-explainability",
            "ModelExplainabilityJobDefinition.JobDefinitionName",
            "ModelExplainability",
        ),
    }
    assert all("JobDefinitionName" not in resources[j]["Properties"] for j in JOB_DEFINITIONS)


def test_the_cron_schedule_has_no_analysis_window() -> None:
    resources = rendered("staging")["Resources"]
    for schedule in SCHEDULES:
        config = resources[schedule]["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"]
        assert config == {"ScheduleExpression": "cron(0 * ? * * *)"}


def test_the_now_smoke_run_gives_every_schedule_a_one_hour_window() -> None:
    resources = rendered("now")["Resources"]
    for schedule in SCHEDULES:
        config = resources[schedule]["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"]
        assert config == {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"}


def test_each_monitor_runs_on_its_own_cadence_and_runtime_when_set() -> None:
    resources = rendered("fraud cadence")["Resources"]
    assert {s: resources[s]["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"] for s in SCHEDULES} == {
        "DataQualityMonitoringSchedule": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "ModelQualityMonitoringSchedule": {"ScheduleExpression": "cron(0 4 ? * * *)"},
        "ModelBiasMonitoringSchedule": {"ScheduleExpression": "cron(0 5 ? * * *)"},
        "ModelExplainabilityMonitoringSchedule": {"ScheduleExpression": "cron(0 6 ? * * *)"},
    }
    assert {j: resources[j]["Properties"]["StoppingCondition"] for j in JOB_DEFINITIONS} == {
        "DataQualityJobDefinition": {"MaxRuntimeInSeconds": "1800"},  # empty per-monitor value: the shared one
        "ModelQualityJobDefinition": {"MaxRuntimeInSeconds": "3600"},
        "ModelBiasJobDefinition": {"MaxRuntimeInSeconds": "3600"},
        "ModelExplainabilityJobDefinition": {"MaxRuntimeInSeconds": "7200"},
        "ModelQualityMaturedJobDefinition": {"MaxRuntimeInSeconds": "3600"},  # the model quality job's own limit
    }


def test_now_in_the_shared_expression_runs_every_monitor_once_despite_its_own_cadence() -> None:
    resources = rendered("now")["Resources"]
    assert {resources[s]["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]
            for s in SCHEDULES} == {"NOW"}


def test_late_label_offsets_are_set_on_model_quality_and_bias_only() -> None:
    resources = rendered("staging")["Resources"]
    offsets = {}
    for monitor in MONITORS:
        endpoint_input = resources[f"{monitor}JobDefinition"]["Properties"][f"{monitor}JobInput"]["EndpointInput"]
        offsets[monitor] = (endpoint_input.get("StartTimeOffset"), endpoint_input.get("EndTimeOffset"))
    assert offsets == {
        "DataQuality": (None, None),
        "ModelQuality": ("-P8D", "-P7D"),
        "ModelBias": ("-P8D", "-P7D"),
        "ModelExplainability": (None, None),
    }


def test_model_quality_reads_the_fraud_probability_and_the_ground_truth() -> None:
    job_input = rendered("staging")["Resources"]["ModelQualityJobDefinition"]["Properties"]["ModelQualityJobInput"]
    assert job_input == {
        "EndpointInput": {
            "EndpointName": "fraud-detection-staging",
            "LocalPath": "/opt/ml/processing/input/endpoint",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
            "ProbabilityAttribute": "0",
            "ProbabilityThresholdAttribute": "0.5",
            "StartTimeOffset": "-P8D",
            "EndTimeOffset": "-P7D",
        },
        "GroundTruthS3Input": {"S3Uri": "s3://fraud-monitor-outputs-123456789012/ground-truth/fraud-detection-staging"},
    }


def test_an_inference_attribute_is_passed_only_when_set() -> None:
    resources = render(sample_parameters(InferenceAttribute="1"))
    for monitor in ("ModelQuality", "ModelBias"):
        endpoint_input = resources[f"{monitor}JobDefinition"]["Properties"][f"{monitor}JobInput"]["EndpointInput"]
        assert endpoint_input["InferenceAttribute"] == "1"


def test_baselines_and_clarify_configs_go_to_the_right_monitor() -> None:
    props = {j: rendered("staging")["Resources"][j]["Properties"] for j in JOB_DEFINITIONS}
    base = "s3://fraud-monitor-outputs-123456789012/baselines/fraud-detection-p-1a2b3c4d5e6f/7"
    derived = "s3://fraud-monitor-outputs-123456789012/derived/fraud-detection-p-1a2b3c4d5e6f/7"
    assert props["DataQualityJobDefinition"]["DataQualityBaselineConfig"] == {
        "StatisticsResource": {"S3Uri": f"{base}/data-quality/statistics.json"},
        "ConstraintsResource": {"S3Uri": f"{base}/data-quality/constraints.json"},
    }
    assert props["ModelQualityJobDefinition"]["ModelQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"{base}/model-quality/constraints.json"}
    }
    assert props["ModelBiasJobDefinition"]["ModelBiasBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"{derived}/bias/constraints-3f2a9c.json"}
    }
    assert props["ModelBiasJobDefinition"]["ModelBiasAppSpecification"]["ConfigUri"] == (
        f"{base}/bias/analysis_config.json"
    )
    assert props["ModelExplainabilityJobDefinition"]["ModelExplainabilityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"{base}/explainability/constraints.json"}
    }
    assert props["ModelExplainabilityJobDefinition"]["ModelExplainabilityAppSpecification"]["ConfigUri"] == (
        f"{derived}/explainability/analysis_config-8b1d04.json"
    )


def test_every_job_definition_publishes_cloudwatch_metrics_from_the_right_image() -> None:
    resources = rendered("staging")["Resources"]
    specs = {m: resources[f"{m}JobDefinition"]["Properties"][f"{m}AppSpecification"] for m in MONITORS}
    assert {m: (s["ImageUri"].split("/")[-1], s["Environment"]) for m, s in specs.items()} == {
        "DataQuality": ("sagemaker-model-monitor-analyzer", {"publish_cloudwatch_metrics": "Enabled"}),
        "ModelQuality": ("sagemaker-model-monitor-analyzer", {"publish_cloudwatch_metrics": "Enabled"}),
        "ModelBias": ("sagemaker-clarify-processing:1.0", {"publish_cloudwatch_metrics": "Enabled"}),
        "ModelExplainability": ("sagemaker-clarify-processing:1.0", {"publish_cloudwatch_metrics": "Enabled"}),
    }


# ---- Hardening --------------------------------------------------------------------------------------------------


def _output_config(props: dict[str, Any], monitor: str) -> dict[str, Any]:
    """The <X>JobOutputConfig of a job definition."""
    return props[f"{monitor}JobOutputConfig"]


def test_all_four_job_definitions_encrypt_in_transit_and_use_the_kms_key_for_outputs_and_volumes() -> None:
    # checkov's CKV_AWS_367/368/369 cover only DataQualityJobDefinition; this covers all four.
    requests = api_requests(rendered("kms")["Resources"])
    for monitor in MONITORS:
        operation, request = requests[f"{monitor}JobDefinition"]
        assert request["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True, monitor
        assert _output_config(request, monitor)["KmsKeyId"] == KMS_KEY, monitor
        assert request["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KMS_KEY, monitor


def test_without_a_kms_key_no_key_property_is_sent() -> None:
    requests = api_requests(rendered("staging")["Resources"])
    for monitor in MONITORS:
        _, request = requests[f"{monitor}JobDefinition"]
        assert "KmsKeyId" not in _output_config(request, monitor)
        assert "VolumeKmsKeyId" not in request["JobResources"]["ClusterConfig"]


def test_network_isolation_is_on_for_model_monitor_jobs_and_off_for_clarify_jobs_by_default() -> None:
    requests = api_requests(rendered("staging")["Resources"])
    assert {m: requests[f"{m}JobDefinition"][1]["NetworkConfig"] for m in MONITORS} == {
        "DataQuality": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True},
        "ModelQuality": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True},
        "ModelBias": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": False},
        "ModelExplainability": {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": False},
    }


def test_the_vpc_config_goes_to_all_four_job_definitions() -> None:
    resources = rendered("vpc")["Resources"]
    for job_definition in JOB_DEFINITIONS:
        assert resources[job_definition]["Properties"]["NetworkConfig"]["VpcConfig"] == {
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
            "Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        }


def test_subnets_without_security_groups_give_no_vpc_config() -> None:
    resources = render(sample_parameters(SubnetIds=SUBNETS))
    assert all("VpcConfig" not in resources[j]["Properties"]["NetworkConfig"] for j in JOB_DEFINITIONS)


def test_every_taggable_resource_carries_the_project_and_stage_tags() -> None:
    resources = {**rendered("alarms to email")["Resources"], **rendered("drift features 5")["Resources"]}
    untaggable = {"AWS::SNS::Subscription", "AWS::SNS::TopicPolicy", "AWS::IAM::Policy", "AWS::Lambda::Permission"}
    assert {r: v["Properties"].get("Tags") for r, v in resources.items() if v["Type"] not in untaggable} == {
        r: TAGS for r, v in resources.items() if v["Type"] not in untaggable
    }


# ---- Alarms -----------------------------------------------------------------------------------------------------

def _alarm(case: str, logical_id: str) -> dict[str, Any]:
    return rendered(case)["Resources"][logical_id]["Properties"]


def test_the_model_quality_alarm_watches_a_day_of_recall_and_never_turns_green_without_data() -> None:
    assert _alarm("staging", "ModelQualityAlarm") == {
        "AlarmName": "fraud-detection-staging-model-quality-recall",
        "AlarmDescription": "recall of fraud-detection-staging (labels -P8D to -P7D old) fell below 0.82 (recall at "
        "that label age, from the label development curve, minus 3 binomial standard errors).",
        "Namespace": "aws/sagemaker/Endpoints/model-metrics",
        "MetricName": "recall",
        "Dimensions": [
            {"Name": "Endpoint", "Value": "fraud-detection-staging"},
            {"Name": "MonitoringSchedule", "Value": "fraud-detection-staging-model-quality"},
        ],
        "Statistic": "Minimum",
        "Period": 86400,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": "0.82",
        "TreatMissingData": "missing",
        "Tags": TAGS,
    }


def test_drift_alarms_are_metrics_insights_queries_on_the_endpoint_whatever_the_other_dimensions() -> None:
    props = _alarm("drift features 1", "DriftAlarm1")
    assert props == {
        "AlarmName": "fraud-detection-staging-drift-transaction_amount",
        "AlarmDescription": "Distribution of transaction_amount on fraud-detection-staging drifted from the data "
        "quality baseline in 2 of the last 3 hourly runs.",
        "Metrics": [{
            "Id": "drift",
            "ReturnData": True,
            "Period": 3600,
            "Expression": 'SELECT MAX("feature_baseline_drift_transaction_amount") FROM '
                          '"aws/sagemaker/Endpoints/data-metrics" WHERE Endpoint = \'fraud-detection-staging\'',
        }],
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.1,
        "TreatMissingData": "missing",
        "Tags": TAGS,
    }
    # Metrics Insights alarms evaluate at most the last 3 hours (CloudWatch alarm limits)
    assert props["Metrics"][0]["Period"] * props["EvaluationPeriods"] <= 3 * 3600


def test_five_drift_features_give_one_alarm_each_with_its_own_threshold() -> None:
    stack = render_stack(sample_parameters(DriftAlarmFeatures=FIVE_FEATURES, DriftAlarmThresholds="0.1,0.2,0.3,0.4,0.5",
                                           DataQualityMetricsNamespace="/aws/sagemaker/Endpoints/data-metric",
                                           DataQualityMetricsEndpointDimension="EndpointName"))
    alarms = {i: stack["Resources"][f"DriftAlarm{i}"]["Properties"] for i in range(1, 6)}
    assert {i: (p["AlarmName"], p["Metrics"][0]["Expression"], p["Threshold"]) for i, p in alarms.items()} == {
        i: (f"fraud-detection-staging-drift-{feature}",
            f'SELECT MAX("feature_baseline_drift_{feature}") FROM "/aws/sagemaker/Endpoints/data-metric" '
            "WHERE EndpointName = 'fraud-detection-staging'",
            f"0.{i}")
        for i, feature in enumerate(FIVE_FEATURES.split(","), start=1)
    }


def test_each_cron_schedule_has_a_missed_run_alarm_where_missing_data_breaches() -> None:
    resources = rendered("staging")["Resources"]
    assert _alarm("staging", "DataQualityMissedRunAlarm") == {
        "AlarmName": "fraud-detection-staging-data-quality-no-execution",
        "AlarmDescription": "No data quality execution on fraud-detection-staging finished in 26 hours; check the "
        "schedule (aws sagemaker describe-monitoring-schedule).",
        "Namespace": "AWS/Events",
        "MetricName": "TriggeredRules",
        "Dimensions": [{"Name": "RuleName", "Value": "DataQualityExecutedRule"}],
        "Statistic": "Sum",
        "Period": 3600,
        "EvaluationPeriods": "26",
        "DatapointsToAlarm": "26",
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 1,
        "TreatMissingData": "breaching",
        "Tags": TAGS,
    }
    assert resources["ModelBiasExecutedRule"]["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {
            "ProcessingJobStatus": ["Completed", "Failed", "Stopped"],
            "MonitoringScheduleArn": [{"equals-ignore-case": "arn:aws:sagemaker:us-east-1:555555555555:"
                                                              "monitoring-schedule/fraud-detection-staging-model-bias"}],
        },
    }
    assert "Targets" not in resources["ModelBiasExecutedRule"]["Properties"]


def test_the_cli_sets_the_missed_run_window_per_monitor() -> None:
    stack = render_stack(sample_parameters(DataQualityMissedRunAlarmHours="3"))
    props = stack["Resources"]["DataQualityMissedRunAlarm"]["Properties"]
    requests = alerting_requests({"DataQualityMissedRunAlarm": stack["Resources"]["DataQualityMissedRunAlarm"]})
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == ("3", "3")
    assert requests["DataQualityMissedRunAlarm"][0][2]["EvaluationPeriods"] == 3  # CloudFormation passes a number


THIS_STACKS_SCHEDULES = [{"prefix": {"equals-ignore-case": "arn:aws:sagemaker:us-east-1:555555555555:"
                                                           "monitoring-schedule/fraud-detection-staging-"}}]
NO_DATA_REASONS = ["*Job inputs had no data*", "*ground truth*", "*Ground truth*", "*Ground Truth*", "*GROUND TRUTH*"]


def _failure_rule(watchdog: str) -> dict[str, Any]:
    return render(sample_parameters(NotificationTopicArn=TOPIC_ARN, EnableWatchdog=watchdog))[
        "MonitoringExecutionFailedRule"]["Properties"]


def test_without_the_watchdog_every_failed_and_stopped_execution_pages() -> None:
    assert _failure_rule("no")["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {"ProcessingJobStatus": ["Failed", "Stopped"], "MonitoringScheduleArn": THIS_STACKS_SCHEDULES},
    }


def test_with_the_watchdog_no_data_failures_are_left_to_it_and_every_other_failure_pages() -> None:
    assert _failure_rule("yes")["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {
            "MonitoringScheduleArn": THIS_STACKS_SCHEDULES,
            "$or": [
                {"ProcessingJobStatus": ["Stopped"]},
                {"ProcessingJobStatus": ["Failed"], "FailureReason": [{"exists": False}]},
                {"ProcessingJobStatus": ["Failed"], "FailureReason": [{"anything-but": {"wildcard": NO_DATA_REASONS}}]},
            ],
        },
    }


def _processing_job_event(status: str, reason: str | None, schedule: str) -> dict[str, Any]:
    """A "SageMaker Processing Job State Change" event: EventBridge's envelope around a DescribeProcessingJob response
    (automating-sagemaker-with-eventbridge), the response checked against botocore's service model."""
    import botocore.session
    from botocore.validate import ParamValidator

    job = f"model-monitoring-202603101200-{schedule[-8:]}"
    detail = {"ProcessingJobName": job, "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:555555555555:processing-job/{job}",
              "ProcessingJobStatus": status, "CreationTime": "2026-03-10T12:04:00Z",
              "MonitoringScheduleArn": f"arn:aws:sagemaker:us-east-1:555555555555:monitoring-schedule/{schedule}",
              "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                               "sagemaker-model-monitor-analyzer"},
              "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                        "VolumeSizeInGB": 20}}}
    if reason is not None:
        detail["FailureReason"] = reason
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "DescribeProcessingJob").output_shape
    from datetime import datetime

    report = ParamValidator().validate({**detail, "CreationTime": datetime(2026, 3, 10, 12, 4)}, shape)
    assert not report.has_errors(), report.generate_report()
    return {"version": "0", "id": "4e8a1b2c-0000-4000-8000-000000000001",
            "detail-type": "SageMaker Processing Job State Change", "source": "aws.sagemaker",
            "account": "555555555555", "time": "2026-03-10T12:31:00Z", "region": "us-east-1",
            "resources": [detail["ProcessingJobArn"]], "detail": detail}


MATURED_SCHEDULE = "fraud-detection-staging-model-quality-matured"


# slow: moto's EventBridge matching needs jsonpath-ng (moto[server], requirements-dev.txt), which the build's
# fast run (requirements-build.txt, make test-future) does not install
@pytest.mark.slow
@pytest.mark.parametrize("status, reason, schedule, with_watchdog, without", [
    ("Failed", "Job inputs had no data", MATURED_SCHEDULE, False, True),  # the matured schedule's first days
    ("Failed", "ClientError: No ground truth data found to merge", "fraud-detection-staging-model-quality", False,
     True),  # our reading of a missing ground truth
    ("Failed", "AlgorithmError: See job logs for more information", MATURED_SCHEDULE, True, True),
    ("Failed", "Failure reason unknown", "fraud-detection-staging-data-quality", True, True),
    ("Failed", None, MATURED_SCHEDULE, True, True),  # no reason at all: a page
    ("Stopped", "Job inputs had no data", MATURED_SCHEDULE, True, True),  # stopped always pages
    ("Completed", None, MATURED_SCHEDULE, False, False),
    ("Failed", "Failure reason unknown", "fraud-detection-prod-model-quality", False, False),  # another stack's
    ("Failed", "Failure reason unknown", "FRAUD-DETECTION-STAGING-model-quality", True, True),  # ARN case
])
def test_which_processing_job_events_the_failure_rule_pages(status, reason, schedule, with_watchdog, without) -> None:
    # EventBridge's matching as moto implements it ($or, exists, anything-but wildcard lists): each rendered pattern
    # is put as a rule with a queue as its target, the event is put on the bus, and the queue says whether it matched.
    # moto is not EventBridge, and the FailureReason values in real events are unverified (docs/watchdog.md).
    import boto3
    from moto import mock_aws

    event = _processing_job_event(status, reason, schedule)
    matched = []
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        for watchdog in ("yes", "no"):
            queue = sqs.create_queue(QueueName=f"pages-{watchdog}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=f"failed-{watchdog}", EventPattern=json.dumps(_failure_rule(watchdog)["EventPattern"]))
            events.put_targets(Rule=f"failed-{watchdog}", Targets=[{"Id": "pages", "Arn": arn}])
        entry = {"Source": event["source"], "DetailType": event["detail-type"], "Resources": event["resources"],
                 "Detail": json.dumps(event["detail"])}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        for watchdog in ("yes", "no"):
            queue = sqs.get_queue_url(QueueName=f"pages-{watchdog}")["QueueUrl"]
            matched.append(len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])) == 1)
    assert matched == [with_watchdog, without]


def test_the_failure_rule_message_and_targets() -> None:
    rule = rendered("alarms to topic")["Resources"]["MonitoringExecutionFailedRule"]["Properties"]
    assert rule["State"] == "ENABLED"
    assert rule["Targets"] == [{
        "Id": "AlarmTopic",
        "Arn": TOPIC_ARN,
        "InputTransformer": {
            "InputPathsMap": {"job": "$.detail.ProcessingJobName", "status": "$.detail.ProcessingJobStatus",
                              "schedule": "$.detail.MonitoringScheduleArn", "reason": "$.detail.FailureReason"},
            "InputTemplate": '"Model Monitor execution <job> of <schedule> is <status>: <reason>. Details: aws '
                             'sagemaker list-monitoring-executions."',
        },
    }]
    calls = alerting_requests({"MonitoringExecutionFailedRule": rendered("alarms to topic")["Resources"][
        "MonitoringExecutionFailedRule"]})["MonitoringExecutionFailedRule"]
    assert [(service, operation) for service, operation, _ in calls] == [("events", "PutRule"), ("events", "PutTargets")]
    assert json.loads(calls[0][2]["EventPattern"]) == rule["EventPattern"]


def test_the_created_topic_lets_cloudwatch_and_eventbridge_of_this_account_publish() -> None:
    resources = rendered("alarms to email")["Resources"]
    assert resources["MonitoringExecutionFailedRule"]["Properties"]["Targets"][0]["Arn"] == "AlarmTopic"
    statements = resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Sid"], s["Principal"], s["Action"], s["Resource"], s["Condition"]) for s in statements] == [
        (sid, {"Service": service}, "sns:Publish", "AlarmTopic",
         {"StringEquals": {"aws:SourceAccount": "555555555555"}})  # cloud-radar's account id
        for sid, service in (("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
                             ("EventBridgeFailedExecutionsPublish", "events.amazonaws.com"))
    ]
    assert resources["AlarmTopicPolicy"]["Properties"]["Topics"] == ["AlarmTopic"]


def test_alarms_notify_the_topic_created_for_an_email_address() -> None:
    resources = rendered("alarms to email")["Resources"]
    alarms = [r for r, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 8  # early and matured recall + five missed-run alarms + the watchdog's own
    for alarm in alarms:
        assert resources[alarm]["Properties"]["AlarmActions"] == ["AlarmTopic"]
        assert resources[alarm]["Properties"]["OKActions"] == ["AlarmTopic"]
    assert resources["AlarmTopicEmailSubscription"]["Properties"] == {
        "TopicArn": "AlarmTopic", "Protocol": "email", "Endpoint": "fraud-ml-oncall@example.com"}
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == "AlarmTopicKey"
    assert rendered("alarms to email")["Outputs"]["AlarmTopicArn"]["Value"] == "AlarmTopic"


def test_alarms_notify_an_existing_topic_without_creating_one() -> None:
    stack = rendered("alarms to topic")
    assert stack["Resources"]["ModelQualityAlarm"]["Properties"]["AlarmActions"] == [TOPIC_ARN]
    assert stack["Outputs"]["AlarmTopicArn"]["Value"] == TOPIC_ARN


def test_the_topic_key_lets_cloudwatch_and_eventbridge_publish_from_this_account_only() -> None:
    statements = rendered("alarms to email")["Resources"]["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert statements[1:] == [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "555555555555"}},  # cloud-radar's account id
        }
        for sid, service in (("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
                             ("EventBridgeFailedExecutionsPublish", "events.amazonaws.com"))
    ]


def test_alarms_without_a_topic_have_no_actions_and_no_failure_rule_is_created() -> None:
    resources = rendered("staging")["Resources"]
    for alarm in ("ModelQualityAlarm", "DataQualityMissedRunAlarm"):
        props = resources[alarm]["Properties"]
        assert "AlarmActions" not in props and "OKActions" not in props
    assert "MonitoringExecutionFailedRule" not in resources


def test_alerting_problems_reports_a_misspelt_alarm_property_and_a_target_without_an_id() -> None:
    resources = json.loads(json.dumps(rendered("alarms to topic")["Resources"]))
    resources["ModelQualityAlarm"]["Properties"]["TreatMisingData"] = "missing"
    del resources["MonitoringExecutionFailedRule"]["Properties"]["Targets"][0]["Id"]
    assert alerting_problems({k: resources[k] for k in ("ModelQualityAlarm", "MonitoringExecutionFailedRule")}) == [
        'ModelQualityAlarm (PutMetricAlarm): Unknown parameter in input: "TreatMisingData", must be one of: AlarmName, '
        "AlarmDescription, ActionsEnabled, OKActions, AlarmActions, InsufficientDataActions, MetricName, Namespace, "
        "Statistic, ExtendedStatistic, Dimensions, Period, Unit, EvaluationPeriods, DatapointsToAlarm, Threshold, "
        "ComparisonOperator, TreatMissingData, EvaluateLowSampleCountPercentile, Metrics, Tags, ThresholdMetricId, "
        "EvaluationCriteria, EvaluationInterval",
        "MonitoringExecutionFailedRule (PutTargets): Missing required parameter in Targets[0]: \"Id\"",
    ]


# ---- The judges themselves --------------------------------------------------------------------------------------


def test_api_problems_reports_a_misspelt_property_and_a_non_numeric_value() -> None:
    resources = json.loads(json.dumps(rendered("staging")["Resources"]))
    props = resources["ModelBiasJobDefinition"]["Properties"]
    props["ModelBiasJobInput"]["EndpointInput"]["ProbabilityTreshold"] = "0.5"
    props["JobResources"]["ClusterConfig"]["InstanceCount"] = "one"
    assert api_problems(resources) == [
        "ModelBiasJobDefinition (CreateModelBiasJobDefinition): Invalid type for parameter "
        "JobResources.ClusterConfig.InstanceCount, value: one, type: <class 'str'>, valid types: <class 'int'>",
        'ModelBiasJobDefinition (CreateModelBiasJobDefinition): Unknown parameter in '
        'ModelBiasJobInput.EndpointInput: "ProbabilityTreshold", must be one of: EndpointName, LocalPath, '
        'S3InputMode, S3DataDistributionType, FeaturesAttribute, InferenceAttribute, ProbabilityAttribute, '
        'ProbabilityThresholdAttribute, StartTimeOffset, EndTimeOffset, ExcludeFeaturesAttribute',
    ]


def test_api_problems_reports_a_schedule_whose_job_definition_is_not_deployed() -> None:
    resources = dict(rendered("staging")["Resources"])
    del resources["ModelBiasJobDefinition"]
    assert api_problems(resources) == [
        "ModelBiasMonitoringSchedule: job definition ModelBiasJobDefinition is not deployed with this parameter set"
    ]


@pytest.fixture(scope="module")
def lint_findings() -> dict[str, list[str]]:
    """cfn-lint findings for every case and both shipped stage configs, from a single cfn-lint run."""
    sets = {case: case_parameters(case) for case in CASES}
    sets.update({f"shipped {stage}": shipped_parameters(stage) for stage in ("staging", "prod")})
    sets["deliberately bad"] = sample_parameters(InstanceType="ml.m5.huge")  # proves findings reach their set
    return cfn_lint(sets)


@pytest.mark.slow
@pytest.mark.parametrize("case", [*CASES, "shipped staging", "shipped prod"])
def test_cfn_lint_is_clean_with_each_parameter_set(lint_findings: dict[str, list[str]], case: str) -> None:
    assert lint_findings[case] == []


@pytest.mark.slow
def test_cfn_lint_is_clean_for_the_template_itself(lint_findings: dict[str, list[str]]) -> None:
    assert lint_findings[""] == []


@pytest.mark.slow
def test_cfn_lint_attributes_a_bad_parameter_value_to_its_parameter_set(lint_findings: dict[str, list[str]]) -> None:
    bad = lint_findings["deliberately bad"]
    assert len(bad) == 5  # InstanceType of each of the four job definitions and the matured model quality one
    assert all(f.startswith("W1030 {'Ref': 'InstanceType'} is not one of ['ml.c4.2xlarge'") for f in bad)
    assert all("when 'Ref' is resolved to 'ml.m5.huge' from ['deliberately_bad.json']" in f for f in bad)


def _checkov() -> str | None:
    """The checkov binary: $CHECKOV (set by make test), else the repo's .venv-checkov."""
    candidate = os.environ.get("CHECKOV") or str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov")
    return candidate if shutil.which(candidate) else None


@pytest.mark.slow
def test_checkov_reports_no_failed_checks() -> None:
    checkov = _checkov()
    if checkov is None:
        pytest.skip("checkov not installed: set CHECKOV or run `make tools` to create .venv-checkov")
    result = subprocess.run(
        [checkov, "--skip-download", "--quiet", "--output", "json", "-f", str(TEMPLATE_PATH)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )
    summary = json.loads(result.stdout)["summary"]
    assert (summary["failed"], summary["parsing_errors"]) == (0, 0), result.stdout
    assert summary["passed"] >= 6


# ---- Matured labels (issue 18) ----------------------------------------------------------------------------------


def test_the_matured_job_reads_one_day_of_captures_label_maturity_days_old_with_its_own_constraints() -> None:
    resources = rendered("fraud cadence")["Resources"]
    job = resources["ModelQualityMaturedJobDefinition"]["Properties"]
    endpoint_input = job["ModelQualityJobInput"]["EndpointInput"]
    assert (endpoint_input["StartTimeOffset"], endpoint_input["EndTimeOffset"]) == ("-P90DT24H", "-P90D")
    assert job["ModelQualityBaselineConfig"] == {"ConstraintsResource": {"S3Uri": (
        "s3://fraud-monitor-outputs-123456789012/derived/fraud-detection-p-1a2b3c4d5e6f/7/model-quality/"
        "constraints-matured-5c1e7a.json")}}
    assert job["ModelQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] == (
        "s3://fraud-monitor-outputs-123456789012/monitor-output/staging/model-quality-matured")
    schedule = resources["ModelQualityMaturedMonitoringSchedule"]["Properties"]
    assert schedule["MonitoringScheduleName"] == "fraud-detection-staging-model-quality-matured"
    assert schedule["MonitoringScheduleConfig"] == {
        "MonitoringJobDefinitionName": "ModelQualityMaturedJobDefinition.JobDefinitionName",
        "MonitoringType": "ModelQuality", "ScheduleConfig": {"ScheduleExpression": "cron(0 4 ? * * *)"}}


def test_matured_offsets_follow_label_maturity_days_and_fall_back_to_the_early_constraints() -> None:
    job = rendered("matured constraints not derived")["Resources"]["ModelQualityMaturedJobDefinition"]["Properties"]
    endpoint_input = job["ModelQualityJobInput"]["EndpointInput"]
    assert (endpoint_input["StartTimeOffset"], endpoint_input["EndTimeOffset"]) == ("-P30DT24H", "-P30D")
    assert job["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == (
        "s3://fraud-monitor-outputs-123456789012/baselines/fraud-detection-p-1a2b3c4d5e6f/7/model-quality/"
        "constraints.json")


def test_the_matured_alarm_watches_a_day_of_matured_recall_on_its_own_schedule() -> None:
    assert _alarm("staging", "ModelQualityMaturedAlarm") == {
        "AlarmName": "fraud-detection-staging-model-quality-matured-recall",
        "AlarmDescription": "recall of fraud-detection-staging on a day of transactions with matured labels (90 "
        "days) fell below 0.679802 (baseline minus 3 binomial standard errors over one day's count at 30 frauds a "
        "day: frauds for recall, predicted frauds for precision, transactions for accuracy).",
        "Namespace": "aws/sagemaker/Endpoints/model-metrics",
        "MetricName": "recall",
        "Dimensions": [
            {"Name": "Endpoint", "Value": "fraud-detection-staging"},
            {"Name": "MonitoringSchedule", "Value": "fraud-detection-staging-model-quality-matured"},
        ],
        "Statistic": "Minimum",
        "Period": 86400,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": "0.679802",
        "TreatMissingData": "missing",
        "Tags": TAGS,
    }


def test_a_now_smoke_run_has_no_matured_evaluation() -> None:
    assert not MATURED & set(rendered("now")["Resources"])


def test_the_matured_schedule_has_a_missed_run_alarm_sized_like_model_quality_where_failures_count() -> None:
    stack = render_stack(sample_parameters(**FRAUD_CADENCE, ModelQualityMissedRunAlarmHours="26"))
    resources = stack["Resources"]
    assert resources["ModelQualityMaturedExecutedRule"]["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {
            "ProcessingJobStatus": ["Completed", "Failed", "Stopped"],  # its first days fail: still a run
            "MonitoringScheduleArn": [{"equals-ignore-case": "arn:aws:sagemaker:us-east-1:555555555555:"
                                                              "monitoring-schedule/" + MATURED_SCHEDULE}],
        },
    }
    assert "Targets" not in resources["ModelQualityMaturedExecutedRule"]["Properties"]
    props = {k: v for k, v in resources["ModelQualityMaturedMissedRunAlarm"]["Properties"].items() if k != "Tags"}
    assert props == {
        "AlarmName": "fraud-detection-staging-model-quality-matured-no-execution",
        "AlarmDescription": "No matured model quality execution on fraud-detection-staging finished in 26 hours; "
        "check the schedule (aws sagemaker describe-monitoring-schedule).",
        "Namespace": "AWS/Events",
        "MetricName": "TriggeredRules",
        "Dimensions": [{"Name": "RuleName", "Value": "ModelQualityMaturedExecutedRule"}],
        "Statistic": "Sum",
        "Period": 3600,
        "EvaluationPeriods": "26",
        "DatapointsToAlarm": "26",
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 1,
        "TreatMissingData": "breaching",
    }
    assert stack["Outputs"]["ModelQualityMaturedMissedRunAlarmName"]["Value"] == "ModelQualityMaturedMissedRunAlarm"
    assert alerting_problems({k: resources[k] for k in ("ModelQualityMaturedExecutedRule",
                                                        "ModelQualityMaturedMissedRunAlarm")}) == []
