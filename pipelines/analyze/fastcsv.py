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

The profile of a parsed chunk (``Columns.add``) is two C calls at once, each over half the columns (ctypes releases
the GIL, and no column comes back to Python between chunks: with a Python step per column, two threads were slower
than one): min, max, the Fractional count and the exact sum bins, mean/M2 in blocks as the reference reader folds
them, and the KLL sketch update (the same compactions as kll.py), whose lowest compactor sorts with numpy's own
float64 sort called from C (``_numpy_float_sort``). ``Columns`` holds each feature's state while chunks stream and
hands it back to the feature at ``release``, before anything else touches it.

Memory: the file is mapped, not read (``chunks``), and the parsed arrays are sized by the chunk's line count and
reused: on this VM every fresh page costs a zeroing fault, and oversized arrays once cost a third of the run.
"""

from __future__ import annotations

import ctypes
import mmap
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
    "touch_pages": (_I, [_P, _I]),
    "line_count": (_I, [_P, _I]),
    "release_pages": (_I, [_P, _I]),
    "parse_block": (_I, [_P, _I, _I, _I, ctypes.c_int32, _P, _P]),
    "set_float_sort": (None, [_P]),
    "kll_add": (_I, [_P, _P, _I]),
    "add_columns": (_I, [_P, _I, _I, _P, _P, _P, _P, _I]),
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
            library.set_float_sort(_numpy_float_sort())
            _library = library
    return _library or None


def _numpy_float_sort() -> int | None:
    """The address of numpy's float64 sort, for the C sketch update to call without the GIL: the float64
    descriptor's PyArray_ArrFuncs (numpy's C API table, slot 365: ``_PyDataType_GetArrFuncs`` in numpy 2's
    numpy/_core/include/numpy/__multiarray_api.h), whose ``sort[NPY_QUICKSORT]`` follows the 21 casts and 12
    functions (numpy/_core/include/numpy/ndarraytypes.h, ``PyArray_ArrFuncs``). Checked on arrays before use: any
    other numpy, or a sort that does not sort, gives None and the C library's own sort (the same order, slower)."""
    try:
        if int(np.__version__.split(".")[0]) != 2:
            return None
        from numpy._core import _multiarray_umath

        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        table = ctypes.cast(get_pointer(_multiarray_umath._ARRAY_API, None), ctypes.POINTER(ctypes.c_void_p))
        functions = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(table[365])(id(np.dtype(np.float64)))
        address = ctypes.cast(functions, ctypes.POINTER(ctypes.c_void_p))[21 + 12]
        sort = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_void_p)(address)
        for size in (0, 1, 2, 3, 16, 100, 2050):  # scrambled values (no numpy.random: 10 ms of import)
            values = np.sin(np.arange(size, dtype=np.float64) * 12.9898) * 43758.5453
            probe = values.copy()
            if sort(probe.ctypes.data, size, None) != 0 or not np.array_equal(probe, np.sort(values)):
                return None
        return address
    except Exception:  # noqa: BLE001 - any failure: the C library's own sort
        return None


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="fastcsv")
    return _pool


