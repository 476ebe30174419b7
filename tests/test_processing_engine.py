"""The processing engine (issue 19): the window rule, the template rendered with each engine, the state machines as
Amazon States Language (asl-validator) and as executions (JSONata evaluated by the jsonata package), and every
Processing job they start against botocore's CreateProcessingJob input shape."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from devtools import processing_engine_block
from pipelines.formats.windows import analysis_window, capture_folders, iso, offset
from tests.support.processing_engine import (
    STATE_MACHINE_ARN,
    asl_problems,
    node_missing,
    processing_job_problems,
    run,
    run_many,
    state_machines,
)
from tests.support.template_render import (
    BUCKET,
    TEMPLATE_PATH,
    TemplateRuleError,
    alerting_problems,
    cfn_lint,
    render,
    sample_parameters,
)

ANALYZER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-analyzer:1.0"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fraud-ml-alerts"
PROCESSING = {"MonitoringEngine": "processing", "DataCaptureS3Uri": f"{BUCKET}/data-capture"}
ESTIMATE = {"AnalyzerImageUri": ANALYZER_IMAGE, "AnalyzerEstimateOutputS3Uri": f"{BUCKET}/monitor-output/staging/estimate"}
FRAUD_CADENCE = {
    "DataQualityScheduleExpression": "cron(0 * ? * * *)",
    "ModelQualityScheduleExpression": "cron(0 4 ? * * *)",
    "ModelQualityMaxRuntimeInSeconds": "3600",
}


def processing_parameters(**overrides: str) -> dict[str, str]:
    """sample_parameters on the processing engine with the analyzer image (bias and explainability off)."""
    extra = {k: v for k, v in overrides.items() if k in ESTIMATE}  # the analyzer's parameters have no sample value
    params = sample_parameters(**{**PROCESSING, "EnableModelBiasMonitor": "no", "EnableModelExplainabilityMonitor": "no",
                                  **{k: v for k, v in overrides.items() if k not in ESTIMATE}})
    return {**params, "AnalyzerImageUri": ANALYZER_IMAGE, **extra}


@functools.cache
def _rendered(key: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return render(dict(key))


def rendered(params: dict[str, str]) -> dict[str, Any]:
    return _rendered(tuple(sorted(params.items())))


# ---- The window rule (pipelines/formats/windows.py) ----------------------------------------------------------------


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(("scheduled", "start", "end"), [
    (_utc(2026, 12, 3, 5), _utc(2026, 12, 3, 4), _utc(2026, 12, 3, 5)),
    (_utc(2026, 12, 3, 5, 7, 41), _utc(2026, 12, 3, 4), _utc(2026, 12, 3, 5)),  # a late tick keeps its hour
    (_utc(2026, 12, 4, 0), _utc(2026, 12, 3, 23), _utc(2026, 12, 4, 0)),  # day rollover
    (_utc(2026, 3, 1, 0), _utc(2026, 2, 28, 23), _utc(2026, 3, 1, 0)),  # month rollover
    (_utc(2027, 1, 1, 0), _utc(2026, 12, 31, 23), _utc(2027, 1, 1, 0)),  # year rollover
])
def test_a_cron_run_analyses_the_previous_full_hour(scheduled: datetime, start: datetime, end: datetime) -> None:
    window = analysis_window(scheduled)
    assert (window.start, window.end) == (start, end)


def test_late_label_offsets_move_the_window_back_from_the_scheduled_hour() -> None:
    window = analysis_window(_utc(2028, 3, 1, 4), "-P8D", "-P7D")  # 2028 is a leap year
    assert (iso(window.start), iso(window.end), window.output_folder) == (
        "2028-02-22T04:00:00Z", "2028-02-23T04:00:00Z", "2028/03/01/04")


def test_offsets_of_days_hours_and_minutes_are_read_and_anything_else_is_refused() -> None:
    assert [offset(text).total_seconds() for text in ("-P8D", "-PT1H", "-PT0H", "-P1DT2H30M", "PT2H")] == [
        -691200.0, -3600.0, 0.0, -95400.0, 7200.0]
    for text in ("-P1M", "-P", "-PT", "-P1DT", "8D", ""):
        with pytest.raises(ValueError) as error:
            offset(text)
        assert str(error.value) == (f"offset '{text}' is not an ISO-8601 duration of days, hours and minutes like "
                                    "-P8D or -PT1H")


def test_a_window_whose_start_is_not_before_its_end_is_refused() -> None:
    with pytest.raises(ValueError) as error:
        analysis_window(_utc(2026, 12, 3, 5), "-P7D", "-P8D")
    assert str(error.value) == "start offset -P7D is not before end offset -P8D"


def test_an_hour_window_reads_one_hour_folder_and_a_day_window_the_day_folders_it_touches() -> None:
    assert capture_folders(analysis_window(_utc(2027, 1, 1, 0))) == ["2026/12/31/23"]
    assert capture_folders(analysis_window(_utc(2026, 3, 1, 4), "-P8D", "-P7D")) == ["2026/02/21", "2026/02/22"]
    assert capture_folders(analysis_window(_utc(2026, 3, 1, 0), "-P8D", "-P7D")) == ["2026/02/21"]


# ---- The template with each engine ----------------------------------------------------------------------------------

MODEL_MONITOR_ONLY = {"DataQualityJobDefinition", "DataQualityMonitoringSchedule", "ModelQualityJobDefinition",
                      "ModelQualityMonitoringSchedule", "MonitoringExecutionFailedRule"}
LIVENESS = {"DataQualityExecutedRule", "DataQualityMissedRunAlarm", "ModelQualityExecutedRule",
            "ModelQualityMissedRunAlarm"}
PROCESSING_SHARED = {"ProcessingSchedulerRole", "ProcessingStateMachineRole", "ProcessingLogGroup"}


def _two_monitors(**overrides: str) -> dict[str, str]:
    return sample_parameters(EnableModelBiasMonitor="no", EnableModelExplainabilityMonitor="no",
                             NotificationTopicArn=TOPIC_ARN, **overrides)


WATCHDOG = {"WatchdogRole", "WatchdogFunction", "WatchdogScheduleRule", "WatchdogInvokePermission",
            "WatchdogNotRunningAlarm", "WatchdogReadViolationsPolicy"}  # issue 18: watches Model Monitor schedules


def test_the_model_monitor_engine_is_the_default_and_deploys_no_processing_resource() -> None:
    # with the matured model quality evaluation (issue 18): a job definition and schedule on this engine, its alarm,
    # and its missed-run alarm
    matured = {"ModelQualityMaturedJobDefinition", "ModelQualityMaturedMonitoringSchedule", "ModelQualityMaturedAlarm",
               "ModelQualityMaturedExecutedRule", "ModelQualityMaturedMissedRunAlarm"}
    assert set(rendered(_two_monitors())) == MODEL_MONITOR_ONLY | LIVENESS | {"ModelQualityAlarm"} | matured | WATCHDOG


def test_the_processing_engine_deploys_a_schedule_and_a_state_machine_per_monitor_and_no_monitoring_schedule() -> None:
    params = {**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE}
    resources = rendered(params)
    assert set(resources) == LIVENESS | PROCESSING_SHARED | {
        "ModelQualityAlarm", "ProcessingExecutionFailedRule", "DataQualityStateMachine",
        "DataQualityProcessingSchedule", "ModelQualityStateMachine", "ModelQualityProcessingSchedule",
        # the matured model quality evaluation (issue 18) as a schedule + state machine, and its alarm
        "ModelQualityMaturedStateMachine", "ModelQualityMaturedProcessingSchedule", "ModelQualityMaturedAlarm",
        "ModelQualityMaturedExecutedRule", "ModelQualityMaturedMissedRunAlarm"}
    assert not [r for r in resources.values() if r["Type"].startswith("AWS::SageMaker::")]
    assert alerting_problems(resources) == []


def test_the_outputs_name_the_state_machines_for_a_one_off_run() -> None:
    from tests.support.template_render import render_stack

    outputs = render_stack({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})["Outputs"]
    assert {name: output["Value"] for name, output in outputs.items() if name.endswith("StateMachineArn")} == {
        "DataQualityStateMachineArn": "DataQualityStateMachine",
        "ModelQualityStateMachineArn": "ModelQualityStateMachine",
        "ModelQualityMaturedStateMachineArn": "ModelQualityMaturedStateMachine"}


def test_the_estimate_runs_on_the_engine_of_the_stage() -> None:
    on_model_monitor = rendered({**_two_monitors(), **ESTIMATE})
    on_processing = rendered({**_two_monitors(**PROCESSING), **ESTIMATE})
    assert "AnalyzerEstimateSchedule" in on_model_monitor and "AnalyzerEstimateStateMachine" not in on_model_monitor
    assert {"AnalyzerEstimateStateMachine", "AnalyzerEstimateProcessingSchedule"} <= set(on_processing)
    assert "AnalyzerEstimateSchedule" not in on_processing


def test_the_scheduler_passes_its_scheduled_time_to_the_state_machine_on_the_monitors_own_cron() -> None:
    resources = rendered({**_two_monitors(**PROCESSING, **FRAUD_CADENCE), "AnalyzerImageUri": ANALYZER_IMAGE})
    props = resources["ModelQualityProcessingSchedule"]["Properties"]
    assert props == {
        "Name": "fraud-detection-staging-model-quality",
        "Description": "Starts the model quality state machine of fraud-detection-staging on its Model Monitor cron",
        "ScheduleExpression": "cron(0 4 ? * * *)",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {"Arn": "ModelQualityStateMachine", "RoleArn": "ProcessingSchedulerRole.Arn",
                   "Input": '{"scheduledTime": "<aws.scheduler.scheduled-time>"}',
                   "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 5}},
    }
    assert resources["DataQualityProcessingSchedule"]["Properties"]["ScheduleExpression"] == "cron(0 * ? * * *)"


def test_failed_timed_out_and_aborted_executions_page_the_alarm_topic() -> None:
    resources = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})
    rule = resources["ProcessingExecutionFailedRule"]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"stateMachineArn": [{"prefix": "arn:aws:states:us-east-1:555555555555:stateMachine:"
                                                  "fraud-detection-staging-"}],
                   "$or": [{"status": ["TIMED_OUT", "ABORTED"]},
                           {"status": ["FAILED"], "error": [{"exists": False}]},
                           {"status": ["FAILED"], "error": [{"anything-but": ["NoDataFirstWindow"]}]}]}}
    assert rule["Targets"][0]["Arn"] == TOPIC_ARN


def test_the_missed_run_alarms_count_the_state_machines_finished_executions_on_the_processing_engine() -> None:
    resources = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})
    assert resources["DataQualityExecutedRule"]["Properties"]["EventPattern"] == {
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
                   "stateMachineArn": ["arn:aws:states:us-east-1:555555555555:stateMachine:"
                                       "fraud-detection-staging-data-quality"]}}


def test_the_roles_allow_only_this_stacks_state_machines_and_processing_jobs_and_pass_only_the_monitoring_role() -> None:
    resources = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})
    scheduler = resources["ProcessingSchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert scheduler == [{"Effect": "Allow", "Action": "states:StartExecution",
                          "Resource": "arn:aws:states:us-east-1:555555555555:stateMachine:fraud-detection-staging-*"}]
    statements = {s["Sid"]: s for s in resources["ProcessingStateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]}
    assert statements["ProcessingJobsOfThisStack"]["Resource"] == (
        "arn:aws:sagemaker:us-east-1:555555555555:processing-job/fraud-detection-staging-*")
    assert statements["PassTheMonitoringRoleToSageMakerOnly"] == {
        "Sid": "PassTheMonitoringRoleToSageMakerOnly", "Effect": "Allow", "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::123456789012:role/fraud-model-monitor",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"AnalyzerImageUri": ""}, 'MonitoringEngine is "processing" but AnalyzerImageUri is empty; push '
                               'docker/analyzer.Dockerfile to ECR and set it, or use MonitoringEngine "model-monitor".'),
    ({"DataCaptureS3Uri": ""}, 'MonitoringEngine is "processing" but DataCaptureS3Uri is empty; set it to the '
                               "endpoint's DataCaptureConfig DestinationS3Uri (get_baselines_and_configs.py does)."),
    ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
     'MonitoringEngine "processing" has no NOW run; use a cron ScheduleExpression and start a state machine by hand '
     "(aws stepfunctions start-execution) for a one-off run."),
])
def test_the_template_refuses_a_processing_stage_that_cannot_run(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateRuleError) as error:
        render({**processing_parameters(), **overrides})
    assert str(error.value) == message


def test_the_generated_block_is_what_devtools_writes() -> None:
    assert processing_engine_block.current_block(TEMPLATE_PATH.read_text()) == processing_engine_block.block()


# ---- The state machines as Step Functions runs them (node) -------------------------------------------------------

LONGEST_BASE = "a" * 41  # MonitoringScheduleBaseName's MaxLength: the longest job names
PARAMETER_SETS = {
    "processing": processing_parameters(**ESTIMATE),
    "sharded, two variants, KMS, VPC": processing_parameters(
        **ESTIMATE, InstanceCount="4", CaptureVariantNames="AllTraffic,Canary", KmsKeyId=KMS_KEY,
        SubnetIds="subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788", SecurityGroupIds="sg-0123456789abcdef0"),
    "fraud cadence, longest names": processing_parameters(**ESTIMATE, **FRAUD_CADENCE,
                                                          MonitoringScheduleBaseName=LONGEST_BASE),
}
needs_node = pytest.mark.skipif(node_missing() is not None, reason=node_missing() or "")


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("case", PARAMETER_SETS)
def test_every_state_machine_is_valid_amazon_states_language(case: str) -> None:
    machines = state_machines(rendered(PARAMETER_SETS[case]))
    assert sorted(machines) == ["AnalyzerEstimateStateMachine", "DataQualityStateMachine",
                                "ModelQualityMaturedStateMachine", "ModelQualityStateMachine"]
    assert asl_problems(machines) == []


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("case", PARAMETER_SETS)
def test_every_processing_job_a_state_machine_starts_is_a_valid_create_processing_job_request(case: str) -> None:
    for logical_id, machine in state_machines(rendered(PARAMETER_SETS[case])).items():
        tasks = run(machine, "2026-12-31T23:00:00Z", execution_name="0f3c9b1e-77aa-4a5b-9e0e-5d6c7b8a9f00")["tasks"]
        # data quality, model quality and the matured one shard on InstanceCount N (then a merge job); the estimate
        # runs on one instance
        sharded = PARAMETER_SETS[case]["InstanceCount"] != "1" and logical_id != "AnalyzerEstimateStateMachine"
        assert [task["state"] for task in tasks] == (["Analyze", "Merge"] if sharded else ["Analyze"])
        for task in tasks:
            assert task["resource"] == "arn:aws:states:::sagemaker:createProcessingJob.sync"
            assert processing_job_problems(task["arguments"]) == [], (logical_id, task["state"])


# (scheduled time, monitor's state machine, its start and end offsets as the template passes them)
AGREEMENT_CASES = [
    ("2026-12-03T05:00:00Z", "DataQualityStateMachine", "-PT1H", "-PT0H"),
    ("2026-12-03T05:59:59Z", "DataQualityStateMachine", "-PT1H", "-PT0H"),
    ("2026-12-04T00:00:00Z", "DataQualityStateMachine", "-PT1H", "-PT0H"),
    ("2026-03-01T00:00:00Z", "DataQualityStateMachine", "-PT1H", "-PT0H"),
    ("2027-01-01T00:00:00Z", "DataQualityStateMachine", "-PT1H", "-PT0H"),
    ("2026-12-03T04:00:00Z", "ModelQualityStateMachine", "-P8D", "-P7D"),
    ("2026-03-01T04:00:00Z", "ModelQualityStateMachine", "-P8D", "-P7D"),
    ("2028-03-01T00:00:00Z", "ModelQualityStateMachine", "-P8D", "-P7D"),
    ("2027-01-08T00:30:00Z", "ModelQualityStateMachine", "-P8D", "-P7D"),
    ("2027-01-01T03:00:00Z", "ModelQualityStateMachine", "-P1DT2H", "-PT2H"),
]


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("scheduled", "machine", "start_offset", "end_offset"), AGREEMENT_CASES)
def test_the_state_machine_computes_the_window_exactly_as_the_python_rule(
        scheduled: str, machine: str, start_offset: str, end_offset: str) -> None:
    overrides = {"GroundTruthStartTimeOffset": start_offset, "GroundTruthEndTimeOffset": end_offset} \
        if machine == "ModelQualityStateMachine" else {}
    params = processing_parameters(CaptureVariantNames="AllTraffic,Canary", **overrides)
    result = run(state_machines(rendered(params))[machine], scheduled)
    window = analysis_window(datetime.fromisoformat(scheduled.replace("Z", "+00:00")), start_offset, end_offset)
    folders = capture_folders(window)
    assert result["variables"]["window"]["start"] == iso(window.start)
    assert result["variables"]["window"]["end"] == iso(window.end)
    assert result["variables"]["window"]["hour"] == window.output_folder
    arguments = result["tasks"][0]["arguments"]
    assert (arguments["Environment"]["start_time"], arguments["Environment"]["end_time"]) == (
        iso(window.start), iso(window.end))
    capture = f"{BUCKET}/data-capture/fraud-detection-staging"
    assert [i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"]] == [
        f"{capture}/{variant}/{folder}/" for variant in ("AllTraffic", "Canary") for folder in folders]
    schedule = "fraud-detection-staging-" + ("data-quality" if machine.startswith("Data") else "model-quality")
    output = BUCKET + "/monitor-output/staging/" + schedule.removeprefix("fraud-detection-staging-")
    assert arguments["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{output}/fraud-detection-staging/{schedule}/{window.output_folder}")


@pytest.mark.slow
@needs_node
def test_the_analyzer_job_gets_the_container_contract_and_publishes_model_monitors_metric_names_itself() -> None:
    arguments = run(state_machines(rendered(processing_parameters()))["DataQualityStateMachine"],
                    "2026-12-03T05:00:00Z")["tasks"][0]["arguments"]
    baselines = f"{BUCKET}/baselines/fraud-detection-p-1a2b3c4d5e6f/7/data-quality"
    assert arguments["Environment"] == {
        "analyzer_command": "data-quality",
        "dataset_source": "/opt/ml/processing/input/endpoint",
        "output_path": "/opt/ml/processing/output",
        "start_time": "2026-12-03T04:00:00Z",
        "end_time": "2026-12-03T05:00:00Z",
        "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_namespace": "aws/sagemaker/Endpoints/data-metrics",
        "metric_time": "2026-12-03T05:00:00Z",  # the scheduled hour (here also the window's end)
        "sagemaker_endpoint_name": "fraud-detection-staging",
        "sagemaker_monitoring_schedule_name": "fraud-detection-staging-data-quality",
        "shard_count": "1",
        "baseline_statistics": f"{baselines}/statistics.json",
        "baseline_constraints": f"{baselines}/constraints.json",
        "cloudwatch_endpoint_dimension": "Endpoint",
    }
    assert arguments["ProcessingJobName"] == "fraud-detection-staging-dq-2026120305-a1b2"
    assert arguments["ProcessingInputs"][0]["S3Input"]["LocalPath"] == (
        "/opt/ml/processing/input/endpoint/fraud-detection-staging/AllTraffic/2026/12/03/04")


@pytest.mark.slow
@needs_node
def test_a_sharded_job_splits_the_captures_by_key_and_a_merge_job_writes_the_final_files() -> None:
    tasks = run(state_machines(rendered(processing_parameters(InstanceCount="3")))["DataQualityStateMachine"],
                "2026-12-03T05:00:00Z")["tasks"]
    analyze, merge = (task["arguments"] for task in tasks)
    assert analyze["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert analyze["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 3
    shards = (f"{BUCKET}/monitor-output/staging/data-quality-shards/fraud-detection-staging/"
              "fraud-detection-staging-data-quality/2026/12/03/05")
    assert analyze["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == shards
    assert merge["ProcessingInputs"][0]["S3Input"]["S3Uri"] == shards + "/"
    assert "ContainerEntrypoint" not in merge["AppSpecification"]  # the image's entrypoint: the container
    assert {key: merge["Environment"][key] for key in ("analyzer_command", "dataset_source", "output_path",
                                                       "publish_cloudwatch_metrics")} == {
        "analyzer_command": "merge-statistics", "dataset_source": "/opt/ml/processing/input/shards",
        "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Enabled"}
    assert merge["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1


@pytest.mark.slow
def test_cfn_lint_is_clean_with_the_processing_engine() -> None:
    sets = {**PARAMETER_SETS, **{f"bias: {name}": params for name, params in BIAS_SETS.items()}}
    findings = cfn_lint(sets)
    assert findings == {name: [] for name in [*sets, ""]}


# ---- Model bias: Prepare (our analyzer) -> Clarify (the Clarify image) -> Check (our analyzer) ---------------------

CLARIFY_ON = {"EnableModelBiasMonitor": "yes", "EnableModelExplainabilityMonitor": "yes"}
BIAS_SETS = {
    "bias": processing_parameters(**CLARIFY_ON),
    "bias sharded, KMS, VPC, isolated, longest names": processing_parameters(
        **CLARIFY_ON, InstanceCount="2", KmsKeyId=KMS_KEY, SubnetIds="subnet-0a1b2c3d4e5f60718",
        SecurityGroupIds="sg-0123456789abcdef0", EnableClarifyNetworkIsolation="true",
        MonitoringScheduleBaseName=LONGEST_BASE),
}


@pytest.mark.parametrize("prefix", ["ModelBias", "ModelExplainability"])
def test_bias_and_explainability_on_the_processing_engine_are_a_state_machine_and_a_schedule(prefix: str) -> None:
    resources = rendered(BIAS_SETS["bias"])
    assert sorted(name for name in resources if name.startswith(prefix)) == [
        f"{prefix}ExecutedRule", f"{prefix}MissedRunAlarm", f"{prefix}ProcessingSchedule", f"{prefix}StateMachine"]
    assert resources[f"{prefix}ProcessingSchedule"]["Properties"]["Target"]["Arn"] == f"{prefix}StateMachine"


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("case", BIAS_SETS)
def test_the_clarify_state_machines_are_valid_asl_and_their_three_jobs_valid_create_processing_job_requests(
        case: str) -> None:
    machines = state_machines(rendered(BIAS_SETS[case]))
    clarify = {name: machines[name] for name in ("ModelBiasStateMachine", "ModelExplainabilityStateMachine")}
    assert asl_problems(clarify) == []
    for name, machine in clarify.items():
        tasks = run(machine, "2026-12-31T23:00:00Z", execution_name="0f3c9b1e-77aa-4a5b-9e0e-5d6c7b8a9f00")["tasks"]
        assert [task["state"] for task in tasks] == ["Prepare", "Clarify", "Check"]
        for task in tasks:
            assert task["resource"] == "arn:aws:states:::sagemaker:createProcessingJob.sync"
            assert processing_job_problems(task["arguments"]) == [], (name, task["state"])
            assert len(task["arguments"]["ProcessingJobName"]) <= 63


@pytest.mark.slow
@needs_node
def test_the_explainability_jobs_explain_the_scheduled_hours_captures_with_an_unisolated_clarify_job() -> None:
    params = BIAS_SETS["bias sharded, KMS, VPC, isolated, longest names"]
    tasks = {task["state"]: task["arguments"] for task in run(
        state_machines(rendered(params))["ModelExplainabilityStateMachine"], "2026-12-31T23:00:00Z",
        execution_name="0f3c9b1e-77aa-4a5b-9e0e-5d6c7b8a9f00")["tasks"]}
    endpoint, schedule = params["EndpointName"], f"{params['MonitoringScheduleBaseName']}-model-explainability"
    assert {k: v for k, v in tasks["Prepare"]["Environment"].items() if k in (
        "analyzer_command", "analysis_config", "start_time", "end_time")} == {
        "analyzer_command": "shap-dataset", "analysis_config": params["ModelExplainabilityConfigUri"],
        "start_time": "2026-12-31T22:00:00Z", "end_time": "2026-12-31T23:00:00Z"}
    assert [i["S3Input"]["S3Uri"] for i in tasks["Prepare"]["ProcessingInputs"]] == [
        f"{params['DataCaptureS3Uri']}/{endpoint}/AllTraffic/2026/12/31/22/"]
    # SHAP calls the shadow endpoint Clarify starts from predictor.model_name: never network-isolated
    assert tasks["Clarify"]["NetworkConfig"]["EnableNetworkIsolation"] is False
    assert tasks["Check"]["Environment"]["analyzer_command"] == "shap-check"
    assert tasks["Check"]["Environment"]["cloudwatch_namespace"] == "aws/sagemaker/Endpoints/explainability-metrics"
    assert tasks["Check"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{params['ModelExplainabilityOutputS3Uri']}/{endpoint}/{schedule}/2026/12/31/23")


@pytest.mark.slow
@needs_node
def test_the_bias_jobs_hand_the_dataset_to_clarify_and_clarifys_analysis_to_the_check_in_model_monitors_layout() -> None:
    params = BIAS_SETS["bias"]
    tasks = {task["state"]: task["arguments"] for task in run(
        state_machines(rendered(params))["ModelBiasStateMachine"], "2026-12-31T23:00:00Z",
        execution_name="0f3c9b1e-77aa-4a5b-9e0e-5d6c7b8a9f00")["tasks"]}
    endpoint, schedule = params["EndpointName"], f"{params['MonitoringScheduleBaseName']}-model-bias"
    staging = f"{params['ModelBiasOutputS3Uri']}-clarify/{endpoint}/{schedule}/2026/12/31/23"
    prepare, clarify, check = tasks["Prepare"], tasks["Clarify"], tasks["Check"]
    assert prepare["Environment"] == {
        "analyzer_command": "clarify-dataset", "dataset_source": "/opt/ml/processing/input/endpoint",
        "output_path": "/opt/ml/processing/output", "start_time": "2026-12-23T23:00:00Z",
        "end_time": "2026-12-24T23:00:00Z", "publish_cloudwatch_metrics": "Disabled",
        "sagemaker_endpoint_name": endpoint, "sagemaker_monitoring_schedule_name": schedule,
        "ground_truth": params["GroundTruthInput"], "analysis_config": params["ModelBiasConfigUri"],
        "threshold": params["ProbabilityThresholdAttribute"]}
    assert [i["S3Input"]["S3Uri"] for i in prepare["ProcessingInputs"]] == [
        f"{params['DataCaptureS3Uri']}/{endpoint}/AllTraffic/2026/12/23/",
        f"{params['DataCaptureS3Uri']}/{endpoint}/AllTraffic/2026/12/24/"]
    assert prepare["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"{staging}/input"
    # the Clarify job's inputs and output as SageMakerClarifyProcessor lays them out (sagemaker-core clarify
    # _CLARIFY_CONFIG_INPUT, _CLARIFY_DATA_INPUT, _CLARIFY_OUTPUT)
    assert clarify["AppSpecification"] == {"ImageUri": params["ClarifyImageUri"]}
    assert [(i["InputName"], i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"])
            for i in clarify["ProcessingInputs"]] == [
        ("analysis_config", f"{staging}/input/config/", "/opt/ml/processing/input/config"),
        ("dataset", f"{staging}/input/dataset/", "/opt/ml/processing/input/data")]
    assert clarify["ProcessingOutputConfig"]["Outputs"] == [{"OutputName": "analysis_result", "S3Output": {
        "S3Uri": f"{staging}/analysis", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]
    assert clarify["NetworkConfig"]["EnableNetworkIsolation"] is False
    assert check["Environment"] == {
        "analyzer_command": "clarify-check", "dataset_source": "/opt/ml/processing/input/analysis",
        "output_path": "/opt/ml/processing/output", "start_time": "2026-12-23T23:00:00Z",
        "end_time": "2026-12-24T23:00:00Z", "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_namespace": "aws/sagemaker/Endpoints/bias-metrics", "metric_time": "2026-12-31T23:00:00Z",
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule,
        "baseline_constraints": params["ModelBiasBaselineConstraints"]}
    assert [(i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"]) for i in check["ProcessingInputs"]] == [
        (f"{staging}/analysis/", "/opt/ml/processing/input/analysis")]
    assert check["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{params['ModelBiasOutputS3Uri']}/{endpoint}/{schedule}/2026/12/31/23")


# ---- The CLI: the plan names the engine, costs it, and refuses a stage whose engine cannot run --------------------

from pipelines.core.monitors import DATA_QUALITY, MODEL_QUALITY  # noqa: E402
from pipelines.deploy.schedules import cost_lines, engine_problems  # noqa: E402
from pipelines.deploy.template_params import load_template_parameters  # noqa: E402

SPECS = load_template_parameters(TEMPLATE_PATH)
SHIPPED_STAGING = json.loads((TEMPLATE_PATH.parent / "staging-monitoring-schedule-config.json").read_text())


def _stage_file(tmp_path: Any, stage: str, **overrides: str) -> Any:
    path = tmp_path / f"{stage}-config.json"
    document = json.loads((TEMPLATE_PATH.parent / f"{stage}-monitoring-schedule-config.json").read_text())
    document["Parameters"].update(overrides)
    path.write_text(json.dumps(document))
    return path


def test_the_processing_engine_costs_the_same_instance_hours_plus_scheduler_and_state_transitions() -> None:
    values = {**SHIPPED_STAGING["Parameters"], "MonitoringEngine": "processing", "InstanceCount": "2"}
    assert cost_lines(values, SPECS, [DATA_QUALITY, MODEL_QUALITY])[-4:] == [
        # model quality shards on InstanceCount 2 as data quality does (issue 19 section 2): 2 instances, a merge
        # step (5 states a run)
        "      model quality         cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 60.0 "
        "instance-hours/month",
        # the matured evaluation (issue 18) on this engine too: sharded as well
        "      model quality matured cron(0 4 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 60.0 "
        "instance-hours/month",
        "      stage total                               780 executions/month  <= 840.0 instance-hours/month",
        "      processing engine: the same instance-hours (Processing jobs) plus 780 Scheduler invocations and 3900 "
        "Step Functions state transitions/month (4 per run, one more with the merge step)",
    ]


def test_a_processing_stage_without_an_analyzer_image_or_capture_location_or_with_now_cannot_run() -> None:
    values = {**SHIPPED_STAGING["Parameters"], "MonitoringEngine": "processing", "ScheduleExpression": "NOW",
              "GroundTruthInput": f"{BUCKET}/ground-truth/x"}
    assert engine_problems(values, SPECS) == [
        'MonitoringEngine is "processing" but AnalyzerImageUri is empty: the processing engine runs our analyzer '
        "image; build docker/analyzer.Dockerfile, push it to ECR and set AnalyzerImageUri in the stage file, or set "
        'MonitoringEngine to "model-monitor"',
        'MonitoringEngine is "processing" but DataCaptureS3Uri is unknown (the endpoint\'s DataCaptureConfig has no '
        "DestinationS3Uri); set DataCaptureS3Uri in the stage file",
        'ScheduleExpression NOW is a Model Monitor feature; with MonitoringEngine "processing" use a cron expression '
        "and start a state machine by hand for a one-off run (aws stepfunctions start-execution --input "
        '\'{"scheduledTime": "2026-12-03T05:00:00Z"}\')',
    ]
    assert engine_problems({**values, "MonitoringEngine": "model-monitor"}, SPECS) == []


def test_a_window_whose_capture_folders_exceed_ten_processing_inputs_is_refused() -> None:
    values = {**SHIPPED_STAGING["Parameters"], "MonitoringEngine": "processing", "AnalyzerImageUri": ANALYZER_IMAGE,
              "DataCaptureS3Uri": f"{BUCKET}/data-capture", "GroundTruthInput": f"{BUCKET}/ground-truth/x",
              "CaptureVariantNames": "a,b,c,d,e,f", "EnableModelBiasMonitor": "no",
              "EnableModelExplainabilityMonitor": "no"}
    assert engine_problems(values, SPECS) == [
        "model quality on the processing engine reads up to 2 capture folder(s) per variant of its window, 6 variants "
        "x 2 = 12 inputs, over the 10 a Processing job takes; shorten the window or list fewer CaptureVariantNames"]
    assert engine_problems({**values, "CaptureVariantNames": "a,b,c,d,e"}, SPECS) == []


def test_the_plan_names_the_engine_of_each_stage(cli, seeded, tmp_path) -> None:
    prod = _stage_file(tmp_path, "prod", MonitoringEngine="processing", AnalyzerImageUri=ANALYZER_IMAGE,
                       EnableModelBiasMonitor="no", EnableModelExplainabilityMonitor="no")
    result = cli("--dry-run", "--import-prod-config", str(prod))
    assert result.exit_code == 0, result.err
    assert "  engine: model-monitor (SageMaker Model Monitor schedules)" in result.out.split("Stage prod")[0]
    prod_plan = result.out.split("Stage prod")[1]
    assert "  engine: processing (EventBridge Scheduler -> Step Functions -> SageMaker Processing jobs, no Model " \
           "Monitor)" in prod_plan
    assert "      processing engine: the same instance-hours (Processing jobs) plus 780 Scheduler invocations and " \
           "3120 Step Functions state transitions/month (4 per run, one more with the merge step)" in prod_plan
    # the matured model quality evaluation (issue 18) runs on this engine too, and the plan says how
    assert ("  note: label maturity 90 days (LabelMaturityDays): each day of transactions is evaluated again 90 "
            "days later (schedule fraud-detect-prod-model-quality-matured, a Scheduler schedule and state machine "
            "running the analyzer image (MonitoringEngine processing), captures -P90DT24H to -P90D) for recall, "
            "precision and false-positive rate, once python -m pipelines.ground_truth --matured-negatives has written "
            "its negatives") in prod_plan.splitlines()
    assert ("  note: label maturity 90 days (LabelMaturityDays): each day of transactions is evaluated again 90 days "
            "later (schedule fraud-detect-staging-model-quality-matured, a Model Monitor schedule, captures -P90DT24H "
            "to -P90D) for recall, precision and false-positive rate, once python -m pipelines.ground_truth "
            "--matured-negatives has written its negatives") in result.out.split("Stage prod")[0].splitlines()
    assert "no matured evaluation" not in result.out + result.err
    assert "run on 1 instance, not InstanceCount" not in result.out  # InstanceCount 1
    assert "sends one note a day" not in result.out  # no alarm topic: nothing pages, nothing notes
    assert result.out.splitlines()[-3].endswith("--tags file://" + str(cli.tmp / "prod.tags.json")
                                                 + " --capabilities CAPABILITY_IAM")  # the stack creates IAM roles
    assert not result.out.splitlines()[-4].endswith("CAPABILITY_IAM")
    written = json.loads(cli.files()["prod.json"])["Parameters"]
    assert (written["MonitoringEngine"], written["DataCaptureS3Uri"], written["CaptureVariantNames"]) == (
        "processing", "s3://fraud-monitor-outputs-123456789012/data-capture", "AllTraffic")


def test_the_plan_says_how_no_data_is_judged_and_no_longer_that_model_quality_runs_on_one_instance(
        cli, seeded, tmp_path) -> None:
    staging = _stage_file(tmp_path, "staging", MonitoringEngine="processing", AnalyzerImageUri=ANALYZER_IMAGE,
                          EnableModelBiasMonitor="no", EnableModelExplainabilityMonitor="no", InstanceCount="4",
                          NotificationTopicArn=TOPIC_ARN)
    result = cli("--dry-run", "--strict", "--import-staging-config", str(staging))
    assert result.exit_code == 0, result.err
    lines = result.out.split("Stage prod")[0].splitlines()
    # model quality shards on InstanceCount 4 as data quality does (issue 19 section 2): nothing to warn about
    assert "run on 1 instance" not in result.out and "shards data quality only" not in result.out
    # the shipped staging file says StageTraffic intermittent: no data never pages there
    assert ("  note: processing engine: a model quality run with no data or no ground truth in its window sends one "
            "note a day to the alarm topic, not a page, until its state machine is 90 days old "
            "(fraud-detect-staging-model-quality-matured: 90 days + 24 h) and, on this stage (StageTraffic "
            "intermittent), after it too; after that it pages (docs/processing-engine.md)") in lines
    prod = _stage_file(tmp_path, "prod", MonitoringEngine="processing", AnalyzerImageUri=ANALYZER_IMAGE,
                       EnableModelBiasMonitor="no", EnableModelExplainabilityMonitor="no",
                       NotificationTopicArn=TOPIC_ARN)
    result = cli("--dry-run", "--strict", "--import-prod-config", str(prod))
    assert result.exit_code == 0, result.err
    assert ("  note: processing engine: a model quality run with no data or no ground truth in its window sends one "
            "note a day to the alarm topic, not a page, until its state machine is 90 days old "
            "(fraud-detect-prod-model-quality-matured: 90 days + 24 h); after that it pages "
            "(docs/processing-engine.md)") in result.out.split("Stage prod")[1].splitlines()


def test_with_bias_on_the_plan_names_bias_among_the_runs_whose_no_data_is_a_note(cli, seeded, tmp_path) -> None:
    prod = _stage_file(tmp_path, "prod", MonitoringEngine="processing", AnalyzerImageUri=ANALYZER_IMAGE,
                       NotificationTopicArn=TOPIC_ARN)
    result = cli("--dry-run", "--strict", "--import-prod-config", str(prod))
    assert result.exit_code == 0, result.err
    assert ("  note: processing engine: a model quality or bias run with no data or no ground truth in its window "
            "sends one note a day to the alarm topic, not a page, until its state machine is 90 days old "
            "(fraud-detect-prod-model-quality-matured: 90 days + 24 h); after that it pages "
            "(docs/processing-engine.md)") in result.out.split("Stage prod")[1].splitlines()


def test_a_processing_stage_deploys_all_four_monitors_under_strict(cli, seeded, tmp_path) -> None:
    prod = _stage_file(tmp_path, "prod", MonitoringEngine="processing", AnalyzerImageUri=ANALYZER_IMAGE)
    result = cli("--strict", "--import-prod-config", str(prod))
    assert result.exit_code == 0, result.err
    assert "monitor disabled" not in result.err
    written = json.loads(cli.files()["prod.json"])["Parameters"]
    assert [written[name] for name in ("EnableDataQualityMonitor", "EnableModelQualityMonitor",
                                       "EnableModelBiasMonitor", "EnableModelExplainabilityMonitor")] == ["yes"] * 4
    assert written["MonitoringEngine"] == "processing"
    # the derived explainability config (it names the deployed model, which Clarify's shadow endpoint runs)
    assert "/derived-baselines/" in written["ModelExplainabilityConfigUri"]
    assert "/model-explainability/analysis-config-" in written["ModelExplainabilityConfigUri"]


def test_a_processing_stage_without_the_analyzer_image_fails_validation_and_writes_nothing(cli, seeded, tmp_path):
    prod = _stage_file(tmp_path, "prod", MonitoringEngine="processing", EnableModelBiasMonitor="no",
                       EnableModelExplainabilityMonitor="no")
    result = cli("--import-prod-config", str(prod))
    assert result.exit_code == 2
    assert result.err.splitlines()[0] == (
        'error: prod: MonitoringEngine is "processing" but AnalyzerImageUri is empty: the processing engine runs our '
        "analyzer image; build docker/analyzer.Dockerfile, push it to ECR and set AnalyzerImageUri in the stage file, "
        'or set MonitoringEngine to "model-monitor"')
    assert cli.files() == {}


# ---- The analyzer container publishes Model Monitor's metric names itself on the processing engine ----------------


def test_the_container_publishes_the_drift_metrics_itself_when_the_processing_engine_names_a_namespace(
        tmp_path, monkeypatch) -> None:
    import boto3
    from moto import mock_aws

    from pipelines.analyze import container
    from tests.support.analyze import make_case

    case = make_case(tmp_path / "src", n=600, drift={0: 3.0})
    environment = {
        "ANALYZER_OPT_ML": str(tmp_path / "opt" / "ml"), "analyzer_command": "data-quality",
        "dataset_source": str(case.capture), "output_path": str(tmp_path / "out"),
        "start_time": "2026-11-27T00:00:00Z", "end_time": "2026-11-27T01:00:00Z",
        "publish_cloudwatch_metrics": "Enabled", "cloudwatch_namespace": "aws/sagemaker/Endpoints/data-metrics",
        "sagemaker_endpoint_name": "fraud-detect-prod",
        "sagemaker_monitoring_schedule_name": "fraud-detect-prod-data-quality",
        "baseline_statistics": str(case.statistics), "baseline_constraints": str(case.constraints),
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        assert container.main() == 0
        metrics = boto3.client("cloudwatch", region_name="us-east-1").list_metrics(
            Namespace="aws/sagemaker/Endpoints/data-metrics")["Metrics"]
    names = sorted({m["MetricName"] for m in metrics})
    assert names == [f"feature_{kind}_{feature}" for kind in ("baseline_drift", "data", "non_null")
                     for feature in ("card_present", "customer_age_band", "merchant_category", "score",
                                     "transaction_amount")]  # score: the output column first (START)
    assert {tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in metrics} == {
        (("Endpoint", "fraud-detect-prod"), ("MonitoringSchedule", "fraud-detect-prod-data-quality"))}
    assert not (tmp_path / "opt" / "ml" / "output" / "metrics").exists()  # no file for a harness that is not there
    assert (tmp_path / "opt" / "ml" / "output" / "message").read_text().startswith("CompletedWithViolations: ")


def test_the_container_names_the_endpoint_dimension_the_drift_alarms_query(tmp_path, monkeypatch) -> None:
    from pipelines.analyze import container
    from pipelines.analyze.commands import Outcome

    monkeypatch.setenv("sagemaker_endpoint_name", "fraud-detect-prod")
    monkeypatch.setenv("sagemaker_monitoring_schedule_name", "fraud-detect-prod-data-quality")
    monkeypatch.setenv("cloudwatch_endpoint_dimension", "EndpointName")
    outcome = Outcome(files={}, violations=[], metrics=[{"MetricName": "feature_baseline_drift_amount", "Value": 0.2}])
    assert [json.loads(line) for line in container.metric_records(outcome, _utc(2026, 12, 3, 5))] == [{
        "MetricName": "feature_baseline_drift_amount", "Timestamp": "2026-12-03T05:00:00Z", "Value": 0.2,
        "Dimensions": [{"Name": "EndpointName", "Value": "fraud-detect-prod"},
                       {"Name": "MonitoringSchedule", "Value": "fraud-detect-prod-data-quality"}]}]


# ---- The report reads the processing engine's state machines and outputs -------------------------------------------


def test_the_report_lists_the_state_machine_executions_and_reads_the_violations_in_model_monitors_layout() -> None:
    import boto3
    from moto import mock_aws

    from pipelines.report.cli import collect, render_text

    output = "s3://fraud-outputs/monitor-output/prod/data-quality"
    params = {"MonitoringEngine": "processing", "MonitoringScheduleBaseName": "fraud-detect-prod",
              "EndpointName": "fraud-detect-prod", "EnableDataQualityMonitor": "yes",
              "DataQualityOutputS3Uri": output, "EnableModelQualityMonitor": "no", "EnableModelBiasMonitor": "no",
              "EnableModelExplainabilityMonitor": "no"}
    violations = {"violations": [{"feature_name": "transaction_amount", "constraint_check_type": "baseline_drift_check",
                                  "description": "Baseline drift distance: 0.79 exceeds threshold: 0.1"}]}
    with mock_aws():
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        s3, sfn, sm = session.client("s3"), session.client("stepfunctions"), session.client("sagemaker")
        s3.create_bucket(Bucket="fraud-outputs")
        s3.put_object(Bucket="fraud-outputs", Body=json.dumps(violations).encode(),
                      Key="monitor-output/prod/data-quality/fraud-detect-prod/fraud-detect-prod-data-quality/"
                          "2026/11/27/02/constraint_violations.json")
        machine = sfn.create_state_machine(name="fraud-detect-prod-data-quality", definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/monitoring-state-machines")["stateMachineArn"]
        sfn.start_execution(stateMachineArn=machine, input='{"scheduledTime": "2026-11-27T02:00:00Z"}')
        report = collect(params, sm, s3, stage="prod", sfn=sfn)
    data_quality = report.monitors[0]
    assert (data_quality.schedule_status, data_quality.schedule_error) == ("state machine (processing engine)", None)
    assert [execution.status for execution in data_quality.executions] in (["RUNNING"], ["SUCCEEDED"])
    assert data_quality.violations_source == (
        f"{output}/fraud-detect-prod/fraud-detect-prod-data-quality/2026/11/27/02/constraint_violations.json")
    assert [v.name for v in data_quality.violations] == ["transaction_amount"]
    assert "transaction_amount" in render_text(report)


def test_the_report_says_when_a_processing_stage_has_no_state_machine() -> None:
    import boto3
    from moto import mock_aws

    from pipelines.report.cli import collect

    params = {"MonitoringEngine": "processing", "MonitoringScheduleBaseName": "fraud-detect-prod",
              "EnableDataQualityMonitor": "yes", "DataQualityOutputS3Uri": "s3://fraud-outputs/dq",
              "EnableModelQualityMonitor": "no", "EnableModelBiasMonitor": "no", "EnableModelExplainabilityMonitor": "no"}
    with mock_aws():
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        session.client("s3").create_bucket(Bucket="fraud-outputs")
        report = collect(params, session.client("sagemaker"), session.client("s3"), stage="prod",
                         sfn=session.client("stepfunctions"))
    assert report.monitors[0].schedule_error == ("no state machine named fraud-detect-prod-data-quality "
                                                 "(MonitoringEngine processing); deploy the stack, or check the region")


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("key", ["data-quality", "model-quality", "estimate", "model-quality-matured"])
def test_the_local_run_of_the_demo_gives_the_container_the_state_machines_environment(key: str) -> None:
    params = PARAMETER_SETS["processing"]
    machine = {"data-quality": "DataQualityStateMachine", "model-quality": "ModelQualityStateMachine",
               "estimate": "AnalyzerEstimateStateMachine",
               "model-quality-matured": "ModelQualityMaturedStateMachine"}[key]
    arguments = run(state_machines(rendered(params))[machine], "2026-12-03T05:00:00Z")["tasks"][0]["arguments"]
    environment = arguments["Environment"]
    assert environment == processing_engine_block.job_environment(
        processing_engine_block.monitor(key), params, environment["start_time"], environment["end_time"],
        scheduled="2026-12-03T05:00:00Z")


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("start_offset", "end_offset"), [("-P8D", "-P7D"), ("-P2DT5H", "-PT3H"), ("-PT1H", "-PT0H"),
                                                          ("-P31D", "-P30D")])
def test_the_state_machine_and_the_python_rule_agree_on_300_random_scheduled_times(start_offset: str,
                                                                                     end_offset: str) -> None:
    import random
    from datetime import timedelta

    rng = random.Random(19)  # fixed: the same 300 times on every run (no test depends on today's date)
    origin = _utc(1999, 12, 31, 22)
    times = [origin + timedelta(seconds=rng.randrange(0, 101 * 366 * 86400)) for _ in range(300)]
    times += [_utc(2028, 2, 29, 23, 59, 59), _utc(2100, 3, 1, 0), _utc(2000, 1, 1, 0)]  # leap days, century
    params = processing_parameters(GroundTruthStartTimeOffset=start_offset, GroundTruthEndTimeOffset=end_offset)
    machine = state_machines(rendered(params))["ModelQualityStateMachine"]
    results = run_many(machine, [iso(t) for t in times])
    for when, result in zip(times, results, strict=True):
        window = analysis_window(when, start_offset, end_offset)
        assert result["variables"]["window"]["start"] == iso(window.start), when
        assert result["variables"]["window"]["end"] == iso(window.end), when
        assert result["variables"]["window"]["hour"] == window.output_folder, when
        assert [i["S3Input"]["LocalPath"].rsplit("/AllTraffic/", 1)[1] for i in
                result["tasks"][0]["arguments"]["ProcessingInputs"]] == capture_folders(window), when


def test_bias_and_explainability_on_the_processing_engine_cost_their_prepare_and_check_jobs_too() -> None:
    from pipelines.core.monitors import MODEL_BIAS, MODEL_EXPLAINABILITY

    values = {**SHIPPED_STAGING["Parameters"], "MonitoringEngine": "processing"}
    assert cost_lines(values, SPECS, [MODEL_BIAS, MODEL_EXPLAINABILITY])[1:] == [
        "      model bias            cron(0 5 ? * * *)    30 executions/month  MaxRuntime 3600s  <= 90.0 "
        "instance-hours/month",
        "      model explainability  cron(0 6 ? * * *)    30 executions/month  MaxRuntime 7200s  <= 180.0 "
        "instance-hours/month",
        "      stage total                                60 executions/month  <= 270.0 instance-hours/month",
        "      processing engine: the instance-hours above (Processing jobs) plus 60 Scheduler invocations and 300 "
        "Step Functions state transitions/month (4 per run, one more with the merge step)",
        "      bias and explainability run 2 more one-instance jobs a run (the dataset before Clarify, the check after "
        "it; counted above) and 5 state transitions"]
    assert cost_lines({**values, "MonitoringEngine": "model-monitor"}, SPECS, [MODEL_BIAS, MODEL_EXPLAINABILITY])[
        3] == "      stage total                                60 executions/month  <= 90.0 instance-hours/month"


# ---- The matured model quality evaluation (issue 18) on the processing engine -------------------------------------

MATURED_CONSTRAINTS = f"{BUCKET}/derived/fraud-detection-p-1a2b3c4d5e6f/7/model-quality/constraints-matured-5c1e7a.json"
EARLY_CONSTRAINTS = f"{BUCKET}/baselines/fraud-detection-p-1a2b3c4d5e6f/7/model-quality/constraints.json"


def test_the_matured_evaluation_is_a_scheduler_schedule_on_the_model_quality_cron_and_a_state_machine() -> None:
    resources = rendered({**_two_monitors(**PROCESSING, **FRAUD_CADENCE), "AnalyzerImageUri": ANALYZER_IMAGE})
    schedule = resources["ModelQualityMaturedProcessingSchedule"]["Properties"]
    assert schedule == {
        "Name": "fraud-detection-staging-model-quality-matured",
        "Description": "Starts the matured model quality state machine of fraud-detection-staging on its Model "
                       "Monitor cron",
        "ScheduleExpression": "cron(0 4 ? * * *)",  # the model quality cron, as the Model Monitor matured schedule
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {"Arn": "ModelQualityMaturedStateMachine", "RoleArn": "ProcessingSchedulerRole.Arn",
                   "Input": '{"scheduledTime": "<aws.scheduler.scheduled-time>"}',
                   "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 5}},
    }
    on_model_monitor = rendered(_two_monitors(**FRAUD_CADENCE))["ModelQualityMaturedMonitoringSchedule"]["Properties"]
    assert on_model_monitor["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == \
        schedule["ScheduleExpression"]
    assert on_model_monitor["MonitoringScheduleName"] == schedule["Name"]
    machine = resources["ModelQualityMaturedStateMachine"]["Properties"]
    assert machine["StateMachineName"] == "fraud-detection-staging-model-quality-matured"
    substitutions = machine["DefinitionSubstitutions"]
    assert {key: substitutions[key] for key in ("StartOffset", "EndOffset", "OutputS3Uri", "ScheduleName",
                                                "Namespace", "BaselineConstraints", "InstanceCount")} == {
        "StartOffset": "-P90DT24H", "EndOffset": "-P90D",  # the Model Monitor matured job's offsets
        "OutputS3Uri": f"{BUCKET}/monitor-output/staging/model-quality-matured",
        "ScheduleName": "fraud-detection-staging-model-quality-matured",
        "Namespace": "aws/sagemaker/Endpoints/model-metrics", "BaselineConstraints": MATURED_CONSTRAINTS,
        "InstanceCount": "1"}
    job_definition = rendered(_two_monitors())["ModelQualityMaturedJobDefinition"]["Properties"]
    assert job_definition["ModelQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] == \
        substitutions["OutputS3Uri"]  # the same output prefix on both engines


def test_the_matured_job_falls_back_to_the_model_quality_constraints_on_both_engines_as_model_monitor_does() -> None:
    no_derived = {"ModelQualityMaturedBaselineConstraints": ""}
    machine = rendered({**_two_monitors(**PROCESSING, **no_derived), "AnalyzerImageUri": ANALYZER_IMAGE})[
        "ModelQualityMaturedStateMachine"]["Properties"]["DefinitionSubstitutions"]
    job = rendered(_two_monitors(**no_derived))["ModelQualityMaturedJobDefinition"]["Properties"]
    assert machine["BaselineConstraints"] == EARLY_CONSTRAINTS
    assert job["ModelQualityBaselineConfig"][
        "ConstraintsResource"]["S3Uri"] == EARLY_CONSTRAINTS


def test_the_matured_alarm_is_the_same_on_both_engines_and_watches_the_metric_the_state_machine_publishes() -> None:
    on_processing = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})
    on_model_monitor = rendered(_two_monitors())
    alarm = on_processing["ModelQualityMaturedAlarm"]
    assert alarm == on_model_monitor["ModelQualityMaturedAlarm"]
    substitutions = on_processing["ModelQualityMaturedStateMachine"]["Properties"]["DefinitionSubstitutions"]
    props = alarm["Properties"]
    # the container publishes Namespace, MetricName and [Endpoint, MonitoringSchedule] (container.metric_records)
    assert (props["Namespace"], props["MetricName"], props["Dimensions"]) == (
        substitutions["Namespace"], "recall",
        [{"Name": "Endpoint", "Value": substitutions["EndpointName"]},
         {"Name": "MonitoringSchedule", "Value": substitutions["ScheduleName"]}])
    assert (props["Threshold"], props["Period"], props["TreatMissingData"]) == ("0.679802", 86400, "missing")
    assert alerting_problems(on_processing) == []


def test_no_matured_evaluation_without_a_model_quality_monitor_on_either_engine() -> None:
    for params in ({**_two_monitors(**PROCESSING, EnableModelQualityMonitor="no"), "AnalyzerImageUri": ANALYZER_IMAGE},
                   _two_monitors(EnableModelQualityMonitor="no")):
        assert not [name for name in rendered(params) if "Matured" in name]


@pytest.mark.slow
@needs_node
def test_the_matured_state_machine_analyses_one_day_of_transactions_label_maturity_days_before_the_run() -> None:
    params = PARAMETER_SETS["processing"]
    machine = state_machines(rendered(params))["ModelQualityMaturedStateMachine"]
    assert asl_problems({"ModelQualityMaturedStateMachine": machine}) == []
    result = run(machine, "2026-12-03T04:00:00Z", execution_name="0f3c9b1e-77aa-4a5b-9e0e-5d6c7b8a9f00")
    assert [task["state"] for task in result["tasks"]] == ["Analyze"]
    arguments = result["tasks"][0]["arguments"]
    assert processing_job_problems(arguments) == []
    endpoint, schedule = "fraud-detection-staging", "fraud-detection-staging-model-quality-matured"
    assert arguments["Environment"] == {
        "analyzer_command": "model-quality",
        "dataset_source": "/opt/ml/processing/input/endpoint",
        "output_path": "/opt/ml/processing/output",
        "start_time": "2026-09-03T04:00:00Z",  # -P90DT24H: 91 days before the scheduled hour
        "end_time": "2026-09-04T04:00:00Z",  # -P90D
        "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_namespace": "aws/sagemaker/Endpoints/model-metrics",
        "metric_time": "2026-12-03T04:00:00Z",  # the run's hour: CloudWatch refuses stamps over two weeks old
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule,
        "shard_count": "1",
        "baseline_constraints": MATURED_CONSTRAINTS,
        "ground_truth": params["GroundTruthInput"],
        "threshold": "0.5",
    }
    assert [i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"]] == [
        f"{BUCKET}/data-capture/{endpoint}/AllTraffic/2026/09/03/", f"{BUCKET}/data-capture/{endpoint}/AllTraffic/2026/09/04/"]
    assert arguments["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"{BUCKET}/monitor-output/staging/model-quality-matured/{endpoint}/{schedule}/2026/12/03/04")
    assert arguments["ProcessingJobName"] == "fraud-detection-staging-mqm-2026120304-0f3c"
    assert arguments["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("maturity", ["90", "30", "365"])
def test_the_matured_state_machine_and_the_python_rule_agree_on_300_random_scheduled_times(maturity: str) -> None:
    import random
    from datetime import timedelta

    rng = random.Random(18)  # fixed: the same 300 times on every run (no test depends on today's date)
    origin = _utc(1999, 12, 31, 22)
    times = [origin + timedelta(seconds=rng.randrange(0, 101 * 366 * 86400)) for _ in range(300)]
    times += [_utc(2028, 2, 29, 23, 59, 59), _utc(2100, 3, 1, 0), _utc(2000, 1, 1, 0), _utc(2029, 2, 28, 4)]
    params = processing_parameters(LabelMaturityDays=maturity, CaptureVariantNames="AllTraffic,Canary")
    machine = state_machines(rendered(params))["ModelQualityMaturedStateMachine"]
    results = run_many(machine, [iso(t) for t in times])
    for when, result in zip(times, results, strict=True):
        window = analysis_window(when, f"-P{maturity}DT24H", f"-P{maturity}D")
        assert window.end - window.start == timedelta(days=1)
        assert result["variables"]["window"]["start"] == iso(window.start), when
        assert result["variables"]["window"]["end"] == iso(window.end), when
        assert result["variables"]["window"]["hour"] == window.output_folder, when
        assert result["variables"]["window"]["scheduled"] == iso(window.scheduled_hour), when
        assert [i["S3Input"]["S3Uri"].split("/fraud-detection-staging/", 1)[1] for i in
                result["tasks"][0]["arguments"]["ProcessingInputs"]] == [
            f"{variant}/{folder}/" for variant in ("AllTraffic", "Canary") for folder in capture_folders(window)], when


@pytest.mark.slow
def test_cfn_lint_is_clean_with_the_matured_evaluation_on_the_processing_engine() -> None:
    sets = {"matured, 30 days, fraud cadence": processing_parameters(LabelMaturityDays="30", **FRAUD_CADENCE),
            "matured, derived constraints empty": processing_parameters(ModelQualityMaturedBaselineConstraints="")}
    assert cfn_lint(sets) == {name: [] for name in [*sets, ""]}


def _matured_container_case(tmp_path: Any) -> dict[str, str]:
    """One matured day on the processing engine: AWS's binary example records (the model quality metrics page,
    tests/fixtures/analyzer/aws-doc-schemas.json: recall 1, precision 1/3) captured 91 days before the run, labels
    uploaded later, and the SageMaker SDK's model quality constraints (tests/fixtures/sdk)."""
    from devtools.seed_captures import capture_line

    folder = tmp_path / "capture" / "fraud-detect-prod" / "AllTraffic" / "2026" / "09" / "03" / "10"
    folder.mkdir(parents=True)
    when = _utc(2026, 9, 3, 10, 10)
    folder.joinpath("a.jsonl").write_text("".join(capture_line("1.00,2.00", score, event, when, None) + "\n"
                                                  for score, event in ((0.1, "e0"), (0.9, "e1"), (0.8, "e2"),
                                                                       (0.7, "e3"))))
    labels = tmp_path / "gt" / "2026" / "10" / "20" / "09"
    labels.mkdir(parents=True)
    labels.joinpath("labels.jsonl").write_text("".join(json.dumps({
        "groundTruthData": {"data": str(label), "encoding": "CSV"}, "eventMetadata": {"eventId": event},
        "eventVersion": "0"}) + "\n" for event, label in (("e0", 0), ("e1", 0), ("e2", 0), ("e3", 1))))
    from tests.support.template_render import REPO_ROOT

    return {
        "ANALYZER_OPT_ML": str(tmp_path / "opt" / "ml"), "analyzer_command": "model-quality",
        "dataset_source": str(tmp_path / "capture"), "output_path": str(tmp_path / "out"),
        "start_time": "2026-09-03T04:00:00Z", "end_time": "2026-09-04T04:00:00Z",
        "metric_time": "2026-12-03T04:00:00Z", "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_namespace": "aws/sagemaker/Endpoints/model-metrics",
        "sagemaker_endpoint_name": "fraud-detect-prod",
        "sagemaker_monitoring_schedule_name": "fraud-detect-prod-model-quality-matured",
        "baseline_constraints": str(REPO_ROOT / "tests" / "fixtures" / "sdk" / "model_quality_constraints.json"),
        "ground_truth": str(tmp_path / "gt"), "threshold": "0.5",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def test_the_matured_job_publishes_the_metric_the_matured_alarm_watches_stamped_with_the_run_hour(
        tmp_path, monkeypatch) -> None:
    import boto3
    from moto import mock_aws

    from pipelines.analyze import container

    for name, value in _matured_container_case(tmp_path).items():
        monkeypatch.setenv(name, value)
    alarm = rendered(_two_monitors())["ModelQualityMaturedAlarm"]["Properties"]
    dimensions = [{"Name": "Endpoint", "Value": "fraud-detect-prod"},
                  {"Name": "MonitoringSchedule", "Value": "fraud-detect-prod-model-quality-matured"}]
    assert [d["Name"] for d in alarm["Dimensions"]] == [d["Name"] for d in dimensions]
    with mock_aws():
        assert container.main() == 0
        statistics = boto3.client("cloudwatch", region_name="us-east-1").get_metric_statistics(
            Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=dimensions,
            StartTime=_utc(2026, 12, 3, 0), EndTime=_utc(2026, 12, 4, 0), Period=86400,
            Statistics=[alarm["Statistic"]])["Datapoints"]
    assert [(point["Timestamp"], point["Minimum"]) for point in statistics] == [(_utc(2026, 12, 3, 4), 1.0)]
    assert (tmp_path / "opt" / "ml" / "output" / "message").read_text() == "CompletedWithViolations: 7 violation(s)"
    assert json.loads((tmp_path / "out" / "statistics.json").read_text())["dataset"]["item_count"] == 4


def test_a_bad_metric_time_is_refused_before_anything_is_written(tmp_path, monkeypatch) -> None:
    from pipelines.analyze import container

    for name, value in {**_matured_container_case(tmp_path), "metric_time": "yesterday"}.items():
        monkeypatch.setenv(name, value)
    assert container.main() == 2
    assert (tmp_path / "opt" / "ml" / "output" / "message").read_text() == (
        "metric_time 'yesterday' is not an ISO-8601 time (e.g. 2026-11-28T10:00:00Z)")
    assert not (tmp_path / "out").exists()


# ---- "No data" during the first maturity window, and model quality on one instance (issue 18) --------------------
# A model quality run with nothing to analyse (no captures yet M days back, no labels yet) fails its job; the state
# machine tells that from a failure and judges it as the watchdog judges a Model Monitor schedule's: a note during the
# first maturity window (the state machine's creationDate + the longer of LabelMaturityDays and its window's reach)
# or on an intermittent stage, one a day; a page after it. devtools/processing_engine_block.py says how.

CREATED = "2026-09-01T10:00:00.000Z"  # DescribeStateMachine's creationDate, as the AWS SDK integration returns it
# (an ISO-8601 string: our reading of how Step Functions' SDK integrations serialize timestamps; unverified)
MATURED_ARN = "arn:aws:states:us-east-1:555555555555:stateMachine:fraud-detection-staging-model-quality-matured"
LABELS = f"{BUCKET}/ground-truth/fraud-detection-staging"


def _failed_job(exit_message: str, reason: str) -> str:
    """The Cause of a failed createProcessingJob.sync task: the job's description (Step Functions' SageMaker
    integration returns DescribeProcessingJob's response; its fields checked against botocore's output shape)."""
    import botocore.session
    from botocore.validate import ParamValidator

    job = {"ProcessingJobName": "fraud-detection-staging-mqm-2026092004-a1b2",
           "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:555555555555:processing-job/"
                               "fraud-detection-staging-mqm-2026092004-a1b2",
           "ProcessingJobStatus": "Failed", "ExitMessage": exit_message, "FailureReason": reason,
           "AppSpecification": {"ImageUri": ANALYZER_IMAGE},
           "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                     "VolumeSizeInGB": 20}},
           "CreationTime": datetime(2026, 9, 20, 4, 1, tzinfo=timezone.utc)}
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "DescribeProcessingJob").output_shape
    report = ParamValidator().validate(job, shape)
    assert not report.has_errors(), report.generate_report()
    return json.dumps({**job, "CreationTime": "2026-09-20T04:01:00Z"})


