"""data-quality's fast reader: all-numeric CSV captures in SageMaker's compact form, parsed and profiled by compiled
code on both cores.

Measured before choosing (docs/performance.md, "A million records a second"): JSON-decoding every line is the
floor's cost (msgspec, the fastest decoder measured, ~0.5 M lines per CPU second here; orjson, simdjson, pyarrow's
JSON reader and polars are slower), numpy's parsers (loadtxt, vectorised byte arithmetic) cost 1-2 s per million
20-feature rows, and pyarrow's CSV reader over the lines was slower still. What is left is one pass over the bytes in
compiled code. A numba kernel did it at ~0.5 CPU-s per million lines, but numba's import and cache loading cost
~1.1 s per process, more than the whole budget at a million records; so the kernel is plain C (``_native.c``, the C
library only), built by ``make native`` (and the container's build stage) into ``_native.so`` and loaded with
ctypes in milliseconds. Without the library the reference reader runs (``enabled()`` is False).

Scope, and the rule that keeps it honest: the kernel takes a line only in the exact form SageMaker writes it
(``{"captureData":{"endpointInput":{"observedContentType":"<type>","mode":"INPUT","data":"<row>","encoding":"CSV"}``
then ``,"endpointOutput":{... "mode":"OUTPUT","data":"<row>","encoding":"CSV"}`` or ``}``), no quote or backslash
inside the strings, a content type without "json", and every field a number in Deequ's grammar
(``[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?``, StatefulDataType.scala's regexes without the optional space) whose
value the kernel can compute exactly (Clinger's fast path: an integer mantissa below 2^53 times or divided by a power
of ten up to 10^22 is correctly rounded, the same double as Python's ``float`` and numpy's parser). The row is the
output columns then the input columns (or the reverse, ``output_columns_position``), and its width must be the
baseline's. A chunk with any other line goes whole to the reference reader (capture.py / stats.py), so records stay
in order; ``tests/test_analyze_fast.py`` holds the two readers to byte-identical outputs.

The profile of a parsed chunk (``Columns.add``) is computed column by column, two columns at a time (ctypes calls
and numpy's reductions run without the GIL): min, max, the Fractional count and the exact sum bins in C, the KLL
sketch update in C (the same compactions as kll.py, whose state ``Columns`` holds while chunks stream and hands back
to the feature's ``KLL`` before anything else touches it), the mean/M2 blocks with numpy as the reference reader
folds them.
"""

from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from pipelines.analyze import exact
from pipelines.analyze.kll import KLL

CHUNK_BYTES = 16 << 20  # bytes of whole lines per chunk: memory is bounded by bytes, not records
LIBRARY = Path(__file__).with_name("_native.so")
THREADS = 2  # the machine's cores (SageMaker's ml.m5.large has 2 vCPUs)
MAX_HEIGHT = 48  # KLL compactors held natively: 2^48 times k items, far beyond any window

_library: Any = None
_pool: ThreadPoolExecutor | None = None
_io: ThreadPoolExecutor | None = None

_P = ctypes.c_void_p
_I = ctypes.c_int64
_SIGNATURES = {
    "line_after": (_I, [_P, _I, _I]),
    "parse_block": (_I, [_P, _I, _I, _I, ctypes.c_int32, _P, _P]),
    "column_stats": (_I, [_P, _P, _I, _P, _P, _P]),
    "kll_plan": (_I, [_I, _I, _P, _P, _P, _P, _P, _I, _P, _I]),
    "kll_apply": (_I, [_P, _I, _I, _P, _P, _P, _P, _P, _P, _P, _I]),
    "sum_pairwise": (ctypes.c_double, [_P, _I]),
    "fold_blocks": (None, [_P, _I, _I, _P, _P]),
}


def enabled() -> bool:
    """The fast reader runs unless ANALYZER_FAST=0 (the benchmark's "current" column; tests) or the compiled library
    is missing (``make native`` builds it)."""
    if os.environ.get("ANALYZER_FAST", "1") == "0":
        return False
    return _load() is not None


def _load() -> Any:
    global _library
    if _library is None:
        try:
            library = ctypes.CDLL(str(LIBRARY))
        except OSError:  # not built
            _library = False
        else:
            for name, (result, arguments) in _SIGNATURES.items():
                function = getattr(library, name)
                function.restype, function.argtypes = result, arguments
            _library = library
    return _library or None


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="fastcsv")
    return _pool


