"""pipelines.analyze.api: the analyzer's commands as functions returning result objects (for notebooks).

Captures are devtools/seed_captures.py's (SageMaker's layout; inputs drawn by fraud_rows, the generator the
registry's data quality baseline in tests/fixtures/sdk was profiled from), so a window without a shift matches the
baseline and a shifted transaction_amount is the one drift.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the analyzer on 1,500 captures, three times (~7 s)

pytest.importorskip("numpy")

from devtools.seed_captures import fraud_rows, traffic, write_captures, write_ground_truth  # noqa: E402
from pipelines.analyze import api  # noqa: E402
from pipelines.core.errors import UsageError  # noqa: E402

SDK = Path(__file__).parent / "fixtures" / "sdk"
HOUR = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    data = traffic(1500, seed=3, high_risk=0.012)
    ids = write_captures(root / "capture", data, HOUR, seconds_apart=2.0,
                         rows=fraud_rows(1500, seed=3, amount_shift=40.0))
    write_ground_truth(root / "labels", ids, data.labels, HOUR + timedelta(days=2))
    return root


def test_data_quality_returns_model_monitors_violations_and_the_windows_statistics(captures, tmp_path):
    result = api.data_quality(str(captures / "capture"), statistics=str(SDK / "data_quality_statistics.json"),
                              constraints=str(SDK / "data_quality_constraints.json"),
                              start="2026-11-27T10:00:00Z", end=HOUR + timedelta(hours=1))

    assert result.command == "data-quality" and not result.ok
    # is_fraud: the baseline's first column is the label and real jobs put the captured score there (facts.md)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in result.violations] == [
        ("is_fraud", "data_type_check"), ("transaction_amount", "baseline_drift_check")]
    assert result.violations[1]["description"].startswith("Baseline drift distance: ")
    assert [f["name"] for f in result.statistics["features"]] == [
        "is_fraud", "transaction_amount", "merchant_category", "card_present", "customer_age_band", "hour_of_day", "txn_count_24h"]
    assert result.feature("card_present")["numerical_statistics"]["common"]["num_present"] == 1500
    written = result.write(tmp_path / "dq")
    assert [p.name for p in written] == ["constraint_violations.json", "statistics.json"]
    assert json.loads(written[0].read_text()) == {"violations": result.violations}


def test_model_quality_and_estimate_return_their_metrics(captures):
    realized = api.model_quality(str(captures / "capture"), ground_truth=str(captures / "labels"))
    estimated = api.estimate(str(captures / "capture"), threshold=0.5, ground_truth=str(captures / "labels"))

    assert realized.violations == [] and realized.ok
    assert 0.0 < realized.metric("recall") <= 1.0
    assert realized.statistics["dataset"]["join_rate"] == 1.0
    low, high = estimated.statistics["binary_classification_metrics"]["recall"]["confidence_interval_95"]
    assert low <= estimated.metric("recall") <= high
    assert estimated.failed_assumption is False


def test_bad_input_raises_the_clis_error_instead_of_exiting(captures):
    with pytest.raises(UsageError) as exc:
        api.data_quality(str(captures / "capture"), statistics=str(SDK / "data_quality_statistics.json"),
                         constraints=str(SDK / "data_quality_constraints.json"), start="2026-11-28T00:00:00Z",
                         end="2026-11-27T00:00:00Z")
    assert str(exc.value) == "end 2026-11-27T00:00:00Z is not after start 2026-11-28T00:00:00Z"
    with pytest.raises(UsageError) as exc:
        api.estimate(str(captures / "capture"), threshold=1.5)
    assert str(exc.value) == "threshold 1.5 is not between 0 and 1"
    with pytest.raises(KeyError) as missing:
        api.model_quality(str(captures / "capture"), ground_truth=str(captures / "labels")).feature("amount")
    assert missing.value.args[0] == "no feature 'amount' in the statistics; features: "