NO_LABELS = _failed_job(f"NoData: no ground truth files under {LABELS} (expected yyyy/mm/dd/hh/*.jsonl); check that "
                        "it is the stage's GroundTruthInput and that labels were uploaded (python -m "
                        "pipelines.ground_truth)", "AlgorithmError: See job logs for more information")
BROKEN = _failed_job("internal error: KeyError: 'recall'; please report it with the job's log",
                     "AlgorithmError: See job logs for more information")
# the platform's failure for an S3Prefix input without objects (SageMaker's wording for training and transform jobs;
# for Processing jobs our reading)
NO_CAPTURES = _failed_job("", 'ClientError: No S3 objects found under S3 URL "s3://fraud-ml-bucket/data-capture/'
                              'fraud-detection-staging/AllTraffic/2026/06/21/" given in input data source.')


def _no_data_run(machine: str, scheduled: str, cause: str = NO_LABELS, **overrides: str) -> dict[str, Any]:
    params = processing_parameters(**{**FRAUD_CADENCE, **overrides})
    return run(state_machines(rendered(params))[machine], scheduled, outcomes={
        "Analyze": {"Error": "States.TaskFailed", "Cause": cause},
        "Created": {"result": {"StateMachineArn": MATURED_ARN, "CreationDate": CREATED}}})


