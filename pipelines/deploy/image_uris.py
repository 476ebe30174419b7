"""Model Monitor and Clarify image URIs per region, from a vendored copy of the SageMaker SDK's own data.

The run path never imports the SageMaker SDK (importing it takes ~4.5 s): it reads
`pipelines/deploy/image_uri_data.json`, which `--regenerate` writes from the installed sagemaker-core package
(`sagemaker/core/image_uri_config/{model-monitor,clarify}.json`) and botocore's endpoint data (the ECR hostname,
which is how the SDK builds the URI: `{registry}.dkr.{ecr hostname}/{repository}[:{tag}]`).

Regenerate with the SDK venv's python (pipelines/deploy/regenerate_image_uris.py, never on the run path):

    .venv-sdk/bin/python -m pipelines.deploy.regenerate_image_uris [--output PATH]
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.errors import UsageError

DATA_PATH = Path(__file__).with_name("image_uri_data.json")

# image key in the data -> (name in messages, CLI flag that overrides it)
MODEL_MONITOR = "model-monitor"
CLARIFY = "clarify"
IMAGES: dict[str, tuple[str, str]] = {
    MODEL_MONITOR: ("Model Monitor", "--model-monitor-image-uri"),
    CLARIFY: ("Clarify", "--clarify-image-uri"),
}
_URI_TEMPLATE = "{registry}.dkr.{hostname}/{repository}"


@dataclass(frozen=True)
class ImageUris:
    """The two container images the monitors run."""

    model_monitor: str
    clarify: str


@functools.cache
def _data() -> dict[str, Any]:
    """The vendored image data, read once."""
    with DATA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def _hostname(region: str) -> str:
    """The ECR hostname the SDK uses for a region the data knows."""
    data = _data()
    override = data["hostname_overrides"].get(region)
    if override:
        return override
    dns_suffix = data["partitions"][data["region_partitions"][region]]["dns_suffix"]
    return data["hostname_template"].format(region=region, dns_suffix=dns_suffix)


def _uri(image: str, region: str) -> str | None:
    """One image's URI in a region, or None when the data has no registry for that region."""
    config = _data()["images"][image]
    registry = config["registries"].get(region)
    if registry is None:
        return None
    repository = config["repository"] + (f":{config['tag']}" if config["tag"] else "")
    return _URI_TEMPLATE.format(registry=registry, hostname=_hostname(region), repository=repository)


def resolve_image_uris(
    region: str, *, model_monitor_override: str | None = None, clarify_override: str | None = None
) -> ImageUris:
    """The Model Monitor and Clarify image URIs for a region; an override wins over the vendored data."""
    model_monitor = model_monitor_override or _uri(MODEL_MONITOR, region)
    clarify = clarify_override or _uri(CLARIFY, region)
    missing = [image for image, uri in ((MODEL_MONITOR, model_monitor), (CLARIFY, clarify)) if uri is None]
    if model_monitor is None or clarify is None:
        names = " or ".join(IMAGES[image][0] for image in missing)
        flags = " and ".join(IMAGES[image][1] for image in missing)
        what = "the image URIs for your region" if len(missing) > 1 else "the image URI for your region"
        import difflib  # only on this failure path
        import re

        # a well-formed name (us-east-1, us-gov-west-1, me-central-1) is a region we do not know; anything else is
        # more likely a typo of one we do
        well_formed = re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]+", region)
        hint = [] if well_formed else difflib.get_close_matches(region, known_regions(), n=1, cutoff=0.85)
        typo = f" (did you mean '{hint[0]}'? check AWS_REGION)" if hint else ""
        raise UsageError(f"no {names} image known for region '{region}'{typo}; pass {flags} ({what})")
    return ImageUris(model_monitor=model_monitor, clarify=clarify)


def known_regions() -> list[str]:
    """Every region for which at least one of the two images is known, sorted."""
    return known_regions_of(_data())


def known_regions_of(data: dict[str, Any]) -> list[str]:
    """Every region for which the given data knows at least one image, sorted."""
    return sorted(set().union(*(config["registries"] for config in data["images"].values())))