def chunks(path: str, chunk_bytes: int | None = None, then: str | None = None) -> Iterator[np.ndarray]:
    """A local file in chunks of whole lines (the last one may lack its newline; a line longer than chunk_bytes is
    one chunk), as byte arrays over the file mapped into memory: no copy into a buffer, and the pages of the page
    cache are mapped, not read (a third of read()'s system time here, docs/performance.md). While one chunk is
    profiled, an I/O thread unmaps the last chunk's pages from the process (they stay in the page cache) and faults
    the next one's in (_native.c's release_pages and touch_pages, without the GIL), so memory stays bounded by two
    chunks (three at a file's end: with the last chunk, it maps the file ``then`` and faults its first chunk in,
    ``prefetch``). Each chunk is valid until the next is asked for."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    ahead = _prefetched.pop((path, chunk_bytes), None)
    opened = ahead.result() if ahead is not None else _open_mapped(path, chunk_bytes, touch=False)
    if opened is None:  # an empty file
        return
    mapped, whole, size, current = opened
    upcoming = None if ahead is not None else _reader().submit(_touch, whole, *current)
    released = 0
    try:
        while current:
            if upcoming is not None:
                wait([upcoming])  # the chunk's pages are in
            following = (current[1], _line_end(mapped, current[1], size, chunk_bytes)) if current[1] < size else None
            done = current[0] - current[0] % mmap.PAGESIZE  # the pages before the chunk: the last chunk's
            upcoming = _reader().submit(_release_then_touch, whole, released, done, following)
            released = max(released, done)
            if following is None and then:
                prefetch(then, chunk_bytes)
            yield whole[current[0]:current[1]]
            current = following
    finally:
        if upcoming is not None:
            wait([upcoming])  # no page is touched after the file is unmapped
        del whole
        try:
            mapped.close()
        except BufferError:  # a caller still holds a chunk: unmapped when it lets go
            pass


_prefetched: dict[tuple[str, int], Any] = {}  # (path, chunk_bytes): the I/O thread's future of _open_mapped


def prefetch(path: str, chunk_bytes: int | None = None) -> None:
    """Map ``path`` and fault its first chunk's pages in, in the I/O thread, for the ``chunks(path)`` call to come
    (a file's first chunk otherwise waits for its pages: ~2 ms a file here). An error opening it is raised by that
    call, as without the prefetch."""
    key = (path, chunk_bytes or CHUNK_BYTES)
    if key not in _prefetched:
        _prefetched[key] = _reader().submit(_open_mapped, path, key[1], True)


def forget_prefetched() -> None:
    """Drop the files mapped ahead and never read (the reading stopped early)."""
    for future in _prefetched.values():
        wait([future])
    _prefetched.clear()


def _open_mapped(path: str, chunk_bytes: int, touch: bool) -> tuple[mmap.mmap, np.ndarray, int, tuple[int, int]] | None:
    """The file mapped (None when empty), as bytes, its size and its first chunk's bounds (its pages faulted in
    with ``touch``)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if not size:
            return None
        mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
    whole = np.frombuffer(mapped, dtype=np.uint8)
    first = (0, _line_end(mapped, 0, size, chunk_bytes))
    if touch:
        _touch(whole, *first)
    return mapped, whole, size, first


def _line_end(mapped: mmap.mmap, start: int, size: int, chunk_bytes: int) -> int:
    """The end of the chunk from ``start``: after the last newline within chunk_bytes, or after the first one
    beyond (a longer line), or the file's end."""
    limit = min(start + chunk_bytes, size)
    if limit == size:
        return size
    cut = mapped.rfind(b"\n", start, limit)
    if cut < 0:
        cut = mapped.find(b"\n", limit)
    return cut + 1 if cut >= 0 else size


def _release_then_touch(whole: np.ndarray, start: int, end: int, following: tuple[int, int] | None) -> None:
    """Unmap whole[start:end] (page-aligned; nothing when empty) from the process, then fault ``following``'s pages
    in."""
    _load().release_pages(whole.ctypes.data + start, end - start)
    if following:
        _touch(whole, *following)


def _touch(whole: np.ndarray, start: int, end: int) -> None:
    """Fault the pages of whole[start:end] in (one read a page, in C, without the GIL)."""
    _load().touch_pages(whole.ctypes.data + start, end - start)


def _reader() -> ThreadPoolExecutor:
    global _io
    if _io is None:
        _io = ThreadPoolExecutor(1, thread_name_prefix="fastcsv-read")
    return _io