@pytest.mark.slow
@needs_node
def test_a_matured_run_without_labels_in_its_first_window_is_the_days_note_not_a_page() -> None:
    result = _no_data_run("ModelQualityMaturedStateMachine", "2026-09-20T04:00:00Z")
    assert result["path"] == ["Window", "Analyze", "Classify", "Created", "FirstWindow", "DailyNote", "NoDataNote"]
    assert result["tasks"][1] == {"state": "Created", "resource": "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                                  "arguments": {"StateMachineArn": STATE_MACHINE_ARN}}
    assert result["end"] == {
        "state": "NoDataNote", "type": "Fail", "error": "NoDataDailyNote",
        "cause": "NOTE, not a page (once a day): fraud-detection-staging-model-quality-matured had no data or no "
                 "ground truth for 2026-06-21T04:00:00Z to 2026-06-22T04:00:00Z (first maturity window, until "
                 "2026-12-01T10:00Z: after it, no data pages); the other runs of the day like it are not sent. "
                 "Reason: " + NO_LABELS}


@pytest.mark.slow
@needs_node
def test_the_describe_state_machine_call_is_a_valid_request() -> None:
    # the AWS SDK integration takes the API's members in PascalCase
    # (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html)
    import botocore.session
    from botocore.validate import ParamValidator

    arguments = _no_data_run("ModelQualityMaturedStateMachine", "2026-09-20T04:00:00Z")["tasks"][1]["arguments"]
    shape = botocore.session.get_session().get_service_model("stepfunctions").operation_model(
        "DescribeStateMachine").input_shape
    request = {name[0].lower() + name[1:]: value for name, value in arguments.items()}
    assert not ParamValidator().validate(request, shape).has_errors()
    assert request == {"stateMachineArn": STATE_MACHINE_ARN}


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("cron", "scheduled", "end"), [
    ("cron(0 * ? * * *)", "2026-09-20T00:00:00Z", "NoDataNote"),  # hourly: the day's first run notes
    ("cron(0 * ? * * *)", "2026-09-20T05:00:00Z", "NoDataFirstWindow"),  # the others are not sent
    ("cron(0 */6 ? * * *)", "2026-09-20T00:00:00Z", "NoDataNote"),
    ("cron(0 2/6 ? * * *)", "2026-09-20T02:00:00Z", "NoDataNote"),
    ("cron(0 2/6 ? * * *)", "2026-09-20T08:00:00Z", "NoDataFirstWindow"),
    ("cron(0 15,3 ? * * *)", "2026-09-20T03:00:00Z", "NoDataNote"),
    ("cron(0 15,3 ? * * *)", "2026-09-20T15:00:00Z", "NoDataFirstWindow"),
])
def test_one_note_a_day_the_days_first_scheduled_run(cron: str, scheduled: str, end: str) -> None:
    result = _no_data_run("ModelQualityMaturedStateMachine", scheduled, ModelQualityScheduleExpression=cron)
    assert (result["end"]["state"], result["end"]["error"]) == (end, {"NoDataNote": "NoDataDailyNote"}.get(end, end))


