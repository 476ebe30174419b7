"""The printed plan (pipelines/deploy/cli.py render_plan): a dropped monitor is never silent, the plan's last lines count
each stage's monitors; and a pinned --model-package-arn is checked (approval status warns; another group or region
is an error naming both)."""

from __future__ import annotations

import pytest

from tests.support.plan import PACKAGE, V3, drop_section, strict_error, warnings
from tests.support.reliability import UNAPPROVED_GROUP, s3_state


def test_the_plan_ends_with_four_of_four_per_stage(registry, ws):
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[-2:] == ["staging: 4 of 4 monitors enabled", "prod: 4 of 4 monitors enabled"]


def test_a_dropped_monitor_is_named_with_its_reason_in_the_last_lines(registry, ws, calls):
    calls.edits["sagemaker.DescribeModelPackage"] = drop_section("Bias")
    reason = ("Bias.ConfigFile missing from the model package's DriftCheckBaselines; Bias.PreTrainingConstraints, "
              "Bias.PostTrainingConstraints missing from the model package's DriftCheckBaselines")
    result = ws.run()
    assert result.code == 0
    assert result.out.splitlines()[-2:] == [f"staging: 3 of 4 monitors enabled (model bias off: {reason})",
                                            f"prod: 3 of 4 monitors enabled (model bias off: {reason})"]


def test_a_monitor_the_stage_file_turns_off_is_counted_with_that_reason(registry, ws):
    document = ws.document("prod")
    document["Parameters"]["EnableModelExplainabilityMonitor"] = "no"
    ws.write_config("prod", document)
    result = ws.run("--strict")
    assert (result.code, result.err) == (0, "")  # an explicit "no" is a decision, not a failure
    assert result.out.splitlines()[-1] == ("prod: 3 of 4 monitors enabled (model explainability off: "
                                           "EnableModelExplainabilityMonitor is \"no\" in "
                                           "prod-monitoring-schedule-config.json)")


@pytest.mark.parametrize(("version", "status"), [(2, "Rejected"), (4, "PendingManualApproval")])
def test_a_pinned_package_that_is_not_approved_warns_and_strict_fails(registry, ws, version, status):
    arn = f"{PACKAGE}/{version}"
    endpoint_runs_v3 = [f"{stage}: endpoint 'fraud-detect-{stage}' runs model package version 3 but the baselines "
                        f"come from version {version}; deploy that version or pass --baseline-source endpoint"
                        for stage in ("staging", "prod")]
    pinned = (f"--model-package-arn {arn} is {status}, not Approved; its baselines were not approved for "
              "deployment: approve it in the Model Registry or pin an Approved version")
    result = ws.run("--model-package-arn", arn)
    assert (result.code, result.err) == (0, warnings(pinned, *endpoint_runs_v3))
    before = ws.seed_old_outputs()
    strict = ws.run("--model-package-arn", arn, "--strict")
    assert (strict.code, strict.out, strict.err) == (2, "", strict_error(pinned, *endpoint_runs_v3))
    assert ws.files() == before


def test_a_pinned_approved_package_gives_no_warning(registry, ws):
    result = ws.run("--model-package-arn", f"{PACKAGE}/3", "--strict")
    assert (result.code, result.err) == (0, "")
    assert f"      DataQualityBaselineStatistics: {V3}/data-quality/statistics.json" in result.out.splitlines()


def test_a_pinned_package_from_another_group_is_an_error_naming_both(registry, ws):
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{UNAPPROVED_GROUP}/1"
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    result = ws.run("--model-package-arn", arn)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"error: --model-package-arn {arn} belongs to model package group '{UNAPPROVED_GROUP}', "
                          "not this project's 'fraud-detect-p-abc123'; pin a version of 'fraud-detect-p-abc123' or "
                          f"pass --model-package-group-name {UNAPPROVED_GROUP}\n")
    assert (ws.files(), s3_state(registry.s3)) == (before_files, before_s3)


def test_a_pinned_package_from_another_region_is_an_error_naming_both(registry, ws):
    arn = PACKAGE.replace("us-east-1", "eu-west-1") + "/3"
    before = ws.seed_old_outputs()
    result = ws.run("--model-package-arn", arn)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"error: --model-package-arn {arn} is in region 'eu-west-1' but this run is in "
                          "'us-east-1'; pin a version registered in us-east-1 (or run in eu-west-1 with AWS_REGION)\n")
    assert ws.files() == before
