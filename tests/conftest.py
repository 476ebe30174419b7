"""Shared fixtures: fake credentials, moto-backed clients, a seeded fraud registry, and a CLI runner."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region for every test; nothing can reach real AWS."""
    from bench.seed import cli_env

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def mocked_aws():
    """moto's in-process AWS, started before any client exists."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def clients(mocked_aws):
    """(sagemaker, s3) clients on moto."""
    import boto3

    return boto3.client("sagemaker", region_name="us-east-1"), boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def s3(mocked_aws):
    """moto S3 with the monitor outputs bucket (labels, reports) and nothing else."""
    import boto3

    from bench.seed import OUTPUTS_BUCKET

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=OUTPUTS_BUCKET)
    return client


@pytest.fixture
def seeded(clients):
    """The realistic registry: versions 1 Approved, 2 Rejected, 3 Approved, 4 Pending; endpoints run version 3."""
    from bench.seed import seed

    return seed(*clients)


@dataclass
class CliResult:
    exit_code: int
    out: str
    err: str


@dataclass
class Cli:
    """Runs get_baselines_and_configs.main in-process with outputs in a temp dir."""

    tmp: Path
    capsys: pytest.CaptureFixture

    def export_args(self) -> list[str]:
        return ["--export-staging-config", str(self.tmp / "staging.json"),
                "--export-prod-config", str(self.tmp / "prod.json")]

    def __call__(self, *args: str, exports: bool = True) -> CliResult:
        import get_baselines_and_configs

        self.capsys.readouterr()
        code = get_baselines_and_configs.main([*args, *(self.export_args() if exports else [])])
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.tmp.iterdir()) if p.is_file()}


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A CLI runner; the working directory is the repo so the default stage configs and template are found."""
    monkeypatch.chdir(REPO)
    out = tmp_path / "out"
    out.mkdir()
    return Cli(tmp=out, capsys=capsys)
