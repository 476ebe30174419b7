"""Model Monitor and Clarify image URIs per region, from a vendored copy of the SageMaker SDK's own data.

The run path never imports the SageMaker SDK (importing it takes ~4.5 s): it reads
`pipelines/image_uri_data.json`, which `--regenerate` writes from the installed sagemaker-core package
(`sagemaker/core/image_uri_config/{model-monitor,clarify}.json`) and botocore's endpoint data (the ECR hostname,
which is how the SDK builds the URI: `{registry}.dkr.{ecr hostname}/{repository}[:{tag}]`).

Regenerate with the SDK venv's python:

    .venv-sdk/bin/python -m pipelines.image_uris --regenerate [--output PATH]
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import UsageError

DATA_PATH = Path(__file__).with_name("image_uri_data.json")

# image key in the data -> (name in messages, CLI flag that overrides it)
MODEL_MONITOR = "model-monitor"
CLARIFY = "clarify"
_IMAGES: dict[str, tuple[str, str]] = {
    MODEL_MONITOR: ("Model Monitor", "--model-monitor-image-uri"),
    CLARIFY: ("Clarify", "--clarify-image-uri"),
}
# The SDK's framework name and image scope for each image (sagemaker.core.image_uris.retrieve arguments).
_SDK_CONFIG_SCOPE: dict[str, str] = {MODEL_MONITOR: "monitoring", CLARIFY: "processing"}
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
        names = " or ".join(_IMAGES[image][0] for image in missing)
        flags = " and ".join(_IMAGES[image][1] for image in missing)
        what = "the image URIs for your region" if len(missing) > 1 else "the image URI for your region"
        raise UsageError(f"no {names} image known for region '{region}'; pass {flags} ({what})")
    return ImageUris(model_monitor=model_monitor, clarify=clarify)


def known_regions() -> list[str]:
    """Every region for which at least one of the two images is known, sorted."""
    return known_regions_of(_data())


# --- regeneration (run with the SDK venv's python; never on the run path) -----------------------------------------


def _sdk_image_config(raw: dict[str, Any], image: str) -> dict[str, Any]:
    """Registries, repository and tag of one SDK config file, resolved the way `image_uris.retrieve` does."""
    scope = _SDK_CONFIG_SCOPE[image]
    config = raw if "scope" in raw else raw[scope]
    if "scope" in raw and raw["scope"] != [scope]:
        raise SystemExit(f"{image}.json: unexpected scopes {raw['scope']}; update pipelines/image_uris.py")
    versions = config["versions"]
    if len(versions) != 1 or config.get("version_aliases") or config.get("processors"):
        raise SystemExit(f"{image}.json: more than one version or processor; update pipelines/image_uris.py")
    (version, version_config), = versions.items()
    unexpected = set(version_config) - {"registries", "repository", "tag_prefix"}
    if unexpected:
        raise SystemExit(f"{image}.json: unexpected keys {sorted(unexpected)}; update pipelines/image_uris.py")
    return {
        "registries": dict(version_config["registries"]),
        "repository": version_config["repository"],
        "tag": version_config.get("tag_prefix", version),
    }


def build_data() -> dict[str, Any]:
    """The vendored data, from the installed sagemaker-core package and botocore (the SDK venv)."""
    import importlib.metadata

    import botocore  # the SDK resolves the ECR hostname with botocore's endpoint data; so do we, once, here
    import botocore.loaders
    import botocore.regions

    dist = importlib.metadata.distribution("sagemaker-core")
    images: dict[str, dict[str, Any]] = {}
    for image in _IMAGES:
        path = Path(str(dist.locate_file(f"sagemaker/core/image_uri_config/{image}.json")))
        images[image] = _sdk_image_config(json.loads(path.read_text(encoding="utf-8")), image)

    resolver = botocore.regions.EndpointResolver(botocore.loaders.create_loader().load_data("endpoints"))
    template = "ecr.{region}.{dns_suffix}"
    partitions: dict[str, dict[str, str]] = {}
    region_partitions: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for region in sorted(set().union(*(config["registries"] for config in images.values()))):
        endpoint = resolver.construct_endpoint("ecr", region)
        if not endpoint and region == "il-central-1":  # the SDK's own fallback for this region
            endpoint = {"hostname": f"ecr.{region}.amazonaws.com", "partition": "aws", "dnsSuffix": "amazonaws.com"}
        if not endpoint:  # the SDK fails for this region too: leave it out so we ask for the override flag
            for config in images.values():
                config["registries"].pop(region, None)
            continue
        partitions[endpoint["partition"]] = {"dns_suffix": endpoint["dnsSuffix"]}
        region_partitions[region] = endpoint["partition"]
        if endpoint["hostname"] != template.format(region=region, dns_suffix=endpoint["dnsSuffix"]):
            overrides[region] = endpoint["hostname"]
    return {
        "source": f"sagemaker-core {dist.version}",
        "hostname_source": f"botocore {botocore.__version__} endpoint data (service ecr)",
        "hostname_template": template,
        "hostname_overrides": overrides,
        "partitions": partitions,
        "region_partitions": region_partitions,
        "images": images,
    }


def render(data: dict[str, Any]) -> str:
    """The vendored file's exact text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`--regenerate [--output PATH]`: rewrite the vendored data from the installed SDK."""
    import argparse  # only the regeneration entry needs it; keep the run path's import light

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.image_uris",
        description="Rewrite pipelines/image_uri_data.json from the installed sagemaker-core (run with "
        ".venv-sdk/bin/python).",
    )
    parser.add_argument("--regenerate", action="store_true", required=True, help="rewrite the vendored data")
    parser.add_argument("--output", type=Path, default=DATA_PATH, help=f"where to write (default: {DATA_PATH})")
    args = parser.parse_args(argv)
    try:
        data = build_data()
    except ImportError as exc:  # also importlib.metadata.PackageNotFoundError
        print(f"error: {exc}; run with the SDK venv: .venv-sdk/bin/python -m pipelines.image_uris --regenerate",
              file=sys.stderr)
        return 2
    args.output.write_text(render(data), encoding="utf-8")
    print(f"wrote {args.output} ({data['source']}, {len(known_regions_of(data))} regions)")
    return 0


def known_regions_of(data: dict[str, Any]) -> list[str]:
    """Every region for which the given data knows at least one image, sorted."""
    return sorted(set().union(*(config["registries"] for config in data["images"].values())))


if __name__ == "__main__":
    sys.exit(main())