def chunks(path: str, chunk_bytes: int | None = None) -> Iterator[memoryview]:
    """A local file in chunks of whole lines (the last one may lack its newline). Two buffers, reused (no allocation,
    no page faults after the first): while one chunk is profiled, an I/O thread reads the next into the other (the
    read runs without the GIL, on the core the chunk's last columns leave idle). Each chunk is valid until the next
    is asked for."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    with open(path, "rb") as handle:
        chunk_bytes = max(1, min(chunk_bytes, os.fstat(handle.fileno()).st_size + 1))  # a small file: small buffers

        def fill(buffer: bytearray, carry: int) -> tuple[bytearray, int]:
            """Read after the ``carry`` bytes at the buffer's start until it holds a line's end or the file ends:
            (the buffer, a larger one for a line longer than it, and how many bytes it holds)."""
            filled = carry
            while True:
                if filled == len(buffer):  # a line longer than the buffer: a buffer twice as large
                    buffer = buffer + bytes(len(buffer))
                with memoryview(buffer) as view:
                    read = handle.readinto(view[filled:])
                filled += read
                if not read or buffer.rfind(b"\n", carry, filled) >= 0:
                    return buffer, filled

        current, filled = fill(bytearray(chunk_bytes), 0)
        spare = bytearray(chunk_bytes)
        while filled:
            cut = current.rfind(b"\n", 0, filled) + 1 or filled  # no line end: the file's last bytes
            carry = filled - cut
            if len(spare) < 2 * carry:
                spare = bytearray(2 * carry)
            spare[:carry] = current[cut:filled]
            upcoming = _reader().submit(fill, spare, carry)
            try:
                yield memoryview(current)[:cut]
            finally:
                wait([upcoming])  # the file stays open until the read in flight is done
            spare, (current, filled) = current, upcoming.result()


def _reader() -> ThreadPoolExecutor:
    global _io
    if _io is None:
        _io = ThreadPoolExecutor(1, thread_name_prefix="fastcsv-read")
    return _io


# The shortest line the kernel takes: the fixed text around one input field and no output (`parse_block` checks the
# capacity anyway: a wrong bound only sends a chunk to the reference reader)
_SHORTEST_LINE = len(b'{"captureData":{"endpointInput":{"observedContentType":"","mode":"INPUT","data":"0",'
                     b'"encoding":"CSV"}}')


class _Half:
    """One thread's share of a chunk: its arrays, reused from chunk to chunk (grown when a share has more bytes)."""

    def __init__(self) -> None:
        self.cells = 0
        self.values = np.empty(0, dtype=np.float64)
        self.fractional = np.empty(0, dtype=np.uint8)

    def parse(self, data: np.ndarray, width: int, output_first: bool) -> tuple[np.ndarray, np.ndarray] | None:
        capacity = len(data) // _SHORTEST_LINE + 1
        if capacity * width > self.cells:
            self.cells = capacity * width
            self.values = np.empty(self.cells, dtype=np.float64)
            self.fractional = np.empty(self.cells, dtype=np.uint8)
        values = self.values[:capacity * width].reshape(width, capacity)
        fractional = self.fractional[:capacity * width].reshape(width, capacity)
        rows = _load().parse_block(data.ctypes.data, len(data), capacity, width, int(output_first),
                                   values.ctypes.data, fractional.ctypes.data)
        return None if rows < 0 else (values[:, :rows], fractional[:, :rows])


_halves = (_Half(), _Half())


