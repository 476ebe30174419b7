"""Partial statistics: what one shard of a window writes (``data-quality --partial``) and how shards merge
(``merge-statistics``) into the statistics.json and violations one pass over the whole window would write.

Why: data quality can run as a SageMaker Processing job with ``InstanceCount`` N and the capture prefix distributed
``ShardedByS3Key`` (each instance gets a share of the capture files; AWS docs, ProcessingS3Input
S3DataDistributionType). Each instance profiles its files and writes one partial statistics file; one merge step
reads them all and writes Model Monitor's files, so the report, the alarms and the watchdog see one execution.

Everything in a partial file merges without loss:
- counts (records, rows, row widths, missing values, values per Deequ type, categories) add up;
- ``min`` / ``max`` merge by min / max;
- sums are exact (pipelines/analyze/exact.py), so the merged ``sum`` and ``mean`` are exactly the single-pass ones;
- ``std_dev`` merges by Chan et al.'s pairwise update of (count, mean, M2) (equal to the single pass up to
  floating-point rounding, ~1e-15 relative);
- the KLL sketch merges as Deequ merges two sketches (QuantileNonSample.merge, awslabs/deequ
  src/main/scala/com/amazon/deequ/analyzers/QuantileNonSample.scala; pipelines/analyze/kll.py ``KLL.merge``): the
  full compactor state is kept (items, compression counts, offsets), as Deequ's KLLSketchSerializer keeps it
  between Spark partitions. A merged sketch is not item-for-item the single-pass sketch (compaction depends on the
  order items arrive); its ranks carry the sketch's error bound, so quantiles, buckets and drift distances agree
  with the single pass within that error.

Shards are merged in the order of their first capture file (hour, then path), whatever order the files are given
in, so the merged result does not depend on the command line or on S3 listing order.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from typing import Any

from pipelines.analyze import exact
from pipelines.analyze.capture import Problems, Window
from pipelines.analyze.kll import KLL
from pipelines.analyze.stats import FeatureProfile, Profile
from pipelines.core.errors import UsageError

FORMAT = "fraud-monitor/partial-statistics"  # the document's "kind"; VERSION changes when the fields do
VERSION = 1
FILE_PREFIX = "partial_statistics"  # partial_statistics.json (CLI), partial_statistics-<host>.json (container)
_NAME_RE = re.compile(r"^partial_statistics(-[A-Za-z0-9._-]+)?\.json$")


def is_partial_name(name: str) -> bool:
    """Whether a file name is one a shard writes."""
    return bool(_NAME_RE.match(name))


def _is_host_file(path: str) -> bool:
    """``<host>/statistics.json``: where the container writes a shard's file (the processing engine's merge step
    names ``/opt/ml/processing/input/shards/algo-<n>/statistics.json``, docs/processing-engine.md)."""
    folder, name = os.path.split(path)
    return name == "statistics.json" and bool(re.match(r"^algo-[0-9]+$", os.path.basename(folder)))


def file_name(host: str | None = None) -> str:
    """``partial_statistics.json``, or ``partial_statistics-<host>.json`` when several instances write to one prefix
    (Processing uploads every instance's output folder to the same S3 prefix: names must differ per instance)."""
    return f"{FILE_PREFIX}-{host}.json" if host else f"{FILE_PREFIX}.json"


def _number(value: float) -> float | str:
    """Strict JSON: non-finite floats as strings."""
    return value if math.isfinite(value) else repr(value)


def _float(value: Any) -> float:
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _problems_json(problems: Problems) -> dict[str, Any]:
    return {"seen": problems.seen, "reasons": [{"reason": reason, "count": count, "example": problems.examples[reason]}
                                               for reason, count in sorted(problems.counts.items())]}


def _problems_from(document: Any) -> Problems:
    problems = Problems()
    for item in document["reasons"]:
        problems.add(str(item["reason"]), str(item["example"]), int(item["count"]))
    problems.seen = int(document["seen"])
    return problems


def to_document(window_profile: Any, window: Window, shard: dict[str, Any]) -> dict[str, Any]:
    """A shard's partial statistics (``window_profile`` is commands.WindowProfile)."""
    profile = window_profile.profile
    features = []
    for feature in profile.features:
        feature.flush()
        entry: dict[str, Any] = {
            "name": feature.name, "baseline_type": feature.baseline_type, "missing": feature.missing,
            "types": dict(sorted(feature.types.items())), "count": feature.count,
            "sum_exact": exact.to_text(feature.exact), "sum_special": _number(feature.special),
            "running_mean": _number(feature.mean), "m2": _number(feature.m2),
            "min": _number(feature.low) if feature.count else None,
            "max": _number(feature.high) if feature.count else None,
            "categories": dict(sorted(feature.categories.items()))}
        if feature.numeric:
            entry["sketch"] = feature.sketch.state()
        features.append(entry)
    return {"kind": FORMAT, "version": VERSION, "shard": shard, "output_columns_position": profile.position,
            "window": {"start": _iso(window.start), "end": _iso(window.end)},
            "records": window_profile.records, "items": profile.items,
            "column_counts": {str(width): count for width, count in sorted(profile.column_counts.items())},
            "unreadable": _problems_json(window_profile.unreadable),
            "unprofiled": _problems_json(window_profile.unprofiled),
            "skipped": [[location, reason] for location, reason in window_profile.skipped], "features": features}


def _iso(when: Any) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


class Partial:
    """One shard's partial statistics, read back."""

    def __init__(self, document: dict[str, Any], location: str) -> None:
        from pipelines.analyze.commands import WindowProfile

        self.location = location
        self.baseline = document.get("baseline") or {}
        self.shard = document.get("shard") or {}
        self.window = document.get("window") or {}
        features = [(item["name"], item["baseline_type"]) for item in document["features"]]
        self.position = document["output_columns_position"]
        if self.position not in ("START", "END"):
            raise ValueError(f"output_columns_position {self.position!r} is not START or END")
        profile = Profile(features, self.position)
        profile.items = int(document["items"])
        profile.column_counts = Counter({int(width): int(count) for width, count in
                                         document["column_counts"].items()})
        for feature, item in zip(profile.features, document["features"], strict=True):
            _load_feature(feature, item)
        self.window_profile = WindowProfile(profile, int(document["records"]), _problems_from(document["unreadable"]),
                                            _problems_from(document["unprofiled"]),
                                            [(str(location), str(reason)) for location, reason in document["skipped"]])

    @property
    def order(self) -> tuple[str, str]:
        return str(self.shard.get("first_capture") or ""), self.location


def _load_feature(feature: FeatureProfile, item: dict[str, Any]) -> None:
    feature.missing = int(item["missing"])
    feature.types = Counter({str(kind): int(count) for kind, count in item["types"].items()})
    feature.count = int(item["count"])
    feature.exact = exact.from_text(str(item["sum_exact"]))
    feature.special = _float(item["sum_special"])
    feature.mean, feature.m2 = _float(item["running_mean"]), _float(item["m2"])
    feature.moment_count = feature.count
    if feature.count:
        feature.low, feature.high = _float(item["min"]), _float(item["max"])
    feature.categories = Counter({str(value): int(count) for value, count in item["categories"].items()})
    if feature.numeric:
        feature.sketch = KLL.from_state(item["sketch"])


def read_document(reader: Any, location: str, noun: str, kind: str, version: int, command: str, build: Any) -> Any:
    """A shard's file (``noun``: "partial statistics", "partial model quality") checked for its ``kind`` and
    ``version``, then ``build(document)``; UsageError naming the file when it is not one or is malformed."""
    document = reader.read_json(location, noun)
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise UsageError(f"{noun} {location} is not a {noun} file (no \"kind\": \"{kind}\"); pass the files "
                         f"`{command}` wrote")
    if document.get("version") != version:
        raise UsageError(f"{noun} {location} has version {document.get('version')!r}; this analyzer reads version "
                         f"{version}: run the shards and the merge with the same analyzer")
    try:
        return build(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{noun} {location} is malformed ({type(exc).__name__}: {exc}); rerun the shard") from None


def read_partial(reader: Any, location: str) -> Partial:
    """A partial statistics file; UsageError naming the file when it is not one or is malformed."""
    return read_document(reader, location, "partial statistics", FORMAT, VERSION, "data-quality --partial",
                         lambda document: Partial(document, location))


def merge(partials: list[Partial]) -> Any:
    """The shards' window profiles merged into one (commands.WindowProfile), in the order of their first capture."""
    ordered = sorted(partials, key=lambda item: item.order)
    first = ordered[0]
    names = [(f.name, f.baseline_type) for f in first.window_profile.profile.features]
    for other in ordered[1:]:
        theirs = [(f.name, f.baseline_type) for f in other.window_profile.profile.features]
        if theirs != names:
            raise UsageError(f"partial statistics {other.location} has other features than {first.location} "
                             f"({_diff(names, theirs)}); every shard must profile against the same baseline")
        if other.position != first.position:
            raise UsageError(f"partial statistics {other.location} has the output columns at {other.position}, "
                             f"{first.location} at {first.position}; run every shard with the same "
                             "output_columns_position")
        if other.window != first.window:
            raise UsageError(f"partial statistics {other.location} covers window {_window(other.window)}, "
                             f"{first.location} covers {_window(first.window)}; merge shards of one window")
    merged = first.window_profile  # the first shard's sketches keep their compactor state, as Deequ's merge does
    for partial in ordered[1:]:
        _merge_into(merged, partial.window_profile)
    return merged


def _diff(ours: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> str:
    for index, (mine, other) in enumerate(zip(ours, theirs, strict=False)):
        if mine != other:
            return f"feature {index + 1} is {other[0]} ({other[1]}) instead of {mine[0]} ({mine[1]})"
    return f"{len(theirs)} features instead of {len(ours)}"


def _window(window: dict[str, Any]) -> str:
    return f"[{window.get('start') or 'open'}, {window.get('end') or 'open'})"


def _merge_into(target: Any, source: Any) -> None:
    target.records += source.records
    target.unreadable.merge(source.unreadable)
    target.unprofiled.merge(source.unprofiled)
    target.unreadable.seen += source.unreadable.seen
    target.unprofiled.seen += source.unprofiled.seen
    target.skipped += source.skipped
    profile, other = target.profile, source.profile
    profile.items += other.items
    profile.column_counts.update(other.column_counts)
    for mine, theirs in zip(profile.features, other.features, strict=True):
        mine.missing += theirs.missing
        mine.types.update(theirs.types)
        mine.categories.update(theirs.categories)
        mine.flush()
        theirs.flush()
        if theirs.count:
            total = mine.count + theirs.count
            delta = theirs.mean - mine.mean  # Chan et al.: M2 of the union from both parts' (count, mean, M2)
            mine.m2 += theirs.m2 + delta * delta * mine.count * theirs.count / total
            mine.mean += delta * theirs.count / total
            mine.count = mine.moment_count = total
            mine.low, mine.high = min(mine.low, theirs.low), max(mine.high, theirs.high)
        mine.exact += theirs.exact
        mine.special += theirs.special
        if mine.numeric:
            mine.sketch.merge(theirs.sketch)


def carried_baseline(partials: list[Partial]) -> tuple[Any, Any]:
    """The baseline statistics and constraints the shards carry (data-quality --partial puts them in the file);
    UsageError when a shard carries none or another one than the first."""
    first = partials[0]
    for item in partials:
        if not isinstance(item.baseline.get("statistics"), dict) or not isinstance(item.baseline.get("constraints"),
                                                                                   dict):
            raise UsageError(f"partial statistics {item.location} carries no baseline constraints (the shard ran "
                             "without them); pass --statistics and --constraints to merge-statistics")
        if item.baseline != first.baseline:
            raise UsageError(f"partial statistics {item.location} carries another baseline than {first.location}; "
                             "every shard must run against the same baseline")
    return first.baseline["statistics"], first.baseline["constraints"]


def find_documents(reader: Any, locations: list[str], noun: str, pattern: str, is_shard_file: Any) -> list[str]:
    """Files as given; a folder or ``s3://`` prefix stands for every shard file under it (``is_shard_file(path)``;
    ``pattern`` names them in the error). UsageError for a location without any, or a file given twice."""
    found: list[str] = []
    for location in locations:
        if location.startswith("s3://") and not location.endswith(".json"):
            matches = [key for key in reader.list_objects(location) if is_shard_file(key)]
        elif os.path.isdir(location):
            matches = sorted(path for path in (os.path.join(folder, name) for folder, _, names in os.walk(location)
                                               for name in names) if is_shard_file(path))
        else:
            matches = [location]
        if not matches:
            raise UsageError(f"no {pattern} under {location}; pass the shards' output folder or their files")
        found.extend(matches)
    duplicates = sorted({item for item in found if found.count(item) > 1})
    if duplicates:
        raise UsageError(f"{noun} {duplicates[0]} is given twice; each shard counts once")
    return found


def partial_locations(reader: Any, locations: list[str]) -> list[str]:
    """Files as given; a folder or ``s3://`` prefix stands for every ``partial_statistics*.json`` under it."""
    return find_documents(reader, locations, "partial statistics", "partial_statistics*.json",
                          lambda path: is_partial_name(path.rsplit("/", 1)[-1]) or _is_host_file(path))
