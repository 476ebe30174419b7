"""A table of malformed inputs: stage files, flags, environment, registry, baselines and output paths. Every case
asserts the exit code, the exact stderr, that stdout is empty, and that no local file and no S3 object was
written or changed (the six output files hold stale bytes from an "earlier run" that must survive)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from devtools.seed import ARTIFACTS_BUCKET, GROUP
from tests.support.reliability import EMPTY_GROUP, TEMPLATE, UNAPPROVED_GROUP, Workspace, s3_state

STAGING, PROD = "staging", "prod"
DELETE = object()
ONE_PROBLEM = "error: 1 problem(s) in the generated parameters; nothing was written\n"
NAME = "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
OPTIONAL_URI = "^(|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+)$"
LONG_BASE = "fraud-detect-" + "x" * 38
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}"
STATS = f"s3://{ARTIFACTS_BUCKET}/model-build/v3/baselines/data-quality/statistics.json"
CONFIG = "{ws}/configs/staging-monitoring-schedule-config.json"
PROD_CONFIG = "{ws}/configs/prod-monitoring-schedule-config.json"
USAGE = ("usage: get_baselines_and_configs.py [-h] [--model-monitor-role ARN]\n"
         "                                    [--sagemaker-project-name NAME]\n"
         "                                    [--sagemaker-project-id ID]\n"
         "                                    [--monitor-outputs-bucket BUCKET]\n"
         "                                    [--stages A,B,...]\n"
         "                                    [--import-config STAGE=PATH]\n"
         "                                    [--export-config STAGE=PATH]\n"
         "                                    [--import-staging-config PATH]\n"
         "                                    [--import-prod-config PATH]\n"
         "                                    [--export-staging-config PATH]\n"
         "                                    [--export-prod-config PATH]\n"
         "                                    [--model-package-group-name NAME]\n"
         "                                    [--model-package-arn ARN]\n"
         "                                    [--baseline-source {registry,endpoint}]\n"
         "                                    [--sagemaker-project-arn ARN]\n"
         "                                    [--template-file PATH]\n"
         "                                    [--model-monitor-image-uri URI]\n"
         "                                    [--clarify-image-uri URI] [--dry-run]\n"
         "                                    [--strict]\n"
         "                                    [--log-level {DEBUG,INFO,WARNING,ERROR}]\n"
         "                                    [--version]\n")


@dataclass
class Case:
    """One malformed input. ``params``/``tags``/``text`` change the staging file (``stage`` to pick prod)."""

    id: str
    error: str  # the exact stderr; {ws} is the workspace directory
    code: int = 2
    params: dict[str, Any] = field(default_factory=dict)  # merged into Parameters (DELETE removes the key)
    tags: dict[str, Any] = field(default_factory=dict)
    text: str | bytes | None = None  # replaces the whole stage file
    document: Any = None  # replaces the whole stage file, as JSON
    stage: str = STAGING
    argv: tuple[str, ...] = ()
    env: dict[str, str | None] = field(default_factory=dict)
    setup: Callable[[Any, Workspace, Any], None] | None = None  # (registry, workspace, monkeypatch)


def _drop_digest(parsed):
    parsed["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"].pop("ContentDigest")


def _put_stats(body: bytes, drop_digest: bool = True):
    def setup(registry, ws, monkeypatch):
        bucket, key = STATS[5:].split("/", 1)
        if body is None:
            registry.s3.delete_object(Bucket=bucket, Key=key)
        else:
            registry.s3.put_object(Bucket=bucket, Key=key, Body=body)
        if drop_digest:
            ws.calls.edits["sagemaker.DescribeModelPackage"] = _drop_digest
    return setup


def _dq_disabled(reason: str) -> str:
    lines = [f"{stage}: data quality monitor disabled: {reason}" for stage in (STAGING, PROD)]
    return f"error: --strict: 2 problem(s), nothing written: {' | '.join(lines)}\n"


def _export_into(path: str, stage: str = STAGING):
    def setup(registry, ws, monkeypatch):
        ws.extra_argv = [f"--export-{stage}-config", path.format(ws=ws.root)]
    return setup


def _not_writable(registry, ws, monkeypatch):
    """What a non-root user sees for a read-only directory (the tests run as root, who may write anywhere)."""
    import pipelines.deploy.options

    real = os.access
    out = str(ws.root / "out")
    monkeypatch.setattr(pipelines.deploy.options.os, "access",
                        lambda path, mode: False if str(path) == out and mode == os.W_OK else real(path, mode))


def _export_over_template(registry, ws, monkeypatch):
    import shutil

    copy = ws.root / "configs" / "template.yml"
    shutil.copyfile(TEMPLATE, copy)
    ws.extra_argv = ["--template-file", str(copy), "--export-prod-config", str(copy)]


def _tags_file_is_a_directory(registry, ws, monkeypatch):
    (ws.root / "out" / "staging-config-export.tags.json").mkdir()


def _config_is_a_directory(registry, ws, monkeypatch):
    ws.config(STAGING).unlink()
    ws.config(STAGING).mkdir()


def _template_with(old: str, new: str, count: int = 1):
    """A copy of the template with one edit, passed as --template-file (the repo's template is never touched)."""
    def setup(registry, ws, monkeypatch):
        text = TEMPLATE.read_text(encoding="utf-8")
        assert text.count(old) >= count, old
        copy = ws.root / "configs" / "template.yml"
        copy.write_text(text.replace(old, new, count), encoding="utf-8")
        ws.extra_argv = ["--template-file", str(copy)]
    return setup


def _aws_config_file(text: str):
    def setup(registry, ws, monkeypatch):
        path = ws.root / "configs" / "aws-config"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))  # \udcff stands for the raw byte 0xff
        monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return setup


