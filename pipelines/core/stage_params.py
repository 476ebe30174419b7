"""The parameter file of a stage that the day-2 tools read (python -m pipelines.report, python -m
pipelines.ground_truth, python -m pipelines.analyze): the generated export, else the stage config."""

from __future__ import annotations

import logging
from pathlib import Path

from pipelines.core.errors import ConfigError, UsageError
from pipelines.core.files import NotUtf8, printable, read_json_file


def load_stage_params(stage: str | None, params_file: str | None) -> tuple[dict[str, str], str]:
    """(Parameters, file name) from the generated template configuration of a stage.

    Without --params-file: ``<stage>-config-export.json`` (written by get_baselines_and_configs.py), else the stage
    config ``<stage>-monitoring-schedule-config.json``. Both are ``{"Parameters": {...}}``.
    """
    if params_file:
        candidates = [Path(params_file)]
    elif stage:
        candidates = [Path(f"{stage}-config-export.json"), Path(f"{stage}-monitoring-schedule-config.json")]
    else:
        raise UsageError("no stage given; pass --stage STAGE (e.g. prod) or --params-file")
    path = next((p for p in candidates if p.exists()), None)
    if path is None:
        names = " or ".join(str(p) for p in candidates)
        raise ConfigError(f"no parameter file for stage {stage or '?'}: {names} does not exist; run "
                          "get_baselines_and_configs.py first or pass --params-file")
    try:
        data = read_json_file(path)
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory; pass the exported <stage>-config-export.json file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check the file's permissions") from exc
    except NotUtf8 as exc:
        raise ConfigError(str(exc)) from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); regenerate it with get_baselines_and_configs.py") from exc
    params = data.get("Parameters") if isinstance(data, dict) else None
    if not isinstance(params, dict):
        raise ConfigError(f"{path} has no \"Parameters\" object; expected {{\"Parameters\": {{...}}}}")
    declared = params.get("StageName")
    if stage and declared is not None and declared != stage:
        raise ConfigError(f"{path} is the parameter file of stage '{printable(str(declared))}' (its StageName) but "
                          f"--stage is {stage}; pass --params-file of the {stage} stage or --stage {declared}")
    if path != candidates[0]:
        logging.getLogger("pipelines.report").info("%s not found; using %s", candidates[0], path)
    return {str(k): str(v) for k, v in params.items()}, str(path)


def missing_parameter(name: str, source: str, fix: str) -> ConfigError:
    """``name`` is absent from the parameter file: before any export exists, say to generate it first."""
    if source.endswith("-monitoring-schedule-config.json"):  # the stage config: the CLI fills the rest on export
        export = source.replace("-monitoring-schedule-config.json", "-config-export.json")
        return ConfigError(f"{name} is not in {source} and {export} does not exist yet; run "
                           f"get_baselines_and_configs.py first (it writes {export}), or {fix}")
    return ConfigError(f"{name} is not set in {source}; regenerate it with get_baselines_and_configs.py, or {fix}")
