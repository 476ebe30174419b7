"""RunOptions: the typed result of flags + environment, and its checks (argparse itself lives in the CLI file)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipelines.core.errors import OutputError, UsageError
from pipelines.core.monitors import STAGES, parse_stages, stage_config_file, stage_export_file, stage_problem
from pipelines.core.s3uri import BUCKET_RE

ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
PACKAGE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[\w-]{1,63}/\d+$")
PROJECT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:project/[\w-]{1,32}$")
PROJECT_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
GROUP_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
TEMPLATE_NAME = "model-monitor-template.yml"

# flag -> the environment variable it falls back to (get_baselines_and_configs.py declares them with env_argument)
ENV_FALLBACKS = {
    "model_monitor_role": "MODEL_MONITOR_ROLE_ARN",
    "sagemaker_project_name": "SAGEMAKER_PROJECT_NAME",
    "sagemaker_project_id": "SAGEMAKER_PROJECT_ID",
    "monitor_outputs_bucket": "MONITOR_OUTPUTS_BUCKET",
}


@dataclass(frozen=True)
class RunOptions:
    """Everything one run needs to know, checked."""

    role_arn: str
    project_name: str
    project_id: str
    bucket: str
    group: str
    import_configs: dict[str, Path]
    export_paths: dict[str, Path]
    template_path: Path
    package_arn: str | None = None
    project_arn: str | None = None
    dry_run: bool = False
    strict: bool = False
    model_monitor_image_uri: str | None = None
    clarify_image_uri: str | None = None
    baseline_source: str = "registry"
    stages: tuple[str, ...] = field(default=STAGES)


def default_template() -> str:
    """model-monitor-template.yml in the current folder (a checkout), else the copy installed with the package
    (package data of pipelines.deploy), so the console script works outside a checkout."""
    if Path(TEMPLATE_NAME).exists():
        return TEMPLATE_NAME
    from importlib.resources import files

    packaged = files("pipelines.deploy") / TEMPLATE_NAME
    return str(packaged) if packaged.is_file() else TEMPLATE_NAME


def flag_name(dest: str) -> str:
    """'model_monitor_role' -> '--model-monitor-role'."""
    return "--" + dest.replace("_", "-")


def required_value(values: dict[str, str | None], dest: str) -> str:
    """The flag's value (argparse filled it from its environment variable when the flag was not given), else a
    UsageError naming both."""
    value = values.get(dest) or ""
    if not value.strip():
        raise UsageError(f"missing {flag_name(dest)} (or environment variable {ENV_FALLBACKS[dest]})")
    return value.strip()


def build_options(values: dict) -> RunOptions:
    """Check flag values (and env fallbacks) and return RunOptions; every problem found is reported at once.

    Raises:
        UsageError: a missing or malformed value.
    """
    problems: list[str] = []

    def need(dest: str) -> str:
        try:
            return required_value(values, dest)
        except UsageError as exc:
            problems.append(str(exc))
            return ""

    role, name, project_id, bucket = (need(d) for d in ENV_FALLBACKS)
    if role and not ROLE_ARN_RE.match(role):
        problems.append(f"--model-monitor-role '{role}' is not an IAM role ARN "
                        "(expected arn:aws:iam::<12-digit account>:role/<name>)")
    if name and not PROJECT_NAME_RE.match(name):
        problems.append(f"--sagemaker-project-name '{name}' must be 1-32 letters, digits and hyphens "
                        "(SageMaker project names allow no underscores or dots)")
    if project_id and not re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}$", project_id):
        problems.append(f"--sagemaker-project-id '{project_id}' must be 1-20 letters, digits and hyphens")
    if bucket and (not BUCKET_RE.match(bucket) or ".." in bucket):
        problems.append(f"--monitor-outputs-bucket '{bucket}' is not a valid S3 bucket name "
                        "(3-63 lowercase letters, digits, '.' and '-'; no s3:// prefix)")
    group = (values.get("model_package_group_name") or "").strip() or (
        f"{name}-{project_id}" if name and project_id else "")
    if values.get("model_package_group_name") is not None and not values["model_package_group_name"].strip():
        problems.append("--model-package-group-name is empty; omit it to use <project-name>-<project-id>")
    # only an explicit name: the derived <name>-<id> is valid whenever both parts are (each reported above if not)
    elif values.get("model_package_group_name") and not GROUP_NAME_RE.match(group):
        problems.append(f"model package group name '{group}' must be 1-63 letters, digits and hyphens")
    package_arn = (values.get("model_package_arn") or "").strip() or None
    if package_arn and not PACKAGE_ARN_RE.match(package_arn):
        problems.append(f"--model-package-arn '{package_arn}' is not a versioned model package ARN "
                        "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)")
    project_arn = (values.get("sagemaker_project_arn") or "").strip() or None
    if project_arn and not PROJECT_ARN_RE.match(project_arn):
        problems.append(f"--sagemaker-project-arn '{project_arn}' is not a SageMaker project ARN")
    baseline_source = values.get("baseline_source") or "registry"
    if package_arn and baseline_source == "endpoint":
        problems.append("--model-package-arn and --baseline-source endpoint contradict each other; pick one")
    stages = _stages(values, problems)
    imports = _stage_paths(values, "import", stages, stage_config_file, problems)
    exports = _stage_paths(values, "export", stages, stage_export_file, problems)
    problems += _colliding_outputs(exports)
    template = Path(values.get("template_file") or default_template())
    problems += _outputs_over_inputs(exports, {**{_path_flag("import", stage): imports[stage] for stage in stages},
                                               "--template-file": template})
    if problems:
        raise UsageError("; ".join(problems))
    return RunOptions(
        role_arn=role, project_name=name, project_id=project_id, bucket=bucket, group=group,
        import_configs=imports, export_paths=exports,
        template_path=template,
        package_arn=package_arn, project_arn=project_arn,
        dry_run=bool(values.get("dry_run")), strict=bool(values.get("strict")),
        model_monitor_image_uri=(values.get("model_monitor_image_uri") or "").strip() or None,
        clarify_image_uri=(values.get("clarify_image_uri") or "").strip() or None,
        baseline_source=baseline_source, stages=stages,
    )


def _stages(values: dict, problems: list[str]) -> tuple[str, ...]:
    """--stages (or STAGES), else the default list."""
    text = values.get("stages")
    if text is None:
        return STAGES
    try:
        return parse_stages(text)
    except ValueError as exc:
        problems.append(f"--stages: {exc}")
        return ()


def _stage_paths(values: dict, kind: str, stages: tuple[str, ...], default: Callable[[str], str],
                 problems: list[str]) -> dict[str, Path]:
    """Each stage's import (stage config) or export path: its own flag (--import-staging-config, the flags of the
    default stages), else ``--import-config STAGE=PATH``, else the stage's default file name."""
    given: dict[str, str] = {}
    for item in values.get(f"{kind}_config") or []:
        stage, sep, path = item.partition("=")
        if not sep or not path or (problem := stage_problem(stage)):
            problems.append(f"--{kind}-config '{item}' is not STAGE=PATH" + (f" ({problem})" if sep and path else ""))
        elif stage in given:
            problems.append(f"--{kind}-config names stage {stage} twice")
        else:
            given[stage] = path
    for stage in STAGES:  # the per-stage flags of the default stages keep working
        value = values.get(f"{kind}_{stage}_config")
        if value is not None:
            if stage in given:
                problems.append(f"--{kind}-{stage}-config and --{kind}-config {stage}=... both name the {stage} path; "
                                "pass one")
            given[stage] = value
    for stage in sorted(set(given) - set(stages)):
        problems.append(f"--{kind} path given for stage {stage}, which --stages ({','.join(stages)}) does not "
                        f"select; add it to --stages or drop the path")
    return {stage: Path(given.get(stage) or default(stage)) for stage in stages}


