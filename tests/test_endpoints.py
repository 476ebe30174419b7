"""Endpoints as they really are: every EndpointStatus, A/B variants, serverless, 0% capture, deleted models.

Response shapes and the status enum come from botocore's service model (sagemaker DescribeEndpoint:
EndpointStatus in OutOfService | Creating | Updating | SystemUpdating | RollingBack | InService | Deleting | Failed |
UpdateRollbackFailed; DescribeEndpointConfig.ProductionVariants[].{VariantName, ModelName, InitialVariantWeight,
ServerlessConfig}, DataCaptureConfig.InitialSamplingPercentage; DescribeModel.Containers[].ModelPackageName).
moto answers with those shapes; the tests edit the parsed response where moto cannot reach a state.
"""

from __future__ import annotations

import json

import pytest

from devtools.seed import OUTPUTS_BUCKET, PROJECT_NAME, ROLE_ARN
from tests.support.plan import MONITORS, PACKAGE, disabled, monitor_states, strict_error, warnings
from tests.support.reliability import s3_state

ENABLE = ("EnableDataQualityMonitor", "EnableModelQualityMonitor", "EnableModelBiasMonitor",
          "EnableModelExplainabilityMonitor")


def _status(value: str):
    def edit(parsed):
        parsed["EndpointStatus"] = value
    return edit


def _enabled(ws, stage: str) -> list[str]:
    params = json.loads(ws.export(stage).read_text())["Parameters"]
    return [params[name] for name in ENABLE]


@pytest.mark.parametrize("status", ["Updating", "SystemUpdating"])
def test_an_updating_endpoint_serves_traffic_and_keeps_all_four_monitors(registry, ws, calls, status):
    calls.edits["sagemaker.DescribeEndpoint"] = _status(status)
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")
    assert _enabled(ws, "staging") == _enabled(ws, "prod") == ["yes"] * 4


STOPPING_STATES = {
    "Creating": "wait until it is InService (aws sagemaker wait endpoint-in-service --endpoint-name "
                "fraud-detect-staging) and rerun",
    "RollingBack": "a deployment failed and is being rolled back; wait until it is InService, then rerun",
    "Failed": "see FailureReason in DescribeEndpoint, fix and redeploy it with ModelDeploy, then rerun",
    "OutOfService": "it serves no traffic; redeploy it with ModelDeploy, then rerun",
    "Deleting": "it is being deleted; redeploy it with ModelDeploy, then rerun",
    "UpdateRollbackFailed": "a rollback failed; fix it in the SageMaker console, then rerun",
}


@pytest.mark.parametrize("status", sorted(STOPPING_STATES))
def test_a_busy_or_broken_endpoint_stops_the_run_with_one_line_and_writes_nothing(registry, ws, calls, status):
    """Never parameters that turn monitors off because the endpoint is busy: deploying them deletes live schedules."""
    calls.edits["sagemaker.DescribeEndpoint"] = _status(status)
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    result = ws.run()
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"error: staging endpoint 'fraud-detect-staging' is {status}: {STOPPING_STATES[status]}; "
                          "nothing was written\n")
    assert ws.files() == before_files
    assert s3_state(registry.s3) == before_s3


def test_a_serverless_variant_is_a_clear_error(registry, ws, calls):
    def serverless(parsed):
        parsed["ProductionVariants"][0]["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    calls.edits["sagemaker.DescribeEndpointConfig"] = serverless
    before = ws.seed_old_outputs()
    result = ws.run()
    assert (result.code, result.out) == (1, "")
    assert result.err == ("error: staging endpoint 'fraud-detect-staging' variant 'AllTraffic' is serverless "
                          "(ServerlessConfig); SageMaker Model Monitor does not support serverless endpoints: deploy "
                          "the stage on instances (InstanceType, InitialInstanceCount) in ModelDeploy\n")
    assert ws.files() == before


def test_zero_percent_capture_sampling_is_a_warning_and_strict_fails(registry, ws, calls):
    def zero(parsed):
        parsed["DataCaptureConfig"]["InitialSamplingPercentage"] = 0
    calls.edits["sagemaker.DescribeEndpointConfig"] = zero
    expected = [f"{stage}: endpoint '{PROJECT_NAME}-{stage}' captures 0% of requests (InitialSamplingPercentage 0); "
                "every monitor finds no data: set it above 0 in ModelDeploy" for stage in ("staging", "prod")]
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(*expected))
    assert _enabled(ws, "prod") == ["yes"] * 4
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))


