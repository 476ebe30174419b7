"""The main CLI end to end in-process on moto: package choice, baselines, missing pieces, dry-run, outputs."""

from __future__ import annotations

import json

import pytest

from devtools import seed as seedmod
from devtools.seed import ARTIFACTS_BUCKET, GROUP, OUTPUTS_BUCKET, ROLE_ARN
from pipelines.deploy.thresholds import derived_constraints

PKG = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}"
BASE = f"s3://{ARTIFACTS_BUCKET}/model-build/v3/baselines"
OUT = f"s3://{OUTPUTS_BUCKET}"


def keys(s3, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def params_of(cli, stage: str) -> dict[str, str]:
    return json.loads((cli.tmp / f"{stage}.json").read_text())["Parameters"]


def test_default_run_writes_both_stages_with_all_four_monitors_enabled(cli, seeded, clients):
    result = cli()
    assert result.exit_code == 0, result.err
    assert result.err == ""
    staging = json.loads((cli.tmp / "staging.json").read_text())
    bias_key = next(k for k in keys(clients[1], OUTPUTS_BUCKET) if "/model-bias/" in k)
    explain_key = next(k for k in keys(clients[1], OUTPUTS_BUCKET) if "/model-explainability/" in k
                       and f"{OUT}/{k}" in result.out.split("Stage prod")[0])
    matured_key = next(k for k in keys(clients[1], OUTPUTS_BUCKET) if "/constraints-matured-" in k
                       and f"{OUT}/{k}" in result.out.split("Stage prod")[0])
    assert staging == {
        "Parameters": {
            "ClarifyImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
            "DataQualityBaselineConstraints": f"{BASE}/data-quality/constraints.json",
            "DataQualityBaselineStatistics": f"{BASE}/data-quality/statistics.json",
            "DataQualityOutputS3Uri": f"{OUT}/monitor-output/staging/data-quality",
            "DataQualityMissedRunAlarmHours": "3",  # hourly, 1800 s runtime, 1 h start delay
            "DataQualityScheduleExpression": "cron(0 * ? * * *)",
            "EnableDataQualityMonitor": "yes",
            "EnableModelBiasMonitor": "yes",
            "EnableModelExplainabilityMonitor": "yes",
            "EnableModelQualityMonitor": "yes",
            "EndpointName": "fraud-detect-staging",
            "GroundTruthEndTimeOffset": "-P7D",
            "GroundTruthInput": f"{OUT}/ground-truth/fraud-detect-staging",
            "GroundTruthStartTimeOffset": "-P8D",
            "InstanceCount": "1",
            "InstanceType": "ml.m5.xlarge",
            "MaxRuntimeInSeconds": "1800",
            "ModelBiasBaselineConstraints": f"{OUT}/{bias_key}",
            "ModelBiasConfigUri": f"{BASE}/bias/analysis_config.json",
            "ModelBiasMaxRuntimeInSeconds": "3600",
            "ModelBiasMissedRunAlarmHours": "26",  # daily, 3600 s runtime, 1 h start delay
            "ModelBiasOutputS3Uri": f"{OUT}/monitor-output/staging/model-bias",
            "ModelBiasScheduleExpression": "cron(0 5 ? * * *)",
            "ModelExplainabilityBaselineConstraints": f"{BASE}/explainability/constraints.json",
            "ModelExplainabilityConfigUri": f"{OUT}/{explain_key}",
            "ModelExplainabilityMaxRuntimeInSeconds": "7200",
            "ModelExplainabilityMissedRunAlarmHours": "27",  # daily, 7200 s runtime, 1 h start delay
            "ModelExplainabilityOutputS3Uri": f"{OUT}/monitor-output/staging/model-explainability",
            "ModelExplainabilityScheduleExpression": "cron(0 6 ? * * *)",
            "ModelMonitorImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
            "ModelMonitorRoleArn": ROLE_ARN,
            "ModelQualityAlarmMetric": "recall",
            # no ModelQualityAlarmThreshold: no label history yet, early recall is not paged (issue 18)
            "ModelQualityBaselineConstraints": f"{BASE}/model-quality/constraints.json",
            # the registry's recall 0.8662420382165605 - 3 x sqrt(r (1 - r) / 10), 10 = the stage's ExpectedDailyFrauds
            "ModelQualityMaturedAlarmThreshold": "0.543318",
            "ModelQualityMaturedBaselineConstraints": f"{OUT}/{matured_key}",
            "LabelMaturityDays": "90",
            "ExpectedDailyFrauds": "10",
            "ModelQualityMaxRuntimeInSeconds": "3600",
            "ModelQualityMissedRunAlarmHours": "26",
            "ModelQualityOutputS3Uri": f"{OUT}/monitor-output/staging/model-quality",
            "ModelQualityScheduleExpression": "cron(0 4 ? * * *)",
            "MonitoringScheduleBaseName": "fraud-detect-staging",
            "ProbabilityAttribute": "0",
            "ProbabilityThresholdAttribute": "0.5",
            "ProblemType": "BinaryClassification",
            "SageMakerProjectId": "p-abc123",
            "SageMakerProjectName": "fraud-detect",
            "ScheduleExpression": "cron(0 * ? * * *)",
            "StageName": "staging",
            "StageTraffic": "intermittent",  # the shipped staging config: "no data" is never a watchdog page
            "VolumeSizeInGB": "20",
        },
        "Tags": {"cost-center": "payments-risk", "stage": "staging", "team": "fraud-ml"},
    }
    prod = params_of(cli, "prod")
    assert [prod[k] for k in ("StageName", "EndpointName", "DataQualityOutputS3Uri")] == [
        "prod", "fraud-detect-prod", f"{OUT}/monitor-output/prod/data-quality"]
    assert result.out.splitlines()[:2] == [
        f"Model package: {PKG}/3",
        result.out.splitlines()[1],
    ]
    assert result.out.splitlines()[1].startswith(f"  group {GROUP}, version 3, created ")
    assert result.out.splitlines()[1].endswith(", Approved")
    for stage in ("staging", "prod"):
        section = result.out.split(f"Stage {stage}:")[1]
        for title in ("data quality", "model quality", "model bias", "model explainability"):
            assert f"  {title:<21} enabled" in section


def test_files_are_sorted_canonical_json_with_awscli_siblings(cli, seeded):
    assert cli().exit_code == 0
    files = cli.files()
    assert sorted(files) == ["prod.json", "prod.parameter-overrides.json", "prod.tags.json",
                             "staging.json", "staging.parameter-overrides.json", "staging.tags.json"]
    document = json.loads(files["staging.json"])
    assert files["staging.json"] == (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    overrides = json.loads(files["staging.parameter-overrides.json"])
    assert overrides == [f"{k}={v}" for k, v in sorted(document["Parameters"].items())]
    assert json.loads(files["staging.tags.json"]) == ["cost-center=payments-risk", "stage=staging", "team=fraud-ml"]


@pytest.mark.parametrize(
    ("versions", "chosen"),
    [
        (["Approved", "Rejected", "Approved", "PendingManualApproval"], 3),
        (["Approved", "Approved", "Rejected"], 2),
        (["Approved", "PendingManualApproval", "PendingManualApproval"], 1),
        (["Rejected", "Approved"], 2),
    ],
)
def test_newest_approved_package_is_chosen_over_newer_pending_or_rejected(cli, clients, versions, chosen):
    seedmod.seed(*clients, versions=versions)
    result = cli()
    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[0] == f"Model package: {PKG}/{chosen}"
    assert params_of(cli, "staging")["DataQualityBaselineStatistics"] == (
        f"s3://{ARTIFACTS_BUCKET}/model-build/v{chosen}/baselines/data-quality/statistics.json")


def test_pinned_package_arn_is_used_and_a_version_mismatch_is_warned(cli, seeded):
    result = cli("--model-package-arn", f"{PKG}/1")
    assert result.exit_code == 0, result.err
    assert result.out.splitlines()[0] == f"Model package: {PKG}/1"
    assert result.err.splitlines() == [
        f"warning: {stage}: endpoint 'fraud-detect-{stage}' runs model package version 3 but the baselines come "
        "from version 1; deploy that version or pass --baseline-source endpoint" for stage in ("staging", "prod")]
    assert params_of(cli, "prod")["DataQualityBaselineConstraints"] == (
        f"s3://{ARTIFACTS_BUCKET}/model-build/v1/baselines/data-quality/constraints.json")


def test_no_approved_package_exits_1_naming_the_group_and_writes_nothing(cli, clients):
    seedmod.seed(*clients, versions=["PendingManualApproval", "Rejected", "PendingManualApproval"])
    result = cli()
    assert (result.exit_code, result.out) == (1, "")
    assert result.err == (f"error: model package group '{GROUP}' has no Approved package (2 pending, 1 rejected); "
                          "approve a version in the Model Registry or pass --model-package-arn\n")
    assert cli.files() == {}


def test_missing_group_exits_1_with_the_default_naming_rule(cli, clients):
    result = cli("--model-package-group-name", "fraud-typo")
    assert result.exit_code == 1
    assert result.err == ("error: model package group 'fraud-typo' does not exist; pass --model-package-group-name "
                          "(default <project-name>-<project-id>)\n")


def test_a_missing_baseline_disables_only_that_monitor_with_one_warning(cli, clients):
    seedmod.seed(*clients, omit=("Explainability.ConfigFile",))
    result = cli()
    assert result.exit_code == 0
    assert result.err.splitlines() == [
        f"warning: {stage}: model explainability monitor disabled: Explainability.ConfigFile missing from the model "
        "package's DriftCheckBaselines" for stage in ("staging", "prod")]
    staging = params_of(cli, "staging")
    assert [staging[m] for m in ("EnableDataQualityMonitor", "EnableModelQualityMonitor", "EnableModelBiasMonitor",
                                 "EnableModelExplainabilityMonitor")] == ["yes", "yes", "yes", "no"]
    assert "ModelExplainabilityConfigUri" not in staging


def test_strict_turns_a_missing_baseline_into_exit_2_and_writes_nothing(cli, clients):
    seedmod.seed(*clients, omit=("Bias.PostTrainingConstraints",))
    result = cli("--strict")
    assert (result.exit_code, result.out) == (2, "")
    assert result.err == (
        "error: --strict: 2 problem(s), nothing written: staging: model bias monitor disabled: "
        "Bias.PostTrainingConstraints missing from the model package's DriftCheckBaselines | prod: model bias monitor "
        "disabled: Bias.PostTrainingConstraints missing from the model package's DriftCheckBaselines\n")
    assert cli.files() == {}
    assert keys(clients[1], OUTPUTS_BUCKET) == []


def test_a_missing_endpoint_disables_the_stage_monitors_with_warnings(cli, clients):
    seedmod.seed(*clients, endpoints=False)
    result = cli()
    assert result.exit_code == 0
    assert result.err.splitlines()[0] == ("warning: staging: data quality monitor disabled: endpoint "
                                          "'fraud-detect-staging' does not exist")
    assert len(result.err.splitlines()) == 8
    assert {params_of(cli, "prod")[m.enable_param] for m in __import__("pipelines.core.monitors").core.monitors.MONITORS} == {"no"}


def test_dry_run_writes_no_s3_object_but_writes_the_local_files(cli, seeded, clients):
    before = {bucket: keys(clients[1], bucket) for bucket in (ARTIFACTS_BUCKET, OUTPUTS_BUCKET)}
    result = cli("--dry-run")
    assert result.exit_code == 0, result.err
    assert {bucket: keys(clients[1], bucket) for bucket in before} == before
    assert len(cli.files()) == 6
    assert ("Dry run: nothing written to AWS; the local parameter files were written for inspection."
            in result.out.splitlines())
    assert "  derived files (would write if absent):" in result.out.splitlines()


def test_rerun_with_unchanged_inputs_writes_nothing_new(cli, seeded, clients):
    assert cli().exit_code == 0
    first_files, first_keys = cli.files(), keys(clients[1], OUTPUTS_BUCKET)
    second = cli()
    assert second.exit_code == 0
    assert cli.files() == first_files
    assert keys(clients[1], OUTPUTS_BUCKET) == first_keys
    assert "Uploaded 0 derived file(s); the others already existed." in second.out.splitlines()
    assert "Wrote 0 local file(s), 6 unchanged." in second.out.splitlines()


def test_derived_files_never_touch_the_modelbuild_artifacts(cli, seeded, clients):
    s3 = clients[1]
    before = {k: s3.get_object(Bucket=ARTIFACTS_BUCKET, Key=k)["Body"].read() for k in keys(s3, ARTIFACTS_BUCKET)}
    assert cli().exit_code == 0
    after = {k: s3.get_object(Bucket=ARTIFACTS_BUCKET, Key=k)["Body"].read() for k in keys(s3, ARTIFACTS_BUCKET)}
    assert after == before
    derived = keys(s3, OUTPUTS_BUCKET)
    # one merged bias file shared by both stages, one explainability config and one matured model quality
    # constraints file per stage (their ExpectedDailyFrauds differ: 10 and 30)
    assert len(derived) == 5
    for key in derived:
        assert key.startswith(f"derived-baselines/{GROUP}/3/")


def test_the_matured_constraints_carry_the_matured_alarm_threshold_so_model_monitor_agrees(cli, seeded, clients):
    assert cli().exit_code == 0
    for stage, daily in (("staging", 10), ("prod", 30)):
        params = params_of(cli, stage)
        uri = params["ModelQualityMaturedBaselineConstraints"]
        body = clients[1].get_object(Bucket=OUTPUTS_BUCKET, Key=uri.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
        assert uri == f"{OUT}/derived-baselines/{GROUP}/3/model-quality/constraints-matured-" \
                      f"{__import__('hashlib').sha256(body).hexdigest()[:16]}.json"
        assert json.loads(body) == derived_constraints(seedmod.fixture("model_quality_constraints.json"),
                                                       seedmod.fixture("model_quality_statistics.json"), daily,
                                                       "recall", params["ModelQualityMaturedAlarmThreshold"])
        recall = json.loads(body)["binary_classification_constraints"]["recall"]["threshold"]
        assert (stage, recall) == (stage, {"staging": 0.543318, "prod": 0.679802}[stage])


def test_bias_constraints_are_pre_and_post_training_merged(cli, seeded, clients):
    assert cli().exit_code == 0
    uri = params_of(cli, "staging")["ModelBiasBaselineConstraints"]
    body = clients[1].get_object(Bucket=OUTPUTS_BUCKET, Key=uri.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
    merged = json.loads(body)
    assert merged == {"version": "1.0",
                      "pre_training_bias_metrics": seedmod.fixture("bias_pre_training_constraints.json")[
                          "pre_training_bias_metrics"],
                      "post_training_bias_metrics": seedmod.fixture("bias_post_training_constraints.json")[
                          "post_training_bias_metrics"]}
    assert uri.endswith(f"-{__import__('hashlib').sha256(body).hexdigest()[:16]}.json")


def test_explainability_config_names_each_stages_deployed_model(cli, seeded, clients):
    assert cli().exit_code == 0
    for stage in ("staging", "prod"):
        uri = params_of(cli, stage)["ModelExplainabilityConfigUri"]
        body = clients[1].get_object(Bucket=OUTPUTS_BUCKET, Key=uri.split(f"{OUTPUTS_BUCKET}/")[1])["Body"].read()
        config = json.loads(body)
        # the SDK's monitoring config has no predictor.model_name: the CLI adds the deployed model's
        assert "model_name" not in seedmod.fixture("explainability_monitoring_analysis_config.json")["predictor"]
        assert config["predictor"] == {"accept_type": "text/csv", "content_type": "text/csv",
                                       "initial_instance_count": 1, "instance_type": "ml.m5.xlarge",
                                       "model_name": f"fraud-detect-{stage}-v3"}
        assert {k: v for k, v in config.items() if k != "predictor"} == {
            k: v for k, v in seedmod.fixture("explainability_monitoring_analysis_config.json").items()
            if k != "predictor"}


def test_a_value_set_in_the_stage_file_wins_over_the_derived_one(cli, seeded, tmp_path):
    staging = {"Parameters": {"StageName": "staging", "EndpointName": "fraud-detect-staging",
                              "GroundTruthInput": "s3://labels-bucket/fraud/staging",
                              "InstanceType": "ml.c5.xlarge"}, "Tags": {}}
    path = tmp_path / "staging-config.json"
    path.write_text(json.dumps(staging))
    result = cli("--import-staging-config", str(path))
    assert result.exit_code == 0, result.err
    params = params_of(cli, "staging")
    assert (params["GroundTruthInput"], params["InstanceType"]) == ("s3://labels-bucket/fraud/staging", "ml.c5.xlarge")
    assert "ScheduleExpression" not in params  # the template default (hourly) applies
    assert ("  note: cannot check the ground truth prefix: s3:ListObjectsV2 on s3://labels-bucket/fraud/staging/ "
            "failed: NoSuchBucket (The specified bucket does not exist); check that it exists and that the run's "
            "region is right (IAM action s3:ListBucket)") in result.out.splitlines()


def test_a_misspelt_parameter_is_an_error_naming_the_closest_valid_name(cli, seeded, tmp_path):
    path = tmp_path / "staging.json"
    path.write_text(json.dumps({"Parameters": {"StageName": "staging", "EnableDataQualtyMonitor": "no"}}))
    result = cli("--import-staging-config", str(path))
    assert (result.exit_code, result.out) == (2, "")
    assert result.err == (f"error: staging config {path}: unknown parameter 'EnableDataQualtyMonitor'; "
                          "did you mean 'EnableDataQualityMonitor'?\n")
    assert cli.files() == {}


def test_every_validation_problem_is_reported_at_once(cli, seeded, tmp_path):
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({"Parameters": {"StageName": "prod", "InstanceCount": "0",
                                               "ScheduleExpression": "cron(15 * ? * * *)",
                                               "ProblemType": "binary"}}))
    result = cli("--import-prod-config", str(path))
    assert result.exit_code == 2
    assert result.err.splitlines() == [
        "error: prod: InstanceCount is 0, below the minimum 1",
        "error: prod: ProblemType is 'binary', allowed: BinaryClassification, MulticlassClassification, Regression",
        "error: prod: ScheduleExpression 'cron(15 * ? * * *)' is not a Model Monitor schedule; use hourly "
        "cron(0 * ? * * *), daily cron(0 H ? * * *), every N hours cron(0 H/N ? * * *), or NOW",
        "error: 3 problem(s) in the generated parameters; nothing was written",
    ]
    assert cli.files() == {}


def test_flags_win_over_environment_variables(cli, seeded, monkeypatch):
    monkeypatch.setenv("MODEL_MONITOR_ROLE_ARN", "arn:aws:iam::123456789012:role/from-env")
    result = cli("--model-monitor-role", "arn:aws:iam::123456789012:role/from-flag")
    assert result.exit_code == 0
    assert params_of(cli, "staging")["ModelMonitorRoleArn"] == "arn:aws:iam::123456789012:role/from-flag"


def test_missing_required_values_name_flag_and_environment_variable(cli, monkeypatch):
    for name in ("MODEL_MONITOR_ROLE_ARN", "MONITOR_OUTPUTS_BUCKET"):
        monkeypatch.delenv(name)
    result = cli()
    assert result.exit_code == 2
    assert result.err == ("error: missing --model-monitor-role (or environment variable MODEL_MONITOR_ROLE_ARN); "
                          "missing --monitor-outputs-bucket (or environment variable MONITOR_OUTPUTS_BUCKET)\n")


def test_help_explains_the_flags_with_an_example(cli):
    result = cli("--help", exports=False)
    assert result.exit_code == 0
    assert "python get_baselines_and_configs.py \\" in result.out
    for flag in ("--model-monitor-role", "--sagemaker-project-name", "--sagemaker-project-id",
                 "--monitor-outputs-bucket", "--import-staging-config", "--import-prod-config",
                 "--export-staging-config", "--export-prod-config", "--model-package-group-name",
                 "--model-package-arn", "--sagemaker-project-arn", "--dry-run", "--strict", "--log-level",
                 "--model-monitor-image-uri", "--clarify-image-uri", "--baseline-source"):
        assert flag in result.out


def test_image_uri_flags_override_the_region_lookup(cli, seeded):
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-analyzer:2"
    assert cli("--model-monitor-image-uri", image).exit_code == 0
    assert params_of(cli, "staging")["ModelMonitorImageUri"] == image
