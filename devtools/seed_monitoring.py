"""Seed monitoring outputs as hourly Model Monitor executions would have written them (report tests, `make try`).

_source: the files are made by the real producer we have: our analyzer (pipelines/analyze), which reproduces a real
baselining job's statistics.json exactly (docs/analyzer.md), run on captures drawn by ``fraud_rows`` (the generator
the registry's data quality baseline was profiled from) against that baseline (tests/fixtures/sdk). The layout is
Model Monitor's: ``<XOutputS3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh/{statistics.json,constraint_violations.json}``
(AWS docs model-monitor-interpreting-results). From hour ``drift_from`` on, transaction_amount is shifted (drift)
and the model misses more fraud (recall falls). Bias and explainability have no producer here: their newest hour
gets the fixture violations of tests/fixtures/violations (see its README), the earlier hours none.

Needs numpy (the analyzer extra).
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from devtools.seed_captures import fraud_rows, traffic, write_captures

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures"
SDK = FIXTURES / "sdk"
VIOLATIONS = FIXTURES / "violations"
THRESHOLD = 0.5


def _key(output_uri: str, endpoint: str, schedule: str, hour: datetime, name: str) -> tuple[str, str]:
    bucket, _, prefix = output_uri.removeprefix("s3://").partition("/")
    return bucket, f"{prefix.strip('/')}/{endpoint}/{schedule}/{hour:%Y/%m/%d/%H}/{name}".lstrip("/")


def _put(s3: Any, output_uri: str, endpoint: str, schedule: str, hour: datetime, name: str, body: bytes) -> str:
    bucket, key = _key(output_uri, endpoint, schedule, hour, name)
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def data_quality_outputs(hour: datetime, rows: int, shift: float, seed: int) -> dict[str, Any]:
    """statistics.json + constraint_violations.json of one hourly data quality execution (our analyzer)."""
    from pipelines.analyze import commands
    from pipelines.analyze.capture import Window
    from pipelines.analyze.sources import Reader

    data = traffic(rows, seed=seed)
    with tempfile.TemporaryDirectory() as work:
        write_captures(Path(work), data, hour, seconds_apart=3000 / rows, rows=fraud_rows(rows, seed=seed,
                                                                                          amount_shift=shift))
        outcome = commands.data_quality(Reader(), work, Window(hour, hour + timedelta(hours=1)),
                                        str(SDK / "data_quality_statistics.json"),
                                        str(SDK / "data_quality_constraints.json"))
    return outcome.files


def _scored(rows: int, miss: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, scores): calibrated traffic, then ``miss`` of the frauds scored at 0.4x (a degraded model)."""
    rng = np.random.default_rng(seed)
    data = traffic(rows, seed=seed, high_risk=0.012)
    scores = data.scores.copy()
    missed = (data.labels == 1) & (rng.random(rows) < miss)
    scores[missed] = scores[missed] * 0.4
    return data.labels, scores


def model_quality_outputs(rows: int, miss: float, seed: int) -> dict[str, Any]:
    """statistics.json + constraint_violations.json of one model quality execution (our analyzer's metrics)."""
    from pipelines.analyze import metrics

    labels, scores = _scored(rows, miss, seed)
    statistics = metrics.binary_statistics(labels, scores, THRESHOLD)
    constraints = json.loads((SDK / "model_quality_constraints.json").read_text())
    violations = metrics.evaluate_constraints(statistics["binary_classification_metrics"], constraints)
    return {"statistics.json": statistics, "constraint_violations.json": {"violations": violations}}


def estimate_outputs(rows: int, miss: float, seed: int, hour: datetime) -> dict[str, Any]:
    """The estimate schedule's statistics.json for the hour's captures (no labels: calibration vs the baseline)."""
    from pipelines.analyze import estimate

    _, scores = _scored(rows, miss, seed)
    baseline = json.loads((SDK / "model_quality_statistics.json").read_text())
    statistics = estimate.estimate_statistics(scores, THRESHOLD, estimate.calibration_from_baseline(scores, baseline))
    statistics["estimate"]["window"] = {"start": f"{hour:%Y-%m-%dT%H:%M:%SZ}",
                                        "end": f"{hour + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"}
    return {"statistics.json": statistics}


def seed_monitoring(s3: Any, params: dict[str, str], *, end: datetime, hours: int = 12, drift_from: int = 8,
                    rows: int = 2000) -> list[str]:
    """``hours`` hourly executions ending at the hour of ``end``; returns the URIs written."""
    endpoint, base = params["EndpointName"], params["MonitoringScheduleBaseName"]
    last = end.replace(minute=0, second=0, microsecond=0)
    written = []
    for index in range(hours):
        hour = last - timedelta(hours=hours - 1 - index)
        drifting = index >= drift_from
        if params.get("DataQualityOutputS3Uri"):
            files = data_quality_outputs(hour, rows, 40.0 if drifting else 0.0, seed=100 + index)
            for name, document in files.items():
                written.append(_put(s3, params["DataQualityOutputS3Uri"], endpoint, f"{base}-data-quality", hour,
                                    name, json.dumps(document, sort_keys=True).encode()))
        if params.get("ModelQualityOutputS3Uri"):
            files = model_quality_outputs(rows * 5, 0.5 if drifting else 0.0, seed=200 + index)
            for name, document in files.items():
                written.append(_put(s3, params["ModelQualityOutputS3Uri"], endpoint, f"{base}-model-quality", hour,
                                    name, json.dumps(document, sort_keys=True).encode()))
        if params.get("AnalyzerEstimateOutputS3Uri"):
            files = estimate_outputs(rows * 5, 0.5 if drifting else 0.0, seed=200 + index, hour=hour)
            written.append(_put(s3, params["AnalyzerEstimateOutputS3Uri"], endpoint, f"{base}-estimate", hour,
                                "statistics.json", json.dumps(files["statistics.json"], sort_keys=True).encode()))
        for monitor, param in (("model-bias", "ModelBiasOutputS3Uri"),
                               ("model-explainability", "ModelExplainabilityOutputS3Uri")):
            if params.get(param):
                source = VIOLATIONS / (f"{monitor}.json" if index == hours - 1 else "none.json")
                written.append(_put(s3, params[param], endpoint, f"{base}-{monitor}", hour,
                                    "constraint_violations.json", source.read_bytes()))
    return written
