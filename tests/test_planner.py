"""Pre-flight checks, read-only and per stage: endpoint InService with Input+Output capture, every baseline object
present / JSON / of its kind / matching its ContentDigest (each read once), deployed vs baseline package version,
--baseline-source endpoint, and the ground-truth prefix (a note only). --strict turns every warning into exit 2
with nothing written."""

from __future__ import annotations

import json

import pytest

from devtools.seed import ARTIFACTS_BUCKET, FIXTURES, GROUP, OUTPUTS_BUCKET, PROJECT_NAME, ROLE_ARN
from tests.support.plan import MONITORS, PACKAGE, V3, disabled, drop_section, monitor_states, strict_error, warnings
from tests.support.reliability import s3_state


# ------------------------------------------------------------------------------------------------- endpoints
def _capture_off(parsed):
    parsed["DataCaptureConfig"]["EnableCapture"] = False


def _capture_input_only(parsed):
    parsed["DataCaptureConfig"]["CaptureOptions"] = [{"CaptureMode": "Input"}]


def _capture_output_only(parsed):
    parsed["DataCaptureConfig"]["CaptureOptions"] = [{"CaptureMode": "Output"}]


def _no_capture_config(parsed):
    parsed.pop("DataCaptureConfig")


ENDPOINT_CASES = {
    "capture-off": ("sagemaker.DescribeEndpointConfig", _capture_off,
                    "endpoint '{name}' has data capture off; enable DataCaptureConfig in ModelDeploy"),
    "no-capture-config": ("sagemaker.DescribeEndpointConfig", _no_capture_config,
                          "endpoint '{name}' has data capture off; enable DataCaptureConfig in ModelDeploy"),
    "capture-input-only": ("sagemaker.DescribeEndpointConfig", _capture_input_only,
                           "endpoint '{name}' does not capture Output; capture both Input and Output"),
    "capture-output-only": ("sagemaker.DescribeEndpointConfig", _capture_output_only,
                            "endpoint '{name}' does not capture Input; capture both Input and Output"),
}


@pytest.mark.parametrize("case", sorted(ENDPOINT_CASES))
def test_an_unusable_endpoint_disables_its_monitors_with_one_warning_line_each(registry, ws, calls, case):
    operation, edit, reason = ENDPOINT_CASES[case]
    calls.edits[operation] = edit
    expected = [line for stage in ("staging", "prod")
                for line in disabled(stage, reason.format(name=f"{PROJECT_NAME}-{stage}"))]
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(*expected))
    assert monitor_states(result.out, "prod") == dict.fromkeys(MONITORS, "disabled")
    params = json.loads(ws.export("staging").read_text())["Parameters"]
    assert [params[f"Enable{name}Monitor"] for name in ("DataQuality", "ModelQuality", "ModelBias",
                                                         "ModelExplainability")] == ["no"] * 4
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))
    assert ws.files() == before


def test_a_missing_endpoint_disables_only_that_stages_monitors(registry, ws):
    document = ws.document("staging")
    document["Parameters"]["EndpointName"] = "fraud-detect-staging-gone"
    ws.write_config("staging", document)
    expected = disabled("staging", "endpoint 'fraud-detect-staging-gone' does not exist")
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(*expected))
    assert "Stage staging: endpoint fraud-detect-staging-gone (model unknown), baselines from version 3" in result.out
    assert monitor_states(result.out, "prod") == dict.fromkeys(MONITORS, "enabled")
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))
    assert ws.files() == before


# ------------------------------------------------------------------------------------------------- baselines
def _drop_digest(section: str, name: str):
    def edit(parsed):
        parsed["DriftCheckBaselines"][section][name].pop("ContentDigest")
    return edit


def _put(registry, uri: str, body: bytes) -> None:
    bucket, key = uri[5:].split("/", 1)
    registry.s3.put_object(Bucket=bucket, Key=key, Body=body)


def _delete(registry, uri: str) -> None:
    bucket, key = uri[5:].split("/", 1)
    registry.s3.delete_object(Bucket=bucket, Key=key)


STATS = f"{V3}/data-quality/statistics.json"
BIAS_CONFIG = f"{V3}/bias/analysis_config.json"
EXPLAIN = f"{V3}/explainability/constraints.json"


def _swap(path: str, key: str, fixture: str, looks: str, where: str, monitor: str) -> tuple:
    """A real document of another kind stored at ``path``'s URI (ModelBuild registered the wrong file)."""
    section, name = path.split(".")
    uri = f"{V3}/{key}"
    return (uri, (FIXTURES / fixture).read_bytes(), _drop_digest(section, name), (monitor,),
            f"{path} {uri} should be {SHOULD[path]} but looks like {looks} (the registry's {where}); "
            "register the right file in ModelBuild")