@pytest.mark.slow
@needs_node
def test_the_runs_of_the_day_that_send_no_note_say_why() -> None:
    result = _no_data_run("ModelQualityMaturedStateMachine", "2026-09-20T05:00:00Z",
                          ModelQualityScheduleExpression="cron(0 * ? * * *)")
    assert result["end"]["cause"] == (
        "fraud-detection-staging-model-quality-matured had no data or no ground truth for 2026-06-21T05:00:00Z to "
        "2026-06-22T05:00:00Z (first maturity window, until 2026-12-01T10:00Z: after it, no data pages); not sent: "
        "the first run of the day sends the note. Reason: " + NO_LABELS)


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("machine", "scheduled", "end"), [
    # the matured window reaches M days + 24 h back: its first window ends at creation + 91 days (2026-12-01T10:00Z)
    ("ModelQualityMaturedStateMachine", "2026-11-30T04:00:00Z", "NoDataNote"),  # day 89.75
    ("ModelQualityMaturedStateMachine", "2026-12-01T04:00:00Z", "NoDataNote"),  # day 90.75: its window still
    # starts before the state machine existed
    ("ModelQualityMaturedStateMachine", "2026-12-02T04:00:00Z", "NoData"),  # day 91.75: a page
    # the early window reaches 8 days back: its first window is LabelMaturityDays, until 2026-11-30T10:00Z
    ("ModelQualityStateMachine", "2026-11-30T04:00:00Z", "NoDataNote"),
    ("ModelQualityStateMachine", "2026-12-01T04:00:00Z", "NoData"),
])
def test_after_the_first_window_no_data_pages(machine: str, scheduled: str, end: str) -> None:
    assert _no_data_run(machine, scheduled)["end"]["state"] == end