_OUTPUT_KINDS = {"template_config": "template configuration", "parameter_overrides": "parameter-overrides file",
                 "tags": "tags file"}


def _colliding_outputs(exports: dict[str, Path]) -> list[str]:
    """The six files of a run must be six paths: one stage's file written over another's is lost, exit 0."""
    from pipelines.deploy.outputs import stage_outputs

    by_path: dict[Path, list[str]] = {}
    for stage, path in exports.items():
        by_path.setdefault(path.resolve(), []).append(stage)
    same = [stages for stages in by_path.values() if len(stages) > 1]
    if same:
        return [f"{' and '.join(_path_flag('export', stage) for stage in stages)} name the same file; give each "
                "stage its own" for stages in same]
    seen: dict[Path, str] = {}
    problems = []
    for stage in exports:
        for kind, output in vars(stage_outputs(exports[stage])).items():
            what = f"{stage}'s {_OUTPUT_KINDS[kind]} {output}"
            if output.resolve() in seen:
                problems.append(f"{what} is also {seen[output.resolve()]}; pass export paths whose three files "
                                "(<name>.json, <name>.parameter-overrides.json, <name>.tags.json) do not overlap")
            seen.setdefault(output.resolve(), f"{stage}'s {_OUTPUT_KINDS[kind]}")
    return problems


def _path_flag(kind: str, stage: str) -> str:
    """The flag that sets a stage's path: --export-prod-config for a default stage, else --export-config dev=..."""
    return f"--{kind}-{stage}-config" if stage in STAGES else f"--{kind}-config {stage}=..."


def _outputs_over_inputs(exports: dict[str, Path], inputs: dict[str, Path]) -> list[str]:
    """An output file that is also an input would be overwritten by the run (a stage file or the template lost)."""
    from pipelines.deploy.outputs import stage_outputs

    resolved = {path.resolve(): flag for flag, path in inputs.items()}
    problems = []
    for stage in exports:
        for output in vars(stage_outputs(exports[stage])).values():
            if output.resolve() in resolved:
                flag = resolved[output.resolve()]
                problems.append(f"{_path_flag('export', stage)} would write {output} over the {flag} file; "
                                "pass an export path that is not an input")
    return problems


def check_output_paths(paths: list[Path]) -> None:
    """Fail before any AWS call when an output cannot be written (missing directory, not writable, a directory)."""
    for path in paths:
        parent = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise OutputError(f"output path {path} is a directory; pass a file path")
        if not parent.is_dir():
            raise OutputError(f"output directory {parent} does not exist; create it or pass another export path")
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise OutputError(f"output path {path} is not writable; fix its permissions or pass another path")
