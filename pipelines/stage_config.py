"""Load and check one stage's JSON config: {"Parameters": {...}, "Tags": {...}}."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import ConfigError
from pipelines.template_params import ParameterSpec, unknown_name_message

TOP_LEVEL_KEYS = ("Parameters", "Tags")
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256


@dataclass(frozen=True)
class StageConfig:
    """What one stage file sets explicitly (these values win over everything the CLI derives)."""

    stage: str
    path: Path
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def load_stage_config(path: Path, stage: str, specs: dict[str, ParameterSpec]) -> StageConfig:
    """Read and check a stage file; every problem in it is reported at once as one ConfigError.

    Raises:
        ConfigError: unreadable file, invalid JSON, wrong shape or types, unknown or misspelt keys,
            StageName missing or naming another stage.
    """
    where = f"{stage} config {path}"
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (some Windows editors add one) is not an error
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist; pass --import-{stage}-config with the right path") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read {where}: {reason}") from None
    duplicates: set[str] = set()

    def keep_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for key, value in pairs:
            if key in seen:  # json.loads would silently keep the last one
                duplicates.add(key)
            seen[key] = value
        return seen

    try:
        document = json.loads(text, object_pairs_hook=keep_pairs)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{where} must be a JSON object {{\"Parameters\": {{...}}, \"Tags\": {{...}}}}, "
                          f"got {_json_type(document)}")
    problems = [f"key '{key}' appears more than once (JSON keeps only the last); keep one"
                for key in sorted(duplicates)]
    problems += [unknown_name_message(key, TOP_LEVEL_KEYS, "top-level key") for key in sorted(document)
                 if key not in TOP_LEVEL_KEYS]
    parameters = _string_map(document.get("Parameters", {}), "Parameters", problems)
    tags = _string_map(document.get("Tags", {}), "Tags", problems)
    for name in sorted(parameters):
        if name not in specs:
            problems.append(unknown_name_message(name, tuple(specs), "parameter"))
    declared = parameters.get("StageName")
    if "Parameters" in document and isinstance(document["Parameters"], dict):
        if declared is None and "StageName" not in document["Parameters"]:
            problems.append(f"Parameters.StageName is missing; add \"StageName\": \"{stage}\"")
        elif declared is not None and declared != stage:
            problems.append(f"Parameters.StageName is '{declared}' but this is the {stage} config; "
                            f"set it to '{stage}' or import the right file")
    for key, value in sorted(tags.items()):
        if not key or len(key) > TAG_KEY_MAX:
            problems.append(f"tag key '{key}' must be 1-{TAG_KEY_MAX} characters")
        elif key.lower().startswith("aws:"):
            problems.append(f"tag key '{key}' uses the reserved 'aws:' prefix; rename it")
        if len(value) > TAG_VALUE_MAX:
            problems.append(f"tag '{key}' value is {len(value)} characters, over {TAG_VALUE_MAX}")
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return StageConfig(stage=stage, path=path, parameters=parameters, tags=tags)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _string_map(value: object, section: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(f"{section} must be an object of name -> string, got {_json_type(value)}")
        return {}
    result = {}
    for key, item in value.items():
        if isinstance(item, str):
            result[key] = item
        else:
            shown = json.dumps(item)
            fix = f"write it in quotes: \"{shown}\"" if not isinstance(item, (dict, list)) else "use a string"
            problems.append(f"{section}.{key} must be a string, got {_json_type(item)} {shown}; {fix}")
    return result
