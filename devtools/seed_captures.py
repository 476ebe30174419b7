"""Seed Data Capture files and ground truth as SageMaker writes them (demo, benchmark, analyzer tests).

_source: the record layout is AWS's (docs page model-monitor-data-capture-endpoint: ``captureData.endpointInput /
endpointOutput {observedContentType, mode, data, encoding}``, ``eventMetadata {eventId, inferenceId?,
inferenceTime}``, ``eventVersion "0"``; files under ``<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-ms-uuid>.jsonl``),
and the ground truth layout is AWS's too (model-monitor-model-quality-merge: ``groundTruthData {data, encoding}``,
``eventMetadata.eventId``, hour folders of collection time). The baseline statistics are built with our KLL sketch,
which follows Deequ's compaction rules (pipelines/analyze/kll.py): Model Monitor's own baselining job cannot run
here, so the sketch is ours and the schema is AWS's.

The fraud model is synthetic but calibrated by construction: each record's label is drawn as Bernoulli(score).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

FEATURE_NAMES = ["transaction_amount", "merchant_category", "card_present", "customer_age_band", "hour_of_day",
                 "txn_count_24h"]


# The fraud features as the endpoint receives them: (name, Deequ/Model Monitor type). The registry's data quality
# baseline (tests/fixtures/sdk/generate_data_quality.py) and the demo's captures are both drawn by fraud_rows, so a
# window without drift matches the baseline and a shifted amount is the only difference.
FRAUD_FEATURES = [("transaction_amount", "Fractional"), ("merchant_category", "String"), ("card_present", "Integral"),
                  ("customer_age_band", "Integral"), ("hour_of_day", "Integral"), ("txn_count_24h", "Integral")]
# The registry's data quality baseline: the label first (AWS's layout; Model Monitor puts the endpoint's output there)
BASELINE_COLUMNS = [("is_fraud", "Integral"), *FRAUD_FEATURES]
MERCHANT_CATEGORIES = {"grocery": 0.42, "online": 0.30, "travel": 0.18, "fuel": 0.10}
AGE_BANDS = [0.12, 0.24, 0.22, 0.18, 0.14, 0.10]  # bands 1..6
HOURS = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 6, 6, 6, 6, 7, 7, 6, 5, 4, 3, 2], dtype=float)  # daily profile


def fraud_rows(n: int, *, seed: int, amount_shift: float = 0.0) -> list[str]:
    """``n`` CSV rows of FRAUD_FEATURES: amount lognormal (median ~37, two decimals, plus ``amount_shift``),
    merchant category a word, the rest integers (card present 0/1, age band 1-6, hour 0-23, transactions in the last
    24 hours Poisson(2.4)), each written as its Deequ type reads (``12.50`` Fractional, ``3`` Integral)."""
    rng = np.random.default_rng(seed)
    amount = np.round(rng.lognormal(3.6, 0.8, n) + amount_shift, 2)
    category = rng.choice(list(MERCHANT_CATEGORIES), n, p=list(MERCHANT_CATEGORIES.values()))
    integers = np.column_stack([(rng.random(n) < 0.62).astype(int), rng.choice(6, n, p=AGE_BANDS) + 1,
                                rng.choice(24, n, p=HOURS / HOURS.sum()), rng.poisson(2.4, n)])
    return [f"{a:.2f},{c},{i[0]},{i[1]},{i[2]},{i[3]}" for a, c, i in zip(amount, category, integers.tolist(),
                                                                         strict=True)]


def feature_names(count: int) -> list[str]:
    """The seed's six fraud features, then f6, f7, ... up to ``count``."""
    return (FEATURE_NAMES + [f"f{i}" for i in range(len(FEATURE_NAMES), count)])[:count]