def parse_columns(chunk: bytes | memoryview, width: int,
                  output_first: bool) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The chunk's rows in two parts (the two halves of its bytes, cut at a line's end, parsed at once), each
    (values [width x rows], fractional [width x rows]): every column a contiguous row of doubles; None when any line
    is not one the kernel takes (nothing is consumed: the caller hands the chunk to the reference reader). Blank
    lines are skipped, as the reference reader skips them. The arrays are reused by the next call."""
    data = np.frombuffer(chunk, dtype=np.uint8)
    cut = _load().line_after(data.ctypes.data, len(data) // 2, len(data)) if len(data) >= 1 << 16 else 0
    if cut <= 0:
        parts = [_halves[0].parse(data, width, output_first)]
    else:
        futures = [_threads().submit(half.parse, piece, width, output_first)
                   for half, piece in zip(_halves, (data[:cut], data[cut:]), strict=True)]
        parts = [future.result() for future in futures]
    return None if any(part is None for part in parts) else parts


def parse(chunk: bytes, width: int, output_first: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """``parse_columns`` as rows: (values [rows x width], fractional [rows x width] bool), or None."""
    parts = parse_columns(chunk, width, output_first)
    if parts is None:
        return None
    return np.concatenate([part[0] for part in parts], axis=1).T.copy(), \
        np.concatenate([part[1] for part in parts], axis=1).T.astype(bool)


def _keys(values: np.ndarray) -> np.ndarray:
    """Doubles as _native.c's order keys (Java's total order as unsigned integers)."""
    words = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    return np.where(words < 0, ~words, words | np.int64(-0x8000000000000000)).view(np.uint64)


def _values(keys: np.ndarray) -> np.ndarray:
    """Inverse of ``_keys``."""
    words = keys.view(np.int64)
    return np.where(words < 0, words & np.int64(0x7FFFFFFFFFFFFFFF), ~words).view(np.float64)


class Sketch:
    """A KLL sketch's state in arrays the C update works on; ``load`` from and ``store`` into kll.KLL."""

    def __init__(self, k: int, c: float) -> None:
        probe = KLL(k, c)
        self.capacities = np.array([probe.capacity(h) for h in range(MAX_HEIGHT)], dtype=np.int64)
        self.stride = int(self.capacities.sum()) + 2  # no level outgrows the total capacity + 1
        self.levels = np.empty((MAX_HEIGHT, self.stride), dtype=np.uint64)  # order keys (_native.c)
        self.sizes = np.zeros(MAX_HEIGHT, dtype=np.int64)
        self.compressions = np.zeros(MAX_HEIGHT, dtype=np.int64)
        self.offsets = np.zeros(MAX_HEIGHT, dtype=np.int64)
        self.height = np.ones(1, dtype=np.int64)
        self.scratch = np.empty(2 * self.stride, dtype=np.uint64)
        self.stream = np.empty(0, dtype=np.float64)

    def load(self, sketch: KLL) -> bool:
        """Take ``sketch``'s state; False when it does not fit (the caller keeps the Python sketch)."""
        if len(sketch.levels) > MAX_HEIGHT or any(len(level) > self.stride for level in sketch.levels):
            return False
        self.height[0] = len(sketch.levels)
        for h, level in enumerate(sketch.levels):
            self.levels[h, :len(level)] = _keys(level)
            self.sizes[h] = len(level)
            self.compressions[h] = sketch._compressions[h]
            self.offsets[h] = sketch._offsets[h]
        return True

    def store(self, sketch: KLL) -> None:
        height = int(self.height[0])
        sketch.levels = [_values(self.levels[h, :self.sizes[h]]) for h in range(height)]
        sketch._compressions = self.compressions[:height].tolist()
        sketch._offsets = self.offsets[:height].tolist()
        sketch._capacities = []

    def update(self, *arrays: np.ndarray) -> bool:
        """Add the values of ``arrays`` (finite doubles), in order, as KLL.update would: the lowest compactor's
        stretches, planned from the sizes alone (_native.c's kll_plan), are sorted here by numpy (its vectorised
        sort, AVX2 where the CPU has it), then the update is replayed (kll_apply). False when
        the sketch outgrows the arrays (never below 2^48 k items)."""
        library, lowest = _load(), int(self.sizes[0])
        n = sum(len(values) for values in arrays)
        if len(self.stream) < lowest + n:  # reused: a fresh array each call costs page faults
            self.stream = np.empty(lowest + n + (lowest + n) // 4, dtype=np.float64)
        stream = self.stream[:lowest + n]  # doubles: numpy's float sort is its fastest (AVX2 here)
        stream[:lowest] = _values(self.levels[0, :lowest])
        position = lowest
        for values in arrays:
            stream[position:position + len(values)] = values
            position += len(values)
        state = [self.sizes.copy(), self.compressions.copy(), self.offsets.copy(), self.height.copy()]
        stretches = np.empty((lowest + n) // max(int(self.capacities[0]) - 1, 1) + 2, dtype=np.int64)
        count = library.kll_plan(self.stride, MAX_HEIGHT, *(array.ctypes.data for array in state),
                                 self.capacities.ctypes.data, n, stretches.ctypes.data, len(stretches))
        if count < 0:
            return False
        position = 0
        for length in stretches[:count].tolist():  # numpy's sort runs without the GIL
            stream[position:position + length].sort()
            position += length
        return library.kll_apply(self.levels.ctypes.data, self.stride, MAX_HEIGHT, self.sizes.ctypes.data,
                                 self.compressions.ctypes.data, self.offsets.ctypes.data, self.height.ctypes.data,
                                 self.capacities.ctypes.data, self.scratch.ctypes.data, stream.ctypes.data,
                                 lowest + n) >= 0


def _fold_blocks(blocks: np.ndarray, state: tuple[int, float, float]) -> tuple[int, float, float]:
    """stats.FeatureProfile._fold over each MOMENT_BLOCK of ``blocks``, in C (_native.c's fold_blocks: numpy's
    pairwise sums, the same operations in the same order)."""
    from pipelines.analyze.stats import MOMENT_BLOCK

    values = np.ascontiguousarray(blocks, dtype=np.float64)
    moments = np.array(state, dtype=np.float64)
    scratch = np.empty(MOMENT_BLOCK, dtype=np.float64)
    _load().fold_blocks(values.ctypes.data, len(values), MOMENT_BLOCK, moments.ctypes.data, scratch.ctypes.data)
    return int(moments[0]), float(moments[1]), float(moments[2])


class Columns:
    """The profile's numeric features while parsed chunks stream in (stats.Profile, all numeric). Each feature's
    KLL state moves into a native Sketch at the first chunk and back into the feature's KLL at ``release`` (call it
    before the reference reader or anything else reads or updates the profile)."""

    def __init__(self, profile: Any) -> None:
        self.profile = profile
        self.sketches: list[Sketch] | None = None

    def add(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """A parsed chunk (``parse_columns``: its parts in order) into the profile: the same statistics as the
        reference reader's stats.FeatureProfile.add_numbers."""
        features = self.profile.features
        if self.sketches is None:
            self.sketches = [Sketch(feature.sketch.k, feature.sketch.c) for feature in features]
            for sketch, feature in zip(self.sketches, features, strict=True):
                if not sketch.load(feature.sketch):  # pragma: no cover - a sketch of more than 2^48 k items
                    raise RuntimeError("a KLL sketch too tall for the fast reader")
        rows = sum(values.shape[1] for values, _ in parts)
        library = _load()

        def column(index: int) -> tuple[int, int, float, float]:
            feature, sketch = features[index], self.sketches[index]
            high = np.zeros(2048, dtype=np.int64)
            low = np.zeros(2048, dtype=np.int64)
            bounds = np.array([np.inf, -np.inf])
            fractions = 0
            for values, fractional in parts:
                fractions += library.column_stats(values[index].ctypes.data, fractional[index].ctypes.data,
                                                  values.shape[1], high.ctypes.data, low.ctypes.data,
                                                  bounds.ctypes.data)
            if not sketch.update(*(values[index] for values, _ in parts)):  # pragma: no cover - see Sketch.load
                raise RuntimeError("the fast reader's KLL sketch overflowed")
            for values, _ in parts:
                feature.add_moments(values[index], borrowed=True, fold=_fold_blocks)
            return fractions, exact.from_bins(high, low), float(bounds[0]), float(bounds[1])

        results = list(_threads().map(column, range(len(features))))
        self.profile.items += rows
        self.profile.column_counts[self.profile.width] += rows
        for feature, (fractions, total, low, high) in zip(features, results, strict=True):
            feature.types["Fractional"] += fractions
            feature.types["Integral"] += rows - fractions
            feature.count += rows
            feature.exact += total
            feature.low, feature.high = min(feature.low, low), max(feature.high, high)

    def release(self) -> None:
        """Hand each sketch's state back to its feature's KLL."""
        if self.sketches is not None:
            for sketch, feature in zip(self.sketches, self.profile.features, strict=True):
                sketch.store(feature.sketch)
            self.sketches = None
