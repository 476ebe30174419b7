"""Rewrite pipelines/deploy/image_uri_data.json from the installed SageMaker SDK (sagemaker-core) and botocore.

Run with the SDK venv's python; never imported on the run path (pipelines/deploy/image_uris.py reads the result):

    .venv-sdk/bin/python -m pipelines.deploy.regenerate_image_uris [--output PATH]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pipelines.deploy.image_uris import CLARIFY, DATA_PATH, IMAGES, MODEL_MONITOR, known_regions_of

# The SDK's framework name and image scope for each image (sagemaker.core.image_uris.retrieve arguments).
_SDK_CONFIG_SCOPE: dict[str, str] = {MODEL_MONITOR: "monitoring", CLARIFY: "processing"}

def _sdk_image_config(raw: dict[str, Any], image: str) -> dict[str, Any]:
    """Registries, repository and tag of one SDK config file, resolved the way `image_uris.retrieve` does."""
    scope = _SDK_CONFIG_SCOPE[image]
    config = raw if "scope" in raw else raw[scope]
    if "scope" in raw and raw["scope"] != [scope]:
        raise SystemExit(f"{image}.json: unexpected scopes {raw['scope']}; update pipelines/deploy/regenerate_image_uris.py")
    versions = config["versions"]
    if len(versions) != 1 or config.get("version_aliases") or config.get("processors"):
        raise SystemExit(f"{image}.json: more than one version or processor; update pipelines/deploy/regenerate_image_uris.py")
    (version, version_config), = versions.items()
    unexpected = set(version_config) - {"registries", "repository", "tag_prefix"}
    if unexpected:
        raise SystemExit(f"{image}.json: unexpected keys {sorted(unexpected)}; update pipelines/deploy/regenerate_image_uris.py")
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
    for image in IMAGES:
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
    """`[--output PATH]`: rewrite the vendored data from the installed SDK."""
    import argparse  # only the regeneration entry needs it; keep the run path's import light

    parser = argparse.ArgumentParser(
        prog="python -m pipelines.deploy.regenerate_image_uris",
        description="Rewrite pipelines/deploy/image_uri_data.json from the installed sagemaker-core (run with "
        ".venv-sdk/bin/python).",
    )
    parser.add_argument("--output", type=Path, default=DATA_PATH, help=f"where to write (default: {DATA_PATH})")
    args = parser.parse_args(argv)
    try:
        data = build_data()
    except ImportError as exc:  # also importlib.metadata.PackageNotFoundError
        print(f"error: {exc}; run with the SDK venv: .venv-sdk/bin/python -m pipelines.deploy.regenerate_image_uris",
              file=sys.stderr)
        return 2
    args.output.write_text(render(data), encoding="utf-8")
    print(f"wrote {args.output} ({data['source']}, {len(known_regions_of(data))} regions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