@pytest.mark.slow
@needs_node
def test_the_no_data_page_names_the_first_window_and_the_reason() -> None:
    assert _no_data_run("ModelQualityMaturedStateMachine", "2026-12-02T04:00:00Z", NO_CAPTURES)["end"] == {
        "state": "NoData", "type": "Fail", "error": "NoData",
        "cause": "fraud-detection-staging-model-quality-matured had no data or no ground truth for 2026-09-02T04:00:00Z "
                 "to 2026-09-03T04:00:00Z after its first maturity window (it ended 2026-12-01T10:00Z): captures or "
                 "labels are not arriving. Reason: " + NO_CAPTURES}


@pytest.mark.slow
@needs_node
def test_an_intermittent_stage_notes_no_data_after_the_first_window_too() -> None:
    result = _no_data_run("ModelQualityStateMachine", "2027-03-01T04:00:00Z", StageTraffic="intermittent")
    assert result["end"] == {
        "state": "NoDataNote", "type": "Fail", "error": "NoDataDailyNote",
        "cause": "NOTE, not a page (once a day): fraud-detection-staging-model-quality had no data or no ground truth "
                 "for 2027-02-21T04:00:00Z to 2027-02-22T04:00:00Z (StageTraffic is intermittent: no data is a note "
                 "here, never a page); the other runs of the day like it are not sent. Reason: " + NO_LABELS}


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("machine", ["ModelQualityMaturedStateMachine", "ModelQualityStateMachine"])
def test_any_other_failure_fails_the_execution_with_the_tasks_own_error_on_day_five(machine: str) -> None:
    result = _no_data_run(machine, "2026-09-06T04:00:00Z", BROKEN)
    assert result["path"] == ["Window", "Analyze", "Classify", "Failed"]
    assert result["end"] == {"state": "Failed", "type": "Fail", "error": "States.TaskFailed", "cause": BROKEN}
    assert [task["state"] for task in result["tasks"]] == ["Analyze"]  # no DescribeStateMachine on this path


