"""Write the per-stage parameter files (all formats, all stages, atomically) and render the printed plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import OutputError
from pipelines.schedules import cost_lines
from utils import atomic_write_many, canonical_json


@dataclass(frozen=True)
class StageOutputs:
    """The three files of one stage."""

    template_config: Path  # CodePipeline template configuration: {"Parameters": {...}, "Tags": {...}}
    parameter_overrides: Path  # JSON list of "Key=Value" for aws cloudformation deploy (awscli v1 and v2)
    tags: Path  # JSON list of "Key=Value" for --tags


def stage_outputs(export_path: Path) -> StageOutputs:
    """Where a stage's three files go: the export path and two siblings named after it."""
    stem = export_path.name[: -len(export_path.suffix)] if export_path.suffix else export_path.name
    return StageOutputs(
        template_config=export_path,
        parameter_overrides=export_path.with_name(f"{stem}.parameter-overrides.json"),
        tags=export_path.with_name(f"{stem}.tags.json"),
    )


def key_value_list(values: dict[str, str]) -> list[str]:
    """["Key=Value", ...] sorted by key: the form both awscli v1 and v2 accept from file://."""
    return [f"{key}={values[key]}" for key in sorted(values)]


def render_files(outputs: StageOutputs, parameters: dict[str, str], tags: dict[str, str]) -> dict[Path, bytes]:
    """The bytes of a stage's three files (deterministic: sorted keys, stable formatting)."""
    return {
        outputs.template_config: canonical_json({"Parameters": dict(sorted(parameters.items())),
                                                  "Tags": dict(sorted(tags.items()))}),
        outputs.parameter_overrides: canonical_json(key_value_list(parameters)),
        outputs.tags: canonical_json(key_value_list(tags)),
    }


def write_all(files: dict[Path, bytes]) -> list[Path]:
    """Write every file or none; files whose bytes are unchanged are left untouched. Returns those written."""
    changed = {path: data for path, data in files.items() if not (path.is_file() and path.read_bytes() == data)}
    try:
        atomic_write_many(changed)
    except OSError as exc:
        raise OutputError(f"cannot write {exc.filename or 'the output files'}: {exc.strerror}; "
                          "check the export paths (nothing was written)") from exc
    return sorted(changed)


def deploy_command(stage: str, project_name: str, outputs: StageOutputs,
                   template: str = "model-monitor-template.yml", bucket: str = "") -> str:
    """The exact aws cloudformation deploy command for a stage's generated files.

    The template is over the 51,200 bytes `deploy` sends inline, so awscli must upload it to S3 first (--s3-bucket).
    """
    upload = f" --s3-bucket {bucket} --s3-prefix cloudformation/{project_name}-{stage}" if bucket else ""
    return (f"aws cloudformation deploy --template-file {template} "
            f"--stack-name {project_name}-{stage}-model-monitor{upload} "
            f"--parameter-overrides file://{outputs.parameter_overrides} --tags file://{outputs.tags}")


def render_plan(result: "RunResult", project_name: str, bucket: str = "") -> str:  # noqa: F821 - RunResult in run.py
    """The human-readable plan: package, per stage and per monitor on/off and why, derived files, outputs."""
    lines: list[str] = []
    seen_packages: set[str] = set()
    for plan in result.plans:
        package = plan.package
        if package.arn not in seen_packages:
            seen_packages.add(package.arn)
            created = package.created.isoformat() if package.created else "unknown"
            lines += [f"Model package: {package.arn}",
                      f"  group {package.group}, version {package.version}, created {created}, "
                      f"{package.approval_status}"]
    for plan in result.plans:
        params = plan.parameters
        endpoint = plan.endpoint
        model = endpoint.model_name if endpoint and endpoint.model_name else "unknown"
        lines += ["", f"Stage {plan.stage}: endpoint {params['EndpointName']} (model {model}), "
                      f"baselines from version {plan.package.version}"]
        for status in plan.monitors:
            state = "enabled " if status.enabled else "disabled"
            lines.append(f"  {status.monitor.title:<21} {state}  {'' if status.enabled else status.reason}".rstrip())
            for param, uri in status.baselines.items():
                lines.append(f"      {param}: {uri}")
            for path, uri in status.shown.items():
                lines.append(f"      ({path}, not a parameter): {uri}")
        lines += cost_lines(params, result.specs, [s.monitor for s in plan.monitors if s.enabled])
        if plan.derived:
            verb = "would write" if result.dry_run else "writes"
            lines.append(f"  derived files ({verb} if absent):")
            lines += [f"      {file.uri}" for file in plan.derived]
        for note in plan.notes:
            lines.append(f"  note: {note.split(': ', 1)[1] if ': ' in note else note}")
        out = result.outputs[plan.stage]
        lines.append("  outputs: " + ", ".join(str(p) for p in (out.template_config, out.parameter_overrides, out.tags)))
    lines.append("")
    if result.dry_run:
        lines.append("Dry run: nothing written to AWS; the local parameter files were written for inspection.")
    else:
        lines.append(f"Uploaded {len(result.uploaded)} derived file(s); the others already existed.")
    unchanged = sum(len(vars(o)) for o in result.outputs.values()) - len(result.written)
    lines.append(f"Wrote {len(result.written)} local file(s), {unchanged} unchanged.")
    lines.append("Deploy with:")
    lines += [f"  {deploy_command(plan.stage, project_name, result.outputs[plan.stage], bucket=bucket)}"
              for plan in result.plans]
    # last, one line per stage: a dropped monitor is the one thing a reader of the build log must not miss
    lines += [plan.summary() for plan in result.plans]
    return "\n".join(lines) + "\n"