class _Half:
    """One thread's share of a chunk: its arrays, reused from chunk to chunk (grown when a share has more bytes)."""

    def __init__(self) -> None:
        self.cells = 0
        self.line_bytes = 0.0  # bytes per row of the last share
        self.values = np.empty(0, dtype=np.float64)
        self.fractional = np.empty(0, dtype=np.uint8)

    def parse(self, data: np.ndarray, width: int, output_first: bool) -> tuple[np.ndarray, np.ndarray] | None:
        library = _load()
        # rows: guessed from the last share's bytes per line (a pass that counts the lines costs a read of every
        # byte), counted when the guess falls short; each column's stretch stays dense either way
        capacity = int(len(data) / self.line_bytes * 1.25) + 16 if self.line_bytes else -1
        while True:
            if capacity < 0:
                capacity = library.line_count(data.ctypes.data, len(data)) + 1
            if capacity * width > self.cells:  # grown by half again: fresh pages are zeroed by the kernel, slowly
                self.cells = capacity * width + capacity * width // 2
                self.values = np.empty(self.cells, dtype=np.float64)
                self.fractional = np.empty(self.cells, dtype=np.uint8)
            values = self.values[:capacity * width].reshape(width, capacity)
            fractional = self.fractional[:capacity * width].reshape(width, capacity)
            rows = library.parse_block(data.ctypes.data, len(data), capacity, width, int(output_first),
                                       values.ctypes.data, fractional.ctypes.data)
            if rows != -2:
                break
            capacity = -1
        if rows > 0:
            self.line_bytes = len(data) / rows
        return None if rows < 0 else (values[:, :rows], fractional[:, :rows])


_HALVES = ((_Half(), _Half()), (_Half(), _Half()))  # two sets: one chunk is parsed while the one before is added


def _pieces(chunk: bytes | memoryview | np.ndarray) -> list[np.ndarray]:
    """The chunk as bytes in two halves cut at a line's end (one piece when small or a single line)."""
    data = chunk if isinstance(chunk, np.ndarray) else np.frombuffer(chunk, dtype=np.uint8)
    cut = _load().line_after(data.ctypes.data, len(data) // 2, len(data)) if len(data) >= 1 << 16 else 0
    return [data] if cut <= 0 else [data[:cut], data[cut:]]


def parse_columns(chunk: bytes | memoryview | np.ndarray, width: int, output_first: bool,
                  buffers: int = 0) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The chunk's rows in two parts (the two halves of its bytes, cut at a line's end, parsed at once), each
    (values [width x rows], fractional [width x rows]): every column a contiguous row of doubles; None when any line
    is not one the kernel takes (nothing is consumed: the caller hands the chunk to the reference reader). Blank
    lines are skipped, as the reference reader skips them. The arrays (set ``buffers``, 0 or 1) are reused by the
    next call with the same set."""
    pieces = _pieces(chunk)
    halves = _HALVES[buffers]
    if len(pieces) == 1:
        parts = [halves[0].parse(pieces[0], width, output_first)]
    else:
        futures = [_threads().submit(half.parse, piece, width, output_first)
                   for half, piece in zip(halves, pieces, strict=True)]
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


class _ColumnState(ctypes.Structure):
    """_native.c's column_t."""

    _fields_ = [(name, ctypes.c_void_p) for name in (
        "levels", "sizes", "compressions", "offsets", "height", "capacities", "scratch", "stream")] + \
        [(name, ctypes.c_int64) for name in ("stride", "max_height", "stream_capacity")] + \
        [(name, ctypes.c_void_p) for name in (
            "high", "low", "bounds", "fractions", "pending", "pending_count", "moments", "block_scratch")] + \
        [("block", ctypes.c_int64)]