BIAS_NO_LABELS = _failed_job(
    "NoData: none of the 212 captured records in the window has a ground truth label in "
    f"{LABELS} (0 labels read); labels are matched on the capture's inferenceId (else eventId) = the label's "
    "eventMetadata.eventId", "AlgorithmError: See job logs for more information")


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("scheduled", "prepare", "end", "error"), [
    ("2026-09-20T00:00:00Z", BIAS_NO_LABELS, "NoDataNote", "NoDataDailyNote"),  # hourly cron: the day's first run
    ("2026-09-20T05:00:00Z", BIAS_NO_LABELS, "NoDataFirstWindow", "NoDataFirstWindow"),
    ("2026-12-01T00:00:00Z", BIAS_NO_LABELS, "NoData", "NoData"),  # day 90.6: after LabelMaturityDays, a page
    ("2026-09-20T00:00:00Z", BROKEN, "Failed", "States.TaskFailed"),
])
def test_bias_prepare_without_labels_is_judged_as_model_quality(scheduled: str, prepare: str, end: str,
                                                                error: str) -> None:
    # the bias state machine's Prepare job merges ground truth as model quality does (clarify-dataset): the same states
    machine = state_machines(rendered(processing_parameters(**CLARIFY_ON)))["ModelBiasStateMachine"]
    result = run(machine, scheduled, outcomes={
        "Prepare": {"Error": "States.TaskFailed", "Cause": prepare},
        "Created": {"result": {"StateMachineArn": MATURED_ARN, "CreationDate": CREATED}}})
    assert (result["end"]["state"], result["end"]["error"]) == (end, error)
    assert [task["state"] for task in result["tasks"]] == (["Prepare"] if end == "Failed" else ["Prepare", "Created"])
    if end == "NoDataFirstWindow":
        assert result["end"]["cause"] == (
            "fraud-detection-staging-model-bias had no data or no ground truth for 2026-09-12T05:00:00Z to "
            "2026-09-13T05:00:00Z (first maturity window, until 2026-11-30T10:00Z: after it, no data pages); not "
            "sent: the first run of the day sends the note. Reason: " + BIAS_NO_LABELS)


