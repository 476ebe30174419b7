"""The fast reader (pipelines/analyze/fastcsv.py) against the reference reader: byte-identical statistics.json and
constraint_violations.json, on the golden cases (their output hashes are recorded in
tests/fixtures/analyzer/golden.json, regenerated with ``python -m devtools.golden_analyzer`` from the reference
reader only) and on captures mixing every kind of line the fast reader refuses."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from devtools.golden_analyzer import CASES, build, golden_path
from devtools.seed_captures import capture_line, start_of_day
from pipelines.analyze import fastcsv
from tests.support.analyze import append_lines, csv_capture, make_case, run_cli

pytestmark = pytest.mark.skipif(not fastcsv.enabled() and os.environ.get("ANALYZER_FAST") != "0",
                                reason="numba (the analyzer extra) is not installed: the fast reader is off")


def _outputs(case_args: list[str], output: Path, fast: bool, capsys, monkeypatch) -> tuple[int, str, dict[str, bytes]]:
    monkeypatch.setenv("ANALYZER_FAST", "1" if fast else "0")
    code, out, err = run_cli([*case_args, "--output", str(output)], capsys)
    return code, out + err, {name: (output / name).read_bytes() for name in ("statistics.json",
                                                                             "constraint_violations.json")}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_cases_give_the_recorded_bytes_with_either_reader(tmp_path, capsys, monkeypatch, name):
    args = build(name, tmp_path)
    expected = json.loads(golden_path().read_text())[name]
    for fast in (False, True):
        code, text, files = _outputs(args, tmp_path / f"out-{fast}", fast, capsys, monkeypatch)
        assert code == expected["exit"], text
        assert {key: hashlib.sha256(value).hexdigest() for key, value in files.items()} == expected["sha256"], \
            f"fast={fast}"


def test_the_fast_reader_takes_compact_numeric_captures(tmp_path):
    case = make_case(tmp_path, n=300, n_features=3)
    path = next(case.capture.rglob("*.jsonl"))
    values, fractional = fastcsv.parse(path.read_bytes(), 4, True)
    assert values.shape == (300, 4)
    first = json.loads(path.read_text().splitlines()[0])["captureData"]
    row = first["endpointOutput"]["data"] + "," + first["endpointInput"]["data"]
    assert values[0].tolist() == [float(field) for field in row.split(",")]
    assert fractional.all()


@pytest.mark.parametrize("row", ["1,2,3", "-1.5,+2,3e2", "0.1,1E-3,-0", "123456789012345,0.000001,7"])
def test_numbers_are_the_doubles_python_reads_and_typed_as_deequ_types_them(row):
    line = csv_capture(row).replace(',"endpointOutput"', ',"x":{').split(',"x":{')[0] + "}}\n"
    values, fractional = fastcsv.parse(line.encode(), 3, True)
    assert values[0].tolist() == [float(field) for field in row.split(",")]
    assert fractional[0].tolist() == [("." in f or "e" in f.lower()) for f in row.split(",")]


@pytest.mark.parametrize("row", ["1,,3", "1,2", "1,2,3,4", ".5,1,2", "3.,1,2", "1_000,1,2", "- 5,1,2", " 5,1,2",
                                 "١٢,1,2", "nan,1,2", "inf,1,2", "1e999,1,2", "12345678901234567890,1,2",
                                 '\\"a\\",1,2', "true,1,2", "1e,1,2", "9007199254740993,1,2"])
def test_anything_else_is_left_to_the_reference_reader(row):
    line = csv_capture(row).replace(',"endpointOutput"', ',"x":{').split(',"x":{')[0] + "}}\n"
    assert fastcsv.parse(line.encode(), 3, True) is None


_TOKENS = st.one_of(st.from_regex(r"[-+]?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
                    st.sampled_from(["", ".5", "3.", "1e5", "1E-2", "abc", "- 5", "1_0", "nan", '"1,5"', "9" * 20]))


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.lists(_TOKENS, min_size=1, max_size=5), min_size=1, max_size=30), clean=st.integers(0, 600),
       odd=st.sampled_from(["none", "json", "base64", "blank", "garbage"]))
def test_either_reader_writes_the_same_bytes_whatever_the_lines(tmp_path_factory, rows, clean, odd):
    """Clean compact lines (the fast reader's) mixed with hostile rows and odd lines (the reference reader's)."""
    tmp_path = tmp_path_factory.mktemp("mixed")
    case = make_case(tmp_path, n=clean, n_features=3) if clean else make_case(tmp_path, n=1, n_features=3)
    lines = [csv_capture(",".join(row), event=f"x-{i}") for i, row in enumerate(rows)]
    lines += {"none": [], "json": ['{"captureData":{"endpointInput":{"observedContentType":"application/json",'
                                   '"mode":"INPUT","data":"[1,2,3]","encoding":"JSON"}},"eventMetadata":'
                                   '{"eventId":"j","inferenceTime":"2026-11-27T00:30:00.000Z"},"eventVersion":"0"}'],
              "base64": [capture_line("MSwyLDM=", 0.1, "b-1", start_of_day(), encoding="BASE64")], "blank": [""],
              "garbage": ['{"captureData": 1}']}[odd]
    append_lines(case, lines)
    args = [a for a in case.dq_args() if a not in ("--output", str(case.output))]
    outputs = []
    for fast in (False, True):
        os.environ["ANALYZER_FAST"] = "1" if fast else "0"
        try:
            from pipelines.analyze.__main__ import main

            code = main([*args, "--output", str(tmp_path / f"out-{fast}")])
        finally:
            os.environ.pop("ANALYZER_FAST", None)
        files = {name: (tmp_path / f"out-{fast}" / name).read_bytes() if (tmp_path / f"out-{fast}" / name).exists()
                 else None for name in ("statistics.json", "constraint_violations.json")}
        outputs.append((code, files))
    assert outputs[0] == outputs[1]


def test_values_come_out_in_record_order_across_chunks(tmp_path, capsys, monkeypatch):
    """Small chunks: fast and reference chunks interleave; the sketch (order-dependent) must still match."""
    case = make_case(tmp_path, n=5000, n_features=2)
    append_lines(case, [csv_capture("1.5,2,x", event="odd")], hour="2026/11/27/00")
    monkeypatch.setattr(fastcsv, "CHUNK_BYTES", 4096)
    args = [a for a in case.dq_args() if a not in ("--output", str(case.output))]
    assert _outputs(args, tmp_path / "a", False, capsys, monkeypatch)[2] == \
        _outputs(args, tmp_path / "b", True, capsys, monkeypatch)[2]
