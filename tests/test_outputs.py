"""The generated files go through the installed awscli's own parsing of `cloudformation deploy` unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines.deploy.outputs import key_value_list, render_files, stage_outputs, write_all

REPO = Path(__file__).resolve().parents[1]
STACK = "fraud-detect-staging-model-monitor"


class _Stop(Exception):
    """Raised once awscli has built the CreateChangeSet request (awscli reports it and returns): nothing is sent."""


def awscli_deploy_request(overrides: Path, tags: Path) -> dict:
    """Run `aws cloudformation deploy` in-process up to CreateChangeSet and return the API parameters it built."""
    from awscli.clidriver import create_clidriver
    from botocore.exceptions import ClientError

    captured: dict = {}

    def no_stack(model, **kwargs):
        if model.name == "DescribeStacks":  # a new stack: awscli then creates a CREATE change set
            raise ClientError({"Error": {"Code": "ValidationError", "Message": f"Stack with id {STACK} does not exist"}},
                              "DescribeStacks")

    def capture(params, **kwargs):
        captured.update(params)
        raise _Stop()

    def fake_s3(model, **kwargs):  # the template is over 51,200 bytes: awscli uploads it (--s3-bucket) first
        if model.name == "HeadObject":
            raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")
        return SimpleNamespace(status_code=200, headers={}), {"ETag": '"0"'}

    driver = create_clidriver()
    driver.session.register("before-call.cloudformation", no_stack)
    driver.session.register("before-call.s3", fake_s3)
    driver.session.register("before-parameter-build.cloudformation.CreateChangeSet", capture)
    driver.main(["cloudformation", "deploy", "--template-file", str(REPO / "model-monitor-template.yml"),
                     "--stack-name", STACK, "--s3-bucket", "fraud-monitor-outputs-123456789012",
                 "--parameter-overrides",
                 f"file://{overrides}", "--tags", f"file://{tags}", "--no-execute-changeset"])
    assert captured, "awscli never built the CreateChangeSet request"
    assert captured["TemplateURL"].startswith("https://"), "the template went inline; it is over 51,200 bytes"
    return captured


@pytest.mark.slow
def test_awscli_v1_reads_the_generated_override_and_tag_files_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    parameters = {"ScheduleExpression": "cron(0 * ? * * *)", "EndpointName": "fraud-detect-staging",
                  "GroundTruthInput": "s3://b/ground-truth/x=y", "KmsKeyId": "", "StageName": "staging"}
    tags = {"team": "fraud-ml", "cost-center": "payments risk"}
    outputs = stage_outputs(tmp_path / "staging-config-export.json")
    write_all(render_files(outputs, parameters, tags))
    request = awscli_deploy_request(outputs.parameter_overrides, outputs.tags)
    assert sorted(request["Parameters"], key=lambda p: p["ParameterKey"]) == [
        {"ParameterKey": key, "ParameterValue": parameters[key]} for key in sorted(parameters)]
    assert sorted(request["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "cost-center", "Value": "payments risk"}, {"Key": "team", "Value": "fraud-ml"}]


@pytest.mark.slow
def test_awscli_reads_the_files_the_cli_generates_for_both_stages(cli, seeded, monkeypatch):
    assert cli().exit_code == 0
    for stage in ("staging", "prod"):
        document = json.loads((cli.tmp / f"{stage}.json").read_text())
        request = awscli_deploy_request(cli.tmp / f"{stage}.parameter-overrides.json", cli.tmp / f"{stage}.tags.json")
        assert {p["ParameterKey"]: p["ParameterValue"] for p in request["Parameters"]} == document["Parameters"]
        assert {t["Key"]: t["Value"] for t in request["Tags"]} == document["Tags"]


def test_sibling_file_names_follow_the_export_path(tmp_path):
    outputs = stage_outputs(tmp_path / "prod-config-export.json")
    assert (outputs.parameter_overrides.name, outputs.tags.name) == (
        "prod-config-export.parameter-overrides.json", "prod-config-export.tags.json")


def test_key_value_list_is_sorted_and_keeps_equals_signs_in_values():
    assert key_value_list({"b": "x=1", "a": ""}) == ["a=", "b=x=1"]


def test_write_all_leaves_unchanged_files_untouched_and_writes_all_or_nothing(tmp_path):
    keep = tmp_path / "keep.json"
    keep.write_bytes(b"same\n")
    mtime = keep.stat().st_mtime_ns
    assert write_all({keep: b"same\n", tmp_path / "new.json": b"new\n"}) == [tmp_path / "new.json"]
    assert keep.stat().st_mtime_ns == mtime
    from pipelines.core.errors import OutputError

    with pytest.raises(OutputError) as exc:
        write_all({keep: b"changed\n", tmp_path / "missing-dir" / "x.json": b"x"})
    assert str(exc.value) == (f"cannot write {tmp_path / 'missing-dir' / 'x.json'}: No such file or directory; check the "
                              "export paths (nothing was written)")
    assert keep.read_bytes() == b"same\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json", "new.json"]