@pytest.mark.slow
@needs_node
def test_a_failure_of_the_clarify_job_itself_pages_on_any_day() -> None:
    machine = state_machines(rendered(processing_parameters(**CLARIFY_ON)))["ModelBiasStateMachine"]
    result = run(machine, "2026-09-20T00:00:00Z", outcomes={"Clarify": {"Error": "States.TaskFailed",
                                                                        "Cause": BIAS_NO_LABELS}})
    assert result["end"] == {"state": "Clarify", "type": "Fail", "error": "States.TaskFailed",
                             "cause": BIAS_NO_LABELS}  # no Catch there: only Prepare reads labels


@pytest.mark.slow
@needs_node
def test_a_failure_without_a_cause_fails_the_execution_with_its_error() -> None:
    params = processing_parameters(**FRAUD_CADENCE)
    result = run(state_machines(rendered(params))["ModelQualityMaturedStateMachine"], "2026-09-06T04:00:00Z",
                 outcomes={"Analyze": {"Error": "States.Timeout"}})
    assert result["end"] == {"state": "Failed", "type": "Fail", "error": "States.Timeout", "cause": ""}


@pytest.mark.slow
@needs_node
def test_a_run_that_completes_goes_straight_to_done() -> None:
    result = run(state_machines(rendered(processing_parameters(**FRAUD_CADENCE)))["ModelQualityMaturedStateMachine"],
                 "2026-09-20T04:00:00Z")
    assert result["path"] == ["Window", "Analyze", "Sharded", "Done"]
    assert result["end"] == {"state": "Done", "type": "Succeed"}


