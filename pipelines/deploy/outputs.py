"""Write the per-stage parameter files (all formats, all stages, atomically)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.core.errors import OutputError
from pipelines.core.files import atomic_write_many, canonical_json


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