@dataclass
class Traffic:
    """Synthetic scored traffic: features (rows), calibrated fraud scores and the labels drawn from them."""

    features: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def traffic(n: int, n_features: int = 6, *, seed: int = 0, drift: dict[int, float] | None = None,
            fraud_rate: float = 0.01, miscalibrate: float = 1.0, high_risk: float = 0.0) -> Traffic:
    """``n`` records; features are N(50, 10) (column i shifted by ``drift[i]`` standard deviations); scores are a
    calibrated logistic function of noise, or with ``high_risk`` > 0 a mixture (that share of records scored
    Beta(9, 2), the rest Beta(0.5, 300): a model that catches most fraud at 0.5); labels are drawn as
    Bernoulli(score), so the scores are calibrated by construction. ``miscalibrate`` != 1 raises the scores to that
    power after the labels were drawn (so the scores no longer mean what they say)."""
    rng = np.random.default_rng(seed)
    features = np.round(rng.normal(50.0, 10.0, size=(n, n_features)), 2)
    for column, shift in (drift or {}).items():
        features[:, column] += shift * 10.0
    if high_risk > 0:
        risky = rng.random(n) < high_risk
        scores = np.where(risky, rng.beta(9.0, 2.0, n), rng.beta(0.5, 300.0, n))
    else:
        logit = np.log(fraud_rate / (1 - fraud_rate)) + 2.5 * rng.normal(size=n) - 3.125
        scores = 1 / (1 + np.exp(-logit))
    labels = (rng.random(n) < scores).astype(np.int64)
    return Traffic(features, np.clip(scores ** miscalibrate, 0.0, 1.0), labels)


def capture_line(row_csv: str, score: float | str | None, event_id: str, when: datetime,
                 inference_id: str | None = None, encoding: str = "CSV") -> str:
    """One Data Capture record, keys in the order SageMaker writes them. ``score``: the output as the endpoint
    returns it (a float is written with 6 decimals, a string as is); None for a capture of the input only."""
    metadata = {"eventId": event_id}
    if inference_id:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    capture: dict[str, Any] = {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": row_csv, "encoding": encoding}}
    if score is not None:
        capture["endpointOutput"] = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                                     "data": score if isinstance(score, str) else f"{score:.6f}", "encoding": "CSV"}
    record = {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}
    return json.dumps(record, separators=(",", ":"))