class Column:
    """One numeric column's statistics in arrays the C library updates (_native.c's column_t): its KLL sketch
    (``load`` from and ``store`` into kll.KLL), the exact sum's bins, min, max, the Fractional count and mean/M2
    with the values waiting for a full block."""

    def __init__(self, k: int, c: float) -> None:
        from pipelines.analyze.stats import MOMENT_BLOCK

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
        self.high = np.zeros(2048, dtype=np.int64)
        self.low = np.zeros(2048, dtype=np.int64)
        self.bounds = np.array([np.inf, -np.inf])
        self.fractions = np.zeros(1, dtype=np.int64)
        self.pending = np.empty(MOMENT_BLOCK, dtype=np.float64)
        self.pending_count = np.zeros(1, dtype=np.int64)
        self.moments = np.zeros(3, dtype=np.float64)
        self.block_scratch = np.empty(MOMENT_BLOCK, dtype=np.float64)
        self.state = _ColumnState(block=MOMENT_BLOCK, stride=self.stride, max_height=MAX_HEIGHT)
        for name, _ in _ColumnState._fields_:
            if name not in ("stride", "max_height", "stream_capacity", "block"):
                setattr(self.state, name, getattr(self, name).ctypes.data)
        self.reserve(0)

    def reserve(self, n: int) -> bool:
        """Room in the stream for the lowest compactor's items and ``n`` new values (reused: a fresh array each
        chunk costs page faults); True when the stream moved."""
        if len(self.stream) >= self.stride + n:
            return False
        self.stream = np.empty(self.stride + n + n // 4, dtype=np.float64)
        self.state.stream, self.state.stream_capacity = self.stream.ctypes.data, len(self.stream)
        return True

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

    def update(self, values: np.ndarray) -> bool:
        """KLL.update(values) (finite doubles) on the sketch, in C (_native.c's kll_update, the same one the chunks
        go through); False when the sketch outgrows the arrays (never below 2^48 k items)."""
        self.reserve(len(values))
        values = np.ascontiguousarray(values, dtype=np.float64)
        return _load().kll_add(ctypes.addressof(self.state), values.ctypes.data, len(values)) >= 0

    def take(self, feature: Any) -> None:
        """The feature's mean/M2 state and its values waiting for a full block."""
        waiting = np.concatenate(feature._pending) if feature._pending else np.empty(0)
        self.pending[:len(waiting)] = waiting
        self.pending_count[0] = len(waiting)
        self.moments[:] = (feature.moment_count, feature.mean, feature.m2)

    def give(self, feature: Any, rows: int) -> None:
        """Hand everything back to ``feature`` (stats.FeatureProfile), ``rows`` values added since the last hand-over
        (the Fractional ones counted here, the rest Integral), and start the accumulators again."""
        waiting = int(self.pending_count[0])
        feature._pending = [self.pending[:waiting].copy()] if waiting else []
        feature._pending_count = waiting
        feature.moment_count, feature.mean, feature.m2 = int(self.moments[0]), float(self.moments[1]), \
            float(self.moments[2])
        feature.exact += exact.from_bins(self.high, self.low)
        feature.low, feature.high = min(feature.low, float(self.bounds[0])), max(feature.high, float(self.bounds[1]))
        fractions = int(self.fractions[0])
        feature.types["Fractional"] += fractions
        feature.types["Integral"] += rows - fractions
        self.high[:], self.low[:], self.bounds[:], self.fractions[0] = 0, 0, (np.inf, -np.inf), 0
        self.store(feature.sketch)


def _fold_blocks(blocks: np.ndarray, state: tuple[int, float, float]) -> tuple[int, float, float]:
    """stats.FeatureProfile._fold over each MOMENT_BLOCK of ``blocks``, in C (_native.c's fold_blocks: numpy's
    pairwise sums, the same operations in the same order; Column folds its blocks with it)."""
    from pipelines.analyze.stats import MOMENT_BLOCK

    values = np.ascontiguousarray(blocks, dtype=np.float64)
    moments = np.array(state, dtype=np.float64)
    scratch = np.empty(MOMENT_BLOCK, dtype=np.float64)
    _load().fold_blocks(values.ctypes.data, len(values), MOMENT_BLOCK, moments.ctypes.data, scratch.ctypes.data)
    return int(moments[0]), float(moments[1]), float(moments[2])


class Columns:
    """The profile's numeric features while parsed chunks stream in (stats.Profile, all numeric). Each feature's
    state (KLL sketch, mean/M2) moves into a native Column at the first chunk and back into the feature at
    ``release`` (call it before the reference reader or anything else reads or updates the profile)."""

    BIN_ROWS = 1 << 34  # hand the int64 exact-sum bins over before they could overflow (exact below 2^36 values)

    def __init__(self, profile: Any) -> None:
        self.profile = profile
        self.columns: list[Column] | None = None
        self.states: Any = None
        self.rows = 0  # rows since the last release

    def add(self, parts: list[tuple[np.ndarray, np.ndarray]],
            following: tuple[Any, int, bool, int] | None = None) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """A parsed chunk (``parse_columns``: its parts in order) into the profile: the same statistics as the
        reference reader's stats.FeatureProfile.add_numbers. Two C calls at once, each over half the columns.

        ``following``: the next chunk, as parse_columns' arguments (chunk, width, output_first, buffers: not the
        set ``parts`` is in), parsed in the same two jobs (each thread parses a half after its columns: one
        hand-over per chunk, and a thread done early parses instead of waiting); its parts are returned (None when
        it is not one the kernel takes)."""
        features = self.profile.features
        if self.columns is None:
            self.columns = [Column(feature.sketch.k, feature.sketch.c) for feature in features]
            for column, feature in zip(self.columns, features, strict=True):
                if not column.load(feature.sketch):  # pragma: no cover - a sketch of more than 2^48 k items
                    raise RuntimeError("a KLL sketch too tall for the fast reader")
                column.take(feature)
            self.states = (_ColumnState * len(features))(*(column.state for column in self.columns))
        rows = sum(values.shape[1] for values, _ in parts)
        for index, column in enumerate(self.columns):
            if column.reserve(rows):
                self.states[index] = column.state
        count = len(parts)
        pointers = [(ctypes.c_void_p * count)(*(part[i].ctypes.data for part in parts)) for i in (0, 1)]
        sizes = [(ctypes.c_int64 * count)(*(part[0].shape[1] for part in parts)),
                 (ctypes.c_int64 * count)(*(part[0].strides[0] // 8 for part in parts))]
        library, width = _load(), len(features)
        half = (width + 1) // 2
        pieces = _pieces(following[0]) if following else []

        def job(share: int) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
            first, columns = (0, half) if share == 0 else (half, width - half)
            result = library.add_columns(self.states, first, columns, pointers[0], pointers[1], sizes[0], sizes[1],
                                         count)
            if share >= len(pieces):
                return result, None
            _, row_width, output_first, buffers = following
            return result, _HALVES[buffers][share].parse(pieces[share], row_width, output_first)

        jobs = [future.result() for future in [_threads().submit(job, 0), _threads().submit(job, 1)]]
        if any(result < 0 for result, _ in jobs):  # pragma: no cover - see Column.load; streams are reserved
            raise RuntimeError("the fast reader's KLL sketch overflowed")
        self.profile.items += rows
        self.profile.column_counts[self.profile.width] += rows
        for feature in features:
            feature.count += rows
        self.rows += rows
        if self.rows >= self.BIN_ROWS:  # pragma: no cover - 2^34 rows
            self._give()
        if not following:
            return None
        parsed = [part for _, part in jobs[:len(pieces)]]
        return None if any(part is None for part in parsed) else parsed

    def _give(self) -> None:
        self._hand_back()
        for column, feature in zip(self.columns, self.profile.features, strict=True):
            column.load(feature.sketch)
            column.take(feature)

    def release(self) -> None:
        """Hand each column's state back to its feature."""
        if self.columns is not None:
            self._hand_back()
            self.columns, self.states = None, None

    def _hand_back(self) -> None:
        for column, feature in zip(self.columns, self.profile.features, strict=True):
            column.give(feature, self.rows)
        self.rows = 0