def _template_line(fragment: str) -> int:
    return next(i for i, line in enumerate(TEMPLATE.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


DQ_DEFAULT = 'Default: "yes"'
TEMPLATE_COPY = "{ws}/configs/template.yml"
PLAIN = ("must be a plain decimal number (digits, optional '-' and '.'), as CloudFormation and SageMaker read it; "
         "write e.g. 0.5, not 1e3, 1_000, nan, inf or spaces")
PLAIN_INT = ("must be a plain decimal number (digits, optional '-' and '.'), as CloudFormation and SageMaker read it; "
             "write a whole number such as 1000, not 1e3, 1_000, nan, inf or spaces")


CASES = [
    # ---- stage file: syntax and shape
    Case("invalid-json-trailing-comma", text='{"Parameters": {"StageName": "staging",}}',
         error=f"error: staging config {CONFIG} is not valid JSON: Expecting property name enclosed in double "
               "quotes at line 1 column 40\n"),
    Case("empty-file", text="", error=f"error: staging config {CONFIG} is not valid JSON: Expecting value at line 1 "
                                      "column 1\n"),
    Case("yaml-instead-of-json", text="Parameters:\n  StageName: staging\n",
         error=f"error: staging config {CONFIG} is not valid JSON: Expecting value at line 1 column 1\n"),
    Case("not-utf8", text=b'{"Parameters": {"StageName": "\xff"}}',
         error=f"error: cannot read staging config {CONFIG}: not UTF-8 text\n"),
    Case("top-level-list", document=[{"StageName": "staging"}],
         error=f"error: staging config {CONFIG} must be a JSON object {{\"Parameters\": {{...}}, \"Tags\": {{...}}}}, "
               "got a list\n"),
    Case("top-level-string", document="staging",
         error=f"error: staging config {CONFIG} must be a JSON object {{\"Parameters\": {{...}}, \"Tags\": {{...}}}}, "
               "got a string\n"),
    Case("parameters-a-list", document={"Parameters": [["StageName", "staging"]]},
         error=f"error: staging config {CONFIG}: Parameters must be an object of name -> string, got a list\n"),
    Case("tags-a-string", document={"Parameters": {"StageName": "staging"}, "Tags": "team=fraud-ml"},
         error=f"error: staging config {CONFIG}: Tags must be an object of name -> string, got a string\n"),
    Case("config-missing", setup=lambda registry, ws, mp: ws.config(STAGING).unlink(),
         error=f"error: staging config {CONFIG} does not exist; create it (a copy of another stage's file with its "
               "StageName) or pass --import-staging-config PATH\n"),
    Case("config-is-a-directory", setup=_config_is_a_directory,
         error=f"error: cannot read staging config {CONFIG}: Is a directory\n"),
    Case("duplicate-parameter", text='{"Parameters": {"StageName": "staging", "InstanceType": "ml.m5.large", '
                                     '"InstanceType": "ml.m5.xlarge"}}',
         error=f"error: staging config {CONFIG}: key 'InstanceType' appears more than once (JSON keeps only the "
               "last); keep one\n"),
    Case("duplicate-stage-name", text='{"Parameters": {"StageName": "prod", "StageName": "staging"}}',
         error=f"error: staging config {CONFIG}: key 'StageName' appears more than once (JSON keeps only the "
               "last); keep one\n"),
    # ---- stage file: types
    Case("number-instead-of-string", params={"InstanceCount": 1},
         error=f"error: staging config {CONFIG}: Parameters.InstanceCount must be a string, got a number 1; "
               "write it in quotes: \"1\"\n"),
    Case("boolean-instead-of-yes", params={"EnableDataQualityMonitor": True},
         error=f"error: staging config {CONFIG}: Parameters.EnableDataQualityMonitor must be a string, got a "
               "boolean true; write it in quotes: \"true\"\n"),
    Case("null-value", params={"InstanceType": None},
         error=f"error: staging config {CONFIG}: Parameters.InstanceType must be a string, got null null; write it "
               "in quotes: \"null\"\n"),
    Case("object-value", params={"ScheduleExpression": {"cron": "0 * ? * * *"}},
         error=f"error: staging config {CONFIG}: Parameters.ScheduleExpression must be a string, got an object "
               "{\"cron\": \"0 * ? * * *\"}; use a string\n"),
    Case("list-value", params={"SubnetIds": ["subnet-1", "subnet-2"]},
         error=f"error: staging config {CONFIG}: Parameters.SubnetIds must be a string, got a list "
               "[\"subnet-1\", \"subnet-2\"]; use a string\n"),
    Case("tag-value-a-number", tags={"cost-center": 4711},
         error=f"error: staging config {CONFIG}: Tags.cost-center must be a string, got a number 4711; write it in "
               "quotes: \"4711\"\n"),
    # ---- stage file: names
    Case("misspelt-top-level-key", document={"Parameter": {"StageName": "staging"}},
         error=f"error: staging config {CONFIG}: unknown top-level key 'Parameter'; did you mean 'Parameters'?\n"),
    Case("misspelt-parameter", params={"ScheduleExpresion": "cron(0 * ? * * *)"},
         error=f"error: staging config {CONFIG}: unknown parameter 'ScheduleExpresion'; did you mean "
               "'ScheduleExpression'?\n"),
    Case("wrong-case-parameter", params={"instancetype": "ml.m5.large"},
         error=f"error: staging config {CONFIG}: unknown parameter 'instancetype'; did you mean 'InstanceType'?\n"),
    Case("unknown-parameter", params={"Owner": "fraud-ml"},
         error=f"error: staging config {CONFIG}: unknown parameter 'Owner'; see the template's Parameters for "
               "valid names\n"),
    Case("missing-stage-name", params={"StageName": DELETE},
         error=f"error: staging config {CONFIG}: Parameters.StageName is missing; add \"StageName\": \"staging\"\n"),
    Case("stage-name-of-the-other-stage", params={"StageName": "prod"},
         error=f"error: staging config {CONFIG}: Parameters.StageName is 'prod' but this is the staging config; "
               "set it to 'staging' or import the right file\n"),
    Case("prod-file-imported-as-staging", stage=PROD, params={"StageName": "staging"},
         error=f"error: prod config {PROD_CONFIG}: Parameters.StageName is 'staging' but this is the prod config; "
               "set it to 'prod' or import the right file\n"),
    Case("reserved-tag-prefix", tags={"aws:cloudformation:stack-name": "x"},
         error=f"error: staging config {CONFIG}: tag key 'aws:cloudformation:stack-name' uses the reserved 'aws:' "
               "prefix; rename it\n"),
    Case("tag-value-too-long", tags={"owner": "x" * 257},
         error=f"error: staging config {CONFIG}: tag 'owner' value is 257 characters, over 256\n"),
    Case("empty-tag-key", tags={"": "x"},
         error=f"error: staging config {CONFIG}: tag key '' must be 1-128 characters\n"),
    # ---- generated parameters: schedule
    Case("bad-cron-minute", params={"ScheduleExpression": "cron(15 * ? * * *)"},
         error="error: staging: ScheduleExpression 'cron(15 * ? * * *)' is not a Model Monitor schedule; use hourly "
               "cron(0 * ? * * *), daily cron(0 H ? * * *), every N hours cron(0 H/N ? * * *), or NOW\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("rate-expression", params={"ScheduleExpression": "rate(1 hour)"},
         error="error: staging: ScheduleExpression 'rate(1 hour)' does not match the template's AllowedPattern "
               "^(cron\\([^()]+\\)|NOW)$\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("now-without-window", params={"ScheduleExpression": "NOW"},
         error="error: staging: ScheduleExpression NOW needs DataAnalysisStartTime and DataAnalysisEndTime "
               "(e.g. -PT1H and -PT0H)\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("now-window-over-24h", params={"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT25H",
                                        "DataAnalysisEndTime": "-PT0H"},
         error="error: staging: the NOW analysis window -PT25H to -PT0H is 25 hours; SageMaker allows at most 24\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("now-window-reversed", params={"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                                        "DataAnalysisEndTime": "-PT2H"},
         error="error: staging: DataAnalysisStartTime -PT1H must be earlier than DataAnalysisEndTime -PT2H\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("window-with-cron", params={"DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
         error="error: staging: DataAnalysisStartTime / DataAnalysisEndTime apply only with ScheduleExpression NOW; "
               "remove them or set NOW\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    # ---- generated parameters: values
    Case("instance-count-zero", params={"InstanceCount": "0"},
         error="error: staging: InstanceCount is 0, below the minimum 1\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("instance-count-not-a-number", params={"InstanceCount": "two"},
         error="error: staging: InstanceCount must be a number, got 'two'\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("problem-type-not-allowed", stage=PROD, params={"ProblemType": "binary"},
         error="error: prod: ProblemType is 'binary', allowed: BinaryClassification, MulticlassClassification, "
               "Regression\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("enable-flag-not-yes-or-no", params={"EnableDataQualityMonitor": "true"},
         error="error: staging: EnableDataQualityMonitor is 'true', allowed: yes, no\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("subnets-without-security-groups", params={"SubnetIds": "subnet-0123456789abcdef0"},
         error="error: staging: SubnetIds and SecurityGroupIds must be set together (a VPC needs both)\n"
               "error: 1 problem(s) in the generated parameters; nothing was written\n"),
    Case("schedule-name-over-63-characters", params={"MonitoringScheduleBaseName": LONG_BASE},
         error=f"error: staging: MonitoringScheduleBaseName is 51 characters, longer than 41\n"
               f"error: staging: schedule name '{LONG_BASE}-data-quality' is 64 characters, over SageMaker's 63; "
               "shorten MonitoringScheduleBaseName or the project name\n"
               f"error: staging: schedule name '{LONG_BASE}-model-quality' is 65 characters, over SageMaker's 63; "
               "shorten MonitoringScheduleBaseName or the project name\n"
               f"error: staging: schedule name '{LONG_BASE}-model-explainability' is 72 characters, over "
               "SageMaker's 63; shorten MonitoringScheduleBaseName or the project name\n"
               "error: 4 problem(s) in the generated parameters; nothing was written\n"),
    Case("schedule-name-with-underscore", params={"MonitoringScheduleBaseName": "fraud_detect"},
         error=f"error: staging: MonitoringScheduleBaseName 'fraud_detect' does not match the template's "
               f"AllowedPattern {NAME}\n"
               + "".join(f"error: staging: schedule name 'fraud_detect-{suffix}' must match {NAME} (letters, "
                         "digits, hyphens)\n"
                         for suffix in ("data-quality", "model-quality", "model-bias", "model-explainability"))
               + "error: 5 problem(s) in the generated parameters; nothing was written\n"),
    Case("bad-role-arn-in-stage-file", params={"ModelMonitorRoleArn": "fraud-model-monitor"},
         error="error: staging: ModelMonitorRoleArn 'fraud-model-monitor' does not match the template's "
               "AllowedPattern ^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$\n" + ONE_PROBLEM),
    Case("bad-s3-uri-ground-truth", params={"GroundTruthInput": "labels-bucket/fraud"},
         error=f"error: staging: GroundTruthInput 'labels-bucket/fraud' does not match the template's AllowedPattern "
               f"{OPTIONAL_URI}\n" + ONE_PROBLEM),
    Case("bucket-with-invalid-characters-in-uri", params={"DataQualityOutputS3Uri": "s3://Fraud_Outputs/dq"},
         error="error: staging: DataQualityOutputS3Uri 's3://Fraud_Outputs/dq' does not match the template's "
               "AllowedPattern ^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$\n" + ONE_PROBLEM),
    Case("explicit-baseline-not-an-s3-uri", params={"DataQualityBaselineStatistics": "statistics.json"},
         error="error: staging: DataQualityBaselineStatistics 'statistics.json' does not match the template's "
               f"AllowedPattern {OPTIONAL_URI}\n" + ONE_PROBLEM),
    # ---- flags and environment
    Case("bad-role-arn", argv=("--model-monitor-role", "arn:aws:iam::123:role/x"),
         error="error: --model-monitor-role 'arn:aws:iam::123:role/x' is not an IAM role ARN (expected "
               "arn:aws:iam::<12-digit account>:role/<name>)\n"),
    Case("role-missing", env={"MODEL_MONITOR_ROLE_ARN": None},
         error="error: missing --model-monitor-role (or environment variable MODEL_MONITOR_ROLE_ARN)\n"),
    Case("bucket-with-s3-prefix", argv=("--monitor-outputs-bucket", "s3://fraud-outputs"),
         error="error: --monitor-outputs-bucket 's3://fraud-outputs' is not a valid S3 bucket name (3-63 lowercase "
               "letters, digits, '.' and '-'; no s3:// prefix)\n"),
    Case("bucket-with-invalid-characters", argv=("--monitor-outputs-bucket", "Fraud_Outputs"),
         error="error: --monitor-outputs-bucket 'Fraud_Outputs' is not a valid S3 bucket name (3-63 lowercase "
               "letters, digits, '.' and '-'; no s3:// prefix)\n"),
    Case("bucket-with-double-dot", env={"MONITOR_OUTPUTS_BUCKET": "fraud..outputs"},
         error="error: --monitor-outputs-bucket 'fraud..outputs' is not a valid S3 bucket name (3-63 lowercase "
               "letters, digits, '.' and '-'; no s3:// prefix)\n"),
    Case("project-name-with-underscore", argv=("--sagemaker-project-name", "fraud_detect"),
         error="error: --sagemaker-project-name 'fraud_detect' must be 1-32 letters, digits and hyphens (SageMaker "
               "project names allow no underscores or dots)\n"),
    Case("project-name-too-long", env={"SAGEMAKER_PROJECT_NAME": "f" * 33},
         error=f"error: --sagemaker-project-name '{'f' * 33}' must be 1-32 letters, digits and hyphens (SageMaker "
               "project names allow no underscores or dots)\n"),
    Case("project-id-with-underscore", argv=("--sagemaker-project-id", "p_abc"),
         error="error: --sagemaker-project-id 'p_abc' must be 1-20 letters, digits and hyphens\n"),
    Case("empty-model-package-group-flag", argv=("--model-package-group-name", " "),
         error="error: --model-package-group-name is empty; omit it to use <project-name>-<project-id>\n"),
    Case("model-package-group-with-dot", argv=("--model-package-group-name", "fraud.models"),
         error="error: model package group name 'fraud.models' must be 1-63 letters, digits and hyphens\n"),
    Case("unversioned-package-arn", argv=("--model-package-arn", f"{PACKAGE}"),
         error=f"error: --model-package-arn '{PACKAGE}' is not a versioned model package ARN "
               "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)\n"),
    Case("package-arn-with-endpoint-source", argv=("--model-package-arn", f"{PACKAGE}/3",
                                                    "--baseline-source", "endpoint"),
         error="error: --model-package-arn and --baseline-source endpoint contradict each other; pick one\n"),
    Case("bad-project-arn", argv=("--sagemaker-project-arn", "fraud-detect"),
         error="error: --sagemaker-project-arn 'fraud-detect' is not a SageMaker project ARN\n"),
    Case("unknown-baseline-source", argv=("--baseline-source", "latest"),
         error=USAGE + "get_baselines_and_configs.py: error: argument --baseline-source: invalid choice: 'latest' "
                       "(choose from 'registry', 'endpoint')\n"),
    Case("misspelt-flag", argv=("--strcit",),
         error=USAGE + "get_baselines_and_configs.py: error: unrecognized arguments: --strcit\n"),
    Case("two-problems-reported-at-once", argv=("--sagemaker-project-name", "fraud_detect"),
         env={"MONITOR_OUTPUTS_BUCKET": None},
         error="error: missing --monitor-outputs-bucket (or environment variable MONITOR_OUTPUTS_BUCKET); "
               "--sagemaker-project-name 'fraud_detect' must be 1-32 letters, digits and hyphens (SageMaker "
               "project names allow no underscores or dots)\n"),
    Case("unknown-region", env={"AWS_REGION": "mars-north-1"},
         error="error: no Model Monitor or Clarify image known for region 'mars-north-1'; pass "
               "--model-monitor-image-uri and --clarify-image-uri (the image URIs for your region)\n"),
    Case("no-region", env={"AWS_REGION": None, "AWS_DEFAULT_REGION": None}, code=1,
         error="error: no AWS region configured; set AWS_REGION (or AWS_DEFAULT_REGION) or use a profile with one\n"),
    Case("no-credentials", env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
                                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI": None, "AWS_WEB_IDENTITY_TOKEN_FILE": None},
         code=1, error=f"error: no AWS credentials found for sagemaker:ListModelPackages on model package group "
                       f"'{GROUP}'; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"),
    # ---- registry
    Case("empty-model-package-group", argv=("--model-package-group-name", EMPTY_GROUP), code=1,
         error=f"error: model package group '{EMPTY_GROUP}' has no Approved package (0 pending, 0 rejected); "
               "approve a version in the Model Registry or pass --model-package-arn\n"),
    Case("no-approved-package", argv=("--model-package-group-name", UNAPPROVED_GROUP), code=1,
         error=f"error: model package group '{UNAPPROVED_GROUP}' has no Approved package (2 pending, 1 rejected); "
               "approve a version in the Model Registry or pass --model-package-arn\n"),
    Case("model-package-group-does-not-exist", argv=("--model-package-group-name", "fraud-nothing"), code=1,
         error="error: model package group 'fraud-nothing' does not exist; pass --model-package-group-name "
               "(default <project-name>-<project-id>)\n"),
    Case("pinned-version-does-not-exist", argv=("--model-package-arn", f"{PACKAGE}/99"), code=1,
         error=f"error: sagemaker:DescribeModelPackage on model package '{PACKAGE}/99' failed: ValidationException: "
               f"Model package {PACKAGE}/99 not found (IAM action sagemaker:DescribeModelPackage)\n"),
    # ---- baselines (with --strict: a disabled monitor is a failure)
    Case("baseline-missing", argv=("--strict",), setup=_put_stats(None, drop_digest=False),
         error=_dq_disabled(f"{STATS} does not exist")),
    Case("baseline-not-json", argv=("--strict",), setup=_put_stats(b"transaction_amount,42.5\n"),
         error=_dq_disabled(f"ModelDataQuality.Statistics {STATS} is not JSON")),
    Case("baseline-wrong-kind", argv=("--strict",), setup=_put_stats(b'{"binary_classification_constraints": {}}'),
         error=_dq_disabled(f"ModelDataQuality.Statistics {STATS} should be data quality statistics but looks like "
                            "model quality constraints (the registry's ModelQuality.Constraints is "
                            f"{STATS.rsplit('/', 2)[0]}/model-quality/constraints.json); register the right file in "
                            "ModelBuild")),
    Case("baseline-empty", argv=("--strict",), setup=_put_stats(b""),
         error=_dq_disabled(f"ModelDataQuality.Statistics {STATS} is empty")),
    # ---- output paths
    Case("output-in-a-missing-directory", setup=_export_into("{ws}/missing/staging.json"),
         error="error: output directory {ws}/missing does not exist; create it or pass another export path\n"),
    Case("output-directory-not-writable", setup=_not_writable,
         error="error: output path {ws}/out/staging-config-export.json is not writable; fix its permissions or pass "
               "another path\n"),
    Case("output-path-is-a-directory", setup=_export_into("{ws}/configs"),
         error="error: output path {ws}/configs is a directory; pass a file path\n"),
    Case("both-stages-export-to-one-file", setup=_export_into("{ws}/out/prod-config-export.json"),
         error="error: --export-staging-config and --export-prod-config name the same file; give each stage its "
               "own\n"),
    Case("export-over-its-own-stage-file", setup=_export_into(CONFIG),
         error=f"error: --export-staging-config would write {CONFIG} over the --import-staging-config file; pass an "
               "export path that is not an input\n"),
    Case("export-over-the-template", setup=_export_over_template,
         error="error: --export-prod-config would write {ws}/configs/template.yml over the --template-file file; "
               "pass an export path that is not an input\n"),
    Case("export-sibling-is-a-directory", setup=_tags_file_is_a_directory,
         error="error: output path {ws}/out/staging-config-export.tags.json is a directory; pass a file path\n"),
    Case("template-missing", argv=("--template-file", "no-such-template.yml"),
         error="error: cannot read template no-such-template.yml: No such file or directory; pass --template-file or "
               "run from the repository root\n"),
    # ---- issue 11, class 1: AWS set-up (one line, exit 2, before any call)
    Case("unknown-aws-profile", env={"AWS_PROFILE": "fraud-nope"},
         error="error: AWS profile 'fraud-nope' (AWS_PROFILE) is not in the AWS config files; set AWS_PROFILE to a "
               "profile of 'aws configure list-profiles' or unset it\n"),
    Case("malformed-aws-region", env={"AWS_REGION": "us east 1"},
         error="error: AWS region 'us east 1' (AWS_REGION, AWS_DEFAULT_REGION or the profile's region) is not a region "
               "name; use one such as us-east-1\n"),
    Case("aws-region-with-a-slash", env={"AWS_REGION": "us-east-1/"},
         error="error: AWS region 'us-east-1/' (AWS_REGION, AWS_DEFAULT_REGION or the profile's region) is not a "
               "region name; use one such as us-east-1\n"),
    Case("endpoint-url-without-scheme", env={"AWS_ENDPOINT_URL": "localhost:5000"},
         error="error: AWS endpoint URL 'localhost:5000' (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a "
               "URL; use a full URL such as http://127.0.0.1:5000 or unset it\n"),
    Case("unparsable-aws-config-file", setup=_aws_config_file("[default\nregion = us-east-1\n"),
         error="error: cannot parse the AWS config file {ws}/configs/aws-config (AWS_CONFIG_FILE or "
               "AWS_SHARED_CREDENTIALS_FILE); fix its [section] and key = value lines or point the variable at a "
               "valid file\n"),
    Case("aws-config-file-not-utf8", setup=_aws_config_file("[default]\nregion = us-east-1\n# caf\udcff\n"),
         error="error: cannot parse the AWS config file {ws}/configs/aws-config (AWS_CONFIG_FILE or "
               "AWS_SHARED_CREDENTIALS_FILE); fix its [section] and key = value lines or point the variable at a "
               "valid file\n"),
    # ---- issue 11, class 2: the template is YAML, read exactly or refused with a line number
    Case("template-unquoted-yes-default", setup=_template_with(DQ_DEFAULT, "Default: yes"),
         error=f"error: {TEMPLATE_COPY} line {_template_line(DQ_DEFAULT)}: YAML reads the unquoted value yes as "
               "something other than this text; write it in quotes: \"yes\"\n"),
    Case("template-tab-indentation", setup=_template_with("    " + DQ_DEFAULT, "\t" + DQ_DEFAULT),
         error=f"error: {TEMPLATE_COPY} line {_template_line(DQ_DEFAULT)}: a tab character outside quotes; YAML "
               "allows only spaces there, replace it with spaces\n"),
    Case("template-underscore-number", setup=_template_with("    Default: 1800", "    Default: 1_800"),
         error=f"error: {TEMPLATE_COPY} line {_template_line('Default: 1800')}: YAML reads the unquoted value 1_800 "
               "as something other than this text; write it in quotes: \"1_800\"\n"),
    Case("template-not-utf8", setup=lambda registry, ws, mp: (
            (ws.root / "configs" / "template.yml").write_bytes(TEMPLATE.read_bytes().replace(
                b"Type: String", b"Type: Str\xe9ng", 1)),
            setattr(ws, "extra_argv", ["--template-file", str(ws.root / "configs" / "template.yml")])),
         error=f"error: template {TEMPLATE_COPY} is not UTF-8 text (line {_template_line('Type: String')}); save "
               "it as UTF-8\n"),
    # ---- issue 11, class 3: the six output files of a run are six paths
    Case("prod-export-over-staging-tags-file", setup=_export_into("{ws}/out/staging-config-export.tags.json", PROD),
         error="error: prod's template configuration {ws}/out/staging-config-export.tags.json is also staging's tags "
               "file; pass export paths whose three files (<name>.json, <name>.parameter-overrides.json, "
               "<name>.tags.json) do not overlap\n"),
    Case("staging-export-over-prod-overrides", setup=_export_into("{ws}/out/prod-config-export.parameter-overrides.json"),
         error="error: prod's parameter-overrides file {ws}/out/prod-config-export.parameter-overrides.json is also "
               "staging's template configuration; pass export paths whose three files (<name>.json, "
               "<name>.parameter-overrides.json, <name>.tags.json) do not overlap\n"),
    Case("export-without-extension-collides", setup=lambda registry, ws, mp: setattr(ws, "extra_argv", [
            "--export-staging-config", str(ws.root / "out" / "a"),
            "--export-prod-config", str(ws.root / "out" / "a.tags.json")]),
         error="error: prod's template configuration {ws}/out/a.tags.json is also staging's tags file; pass export "
               "paths whose three files (<name>.json, <name>.parameter-overrides.json, <name>.tags.json) do not "
               "overlap\n"),
    # ---- issue 11, class 4: tags as awscli, CloudFormation and SageMaker read them
    Case("tag-key-with-equals-sign", tags={"cost=center": "4711"},
         error=f"error: staging config {CONFIG}: tag key 'cost=center' contains '='; awscli reads "
               "'cost=center=4711' as the key 'cost', rename it\n"),
    Case("tag-with-empty-value", tags={"owner": ""},
         error=f"error: staging config {CONFIG}: tag 'owner' has an empty value; CloudFormation needs 1-256 "
               "characters, give it a value or remove it\n"),
    Case("tag-key-with-hash", tags={"cost#center": "4711"},
         error=f"error: staging config {CONFIG}: tag key 'cost#center' has characters SageMaker refuses (#); use "
               "letters, digits, spaces and _ . : / = + - @\n"),
    Case("tag-value-with-semicolon-and-comma", tags={"team": "fraud;ml,risk"},
         error=f"error: staging config {CONFIG}: tag 'team' value has characters SageMaker refuses (, ;); use "
               "letters, digits, spaces and _ . : / = + - @\n"),
    Case("tag-key-with-ansi-escape", tags={"team\u001b[31m": "fraud"},
         error=f"error: staging config {CONFIG}: tag key 'team\\x1b[31m' has characters SageMaker refuses (\\x1b "
               "[); use letters, digits, spaces and _ . : / = + - @\n"),
    Case("project-tag-with-empty-value", argv=("--sagemaker-project-arn",
                                                "arn:aws:sagemaker:us-east-1:123456789012:project/fraud-detect"),
         setup=lambda registry, ws, mp: mp.setattr(  # moto has no ListTags for projects; SageMaker allows ""
             "pipelines.deploy.run.project_tags", lambda sm, arn: {"owner": ""}),
         error="error: staging: tag 'owner' has an empty value; CloudFormation needs 1-256 characters, give it a "
               "value or remove it\n"
               "error: prod: tag 'owner' has an empty value; CloudFormation needs 1-256 characters, give it a value or "
               "remove it\n"
               "error: 2 problem(s) in the generated parameters; nothing was written\n"),
    Case("fifty-one-tags", tags={f"t{i:02d}": "x" for i in range(51 - 3)},  # the staging file already has 3
         error=f"error: staging config {CONFIG}: 51 tags, over the 50 CloudFormation and SageMaker allow; drop "
               "some\n"),
    # ---- issue 11, class 5: numbers as CloudFormation and the SageMaker API read them
    Case("instance-count-in-exponent-form", params={"InstanceCount": "1e3"},
         error=f"error: staging: InstanceCount '1e3' {PLAIN_INT}\n" + ONE_PROBLEM),
    Case("volume-size-with-underscore", params={"VolumeSizeInGB": "1_0"},
         error=f"error: staging: VolumeSizeInGB '1_0' {PLAIN_INT}\n" + ONE_PROBLEM),
    Case("max-runtime-with-spaces", params={"MaxRuntimeInSeconds": " 1800"},
         error=f"error: staging: MaxRuntimeInSeconds ' 1800' {PLAIN_INT}\n" + ONE_PROBLEM),
    Case("probability-threshold-nan", stage=PROD, params={"ProbabilityThresholdAttribute": "nan"},
         error=f"error: prod: ProbabilityThresholdAttribute 'nan' {PLAIN}\n" + ONE_PROBLEM),
    Case("probability-threshold-infinity", params={"ProbabilityThresholdAttribute": "inf"},
         error=f"error: staging: ProbabilityThresholdAttribute 'inf' {PLAIN}\n" + ONE_PROBLEM),
    Case("instance-count-not-whole", params={"InstanceCount": "1.5"},
         error="error: staging: InstanceCount is 1.5; SageMaker's MonitoringClusterConfig.InstanceCount is an integer, "
               "write a whole number\n" + ONE_PROBLEM),
    Case("missed-run-hours-not-whole", params={"DataQualityMissedRunAlarmHours": "2.5"},
         error="error: staging: DataQualityMissedRunAlarmHours is 2.5; CloudWatch's PutMetricAlarm EvaluationPeriods "
               "is an integer, write a whole number\n" + ONE_PROBLEM),
    Case("max-runtime-with-decimal-zero", params={"MaxRuntimeInSeconds": "1800.0"},
         error="error: staging: MaxRuntimeInSeconds is 1800.0; SageMaker's MonitoringStoppingCondition."
               "MaxRuntimeInSeconds is an integer, write a whole number\n" + ONE_PROBLEM),
    # ---- issue 11, class 7: hostile files
    Case("stage-file-deeply-nested", text='{"Parameters": ' + "[" * 5000 + "]" * 5000 + "}",
         error=f"error: staging config {CONFIG} is not a stage config: JSON nested deeper than 100 levels; expected "
               "{\"Parameters\": {...}, \"Tags\": {...}} of strings\n"),
    Case("stage-value-nested-below-python-limit", params={"SubnetIds": json.loads("[" * 150 + "]" * 150)},
         error=f"error: staging config {CONFIG} is not a stage config: JSON nested deeper than 100 levels; expected "
               "{\"Parameters\": {...}, \"Tags\": {...}} of strings\n"),
    Case("stage-value-with-ansi-escape", params={"InstanceType": "ml.m5.xlarge\u001b[2J"},
         error="error: staging: InstanceType 'ml.m5.xlarge\\x1b[2J' does not match the template's AllowedPattern "
               "^ml\\.[a-z0-9]+\\.[a-z0-9]+$\n" + ONE_PROBLEM),
    Case("baseline-deeply-nested", argv=("--strict",), setup=_put_stats(b"[" * 5000 + b"]" * 5000),
         error=_dq_disabled(f"ModelDataQuality.Statistics {STATS} is not a baseline: JSON nested deeper than 100 "
                            "levels")),
    Case("baseline-not-utf8", argv=("--strict",), setup=_put_stats(b'{"version": 0.0,\n "dataset": "caf\xe9"}'),
         error=_dq_disabled(f"ModelDataQuality.Statistics {STATS} is not UTF-8 text (line 2); save it as UTF-8")),
]


@pytest.mark.slow  # a sweep of full CLI runs, one per case: make test runs it all, CodeBuild's fast gate does not
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_malformed_input_fails_with_its_exact_message_and_changes_nothing(registry, ws, calls, monkeypatch, case):
    ws.calls = calls
    ws.extra_argv = []
    if case.setup:
        case.setup(registry, ws, monkeypatch)
    if case.text is not None:
        ws.write_config(case.stage, case.text)
    elif case.document is not None:
        ws.write_config(case.stage, json.dumps(case.document))
    elif case.params or case.tags:
        document = ws.document(case.stage)
        for section, changes in (("Parameters", case.params), ("Tags", case.tags)):
            for key, value in changes.items():
                if value is DELETE:
                    document[section].pop(key)
                else:
                    document[section][key] = value
        ws.write_config(case.stage, document)
    for key, value in case.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    result = ws.run(*case.argv, *ws.extra_argv)
    assert (result.code, result.out, result.err) == (case.code, "", case.error.replace("{ws}", str(ws.root)))
    assert ws.files() == before_files
    assert s3_state(registry.s3) == before_s3
    assert not [name for name in calls.calls if name.split(".")[1].startswith(("Put", "Delete", "Create"))]


def test_the_corpus_has_at_least_forty_distinct_cases():
    assert len({case.id for case in CASES}) == len(CASES) >= 40
    assert len({case.error for case in CASES}) >= 40


def test_a_stage_file_saved_with_a_utf8_bom_is_read_like_any_other(registry, ws):
    ws.write_config(STAGING, b"\xef\xbb\xbf" + ws.config(STAGING).read_bytes())
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    assert json.loads(ws.export(STAGING).read_text())["Parameters"]["StageName"] == STAGING


def _leave_enable_flags_to_the_template(ws):
    for stage in (STAGING, PROD):
        document = ws.document(stage)
        for name in [n for n in document["Parameters"] if n.startswith("Enable") and n.endswith("Monitor")]:
            document["Parameters"].pop(name)
        ws.write_config(stage, document)


def test_a_quoted_template_default_with_a_trailing_comment_keeps_the_monitor_on(registry, ws):
    """Before issue 11 the comment became part of the value ("yes"  # note -> not "yes"): a monitor silently off."""
    _template_with('Default: "yes"', 'Default: "yes"  # data quality on by default', count=4)(registry, ws, None)
    _leave_enable_flags_to_the_template(ws)
    result = ws.run(*ws.extra_argv)
    assert (result.code, result.err) == (0, "")
    assert "  data quality          enabled" in result.out
    params = json.loads(ws.export(STAGING).read_text())["Parameters"]
    assert [params[f"Enable{m}Monitor"] for m in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")] \
        == ["yes"] * 4


def test_a_monitor_off_by_the_template_default_is_not_blamed_on_the_stage_file(registry, ws):
    _template_with('Default: "yes"', 'Default: "no"')(registry, ws, None)
    _leave_enable_flags_to_the_template(ws)
    result = ws.run(*ws.extra_argv)
    assert result.code == 0, result.err
    assert "  data quality          disabled  EnableDataQualityMonitor is \"no\" in the template's Default\n" in result.out


def _model_quality_recall_threshold(body: bytes):
    """Replace the registry's model quality constraints (and drop their digest, as a hand-edited file has none)."""
    from devtools.seed import ARTIFACTS_BUCKET

    key = "model-build/v3/baselines/model-quality/constraints.json"

    def setup(registry, ws):
        registry.s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=body)
        ws.calls.edits["sagemaker.DescribeModelPackage"] = lambda parsed: parsed["DriftCheckBaselines"][
            "ModelQuality"]["Constraints"].pop("ContentDigest", None)
    return f"s3://{ARTIFACTS_BUCKET}/{key}", setup


def test_a_tiny_registry_threshold_is_written_as_a_plain_decimal(registry, ws, calls):
    ws.calls = calls
    _, setup = _model_quality_recall_threshold(json.dumps({"binary_classification_constraints": {
        "recall": {"threshold": 1e-05, "comparison_operator": "LessThanThreshold"}}}).encode())
    setup(registry, ws)
    result = ws.run()
    assert (result.code, result.err) == (0, "")
    assert json.loads(ws.export(STAGING).read_text())["Parameters"]["ModelQualityMaturedAlarmThreshold"] == "0.00001"


def test_a_non_finite_registry_threshold_is_a_warning_naming_the_registry_file(registry, ws, calls):
    ws.calls = calls
    uri, setup = _model_quality_recall_threshold(b'{"binary_classification_constraints": {"recall": '
                                                 b'{"threshold": NaN, "comparison_operator": "LessThanThreshold"}}}')
    setup(registry, ws)
    result = ws.run()
    # a warning, not a validation failure blamed on the generated parameters; --strict (CodeBuild) fails on it
    why = (f"the recall threshold in {uri} is nan, not a finite number; the model quality alarm is not created (set "
           "ModelQualityMaturedAlarmThreshold and ModelQualityAlarmThreshold in the stage file)")
    assert (result.code, result.err) == (0, f"warning: staging: {why}\nwarning: prod: {why}\n")
    exported = json.loads(ws.export(STAGING).read_text())["Parameters"]
    assert "ModelQualityAlarmThreshold" not in exported and "ModelQualityMaturedAlarmThreshold" not in exported
    before = ws.files()
    strict = ws.run("--strict")
    assert (strict.code, strict.err) == (2, f"error: --strict: 2 problem(s), nothing written: staging: {why} | "
                                            f"prod: {why}\n")
    assert ws.files() == before



# ---------------------------------------------------------------------------------------------------------------------
# The day-2 tools (issue 11): python -m pipelines.ground_truth and python -m pipelines.report, with the same
# guarantees: exit code, exact last stderr line (argparse's usage lines come before it), nothing written locally or
# in S3. The stage parameter files are in the working directory, as CodeBuild leaves them.
from devtools.seed import OUTPUTS_BUCKET  # noqa: E402 - the day-2 section's own constants

GT = "ground_truth"
REPORT = "report"
DEEP = "[" * 5000 + "]" * 5000
STAGE_PARAMS = {
    "StageName": "staging", "EndpointName": "fraud-detect-staging", "MonitoringScheduleBaseName": "fraud-detect-staging",
    "GroundTruthInput": f"s3://{OUTPUTS_BUCKET}/ground-truth/fraud-detect-staging",
    **{f"{m.replace('-', ' ').title().replace(' ', '')}OutputS3Uri": f"s3://{OUTPUTS_BUCKET}/monitor-output/staging/{m}"
       for m in ("data-quality", "model-quality", "model-bias", "model-explainability")},
}
EXPORT = json.dumps({"Parameters": STAGE_PARAMS, "Tags": {}}).encode()
LABELS_CSV = b"inference_id,is_fraud\ntx-1,1\ntx-2,0\n"
DQ_VIOLATIONS = "monitor-output/staging/data-quality/fraud-detect-staging/2026/11/27/10/constraint_violations.json"


@dataclass
class ToolCase:
    """One malformed input to a day-2 tool; ``files`` are written into the working directory first."""

    id: str
    tool: str
    argv: tuple[str, ...]
    error: str  # the exact last line of stderr
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    usage: bool = False  # argparse prints its usage line(s) before the error line
    faults: tuple[str, ...] = ()  # operations answered with AccessDenied (moto has no monitoring schedules)
    out: str = ""  # a line the tool must have printed on stdout (what it read) before failing
    objects: dict[str, bytes] = field(default_factory=dict)  # put in the outputs bucket before the snapshot


def _malformed(line: int) -> str:
    return (f"error: labels.jsonl has 1 invalid row: 1 malformed row (line {line}); fix them, or pass "
            "--skip-invalid to upload the 1 valid rows")


GT_ARGS = ("labels.csv", "--stage", "staging", "--dry-run")
TOOL_CASES = [
    # ---- environment fallbacks are checked exactly like their flags
    ToolCase("gt-log-level-lowercase-env", GT, GT_ARGS, env={"LOG_LEVEL": "debug"}, usage=True,
             error="python -m pipelines.ground_truth: error: environment variable LOG_LEVEL: invalid choice: 'debug' "
                   "(as --log-level; choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')"),
    ToolCase("gt-batch-size-env-not-an-integer", GT, GT_ARGS, env={"LABELS_BATCH_SIZE": "10k"}, usage=True,
             error="python -m pipelines.ground_truth: error: environment variable LABELS_BATCH_SIZE: invalid int "
                   "value: '10k' (as --batch-size)"),
    ToolCase("gt-window-hours-env-decimal", GT, GT_ARGS, env={"COVERAGE_WINDOW_HOURS": "1.5"}, usage=True,
             error="python -m pipelines.ground_truth: error: environment variable COVERAGE_WINDOW_HOURS: invalid int "
                   "value: '1.5' (as --window-hours)"),
    ToolCase("gt-stage-env-unknown", GT, ("labels.csv", "--dry-run"), env={"STAGE": "Prod"}, usage=True,
             error="python -m pipelines.ground_truth: error: environment variable STAGE: stage name 'Prod' must be "
                   "1-20 lowercase letters, digits and single hyphens, e.g. dev (as --stage)"),
    ToolCase("gt-batch-size-env-zero", GT, GT_ARGS, env={"LABELS_BATCH_SIZE": "0"},
             error="error: --batch-size 0 must be at least 1"),
    ToolCase("report-log-level-lowercase-env", REPORT, ("--stage", "staging"), env={"LOG_LEVEL": "info"}, usage=True,
             error="python -m pipelines.report: error: environment variable LOG_LEVEL: invalid choice: 'info' (as "
                   "--log-level; choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')"),
    ToolCase("report-executions-env-not-an-integer", REPORT, ("--stage", "staging"), env={"REPORT_EXECUTIONS": "three"},
             usage=True, error="python -m pipelines.report: error: environment variable REPORT_EXECUTIONS: invalid int "
                               "value: 'three' (as --executions)"),
    ToolCase("report-fail-on-violations-env-not-a-boolean", REPORT, ("--stage", "staging"),
             env={"FAIL_ON_VIOLATIONS": "maybe"}, usage=True,
             error="python -m pipelines.report: error: environment variable FAIL_ON_VIOLATIONS: 'maybe' is not a "
                   "boolean for --fail-on-violations (use 1/true/yes/on or 0/false/no/off)"),
    # ---- the stage and its parameter file
    ToolCase("gt-stage-does-not-match-params-file", GT, ("labels.csv", "--stage", "prod", "--params-file",
                                                          "staging-config-export.json", "--dry-run"),
             error="error: staging-config-export.json is the parameter file of stage 'staging' (its StageName) but "
                   "--stage is prod; pass --params-file of the prod stage or --stage staging"),
    ToolCase("report-stage-does-not-match-params-file", REPORT, ("--stage", "prod", "--params-file",
                                                                 "staging-config-export.json"),
             error="error: staging-config-export.json is the parameter file of stage 'staging' (its StageName) but "
                   "--stage is prod; pass --params-file of the prod stage or --stage staging"),
    ToolCase("gt-before-any-export", GT, GT_ARGS, files={"staging-config-export.json": None,
                                                         "staging-monitoring-schedule-config.json":
                                                             b'{"Parameters": {"StageName": "staging"}}'},
             error="error: GroundTruthInput is not in staging-monitoring-schedule-config.json and "
                   "staging-config-export.json does not exist yet; run get_baselines_and_configs.py first (it writes "
                   "staging-config-export.json), or pass --ground-truth-s3-uri"),
    ToolCase("report-before-any-export", REPORT, ("--stage", "staging"),
             files={"staging-config-export.json": None,
                    "staging-monitoring-schedule-config.json": b'{"Parameters": {"StageName": "staging"}}'},
             error="error: MonitoringScheduleBaseName is not in staging-monitoring-schedule-config.json and "
                   "staging-config-export.json does not exist yet; run get_baselines_and_configs.py first (it writes "
                   "staging-config-export.json), or pass --params-file"),
    # ---- label files
    ToolCase("gt-labels-not-utf8", GT, GT_ARGS, files={"labels.csv": b"inference_id,is_fraud\ntx-1,1\ntx-\xe9,0\n"},
             error="error: labels.csv is not UTF-8 text (line 3); save it as UTF-8"),
    ToolCase("gt-jsonl-id-is-an-object", GT, ("labels.jsonl", "--stage", "staging", "--dry-run"),
             files={"labels.jsonl": b'{"inference_id": "tx-1", "is_fraud": 1}\n'
                                    b'{"inference_id": {"id": "tx-2"}, "is_fraud": 0}\n'},
             error=_malformed(2), out="    malformed row: 1 (line 2: 'inference_id' is a JSON object, not an id)"),
    ToolCase("gt-jsonl-id-is-an-array", GT, ("labels.jsonl", "--stage", "staging", "--dry-run"),
             files={"labels.jsonl": b'{"inference_id": ["tx-2"], "is_fraud": 0}\n'
                                    b'{"inference_id": "tx-1", "is_fraud": 1}\n'},
             error=_malformed(1), out="    malformed row: 1 (line 1: 'inference_id' is a JSON array, not an id)"),
    ToolCase("gt-jsonl-deeply-nested-line", GT, ("labels.jsonl", "--stage", "staging", "--dry-run"),
             files={"labels.jsonl": b'{"inference_id": "tx-1", "is_fraud": 1}\n' + DEEP.encode() + b"\n"},
             error=_malformed(2), out="    malformed row: 1 (line 2: JSON nested deeper than 100 levels)"),
    # ---- parameter files that are hostile
    ToolCase("report-params-file-deeply-nested", REPORT, ("--stage", "staging"),
             files={"staging-config-export.json": ('{"Parameters": ' + DEEP + "}").encode()},
             error="error: staging-config-export.json is not valid JSON (JSON nested deeper than 100 levels); "
                   "regenerate it with get_baselines_and_configs.py"),
    ToolCase("report-params-file-not-utf8", REPORT, ("--stage", "staging"),
             files={"staging-config-export.json": b'{"Parameters": {"StageName": "stag\xe9"}}'},
             error="error: staging-config-export.json is not UTF-8 text (line 1); save it as UTF-8"),
    ToolCase("report-violations-file-deeply-nested", REPORT, ("--stage", "staging"), code=1,
             faults=("sagemaker.DescribeMonitoringSchedule",), objects={DQ_VIOLATIONS: DEEP.encode()},
             error=f"error: could not read the violations of data-quality: s3://{OUTPUTS_BUCKET}/{DQ_VIOLATIONS} is not "
                   "a constraint violations file (JSON nested deeper than 100 levels); check what wrote it"),
    ToolCase("report-violations-file-not-utf8", REPORT, ("--stage", "staging"), code=1,
             faults=("sagemaker.DescribeMonitoringSchedule",), objects={DQ_VIOLATIONS: b'{"violations": ["\xff"]}'},
             error=f"error: could not read the violations of data-quality: s3://{OUTPUTS_BUCKET}/{DQ_VIOLATIONS} is not "
                   "UTF-8 text (line 1); save it as UTF-8"),
    # ---- AWS set-up, in the day-2 tools too
    ToolCase("gt-unknown-aws-profile", GT, ("labels.csv", "--stage", "staging"), env={"AWS_PROFILE": "fraud-nope"},
             error="error: AWS profile 'fraud-nope' (AWS_PROFILE) is not in the AWS config files; set AWS_PROFILE to a "
                   "profile of 'aws configure list-profiles' or unset it"),
    ToolCase("report-malformed-aws-region", REPORT, ("--stage", "staging"), env={"AWS_REGION": "eu_west_1"},
             error="error: AWS region 'eu_west_1' (AWS_REGION, AWS_DEFAULT_REGION or the profile's region) is not a "
                   "region name; use one such as us-east-1"),
    ToolCase("report-endpoint-url-without-scheme", REPORT, ("--stage", "staging"),
             env={"AWS_ENDPOINT_URL": "127.0.0.1:5000"},
             error="error: AWS endpoint URL '127.0.0.1:5000' (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a "
                   "URL; use a full URL such as http://127.0.0.1:5000 or unset it"),
    # ---- the report gate never passes on nothing
    ToolCase("report-gate-read-nothing", REPORT, ("--stage", "staging", "--fail-on-violations"), code=4,
             faults=("sagemaker.DescribeMonitoringSchedule",),
             error="error: --fail-on-violations: could read nothing for stage staging: no schedule status and no "
                   "constraint_violations.json for data-quality, model-quality, model-bias, model-explainability "
                   "(first: DescribeMonitoringSchedule failed: access denied (grant "
                   "sagemaker:DescribeMonitoringSchedule)); check access to SageMaker and the output bucket (exit 4, "
                   "not a pass)"),
]


@pytest.mark.slow  # a sweep of full day-2 tool runs, one per case (as above)
@pytest.mark.parametrize("case", TOOL_CASES, ids=[case.id for case in TOOL_CASES])
def test_a_day2_tool_fails_with_its_exact_message_and_changes_nothing(registry, ws, calls, monkeypatch, case):
    from tests.support.reliability import Fault

    monkeypatch.chdir(ws.root)
    files = {"labels.csv": LABELS_CSV, "staging-config-export.json": EXPORT, **case.files}
    for name, body in files.items():
        if body is not None:
            (ws.root / name).write_bytes(body)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    calls.faults = [Fault(operation, "access-denied") for operation in case.faults]
    for key, body in case.objects.items():
        registry.s3.put_object(Bucket=OUTPUTS_BUCKET, Key=key, Body=body)
    before_files, before_s3 = ws.files(), s3_state(registry.s3)
    result = ws.run_module(case.tool, list(case.argv))
    lines = result.err.splitlines()
    assert (result.code, lines[-1]) == (case.code, case.error), result.err
    assert len(lines) == 1 or (case.usage and lines[0].startswith(f"usage: python -m pipelines.{case.tool}"))
    assert case.out in result.out.splitlines() if case.out else True
    assert ws.files() == before_files
    assert s3_state(registry.s3) == before_s3
    assert not [name for name in calls.calls if name.split(".")[1].startswith(("Put", "Delete", "Create"))]


def test_issue_11_adds_at_least_thirty_cases():
    first = next(i for i, case in enumerate(CASES) if case.id == "unknown-aws-profile")
    new = CASES[first:] + TOOL_CASES
    assert len({case.id for case in new}) == len(new) >= 30


def test_control_characters_from_a_violations_file_are_shown_escaped_in_the_report(registry, ws, calls, monkeypatch):
    """A violations file is written by a container: its text must not drive the terminal or forge report lines."""
    from tests.support.reliability import Fault

    monkeypatch.chdir(ws.root)
    (ws.root / "staging-config-export.json").write_bytes(EXPORT)
    calls.faults = [Fault("sagemaker.DescribeMonitoringSchedule", "access-denied")]
    key = "monitor-output/staging/data-quality/fraud-detect-staging/2026/11/27/10/constraint_violations.json"
    registry.s3.put_object(Bucket=OUTPUTS_BUCKET, Key=key, Body=json.dumps({"violations": [{
        "feature_name": "amount\x1b[2J", "constraint_check_type": "baseline_drift_check",
        "description": "drift 0.4\ntotal: 0 violations\x07"}]}).encode())
    result = ws.run_module(REPORT, ["--stage", "staging", "--fail-on-violations"])
    assert result.code == 3
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert "    amount\\x1b[2J     baseline_drift_check  drift 0.4\\ntotal: 0 violations\\x07" in result.out.splitlines()
    assert [line for line in result.out.splitlines() if line.startswith("total:")] == [
        "total: 1 violation (data-quality 1); verdict DEGRADED"]


# ---- issue 11, class 8: SIGTERM (CodeBuild's "Stop build") unwinds like Ctrl-C --------------------------------------
def _sigterm_on_rename(monkeypatch, nth: int) -> None:
    """Deliver a real SIGTERM to this process during the ``nth`` os.replace of the atomic write."""
    import signal

    from pipelines.core import files as utils

    real = os.replace
    seen = []

    def replace(src, dst):
        seen.append(dst)
        if len(seen) == nth:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler run_guarded installed raises here
        return real(src, dst)

    monkeypatch.setattr(utils.os, "replace", replace)


def test_sigterm_after_derived_files_reached_s3_restores_outputs_and_says_what_was_written(registry, ws, calls,
                                                                                         monkeypatch):
    import signal

    before_handler = signal.getsignal(signal.SIGTERM)
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    _sigterm_on_rename(monkeypatch, nth=3)
    result = ws.run()
    added = sorted(set(s3_state(registry.s3)) - set(before_s3))
    assert added and all("/derived-baselines/" in uri for uri in added)
    assert (result.code, result.out) == (143, "")
    assert result.err == (f"error: terminated (SIGTERM); {len(added)} derived file(s) had reached S3 (content-addressed,"
                          " a rerun reuses them); no local file was written, rerun to write them\n")
    assert ws.files() == before_files  # every output byte-identical, no temp or backup file left
    assert signal.getsignal(signal.SIGTERM) is before_handler  # the CLI put the previous handler back


def test_sigterm_in_a_dry_run_leaves_everything_as_it_was_and_says_nothing_was_written(registry, ws, calls,
                                                                                      monkeypatch):
    before_files, before_s3 = ws.seed_old_outputs(), s3_state(registry.s3)
    _sigterm_on_rename(monkeypatch, nth=2)
    result = ws.run("--dry-run")
    assert (result.code, result.out, result.err) == (143, "", "error: terminated (SIGTERM); nothing was written\n")
    assert ws.files() == before_files
    assert s3_state(registry.s3) == before_s3


@pytest.mark.parametrize(("tool", "argv", "after"), [
    (GT, ["labels.csv", "--stage", "staging"], "rerun the upload (objects are content-addressed, re-uploading is safe)"),
    (REPORT, ["--stage", "staging"], "rerun the report"),
])
def test_sigterm_stops_a_day2_tool_with_one_line_and_exit_143(registry, ws, calls, monkeypatch, tool, argv, after):
    import signal

    from pipelines.core import aws

    monkeypatch.chdir(ws.root)
    (ws.root / "labels.csv").write_bytes(LABELS_CSV)
    (ws.root / "staging-config-export.json").write_bytes(EXPORT)
    def stopped(real):
        def request(client, operation, *args, **kwargs):  # the first AWS call of the run meets CodeBuild's stop
            os.kill(os.getpid(), signal.SIGTERM)
            return real(client, operation, *args, **kwargs)
        return request

    monkeypatch.setattr(aws, "call", stopped(aws.call))
    monkeypatch.setattr(aws, "paginate", stopped(aws.paginate))  # listings are AWS calls too
    before_files, before_s3 = ws.files(), s3_state(registry.s3)
    result = ws.run_module(tool, argv)
    assert (result.code, result.out, result.err) == (143, "", f"error: terminated (SIGTERM); {after}\n")
    assert ws.files() == before_files
    assert s3_state(registry.s3) == before_s3


def test_sigterm_during_an_upload_says_the_derived_files_may_have_reached_s3(registry, ws, calls, monkeypatch):
    """Stopped inside a PutObject: whether that object landed is unknown, so the line does not claim either way."""
    import signal

    from pipelines.deploy.baselines import S3Objects

    real_put = S3Objects.put
    puts = []

    def put(self, uri, body):
        puts.append(uri)
        if len(puts) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real_put(self, uri, body)

    monkeypatch.setattr(S3Objects, "put", put)
    before_files = ws.seed_old_outputs()
    result = ws.run()
    assert (result.code, result.out) == (143, "")
    assert result.err == ("error: terminated (SIGTERM); 2 derived file(s) may have reached S3 (content-addressed, a "
                          "rerun reuses them); no local file was written, rerun to write them\n")
    assert ws.files() == before_files
