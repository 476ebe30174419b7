"""Installed from a wheel, the console scripts work outside a checkout: the template ships as package data and
--template (--template-file) overrides it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed (without dependencies: the venv has them) into a folder."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
                            str(REPO)], capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        pytest.skip(f"cannot build the wheel here (pip wheel needs setuptools from the package index): "
                    f"{built.stderr.strip().splitlines()[-1:]}")
    wheel = next((work / "dist").glob("*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(work / "site"),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    shutil.rmtree(REPO / "build", ignore_errors=True)
    return work / "site"


def _run(site: Path, script: str, args: list[str], cwd: Path, env: dict[str, str]):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | env | {"PYTHONPATH": str(site)}
    return subprocess.run([str(site / "bin" / script), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_deploy_console_script_runs_a_dry_run_outside_a_checkout_with_the_packaged_template(installed, tmp_path):
    from devtools.moto import moto_server
    from devtools.seed import OUTPUTS_BUCKET, PROJECT_ID, PROJECT_NAME, ROLE_ARN, cli_env, seed

    for name in ("staging-monitoring-schedule-config.json", "prod-monitoring-schedule-config.json"):
        shutil.copy(REPO / name, tmp_path / name)  # the project's own stage files; no template, no code here
    args = ["--model-monitor-role", ROLE_ARN, "--sagemaker-project-name", PROJECT_NAME, "--sagemaker-project-id",
            PROJECT_ID, "--monitor-outputs-bucket", OUTPUTS_BUCKET, "--dry-run"]
    import boto3

    with moto_server() as url:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        seed(session.client("sagemaker", endpoint_url=url), session.client("s3", endpoint_url=url))
        done = _run(installed, "get-baselines-and-configs", args, tmp_path, cli_env(url))
        override = _run(installed, "get-baselines-and-configs", [*args, "--template", "mine.yml"], tmp_path,
                        cli_env(url))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["staging: 4 of 4 monitors enabled", "prod: 4 of 4 monitors enabled"]
    assert not (tmp_path / "model-monitor-template.yml").exists()
    assert (override.returncode, override.stderr) == (2, "error: cannot read template mine.yml: No such file or "
                                                         "directory; pass --template-file or run from the repository "
                                                         "root\n")


@pytest.mark.parametrize("script", ["model-monitor-report", "model-monitor-ground-truth", "model-monitor-analyze"])
def test_the_day2_console_scripts_start_outside_a_checkout(installed, tmp_path, script):
    done = _run(installed, script, ["--help"], tmp_path, {})

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: ")