SHOULD = {"ModelDataQuality.Constraints": "data quality constraints", "ModelDataQuality.Statistics":
          "data quality statistics", "ModelQuality.Constraints": "model quality constraints",
          "ModelQuality.Statistics": "model quality statistics", "Bias.ConfigFile": "a Clarify bias analysis config",
          "Explainability.ConfigFile": "a Clarify explainability analysis config",
          "Bias.PostTrainingConstraints": "bias constraints"}
SWAPPED = {
    "dq-statistics-at-constraints": _swap(
        "ModelDataQuality.Constraints", "data-quality/constraints.json", "data_quality_statistics.json",
        "data quality statistics", f"ModelDataQuality.Statistics is {STATS}", "data quality"),
    "dq-constraints-at-statistics": _swap(
        "ModelDataQuality.Statistics", "data-quality/statistics.json", "data_quality_constraints.json",
        "data quality constraints", f"ModelDataQuality.Constraints is {V3}/data-quality/constraints.json",
        "data quality"),
    "mq-statistics-at-constraints": _swap(
        "ModelQuality.Constraints", "model-quality/constraints.json", "model_quality_statistics.json",
        "model quality statistics", f"ModelQuality.Statistics is {V3}/model-quality/statistics.json",
        "model quality"),
    "mq-constraints-at-statistics": _swap(
        "ModelQuality.Statistics", "model-quality/statistics.json", "model_quality_constraints.json",
        "model quality constraints", f"ModelQuality.Constraints is {V3}/model-quality/constraints.json",
        "model quality"),
    "explainability-config-at-bias-config": _swap(
        "Bias.ConfigFile", "bias/analysis_config.json", "explainability_monitoring_analysis_config.json",
        "a Clarify explainability analysis config",
        f"Explainability.ConfigFile is {V3}/explainability/analysis_config.json", "model bias"),
    "bias-config-at-explainability-config": _swap(
        "Explainability.ConfigFile", "explainability/analysis_config.json", "bias_monitoring_analysis_config.json",
        "a Clarify bias analysis config", f"Bias.ConfigFile is {BIAS_CONFIG}", "model explainability"),
    "bias-constraints-at-bias-config": _swap(
        "Bias.ConfigFile", "bias/analysis_config.json", "bias_post_training_constraints.json", "bias constraints",
        f"Bias.PostTrainingConstraints is {V3}/bias/post_training_constraints.json; Bias.PreTrainingConstraints "
        f"is {V3}/bias/pre_training_constraints.json", "model bias"),
    "bias-config-at-post-training-constraints": _swap(
        "Bias.PostTrainingConstraints", "bias/post_training_constraints.json", "bias_monitoring_analysis_config.json",
        "a Clarify bias analysis config", f"Bias.ConfigFile is {BIAS_CONFIG}", "model bias"),
}
BASELINE_CASES = {
    "missing": (STATS, None, None, ("data quality",), f"{STATS} does not exist"),
    "empty": (STATS, b"", None, ("data quality",), f"ModelDataQuality.Statistics {STATS} is empty"),
    "whitespace-only": (STATS, b"  \n", None, ("data quality",), f"ModelDataQuality.Statistics {STATS} is empty"),
    "not-json": (STATS, b"feature,mean\namount,42.5\n", _drop_digest("ModelDataQuality", "Statistics"),
                 ("data quality",), f"ModelDataQuality.Statistics {STATS} is not JSON"),
    "not-utf8": (STATS, b"\xff\xfe\x00", _drop_digest("ModelDataQuality", "Statistics"),
                 ("data quality",), f"ModelDataQuality.Statistics {STATS} is not UTF-8 text (line 1); save it as UTF-8"),
    "wrong-kind": (STATS, json.dumps({"version": 0.0, "binary_classification_metrics": {}}).encode(),
                   _drop_digest("ModelDataQuality", "Statistics"), ("data quality",),
                   f"ModelDataQuality.Statistics {STATS} should be data quality statistics but looks like model "
                   f"quality statistics (the registry's ModelQuality.Statistics is {V3}/model-quality/statistics.json)"
                   "; register the right file in ModelBuild"),
    "a-list": (BIAS_CONFIG, b"[]", _drop_digest("Bias", "ConfigFile"), ("model bias",),
               f"Bias.ConfigFile {BIAS_CONFIG} should be a Clarify bias analysis config but is not (expected a "
               "JSON object with 'label_values_or_threshold' and 'facet')"),
    "explainability-wrong-kind": (EXPLAIN, b'{"features": []}', _drop_digest("Explainability", "Constraints"),
                                  ("model explainability",),
                                  f"Explainability.Constraints {EXPLAIN} should be explainability constraints "
                                  "but is not (expected a JSON object with 'explanations')"),
    **{f"swapped-{name}": case for name, case in SWAPPED.items()},
    "digest-mismatch": (STATS, b'{"features": [], "dataset": {"item_count": 1}}', None, ("data quality",),
                        f"ModelDataQuality.Statistics {STATS} does not match its registry ContentDigest "
                        "sha256:{digest} (the object changed after registration)"),
    "not-in-registry": (None, None, drop_section("Bias"), ("model bias",),
                        "Bias.ConfigFile missing from the model package's DriftCheckBaselines; "
                        "Bias.PreTrainingConstraints, Bias.PostTrainingConstraints missing from the model "
                        "package's DriftCheckBaselines"),
}


