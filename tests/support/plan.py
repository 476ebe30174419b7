"""What the CLI's plan and messages look like: expected-line builders shared by the pre-flight, endpoint and plan
tests (moved out of tests/test_planner.py, formerly test_preflight.py)."""

from __future__ import annotations

from devtools.seed import ARTIFACTS_BUCKET, GROUP

MONITORS = ("data quality", "model quality", "model bias", "model explainability")
V3 = f"s3://{ARTIFACTS_BUCKET}/model-build/v3/baselines"
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}"


def disabled(stage: str, reason: str, monitors: tuple[str, ...] = MONITORS) -> list[str]:
    return [f"{stage}: {monitor} monitor disabled: {reason}" for monitor in monitors]


def warnings(*lines: str) -> str:
    return "".join(f"warning: {line}\n" for line in lines)


def strict_error(*lines: str) -> str:
    return f"error: --strict: {len(lines)} problem(s), nothing written: " + " | ".join(lines) + "\n"


def monitor_states(out: str, stage: str) -> dict[str, str]:
    section = out.split(f"Stage {stage}:")[1].split("\nStage ")[0]
    return {monitor: "enabled" if f"  {monitor:<21} enabled" in section else "disabled" for monitor in MONITORS}


def drop_section(section: str):
    """A DescribeModelPackage edit that removes one DriftCheckBaselines section."""

    def edit(parsed):
        parsed["DriftCheckBaselines"].pop(section)
    return edit