def write_captures(root: Path, data: Traffic, start: datetime, *, endpoint: str = "fraud-detect-prod",
                   variant: str = "AllTraffic", per_file: int = 50_000, seconds_apart: float = 0.36,
                   inference_ids: bool = True, id_prefix: str = "txn", rows: list[str] | None = None) -> list[str]:
    """Write the traffic as capture files (hour folders by inference time); the join ids, in order. ``rows``: the
    CSV inputs as sent (e.g. fraud_rows), instead of the numeric ``data.features``."""
    ids, handle, current_key, written = [], None, None, 0
    base = root / endpoint / variant
    try:
        for index, (row, score) in enumerate(zip(data.features, data.scores, strict=True)):
            when = start + timedelta(seconds=index * seconds_apart)
            key = (when.strftime("%Y/%m/%d/%H"), written // per_file)  # a Path only when a new file starts
            if key != current_key or handle is None:
                if handle:
                    handle.close()
                folder = base / key[0]
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{when.strftime('%M-%S')}-{when.microsecond // 1000:03d}-{uuid.UUID(int=index)}.jsonl"
                handle = open(folder / name, "a", encoding="utf-8")
                current_key, written = (key[0], 0), 0
            event_id = str(uuid.UUID(int=(1 << 64) + index))
            inference_id = f"{id_prefix}-{index:08d}" if inference_ids else None
            row_csv = rows[index] if rows is not None else ",".join(f"{v:.2f}" for v in row)
            handle.write(capture_line(row_csv, float(score), event_id, when, inference_id) + "\n")
            written += 1
            ids.append(inference_id or event_id)
    finally:
        if handle:
            handle.close()
    return ids


def write_ground_truth(root: Path, ids: list[str], labels: np.ndarray, collected: datetime) -> None:
    """Labels for ``ids`` in the hour folder of ``collected`` (when they arrived)."""
    folder = root / collected.strftime("%Y/%m/%d/%H")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"labels-{uuid.uuid4()}.jsonl", "w", encoding="utf-8") as handle:
        for join_id, label in zip(ids, labels, strict=True):
            handle.write(json.dumps({"groundTruthData": {"data": str(int(label)), "encoding": "CSV"},
                                     "eventMetadata": {"eventId": join_id}, "eventVersion": "0"}) + "\n")


def baseline(features: np.ndarray, names: list[str], scores: np.ndarray | None = None) -> tuple[dict[str, Any],
                                                                                                 dict[str, Any]]:
    """statistics.json and constraints.json for a training sample, in Model Monitor's schemas. With ``scores``, the
    first column is the model's output ("score", written as capture_line writes it): Model Monitor places a
    capture's output columns before its inputs (output_columns_position START), so a baseline lines up with
    1 output + N input columns."""
    from pipelines.analyze.capture import Problems
    from pipelines.analyze.stats import Profile

    if scores is not None:
        names = ["score", *names]
    profile = Profile([(name, "Fractional") for name in names])
    rows = [",".join(f"{v:.2f}" for v in row) for row in features]
    if scores is not None:
        rows = [f"{score:.6f},{row}" for score, row in zip(scores.tolist(), rows, strict=True)]
    profile.add_csv(rows, Problems())
    statistics = profile.to_json()
    constraints = {"version": 0.0,
                   "features": [{"name": name, "inferred_type": "Fractional", "completeness": 1.0,
                                 "num_constraints": {"is_non_negative": True}} for name in names],
                   "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
                                         "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
                                         "distribution_constraints": {"perform_comparison": "Enabled",
                                                                      "comparison_threshold": 0.1,
                                                                      "comparison_method": "Robust"}}}
    return statistics, constraints


def start_of_day() -> datetime:
    """A fixed start (deterministic folders)."""
    return datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)


def write_matured_day(s3: Any, bucket: str, params: dict[str, str], now: datetime) -> None:
    """A day of prod transactions LabelMaturityDays + 1 days before ``now`` (200 captured, 10 frauds: 8 scored high)
    and the positive labels uploaded over the 90 days after it (analysts first, chargebacks later), as the upload tool
    files them: what ``python -m pipelines.ground_truth --matured-negatives`` reads (make demo, make try)."""
    from pipelines.formats.ground_truth import record_line
    from pipelines.formats.times import hour_folder

    endpoint, gt_uri = params["EndpointName"], params["GroundTruthInput"]
    day = (now - timedelta(days=int(params.get("LabelMaturityDays", "90")) + 1)).replace(hour=12, minute=0, second=0,
                                                                                           microsecond=0)
    frauds = {f"mx-{i:04d}": (0.93 if i < 8 else 0.12, [2, 2, 2, 3, 5, 20, 40, 60, 45, 70][i]) for i in range(10)}
    lines = [capture_line("129.5,online,0,3,12,2", frauds.get(f"mx-{i:04d}", (0.031, 0))[0], f"ev-{i:04d}",
                          day + timedelta(seconds=i), f"mx-{i:04d}") for i in range(200)]
    s3.put_object(Bucket=bucket, Key=f"data-capture/{endpoint}/AllTraffic/{hour_folder(day)}/matured.jsonl",
                  Body=("\n".join(lines) + "\n").encode())
    gt_bucket, _, prefix = gt_uri.removeprefix("s3://").partition("/")
    for ident, (_, age) in frauds.items():
        s3.put_object(Bucket=gt_bucket, Key=f"{prefix}/{hour_folder(day + timedelta(days=age))}/labels-{ident}.jsonl",
                      Body=record_line(ident, "1").encode())