@pytest.mark.parametrize("case", sorted(BASELINE_CASES))
def test_a_bad_baseline_disables_the_monitor_that_needs_it_in_both_stages(registry, ws, calls, case):
    uri, body, edit, monitors, reason = BASELINE_CASES[case]
    if uri and body is None:
        _delete(registry, uri)
    elif uri:
        _put(registry, uri, body)
    if edit:
        calls.edits["sagemaker.DescribeModelPackage"] = edit
    digest = registry.sm.describe_model_package(ModelPackageName=f"{PACKAGE}/3")[
        "DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["ContentDigest"].split(":")[1]
    expected = [line for stage in ("staging", "prod")
                for line in disabled(stage, reason.replace("{digest}", digest), monitors)]
    result = ws.run()
    assert (result.code, result.err) == (0, warnings(*expected))
    for stage in ("staging", "prod"):
        assert monitor_states(result.out, stage) == {m: "disabled" if m in monitors else "enabled" for m in MONITORS}
    before = ws.seed_old_outputs()
    strict = ws.run("--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))
    assert ws.files() == before


def test_each_baseline_object_is_read_once_per_run_for_both_stages(registry, ws, calls):
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    # the nine DriftCheckBaselines objects, shared by staging and prod, and each stage's label development curve
    # (absent here: no label history yet)
    assert calls.count("s3.GetObject") == 11
    assert len({json.dumps(p["url_path"]) for p, c in zip(calls.params, calls.calls, strict=True)
                if c == "s3.GetObject"}) == 11


# ------------------------------------------------------------------------------------ deployed vs baselines
def test_a_pinned_package_other_than_the_deployed_one_warns_naming_both_versions(registry, ws):
    expected = [f"{stage}: endpoint '{PROJECT_NAME}-{stage}' runs model package version 3 but the baselines come "
                "from version 1; deploy that version or pass --baseline-source endpoint" for stage in ("staging", "prod")]
    result = ws.run("--model-package-arn", f"{PACKAGE}/1")
    assert (result.code, result.err) == (0, warnings(*expected))
    assert "Stage prod: endpoint fraud-detect-prod (model fraud-detect-prod-v3), baselines from version 1" in result.out
    before = ws.seed_old_outputs()
    strict = ws.run("--model-package-arn", f"{PACKAGE}/1", "--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))
    assert ws.files() == before


def test_the_latest_approved_package_when_deployed_gives_no_version_warning(registry, ws):
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")


def _deploy_v1_as(registry, endpoint: str) -> None:
    from devtools.seed import OUTPUTS_BUCKET as bucket

    model = f"{endpoint}-model"
    registry.sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_ARN,
                             Containers=[{"ModelPackageName": f"{PACKAGE}/1"}])
    registry.sm.create_endpoint_config(
        EndpointConfigName=f"{endpoint}-config",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{bucket}/data-capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    registry.sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-config")


def test_baseline_source_endpoint_takes_each_stages_baselines_from_the_package_it_runs(registry, ws, calls):
    _deploy_v1_as(registry, "fraud-detect-prod-v1")
    document = ws.document("prod")
    document["Parameters"]["EndpointName"] = "fraud-detect-prod-v1"
    ws.write_config("prod", document)
    result = ws.run("--baseline-source", "endpoint", "--strict")
    assert (result.code, result.err) == (0, "")
    assert "sagemaker.ListModelPackages" not in calls.calls  # the registry's "latest approved" plays no part
    assert calls.count("sagemaker.DescribeModelPackage") == 2
    assert result.out.startswith(f"Model package: {PACKAGE}/3\n")
    assert f"\nModel package: {PACKAGE}/1\n" in result.out
    staging = json.loads(ws.export("staging").read_text())["Parameters"]
    prod = json.loads(ws.export("prod").read_text())["Parameters"]
    assert staging["DataQualityBaselineStatistics"] == f"{V3}/data-quality/statistics.json"
    assert prod["DataQualityBaselineStatistics"] == (f"s3://{ARTIFACTS_BUCKET}/model-build/v1/baselines/"
                                                     "data-quality/statistics.json")
    assert prod["ModelBiasBaselineConstraints"].startswith(
        f"s3://{OUTPUTS_BUCKET}/derived-baselines/{GROUP}/1/model-bias/constraints-")


def test_baseline_source_endpoint_without_the_endpoint_fails_naming_it(registry, ws):
    document = ws.document("staging")
    document["Parameters"]["EndpointName"] = "nowhere"
    ws.write_config("staging", document)
    before = ws.seed_old_outputs()
    result = ws.run("--baseline-source", "endpoint")
    assert (result.code, result.out) == (1, "")
    assert result.err == ("error: --baseline-source endpoint: staging endpoint 'nowhere' does not exist; "
                          "use --baseline-source registry\n")
    assert ws.files() == before


def test_a_deleted_model_behind_a_live_endpoint_disables_explainability_naming_the_model(registry, ws):
    """SageMaker lets a model be deleted while its endpoint keeps serving: the version check cannot run, and the
    explainability config would name a model Clarify cannot start its shadow endpoint from."""
    expected = ("staging: endpoint 'fraud-detect-staging' runs model 'fraud-detect-staging-v3', which no longer "
                "exists; its model package version cannot be checked",
                "staging: model explainability monitor disabled: the endpoint's model 'fraud-detect-staging-v3' no "
                "longer exists (deleted behind the live endpoint), so Clarify cannot start its shadow endpoint from "
                "it; redeploy with ModelDeploy")
    registry.sm.delete_model(ModelName="fraud-detect-staging-v3")
    try:
        result = ws.run()
        assert (result.code, result.err) == (0, warnings(*expected))
        assert monitor_states(result.out, "staging") == {m: "disabled" if m == "model explainability" else "enabled"
                                                         for m in MONITORS}
        assert monitor_states(result.out, "prod") == dict.fromkeys(MONITORS, "enabled")
        before = ws.seed_old_outputs()
        strict = ws.run("--strict")
        assert (strict.code, strict.out, strict.err) == (2, "", strict_error(*expected))
        endpoint = ws.run("--baseline-source", "endpoint")
        assert (endpoint.code, endpoint.out) == (1, "")
        assert endpoint.err == ("error: --baseline-source endpoint: staging endpoint 'fraud-detect-staging' runs "
                                "model 'fraud-detect-staging-v3', which no longer exists; its model package version "
                                "cannot be checked; use --baseline-source registry\n")
        assert ws.files() == before
    finally:  # the module's registry is shared: put the model back
        registry.sm.create_model(ModelName="fraud-detect-staging-v3", ExecutionRoleArn=ROLE_ARN,
                                 Containers=[{"ModelPackageName": f"{PACKAGE}/3"}])


# ---------------------------------------------------------------------------------------------- ground truth
def _no_labels_note(stage: str) -> str:
    return (f"  note: no labels under s3://{OUTPUTS_BUCKET}/ground-truth/{PROJECT_NAME}-{stage} yet; model quality "
            "and bias jobs find nothing to merge until labels arrive (python -m pipelines.ground_truth uploads them)")


def test_an_empty_ground_truth_prefix_is_a_note_never_a_warning_or_failure(registry, ws):
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert _no_labels_note("staging") in lines and _no_labels_note("prod") in lines
    assert monitor_states(result.out, "staging") == dict.fromkeys(MONITORS, "enabled")


def test_labels_under_the_ground_truth_prefix_silence_the_note_for_that_stage(registry, ws):
    registry.s3.put_object(Bucket=OUTPUTS_BUCKET, Key=f"ground-truth/{PROJECT_NAME}-staging/2026/11/27/03/labels.jsonl",
                           Body=b'{"groundTruthData": {"data": "1", "encoding": "CSV"}, '
                                b'"eventMetadata": {"eventId": "e1"}, "eventVersion": "0"}\n')
    lines = ws.run().out.splitlines()
    assert _no_labels_note("staging") not in lines
    assert _no_labels_note("prod") in lines


def test_preflight_checks_write_nothing_to_s3(registry, ws, calls):
    before = s3_state(registry.s3)
    result = ws.run("--dry-run")
    assert result.code == 0
    assert s3_state(registry.s3) == before
    assert not [name for name in calls.calls if name.split(".")[1].startswith(("Put", "Delete", "Create", "Update"))]
