"""The fast reader (pipelines/analyze/fastcsv.py) against the reference reader: byte-identical statistics.json and
constraint_violations.json, on the golden cases (their output hashes are recorded in
tests/fixtures/analyzer/golden.json, regenerated with ``python -m devtools.golden_analyzer`` from the reference
reader only) and on captures mixing every kind of line the fast reader refuses."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from devtools.golden_analyzer import CASES, build, golden_path
from devtools.seed_captures import capture_line, start_of_day
from pipelines.analyze import fastcsv
from tests.support.analyze import append_lines, csv_capture, make_case, run_cli

pytestmark = pytest.mark.skipif(not fastcsv.enabled() and os.environ.get("ANALYZER_FAST") != "0",
                                reason="the fast reader's C library is not built (make native): the fast reader is off")


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


@pytest.mark.parametrize("cut", [None, -2, -3])
def test_a_last_line_without_its_newline_is_parsed_from_a_copy_that_has_one(cut):
    """The digit loops stop at the first byte that is not a digit, which every line's newline is: a last line
    without one is parsed from a copy with one. Whole, it is read; cut inside its numbers or strings, the chunk goes
    to the reference reader."""
    lines = [csv_capture(row).replace(',"endpointOutput"', ',"x":{').split(',"x":{')[0] + "}}"
             for row in ("1,2,3", "4.5,6,78")]
    chunk = (lines[0] + "\n" + lines[1]).encode()
    if cut is None:
        values, _ = fastcsv.parse(chunk, 3, True)
        assert values.tolist() == [[1.0, 2.0, 3.0], [4.5, 6.0, 78.0]]
    else:
        assert fastcsv.parse(chunk[:cut], 3, True) is None
        assert fastcsv.parse(lines[1].split('","encoding"')[0].encode(), 3, True) is None  # ends in a digit


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


# ---- the C library's parts against the Python they replace ------------------------------------------------------

_DOUBLES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1.7976931348623157e308]),
    st.integers(-10_000, 10_000).map(lambda cents: cents / 100))


@settings(max_examples=60, deadline=None)
@given(specials=st.lists(_DOUBLES, max_size=40), seed=st.integers(0, 2**32 - 1), size=st.integers(0, 20_000),
       cents=st.booleans(), cuts=st.lists(st.integers(0, 20_000), max_size=6))
def test_the_c_sketch_update_is_the_python_one_item_for_item(specials, seed, size, cents, cuts):
    """Same levels (bits, -0.0 included), compressions and offsets, however the values are batched: random values
    (rounded to cents, so with many ties, or not) with hypothesis' special doubles spread among them."""
    from pipelines.analyze.kll import KLL

    rng = np.random.default_rng(seed)
    array = rng.normal(size=size) * 50
    array = np.round(array, 2) if cents else array
    array = np.insert(array, rng.integers(0, size + 1, len(specials)), specials)
    python, native = KLL(k=64), KLL(k=64)  # a small k: many compactions and levels
    sketch = fastcsv.Column(64, native.c)
    assert sketch.load(native)
    bounds = [0, *sorted(min(cut, len(array)) for cut in cuts), len(array)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        python.update(array[start:end])
        assert sketch.update(np.ascontiguousarray(array[start:end]))
    sketch.store(native)
    assert [level.view(np.int64).tolist() for level in native.levels] == \
        [level.view(np.int64).tolist() for level in python.levels]
    assert (native._compressions, native._offsets) == (python._compressions, python._offsets)
    assert len(array) < 1000 or len(python.levels) >= 5  # the compactions were exercised


@pytest.mark.parametrize("sort", ["numpy", "own"])
def test_a_stretch_with_both_zeros_keeps_javas_order_though_numpys_sort_may_flip_a_zero(sort):
    """numpy's vectorised sort can return 0.0 for a -0.0 (a vector min/max of two zeros returns either): the C
    update counts the -0.0 before sorting. Seed 12 is one where the old count, taken after the sort, kept 0.0 where
    Java keeps -0.0. The same with the C library's own sort (used when numpy's cannot be reached)."""
    from pipelines.analyze.kll import KLL

    library = fastcsv._load()
    assert fastcsv._numpy_float_sort() is not None  # numpy 2's sort is reachable here
    if sort == "own":
        library.set_float_sort(None)
    try:
        _zeros_cases(KLL)
    finally:
        library.set_float_sort(fastcsv._numpy_float_sort())


def _zeros_cases(KLL):  # noqa: N803 - the class under test
    for seed in range(30):
        rng = np.random.default_rng(seed)
        array = np.round(rng.normal(size=3000) * 50, 2)
        array = np.insert(array, rng.integers(0, 3000, 30), [0.0, -0.0] * 15)
        python, native = KLL(k=64), KLL(k=64)
        column = fastcsv.Column(64, native.c)
        assert column.load(native) and column.update(array)
        python.update(array)
        column.store(native)
        assert [level.view(np.int64).tolist() for level in native.levels] == \
            [level.view(np.int64).tolist() for level in python.levels], seed


def test_the_compactor_sorts_in_javas_total_order():
    from pipelines.analyze.kll import total_order_sort

    values = np.array([0.0, -0.0, 2.5, -np.inf, np.nan, -1.5, 0.0, -0.0])
    assert [str(v) for v in total_order_sort(values)] == ["-inf", "-1.5", "-0.0", "-0.0", "0.0", "0.0", "2.5",
                                                          "nan"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), blocks=st.integers(1, 3), extra=st.integers(0, 17), scale=st.integers(-8, 8),
       state=st.tuples(st.integers(0, 10**6), st.floats(-1e3, 1e3), st.floats(0, 1e6)))