# Step Functions Execution Status Change events (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html);
# the detail's members are DescribeExecution's (botocore's stepfunctions service model). That a FAILED event carries
# the execution's "error" is not stated by a page we could read: the rule pages an event without it (loud).
def _execution_event(status: str, error: str | None, machine: str = "fraud-detection-staging-model-quality-matured"
                     ) -> dict[str, Any]:
    import botocore.session
    from botocore.validate import ParamValidator

    arn = f"arn:aws:states:us-east-1:555555555555:stateMachine:{machine}"
    detail: dict[str, Any] = {
        "executionArn": f"arn:aws:states:us-east-1:555555555555:execution:{machine}:0f3c9b1e",
        "stateMachineArn": arn, "name": "0f3c9b1e", "status": status, "startDate": 1790000000000,
        "stopDate": 1790000300000, "input": '{"scheduledTime": "2026-09-20T04:00:00Z"}',
        "inputDetails": {"included": True}, "output": None, "outputDetails": None}
    if error is not None:
        detail.update(error=error, cause="...")
    shape = botocore.session.get_session().get_service_model("stepfunctions").operation_model(
        "DescribeExecution").output_shape
    members = {key: value for key, value in detail.items() if value is not None}
    members.update(startDate=datetime(2026, 9, 20, 4, 0, 5), stopDate=datetime(2026, 9, 20, 4, 5, 5))
    report = ParamValidator().validate(members, shape)
    assert not report.has_errors(), report.generate_report()
    return {"source": "aws.states", "detail-type": "Step Functions Execution Status Change",
            "resources": [detail["executionArn"]], "detail": detail}


# slow: moto's EventBridge matching needs jsonpath-ng (moto[server], requirements-dev.txt), which the build's
# fast run (requirements-build.txt, make test-future) does not install
@pytest.mark.slow
@pytest.mark.parametrize(("status", "error", "machine", "sent"), [
    ("FAILED", "NoDataFirstWindow", "fraud-detection-staging-model-quality-matured", False),
    ("FAILED", "NoDataDailyNote", "fraud-detection-staging-model-quality-matured", True),  # the day's note
    ("FAILED", "NoData", "fraud-detection-staging-model-quality-matured", True),
    ("FAILED", "States.TaskFailed", "fraud-detection-staging-model-quality-matured", True),
    ("FAILED", None, "fraud-detection-staging-model-quality-matured", True),  # no "error" member: loud
    ("TIMED_OUT", None, "fraud-detection-staging-model-quality", True),
    ("ABORTED", None, "fraud-detection-staging-data-quality", True),
    ("SUCCEEDED", None, "fraud-detection-staging-model-quality-matured", False),
    ("FAILED", "States.TaskFailed", "other-stack-model-quality", False),
])
def test_which_execution_events_the_processing_failure_rule_sends(status: str, error: str | None, machine: str,
                                                                  sent: bool) -> None:
    # EventBridge's matching as moto implements it ($or, exists, anything-but); moto is not EventBridge
    import boto3
    from moto import mock_aws

    pattern = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})[
        "ProcessingExecutionFailedRule"]["Properties"]["EventPattern"]
    event = _execution_event(status, error, machine)
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="topic")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="failed", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="failed", Targets=[{"Id": "topic", "Arn": arn}])
        assert events.put_events(Entries=[{"Source": event["source"], "DetailType": event["detail-type"],
                                           "Resources": event["resources"],
                                           "Detail": json.dumps(event["detail"])}])["FailedEntryCount"] == 0
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert (len(received) == 1) == sent


def test_the_state_machines_may_read_their_own_creation_date_only() -> None:
    resources = rendered({**_two_monitors(**PROCESSING), "AnalyzerImageUri": ANALYZER_IMAGE})
    statements = {s["Sid"]: s for s in resources["ProcessingStateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]}
    assert statements["OwnCreationDate"] == {
        "Sid": "OwnCreationDate", "Effect": "Allow", "Action": "states:DescribeStateMachine",
        "Resource": "arn:aws:states:us-east-1:555555555555:stateMachine:fraud-detection-staging-*"}


SHARDS_OF = {"ModelQualityStateMachine": ("model-quality", "model-quality", "mq", "ModelQualityBaselineConstraints"),
             "ModelQualityMaturedStateMachine": ("model-quality-matured", "model-quality-matured", "mqm",
                                                 "ModelQualityBaselineConstraints")}


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize("machine", ["ModelQualityStateMachine", "ModelQualityMaturedStateMachine"])
def test_model_quality_shards_on_instance_count_and_a_merge_job_writes_the_final_files(machine: str) -> None:
    # issue 19 section 2: InstanceCount 4 -> 4 instances, each a ShardedByS3Key share of the captures (shard_count 4:
    # model-quality --partial) and all the ground truth (the s3:// prefix every instance reads itself); then one
    # merge-model-quality job over the shards' prefix writes Model Monitor's files and publishes the metrics
    params = processing_parameters(InstanceCount="4")
    tasks = run(state_machines(rendered(params))[machine], "2026-12-03T04:00:00Z")["tasks"]
    assert [task["state"] for task in tasks] == ["Analyze", "Merge"]
    analyze, merge = (task["arguments"] for task in tasks)
    key = SHARDS_OF[machine][0]
    suffix = "-matured" if machine == "ModelQualityMaturedStateMachine" else ""
    assert analyze["Environment"]["analyzer_command"] == "model-quality"
    assert analyze["Environment"]["shard_count"] == "4"
    assert analyze["Environment"]["ground_truth"] == params["GroundTruthInput"]
    assert analyze["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 4
    assert {i["S3Input"]["S3DataDistributionType"] for i in analyze["ProcessingInputs"]} == {"ShardedByS3Key"}
    shards = (f"{BUCKET}/monitor-output/staging/model-quality{suffix}-shards/fraud-detection-staging/"
              f"fraud-detection-staging-{key}/2026/12/03/04")
    final = (f"{BUCKET}/monitor-output/staging/model-quality{suffix}/fraud-detection-staging/"
             f"fraud-detection-staging-{key}/2026/12/03/04")
    assert analyze["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == shards
    assert merge["ProcessingJobName"] == analyze["ProcessingJobName"] + "-m"
    assert merge["Environment"] == {  # the shards carry the constraints, the threshold and the ground truth they read
        "analyzer_command": "merge-model-quality", "dataset_source": "/opt/ml/processing/input/shards",
        "output_path": "/opt/ml/processing/output", "start_time": analyze["Environment"]["start_time"],
        "end_time": analyze["Environment"]["end_time"], "publish_cloudwatch_metrics": "Enabled",
        "cloudwatch_namespace": "aws/sagemaker/Endpoints/model-metrics", "metric_time": "2026-12-03T04:00:00Z",
        "sagemaker_endpoint_name": "fraud-detection-staging",
        "sagemaker_monitoring_schedule_name": f"fraud-detection-staging-{key}"}
    assert merge["ProcessingInputs"] == [{"InputName": "shards", "S3Input": {
        "S3Uri": shards + "/", "LocalPath": "/opt/ml/processing/input/shards", "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}]
    assert merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == final
    assert merge["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert processing_job_problems(analyze) == [] and processing_job_problems(merge) == []


MERGE_NO_LABELS = _failed_job(
    "NoData: none of the 4000 captured records in the window has a ground truth label in "
    f"{LABELS} (0 labels read); labels are matched on the capture's inferenceId (else eventId) = the label's "
    "eventMetadata.eventId", "AlgorithmError: See job logs for more information")


@pytest.mark.slow
@needs_node
@pytest.mark.parametrize(("machine", "scheduled", "cause", "path_end", "error"), [
    ("ModelQualityMaturedStateMachine", "2026-09-20T04:00:00Z", MERGE_NO_LABELS,
     ["Classify", "Created", "FirstWindow", "DailyNote", "NoDataNote"], "NoDataDailyNote"),
    ("ModelQualityStateMachine", "2026-12-01T04:00:00Z", MERGE_NO_LABELS,
     ["Classify", "Created", "FirstWindow", "NoData"], "NoData"),  # day 90.75: after the first window, a page
    ("ModelQualityStateMachine", "2026-09-20T04:00:00Z", BROKEN, ["Classify", "Failed"], "States.TaskFailed"),
])
def test_the_merge_step_decides_no_data_on_the_union_of_the_shards_as_the_one_instance_job_did(
        machine: str, scheduled: str, cause: str, path_end: list[str], error: str) -> None:
    # the shards never fail for no data (mq_partial.py); the merge job's "NoData: " ExitMessage goes through the same
    # Classify / first-window states as the one-instance Analyze job's did
    params = processing_parameters(**FRAUD_CADENCE, InstanceCount="4")
    result = run(state_machines(rendered(params))[machine], scheduled, outcomes={
        "Merge": {"Error": "States.TaskFailed", "Cause": cause},
        "Created": {"result": {"StateMachineArn": MATURED_ARN, "CreationDate": CREATED}}})
    assert result["path"] == ["Window", "Analyze", "Sharded", "Merge", *path_end]
    assert (result["end"]["state"], result["end"]["error"]) == (path_end[-1], error)
    assert result["end"]["cause"].endswith(cause)
