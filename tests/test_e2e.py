"""End to end over HTTP: the real CLI process against moto_server on 127.0.0.1, as CodeBuild runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.moto import moto_server
from devtools.seed import OUTPUTS_BUCKET, cli_env, seed
from pipelines.deploy.template_params import load_template_parameters, validate

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server():
    import boto3

    with moto_server() as url:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        sm, s3 = session.client("sagemaker", endpoint_url=url), session.client("s3", endpoint_url=url)
        seed(sm, s3)
        yield url, s3


def run_cli(url: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | cli_env(url)
    return subprocess.run([sys.executable, "get_baselines_and_configs.py", *args,
                           "--export-staging-config", str(out / "staging-config-export.json"),
                           "--export-prod-config", str(out / "prod-config-export.json")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def output_keys(s3) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=OUTPUTS_BUCKET).get("Contents", []))


def test_dry_run_over_http_writes_nothing_to_s3(server, tmp_path):
    url, s3 = server
    before = output_keys(s3)
    result = run_cli(url, tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert output_keys(s3) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "prod-config-export.json", "prod-config-export.parameter-overrides.json", "prod-config-export.tags.json",
        "staging-config-export.json", "staging-config-export.parameter-overrides.json",
        "staging-config-export.tags.json"]


def buildspec_cli_flags() -> list[str]:
    """The flags buildspec.yml passes to the CLI besides the import/export paths."""
    import yaml

    commands = yaml.safe_load((REPO / "buildspec.yml").read_text())["phases"]["build"]["commands"]
    command = next(c for c in commands if c.startswith("python get_baselines_and_configs.py"))
    return [word for word in command.split()[2:] if word == "--strict"]


def test_codebuild_run_over_http_enables_all_four_monitors_in_both_stages(server, tmp_path):
    """The registry holds what a real ModelBuild pipeline registers (tests/fixtures/sdk: the SDK's own bias and
    explainability monitoring configs, baselining job outputs); the run is buildspec's, --strict included."""
    url, s3 = server
    assert buildspec_cli_flags() == ["--strict"]
    result = run_cli(url, tmp_path, *buildspec_cli_flags())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    assert result.stdout.splitlines()[-2:] == ["staging: 4 of 4 monitors enabled", "prod: 4 of 4 monitors enabled"]
    specs = load_template_parameters(REPO / "model-monitor-template.yml")
    for stage in ("staging", "prod"):
        params = json.loads((tmp_path / f"{stage}-config-export.json").read_text())["Parameters"]
        assert validate(params, specs) == []
        assert [params[f"Enable{m}Monitor"] for m in ("DataQuality", "ModelQuality", "ModelBias",
                                                      "ModelExplainability")] == ["yes"] * 4
    # merged bias constraints (shared), an explainability config and matured model quality constraints per stage
    assert len([k for k in output_keys(s3) if k.startswith("derived-baselines/")]) == 5
    again = run_cli(url, tmp_path)
    assert again.returncode == 0
    assert "Wrote 0 local file(s), 6 unchanged." in again.stdout.splitlines()