def test_the_c_mean_and_m2_blocks_are_numpys_doubles(seed, blocks, extra, scale, state):
    from pipelines.analyze.stats import MOMENT_BLOCK, FeatureProfile

    rng = np.random.default_rng(seed)  # 4096-value blocks: drawn from a seed, not value by value
    array = rng.normal(size=blocks * MOMENT_BLOCK + extra) * 10.0 ** scale + rng.integers(-5, 5)
    full = len(array) - len(array) % MOMENT_BLOCK
    python = FeatureProfile("x", "Fractional", moment_count=state[0], mean=state[1], m2=state[2])
    for start in range(0, full, MOMENT_BLOCK):
        python._fold(array[start:start + MOMENT_BLOCK])
    assert fastcsv._fold_blocks(array[:full], state) == (python.moment_count, python.mean, python.m2)


def test_a_file_mapped_ahead_reads_as_without_and_its_open_error_comes_from_its_own_chunks_call(tmp_path):
    """chunks(path, then=next) maps the next file and faults its first chunk in while the last chunk is read; the
    next chunks() call takes it. An error opening it is raised there, as without the prefetch (the caller's
    "cannot be read" skip), and files mapped ahead but never read are dropped by forget_prefetched."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"x" * 100 + b"\n" + b"y" * 50 + b"\n")
    second.write_bytes(b"z" * 70 + b"\n" + b"tail")
    assert [bytes(chunk) for chunk in fastcsv.chunks(str(first), 64, then=str(second))] == \
        [b"x" * 100 + b"\n", b"y" * 50 + b"\n"]
    assert list(fastcsv._prefetched) == [(str(second), 64)]
    assert [bytes(chunk) for chunk in fastcsv.chunks(str(second), 64)] == [b"z" * 70 + b"\n", b"tail"]
    assert not fastcsv._prefetched
    missing = tmp_path / "gone.jsonl"
    list(fastcsv.chunks(str(first), 64, then=str(missing)))
    with pytest.raises(FileNotFoundError):
        list(fastcsv.chunks(str(missing), 64))
    fastcsv.prefetch(str(second), 64)
    fastcsv.forget_prefetched()
    assert not fastcsv._prefetched


@pytest.mark.parametrize("chunk_bytes", [7, 64, 4096])
def test_chunks_are_whole_lines_whatever_the_buffer(tmp_path, chunk_bytes):
    """Lines longer than the buffer grow it; the last line may lack its newline."""
    lines = [b"a" * 10, b"", b"b" * 300, b"c", b"d" * 5000, b"tail without newline"]
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\n".join(lines))
    seen = [bytes(chunk) for chunk in fastcsv.chunks(str(path), chunk_bytes)]  # each valid until the next
    assert b"".join(seen) == path.read_bytes()
    assert all(chunk.endswith(b"\n") for chunk in seen[:-1]) and seen[-1] == b"tail without newline"