def _ab_endpoint(registry, name: str, variants: list[tuple[str, int, float]]) -> None:
    """An endpoint whose variants run models made from the given package versions, with the given weights."""
    production = []
    for variant, version, weight in variants:
        model = f"{name}-{variant}-v{version}"
        registry.sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_ARN,
                                 Containers=[{"ModelPackageName": f"{PACKAGE}/{version}"}])
        production.append({"VariantName": variant, "ModelName": model, "InitialInstanceCount": 1,
                           "InstanceType": "ml.m5.large", "InitialVariantWeight": weight})
    registry.sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ProductionVariants=production,
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{OUTPUTS_BUCKET}/data-capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    registry.sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def _use_endpoint(ws, stage: str, name: str) -> None:
    document = ws.document(stage)
    document["Parameters"]["EndpointName"] = name
    ws.write_config(stage, document)


def _explained_model(registry, ws, stage: str) -> str:
    uri = json.loads(ws.export(stage).read_text())["Parameters"]["ModelExplainabilityConfigUri"]
    body = registry.s3.get_object(Bucket=OUTPUTS_BUCKET, Key=uri.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
    return json.loads(body)["predictor"]["model_name"]


def test_ab_variants_on_different_packages_warn_naming_each_and_explain_the_heaviest(registry, ws):
    _ab_endpoint(registry, "fraud-ab", [("Champion", 3, 0.2), ("Challenger", 1, 0.8)])
    _use_endpoint(ws, "prod", "fraud-ab")
    mixed = ("prod: endpoint 'fraud-ab' variants run different model packages ('Champion' runs version 3, "
             "'Challenger' runs version 1); every monitor uses the baselines of version 3: finish the A/B test or "
             "canary, or accept the mix")
    # the primary (heaviest) variant runs version 1, not the baselines' version 3
    version = ("prod: endpoint 'fraud-ab' runs model package version 1 but the baselines come from version 3; "
               "deploy that version or pass --baseline-source endpoint")
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(version, mixed))
    assert ("  note: 2 production variants; model explainability uses model 'fraud-ab-Challenger-v1' of variant "
            "'Challenger' (the largest InitialVariantWeight, 0.8; a tie goes to the variant listed first)"
            in result.out.splitlines())
    assert "Stage prod: endpoint fraud-ab (model fraud-ab-Challenger-v1)" in result.out
    assert _explained_model(registry, ws, "prod") == "fraud-ab-Challenger-v1"
    assert monitor_states(result.out, "prod") == dict.fromkeys(MONITORS, "enabled")
    strict = ws.run("--strict")
    assert (strict.code, strict.err) == (2, strict_error(version, mixed))


def test_equal_weights_explain_the_variant_listed_first(registry, ws):
    _ab_endpoint(registry, "fraud-tie", [("Blue", 3, 0.5), ("Green", 3, 0.5)])
    _use_endpoint(ws, "prod", "fraud-tie")
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")  # same package on both variants: nothing to warn about
    assert _explained_model(registry, ws, "prod") == "fraud-tie-Blue-v3"


def test_a_deleted_model_on_a_secondary_variant_warns_but_keeps_explainability(registry, ws):
    _ab_endpoint(registry, "fraud-gone", [("Main", 3, 0.9), ("Canary", 3, 0.1)])
    registry.sm.delete_model(ModelName="fraud-gone-Canary-v3")
    _use_endpoint(ws, "prod", "fraud-gone")
    expected = ("prod: endpoint 'fraud-gone' runs model 'fraud-gone-Canary-v3', which no longer exists; its model "
                "package version cannot be checked")
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(expected))
    assert monitor_states(result.out, "prod") == dict.fromkeys(MONITORS, "enabled")


def test_a_deleted_primary_model_disables_explainability_only(registry, ws):
    _ab_endpoint(registry, "fraud-gone-main", [("Main", 3, 0.9), ("Canary", 3, 0.1)])
    registry.sm.delete_model(ModelName="fraud-gone-main-Main-v3")
    _use_endpoint(ws, "prod", "fraud-gone-main")
    expected = ("prod: endpoint 'fraud-gone-main' runs model 'fraud-gone-main-Main-v3', which no longer exists; its "
                "model package version cannot be checked",
                *disabled("prod", "the endpoint's model 'fraud-gone-main-Main-v3' no longer exists (deleted behind "
                          "the live endpoint), so Clarify cannot start its shadow endpoint from it; redeploy with "
                          "ModelDeploy", ("model explainability",)))
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(*expected))
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))



def test_every_endpoint_status_in_botocores_service_model_is_either_served_or_stopped_with_an_action():
    import botocore.session

    from pipelines.deploy.planner import ENDPOINT_STATE_ACTIONS, SERVING_STATES

    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for("EndpointStatus").enum
    assert sorted(enum) == sorted([*SERVING_STATES, *ENDPOINT_STATE_ACTIONS])
    assert sorted(STOPPING_STATES) == sorted(ENDPOINT_STATE_ACTIONS)  # each one has a test above
