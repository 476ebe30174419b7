"""Load and check one stage's JSON config ({"Parameters": {...}, "Tags": {...}}), and find the parameter file of a
stage that the day-2 tools read (the generated export, else the stage config)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.core.errors import ConfigError
from pipelines.core.files import JsonTooDeep, json_loads, printable
from pipelines.core.monitors import STAGES
from pipelines.deploy.template_params import ParameterSpec, unknown_name_message

TOP_LEVEL_KEYS = ("Parameters", "Tags")
# Stack tags are checked against every consumer: awscli's `--tags file://` (v1 and v2 split "Key=Value" at the first
# '=', awscli/customizations/cloudformation/deploy.py parse_key_value_arg), CloudFormation's Tag shape (botocore
# data/cloudformation/2010-05-15/service-2.json: TagKey 1-128, TagValue 1-256, at most 50) and SageMaker's, where
# CloudFormation propagates them (data/sagemaker/2017-07-24/service-2.json: TagKey/TagValue pattern
# ([\p{L}\p{Z}\p{N}_.:/=+\-@]*), TagList at most 50).
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50
TAG_PUNCTUATION = set("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"


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
        flag = f"--import-{stage}-config PATH" if stage in STAGES else f"--import-config {stage}=PATH"
        raise ConfigError(f"{where} does not exist; create it (a copy of another stage's file with its StageName) "
                          f"or pass {flag}") from None
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
        document = json_loads(text, object_pairs_hook=keep_pairs)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except JsonTooDeep as exc:
        raise ConfigError(f"{where} is not a stage config: {exc}; expected {{\"Parameters\": {{...}}, "
                          "\"Tags\": {...}} of strings") from None
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
    problems += tag_problems(tags)
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return StageConfig(stage=stage, path=path, parameters=parameters, tags=tags)


def tag_problems(tags: dict[str, str]) -> list[str]:
    """What CloudFormation, awscli's Key=Value files or SageMaker would refuse (or silently change) in stack tags."""

    problems = []
    if len(tags) > TAGS_MAX:
        problems.append(f"{len(tags)} tags, over the {TAGS_MAX} CloudFormation and SageMaker allow; drop some")
    for raw_key, raw_value in sorted(tags.items()):
        key, value = printable(raw_key), printable(raw_value)
        if not key or len(raw_key) > TAG_KEY_MAX:
            problems.append(f"tag key '{key}' must be 1-{TAG_KEY_MAX} characters")
        elif key.lower().startswith("aws:"):
            problems.append(f"tag key '{key}' uses the reserved 'aws:' prefix; rename it")
        elif "=" in raw_key:
            problems.append(f"tag key '{key}' contains '='; awscli reads '{key}={value}' as the key "
                            f"'{key.split('=', 1)[0]}', rename it")
        elif _refused_characters(raw_key):
            problems.append(f"tag key '{key}' has characters SageMaker refuses ({_refused_characters(raw_key)}); use "
                            f"{TAG_CHARACTERS}")
        if not raw_value:
            problems.append(f"tag '{key}' has an empty value; CloudFormation needs 1-{TAG_VALUE_MAX} characters, "
                            "give it a value or remove it")
        elif len(raw_value) > TAG_VALUE_MAX:
            problems.append(f"tag '{key}' value is {len(raw_value)} characters, over {TAG_VALUE_MAX}")
        elif _refused_characters(raw_value):
            problems.append(f"tag '{key}' value has characters SageMaker refuses ({_refused_characters(raw_value)}); "
                            f"use {TAG_CHARACTERS}")
    return problems


def _refused_characters(text: str) -> str:
    """The characters outside SageMaker's tag pattern (\\p{L}, \\p{Z}, \\p{N} and _.:/=+-@), shown escaped."""
    import unicodedata

    bad = sorted({char for char in text if char not in TAG_PUNCTUATION
                  and unicodedata.category(char)[0] not in ("L", "Z", "N")})

    return " ".join(printable(char) for char in bad)


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
