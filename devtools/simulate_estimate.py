"""What the label-free signals see, on synthetic fraud traffic: the table in docs/analyzer.md ("What the estimate
can and cannot see").

    .venv/bin/python -m devtools.simulate_estimate            # print the table
    .venv/bin/python -m devtools.simulate_estimate --check    # exit 1 if docs/analyzer.md holds another table

The traffic (deterministic seeds): each record has a true fraud probability p (0.8% of records "risky", p ~
Beta(9, 2); the rest p ~ Beta(0.5, 300): about 0.82% fraud, recall about 0.79 at 0.5) and a label drawn as
Bernoulli(p). The reference is 200,000 such records with matured labels; the calibration file is fitted on it
(pipelines/analyze/estimate.py build_calibration, the same code `python -m pipelines.analyze calibrate` runs). Each
scenario is 20 windows of 50,000 records scored by the same model:
- unchanged: the reference's traffic;
- new fraud pattern: the window plus half as many frauds again that the model scores like legitimate traffic (their
  scores drawn from the legitimate records' distribution): concept drift;
- fraud rate x3: three times as many frauds, each kind of record scored as before (prior shift: frauds and
  legitimate records drawn from the reference's own frauds and legitimate records);
- under-calibrated: a model trained with class weights (positive weight 20 multiplies the odds by 20, so a record
  with p = 0.05 scores 0.51), in the reference and the window alike; the decision threshold stays 0.5 on its score.
Realized recall uses the window's labels (known here, weeks away in production). "Estimate, raw" is CBPE on the
scores as they come (what the analyzer did before calibration); "estimate, calibrated" applies the reference's
isotonic map first. The estimated-recall alarm fires when the upper end of the 95% interval is below the reference's
realized recall; the prevalence check when the calibrated expected fraud rate is more than 2x off the reference's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pipelines.analyze import estimate as cbpe

REFERENCE_RECORDS = 200_000
WINDOW_RECORDS = 50_000
WINDOWS = 20
THRESHOLD = 0.5
CLASS_WEIGHT = 20.0
DOCS = Path(__file__).resolve().parents[1] / "docs" / "analyzer.md"
BEGIN, END = "<!-- simulate_estimate: begin -->", "<!-- simulate_estimate: end -->"


def true_probabilities(n: int, rng: np.random.Generator) -> np.ndarray:
    risky = rng.random(n) < 0.008
    return np.where(risky, rng.beta(9.0, 2.0, n), rng.beta(0.5, 300.0, n))


def weighted(p: np.ndarray) -> np.ndarray:
    """The score of a model trained with positive class weight w: odds multiplied by w."""
    return CLASS_WEIGHT * p / (1 - p + CLASS_WEIGHT * p)


def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    p = true_probabilities(n, rng)
    return p, (rng.random(n) < p).astype(np.int64)


def window(scenario: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(scores, labels) of one window."""
    if scenario == "fraud rate x3":
        pool_p, pool_y = draw(8 * WINDOW_RECORDS, rng)
        frauds, legit = pool_p[pool_y == 1], pool_p[pool_y == 0]
        n_fraud = int(round(3 * len(frauds) / len(pool_p) * WINDOW_RECORDS))
        p = np.concatenate([rng.choice(frauds, n_fraud, replace=False),
                            rng.choice(legit, WINDOW_RECORDS - n_fraud, replace=False)])
        return p, np.concatenate([np.ones(n_fraud, np.int64), np.zeros(WINDOW_RECORDS - n_fraud, np.int64)])
    p, y = draw(WINDOW_RECORDS, rng)
    if scenario == "new fraud pattern":
        n_new = int(round(0.5 * y.sum()))
        p = np.concatenate([p, rng.choice(p[y == 0], n_new)])  # scored like legitimate traffic
        y = np.concatenate([y, np.ones(n_new, np.int64)])
    if scenario == "under-calibrated":
        p = weighted(p)
    return p, y


def realized_recall(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.sum((scores >= THRESHOLD) & (labels == 1)) / labels.sum())


def run() -> list[dict[str, object]]:
    rows = []
    for number, scenario in enumerate(("unchanged", "new fraud pattern", "fraud rate x3", "under-calibrated")):
        rng = np.random.default_rng(1000 + number)
        p, y = draw(REFERENCE_RECORDS, rng)
        scores = weighted(p) if scenario == "under-calibrated" else p
        calibration = cbpe.build_calibration(scores, y, "simulation reference", "2026-01-01T00:00:00Z")
        reference_recall = realized_recall(scores, y)
        seen: dict[str, list[float]] = {k: [] for k in ("realized", "raw", "calibrated", "low", "high", "drift",
                                                        "ratio")}
        fired = {"score drift": 0, "estimate alarm": 0, "prevalence check": 0}
        for _ in range(WINDOWS):
            s, labels = window(scenario, rng)
            probabilities = cbpe.apply_calibration(calibration, s)
            raw = cbpe.estimate_statistics(s, THRESHOLD, {"holds": None})["binary_classification_metrics"]
            cal = cbpe.estimate_statistics(s, THRESHOLD, {"holds": None}, probabilities)
            recall = cal["binary_classification_metrics"]["recall"]
            drift = cbpe.score_drift(s, calibration, THRESHOLD)
            prevalence = cbpe.calibration_from_baseline(probabilities, None, calibration["reference"])
            seen["realized"].append(realized_recall(s, labels))
            seen["raw"].append(raw["recall"]["value"])
            seen["calibrated"].append(recall["value"])
            seen["low"].append(recall["confidence_interval_95"][0])
            seen["high"].append(recall["confidence_interval_95"][1])
            seen["drift"].append(drift["score_drift"])
            seen["ratio"].append(drift["alert_rate_ratio"])
            fired["score drift"] += drift["drift"]
            fired["estimate alarm"] += recall["confidence_interval_95"][1] < reference_recall
            fired["prevalence check"] += prevalence["holds"] is False
        rows.append({"scenario": scenario, "reference_recall": reference_recall,
                     **{k: float(np.mean(v)) for k, v in seen.items() if k not in ("drift", "ratio")},
                     "drift": float(np.median(seen["drift"])), "ratio": float(np.median(seen["ratio"])),
                     "fired": fired})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| scenario | realized recall | estimate, raw scores | estimate, calibrated (95% interval) | score drift "
             "(alert rate ratio) | fires (of 20 windows) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        fired = row["fired"]
        assert isinstance(fired, dict)
        fires = ", ".join(f"{name} {count}" for name, count in fired.items() if count) or "nothing"
        lines.append(f"| {row['scenario']} (reference recall {row['reference_recall']:.3f}) | {row['realized']:.3f} "
                     f"| {row['raw']:.3f} | {row['calibrated']:.3f} ({row['low']:.3f}-{row['high']:.3f}) | "
                     f"{row['drift']:.2f} ({row['ratio']:.2f}x) | {fires} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the table in docs/analyzer.md")
    args = parser.parse_args(argv)
    text = table(run())
    if not args.check:
        print(text, end="")
        return 0
    docs = DOCS.read_text(encoding="utf-8")
    if BEGIN not in docs or END not in docs:
        print(f"docs/analyzer.md has no {BEGIN} ... {END} block", file=sys.stderr)
        return 1
    current = docs.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    if current != text:
        print("docs/analyzer.md's simulation table is out of date; run python -m devtools.simulate_estimate and "
              "paste its output", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
