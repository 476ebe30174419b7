"""Shared fixtures: fake credentials, moto-backed clients, a seeded fraud registry, CLI runners (``cli`` with the
repo's stage configs, ``ws`` with a workspace of its own) and the AWS call log that injects faults (``calls``).

Helpers that are not fixtures live in tests/support/ and are imported as ``from tests.support.<module> import ...``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.reliability import (
    EMPTY_GROUP,
    UNAPPROVED_GROUP,
    CallLog,
    Workspace,
    World,
    make_workspace,
    s3_body,
    s3_state,
    share_service_models,
)

REPO = Path(__file__).resolve().parents[1]
# "Now" for every in-process run: the day devtools.seed_captures.start_of_day() writes its captures on.
FROZEN_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The project's one clock (pipelines.core.clock.utc_now) pinned: no test depends on today's date. A test that
    needs another "now" passes ``now=`` or sets the clock again; `make test` also runs the fast tests under
    libfaketime 400 days ahead, which catches a module that reads the real clock around this one."""
    from pipelines.core import clock

    monkeypatch.setattr(clock, "utc_now", lambda: FROZEN_NOW)
    return FROZEN_NOW


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region for every test; nothing can reach real AWS."""
    from devtools.seed import cli_env

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def shared_service_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's boto3 sessions share one botocore loader (service models parsed once per worker)."""
    share_service_models(monkeypatch)


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

    from devtools.seed import OUTPUTS_BUCKET

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=OUTPUTS_BUCKET)
    return client


@pytest.fixture
def seeded(clients):
    """The realistic registry: versions 1 Approved, 2 Rejected, 3 Approved, 4 Pending; endpoints run version 3."""
    from devtools.seed import seed

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


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard mode sleeps up to 20 s between attempts (so do pipelines.core.aws's body-read retries, with
    its backoff): keep the retry logic, drop the waiting."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, no_backoff: None) -> CallLog:
    """Record (and optionally fail) every AWS call the CLI makes; retries back off for 0 s."""
    from pipelines.core import aws

    log = CallLog()
    original = aws.make_client
    monkeypatch.setattr(aws, "make_client", lambda session, service: log.install(original(session, service)))
    return log


@pytest.fixture
def moto_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """(sagemaker, s3) on moto's in-process AWS, with the environment CodeBuild gives the CLI."""
    import boto3
    from moto import mock_aws

    from devtools.seed import cli_env

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("sagemaker", region_name="us-east-1"), boto3.client("s3", region_name="us-east-1")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    import boto3
    from moto import mock_aws

    from devtools.seed import _inference, cli_env, seed

    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        for key, value in cli_env().items():
            patch.setenv(key, value)
        with mock_aws():
            sm, s3 = boto3.client("sagemaker", region_name="us-east-1"), boto3.client("s3", region_name="us-east-1")
            seeded = seed(sm, s3)
            for group, statuses in ((UNAPPROVED_GROUP, ["Rejected", "PendingManualApproval", "PendingManualApproval"]),
                                    (EMPTY_GROUP, [])):
                sm.create_model_package_group(ModelPackageGroupName=group)
                for status in statuses:
                    sm.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus=status,
                                            InferenceSpecification=_inference())
            pristine = s3_state(s3)
            yield World(sm=sm, s3=s3, seeded=seeded, pristine=pristine,
                        bodies={uri: s3_body(s3, uri) for uri in pristine})


@pytest.fixture
def registry(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The module's seeded world, with S3 put back after the test."""
    from devtools.seed import cli_env

    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)
    yield world
    world.restore_s3()


@pytest.fixture
def ws(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace in a temp dir, which is also the working directory (nothing can land in the repo)."""
    workspace = make_workspace(tmp_path, capsys)
    monkeypatch.chdir(workspace.root)
    return workspace


@pytest.fixture
def sm():
    """A real SageMaker client whose calls are answered by a Stubber (moto has no monitoring schedules)."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        client.stubber = stubber  # type: ignore[attr-defined]
        yield client
        stubber.assert_no_pending_responses()
