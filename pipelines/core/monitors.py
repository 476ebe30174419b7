"""The four monitors as data: what each needs and which template parameters it fills.

Adding a check or a parameter touches one row here, not four functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# DriftCheckBaselines path -> the kind of document it holds (baselines.py checks the top-level shape).
SOURCE_KINDS: dict[str, str] = {
    "ModelDataQuality.Statistics": "statistics",
    "ModelDataQuality.Constraints": "constraints",
    "ModelQuality.Statistics": "model-quality-statistics",
    "ModelQuality.Constraints": "model-quality-constraints",
    "Bias.ConfigFile": "bias-config",
    "Bias.PreTrainingConstraints": "bias-constraints",
    "Bias.PostTrainingConstraints": "bias-constraints",
    "Explainability.Constraints": "explainability-constraints",
    "Explainability.ConfigFile": "explainability-config",
}


@dataclass(frozen=True)
class BaselineParam:
    """A template parameter filled from registry baselines: taken as is, or derived (see derived.py)."""

    param: str
    sources: tuple[str, ...]  # DriftCheckBaselines paths, all required
    derive: str = ""  # "" = the single source's S3 URI as is; else the name of a deriver in derived.py


@dataclass(frozen=True)
class Monitor:
    """One Model Monitor type and everything that differs between the four."""

    key: str  # data-quality: schedule name suffix and output prefix
    title: str
    enable_param: str
    output_param: str
    baselines: tuple[BaselineParam, ...]
    optional_sources: tuple[str, ...] = ()  # read and shown when present, never required
    needs_ground_truth: bool = False
    needs_model_name: bool = False


DATA_QUALITY = Monitor(
    key="data-quality",
    title="data quality",
    enable_param="EnableDataQualityMonitor",
    output_param="DataQualityOutputS3Uri",
    baselines=(
        BaselineParam("DataQualityBaselineStatistics", ("ModelDataQuality.Statistics",)),
        BaselineParam("DataQualityBaselineConstraints", ("ModelDataQuality.Constraints",)),
    ),
)
MODEL_QUALITY = Monitor(
    key="model-quality",
    title="model quality",
    enable_param="EnableModelQualityMonitor",
    output_param="ModelQualityOutputS3Uri",
    baselines=(BaselineParam("ModelQualityBaselineConstraints", ("ModelQuality.Constraints",)),),
    optional_sources=("ModelQuality.Statistics",),
    needs_ground_truth=True,
)
MODEL_BIAS = Monitor(
    key="model-bias",
    title="model bias",
    enable_param="EnableModelBiasMonitor",
    output_param="ModelBiasOutputS3Uri",
    baselines=(
        BaselineParam("ModelBiasConfigUri", ("Bias.ConfigFile",)),
        # the bias monitor takes ONE constraints file: pre- and post-training constraints merged
        BaselineParam("ModelBiasBaselineConstraints", ("Bias.PreTrainingConstraints", "Bias.PostTrainingConstraints"),
                      derive="merged-bias-constraints"),
    ),
    needs_ground_truth=True,
)
MODEL_EXPLAINABILITY = Monitor(
    key="model-explainability",
    title="model explainability",
    enable_param="EnableModelExplainabilityMonitor",
    output_param="ModelExplainabilityOutputS3Uri",
    baselines=(
        BaselineParam("ModelExplainabilityBaselineConstraints", ("Explainability.Constraints",)),
        # the Clarify config must name the deployed model in its predictor section: adjusted copy per stage
        BaselineParam("ModelExplainabilityConfigUri", ("Explainability.ConfigFile",), derive="explainability-config"),
    ),
    needs_model_name=True,
)

MONITORS: tuple[Monitor, ...] = (DATA_QUALITY, MODEL_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY)

# ---- stages as data ---------------------------------------------------------------------------------------------
# A stage is its name in this list (or in --stages / STAGES) plus one <stage>-monitoring-schedule-config.json; the
# endpoint is <project>-<stage> (ModelDeploy's convention). Nothing else in the code names a stage.
STAGES: tuple[str, ...] = ("staging", "prod")
# The template's StageName AllowedPattern: lowercase letters, digits and single hyphens, at most 20 characters, so
# that "<project (<= 32)>-<stage>" stays a valid endpoint name (63).
STAGE_RE = re.compile(r"^[a-z0-9](-?[a-z0-9]){0,19}$")
STAGE_RULE = "1-20 lowercase letters, digits and single hyphens, e.g. dev"


def stage_config_file(stage: str) -> str:
    """The stage file a stage is defined by."""
    return f"{stage}-monitoring-schedule-config.json"


def stage_export_file(stage: str) -> str:
    """The template configuration get_baselines_and_configs.py writes for a stage."""
    return f"{stage}-config-export.json"


def stage_problem(stage: str) -> str | None:
    """Why ``stage`` cannot be a stage name, or None."""
    return None if STAGE_RE.match(stage) else f"stage name '{stage}' must be {STAGE_RULE}"


def stage(text: str) -> str:
    """argparse ``type`` of --stage: any stage name (a stage is its config file, not a fixed list)."""
    import argparse

    if problem := stage_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def parse_stages(text: str) -> tuple[str, ...]:
    """``"staging,prod,dev"`` -> ("staging", "prod", "dev"); raises ValueError naming the first problem."""
    stages = tuple(part.strip() for part in text.split(","))
    for stage in stages:
        if problem := stage_problem(stage):
            raise ValueError(problem if stage else f"--stages '{text}' has an empty stage name")
    duplicated = sorted({stage for stage in stages if stages.count(stage) > 1})
    if duplicated:
        raise ValueError(f"--stages '{text}' names {', '.join(duplicated)} twice")
    return stages
SCHEDULE_SUFFIXES: tuple[str, ...] = tuple(f"-{m.key}" for m in MONITORS)


def schedule_name(base: str, monitor: Monitor) -> str:
    """The monitoring schedule name the template derives from MonitoringScheduleBaseName."""
    return f"{base}-{monitor.key}"

