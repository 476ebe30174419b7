/* data-quality's fast reader (pipelines/analyze/fastcsv.py): the compiled part, loaded with ctypes.
 *
 * Built by `make native` (cc -O3 -shared; the analyzer container's build stage does the same); without the library
 * the reference reader runs. Plain C99 and the C library only, so it loads in a few milliseconds: the compiled
 * kernel it replaces (numba) cost about 1.1 s of import and cache loading per process, more than the whole budget
 * of a million records a second (docs/performance.md).
 *
 * Every function works on memory the caller (numpy, or a file mapped into memory) owns and is called without the
 * GIL (ctypes.CDLL releases it), so the Python side runs two of them at once, one per core.
 *
 * - line_count, line_after, touch_pages: a chunk's lines, where to cut it in two, its pages faulted in ahead.
 * - parse_block: SageMaker's compact capture line with all-numeric CSV data into doubles, exactly as Python's float()
 *   (Clinger's fast path only; anything else fails the chunk, which then goes whole to the reference reader). The
 *   rules are fastcsv.py's module docstring.
 * - add_columns: a parsed chunk into half the columns, one call per thread: column_stats (min, max, Fractional
 *   count, the exact sum in bins: pipelines/analyze/exact.py), mean/M2 in blocks (fold_blocks: numpy's pairwise
 *   sums), and Deequ's KLL sketch update (kll_update), item for item the same compactions as
 *   pipelines/analyze/kll.py (QuantileNonSample.scala, NonSampleCompactor.scala in awslabs/deequ), the compactor's
 *   sort in Java's total order of doubles (-0.0 before 0.0, as Scala's Ordering.Double and java.util.Arrays.sort
 *   order them). The lowest compactor's sort is numpy's own float64 sort, called through its C API table
 *   (set_float_sort), so no column goes back to Python between chunks.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/mman.h>

static const char PREFIX[] = "{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"";
static const char MODE_IN[] = "\",\"mode\":\"INPUT\",\"data\":\"";
static const char TAIL[] = "\",\"encoding\":\"CSV\"}";
static const char OUTPUT[] = ",\"endpointOutput\":{\"observedContentType\":\"";
static const char MODE_OUT[] = "\",\"mode\":\"OUTPUT\",\"data\":\"";

/* exact doubles 10^0 .. 10^22 */
static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The position just after the first newline of buf[from:n], or 0 when there is none. */
int64_t line_after(const uint8_t *buf, int64_t from, int64_t n) {
    const uint8_t *newline = from < n ? memchr(buf + from, '\n', (size_t)(n - from)) : NULL;
    return newline ? (int64_t)(newline - buf) + 1 : 0;
}

/* The newlines in buf[0:n]. */
int64_t line_count(const uint8_t *buf, int64_t n) {
    int64_t count = 0;
    const uint8_t *at = buf, *end = buf + n;
    while (at < end && (at = memchr(at, '\n', (size_t)(end - at))) != NULL) {
        count++;
        at++;
    }
    return count;
}

/* Drop the pages of p[0:n] (page-aligned) from the process: a mapped file's pages stay in the page cache. */
int64_t release_pages(void *p, int64_t n) { return n > 0 ? madvise(p, (size_t)n, MADV_DONTNEED) : 0; }

/* Read one byte of every page of p[0:n], so that a mapped file's pages are faulted in by the caller's thread (the
 * fast reader's I/O thread, ahead of the parse). */
int64_t touch_pages(const uint8_t *p, int64_t n) {
    uint64_t sum = 0;
    for (int64_t i = 0; i < n; i += 4096) sum += *(volatile const uint8_t *)(p + i);
    if (n > 0) sum += *(volatile const uint8_t *)(p + n - 1);
    return (int64_t)sum;
}

static inline int matches(const uint8_t *buf, int64_t pos, int64_t end, const char *pattern, int64_t length) {
    return pos + length <= end && memcmp(buf + pos, pattern, (size_t)length) == 0;
}

/* End of a JSON string's content (its closing quote), or -1 at a backslash / the line's end; with check_json, -1 if
 * it holds "json" in any case (a JSON content type). */
static int64_t string_end(const uint8_t *buf, int64_t pos, int64_t end, int check_json) {
    for (; pos < end; pos++) {
        uint8_t c = buf[pos];
        if (c == '"') return pos;
        if (c == '\\') return -1;
        if (check_json && (c | 32) == 'j' && pos + 3 < end && (buf[pos + 1] | 32) == 's' &&
            (buf[pos + 2] | 32) == 'o' && (buf[pos + 3] | 32) == 'n')
            return -1;
    }
    return -1;
}

/* The CSV fields of one string (up to its closing quote) into values[col..], fractional[col..]; the next column (and
 * *stop = the closing quote's position), or -1 when a field is not a Deequ number computed exactly here (a quote or
 * backslash inside the string included), or the row is wider than width. */
static int64_t fields(const uint8_t *buf, int64_t pos, int64_t end, int64_t col, int64_t width, double *values,
                      uint8_t *fractional, int64_t *stop) {
    for (;;) {
        if (col >= width || pos >= end) return -1;
        int negative = 0, dot = 0;
        uint8_t c = buf[pos];
        if (c == '-' || c == '+') {
            negative = c == '-';
            pos++;
        }
        uint64_t mantissa = 0;
        int64_t first = pos;
        unsigned digit;
        while ((digit = (unsigned)buf[pos] - '0') <= 9) { /* the line's newline stops it (parse_lines) */
            mantissa = mantissa * 10 + digit; /* wraps past 19 digits: refused below */
            pos++;
        }
        int64_t digits = pos - first;
        int scale = 0;
        if (digits == 0) return -1;
        if (pos < end && buf[pos] == '.') {
            dot = 1;
            pos++;
            int64_t start = pos;
            while ((digit = (unsigned)buf[pos] - '0') <= 9) {
                mantissa = mantissa * 10 + digit;
                pos++;
            }
            if (pos == start) return -1;
            digits += pos - start;
            scale = (int)(start - pos);
        }
        if (digits > 19) return -1; /* could overflow the mantissa: the reference reader decides */
        if (pos < end && (buf[pos] == 'e' || buf[pos] == 'E')) {
            dot = 1; /* Fractional: '.', 'e' or 'E' (Deequ's Fractional regex) */
            pos++;
            int exponent_negative = 0, exponent = 0;
            if (pos < end && (buf[pos] == '-' || buf[pos] == '+')) {
                exponent_negative = buf[pos] == '-';
                pos++;
            }
            int64_t start = pos;
            while (pos < end && (digit = (unsigned)buf[pos] - '0') <= 9) {
                if (exponent < 100000) exponent = exponent * 10 + (int)digit;
                pos++;
            }
            if (pos == start) return -1;
            scale += exponent_negative ? -exponent : exponent;
        }
        if (pos >= end) return -1;
        c = buf[pos];
        if (c != ',' && c != '"') return -1;
        if (mantissa >= 9007199254740992ULL || scale > 22 || scale < -22)
            return -1; /* outside Clinger's exact fast path: the reference reader decides */
        double value = (double)mantissa;
        if (scale > 0)
            value = value * POW10[scale];
        else if (scale < 0)
            value = value / POW10[-scale];
        values[col] = negative ? -value : value;
        fractional[col] = (uint8_t)dot;
        col++;
        if (c == '"') {
            *stop = pos;
            return col;
        }
        pos++;
    }
}

/* The lines of buf[0:n] (blank lines skipped) into values/fractional, column-major with `capacity` rows a column
 * (values[col * capacity + row]). Returns the number of rows, -1 at the first line the kernel does not take (the
 * caller then hands the whole block to the reference reader), or -2 at a row beyond capacity (the caller counts the
 * lines and calls again). Each data string is read once: its fields end at its closing quote, where the fixed tail
 * must follow. */
static int64_t parse_lines(const uint8_t *buf, int64_t n, int64_t capacity, int64_t width, int32_t output_first,
                           double *values, uint8_t *fractional, int64_t row);

int64_t parse_block(const uint8_t *buf, int64_t n, int64_t capacity, int64_t width, int32_t output_first,
                    double *values, uint8_t *fractional) {
    int64_t cut = n;
    while (cut > 0 && buf[cut - 1] != '\n') cut--;
    int64_t rows = parse_lines(buf, cut, capacity, width, output_first, values, fractional, 0);
    if (rows < 0 || cut == n) return rows;
    /* the last line, without its newline: parsed from a copy that has one, since the digit loops stop at the first
     * byte that is not a digit, and the newline is the one every line is sure to have */
    uint8_t *copy = malloc((size_t)(n - cut + 1));
    if (!copy) return -1;
    memcpy(copy, buf + cut, (size_t)(n - cut));
    copy[n - cut] = '\n';
    rows = parse_lines(copy, n - cut + 1, capacity, width, output_first, values, fractional, rows);
    free(copy);
    return rows;
}

/* parse_block for whole lines (buf[n - 1] is a newline), from row `row` on. */
static int64_t parse_lines(const uint8_t *buf, int64_t n, int64_t capacity, int64_t width, int32_t output_first,
                           double *values, uint8_t *fractional, int64_t row) {
    const int64_t prefix = sizeof(PREFIX) - 1, mode_in = sizeof(MODE_IN) - 1, tail = sizeof(TAIL) - 1,
                  output = sizeof(OUTPUT) - 1, mode_out = sizeof(MODE_OUT) - 1;
    double *row_values = malloc((size_t)width * sizeof(double));
    uint8_t *row_marks = malloc((size_t)width);
    int64_t line = 0;
    if (!row_values || !row_marks) goto fail;
    while (line < n) {
        const uint8_t *newline = memchr(buf + line, '\n', (size_t)(n - line));
        int64_t pos = line, end = newline ? (int64_t)(newline - buf) : n, stop = -1;
        line = end + 1;
        if (end == pos) continue; /* a blank line */
        if (row >= capacity) {
            free(row_values);
            free(row_marks);
            return -2; /* more lines than the caller guessed: it counts them and calls again */
        }
        if (!matches(buf, pos, end, PREFIX, prefix)) goto fail;
        pos = string_end(buf, pos + prefix, end, 1);
        if (pos < 0 || !matches(buf, pos, end, MODE_IN, mode_in)) goto fail;
        /* the input's fields first, at the front of the row buffer; then the output's after them */
        int64_t inputs = fields(buf, pos + mode_in, end, 0, width, row_values, row_marks, &stop);
        if (inputs < 0 || !matches(buf, stop, end, TAIL, tail)) goto fail;
        pos = stop + tail;
        int64_t columns = inputs;
        if (matches(buf, pos, end, OUTPUT, output)) {
            pos = string_end(buf, pos + output, end, 1);
            if (pos < 0 || !matches(buf, pos, end, MODE_OUT, mode_out)) goto fail;
            columns = fields(buf, pos + mode_out, end, inputs, width, row_values, row_marks, &stop);
            if (columns < 0 || !matches(buf, stop, end, TAIL, tail)) goto fail;
        } else if (pos >= end || buf[pos] != '}') { /* captureData ends without an output */
            goto fail;
        }
        if (columns != width) goto fail;
        /* the row as the baseline lines it up: the output's columns first (START) or after the input's */
        int64_t rotate = output_first ? inputs : 0;
        for (int64_t col = 0; col < width; col++) {
            int64_t from = (col + rotate) % width;
            values[col * capacity + row] = row_values[from];
            fractional[col * capacity + row] = row_marks[from];
        }
        row++;
    }
    free(row_values);
    free(row_marks);
    return row;
fail:
    free(row_values);
    free(row_marks);
    return -1;
}

/* One column of finite doubles: min and max (out[0], out[1]), the number of Fractional fields (returned), and the
 * exact sum as pipelines/analyze/exact.py bins it: the signed 53-bit integer mantissas summed per biased exponent,
 * split into their high (>> 26) and low 26 bits (int64 bins are exact below 2^36 values). high/low: 2048 each,
 * added to. */
static int64_t column_stats(const double *values, const uint8_t *fractional, int64_t n, int64_t *high, int64_t *low,
                     double *out) {
    double lo = out[0], hi = out[1];
    int64_t fractions = 0;
    for (int64_t i = 0; i < n; i++) {
        double value = values[i];
        if (value < lo) lo = value;
        if (value > hi) hi = value;
        fractions += fractional[i];
        uint64_t word;
        memcpy(&word, &value, 8);
        int64_t biased = (int64_t)((word >> 52) & 0x7FF);
        int64_t mantissa = (int64_t)(word & 0xFFFFFFFFFFFFFULL);
        if (biased) mantissa |= (int64_t)1 << 52;
        if (word >> 63) mantissa = -mantissa;
        high[biased] += mantissa >> 26;  /* arithmetic shift, as numpy's >> on int64 */
        low[biased] += mantissa & 0x3FFFFFF;
    }
    out[0] = lo;
    out[1] = hi;
    return fractions;
}

/* ---- KLL ----------------------------------------------------------------------------------------------------- */

/* Java's total order of doubles as unsigned integers: flip every bit of a negative, the sign bit of a positive. The
 * sketch's levels hold these keys (fastcsv.Sketch converts at load and store). */
static inline uint64_t order_key(double value) {
    uint64_t word;
    memcpy(&word, &value, 8);
    return (word >> 63) ? ~word : word ^ 0x8000000000000000ULL;
}

static void sort_keys(uint64_t *keys, uint64_t *scratch, int64_t n);

static void insertion_sort(uint64_t *keys, int64_t n) {
    for (int64_t i = 1; i < n; i++) {
        uint64_t key = keys[i];
        int64_t j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = key;
    }
}

/* Sort n keys (scratch: n more): MSD radix sort (American flag) on the up to 11 bits below and including the highest
 * bit on which the keys differ, fewer for small n, then each bucket the same way, by insertion when small. Adaptive
 * to where the values lie: a column of scores near 0 and one of amounts in a single binade both spread. */
static void sort_keys(uint64_t *keys, uint64_t *scratch, int64_t n) {
    if (n < 40) {
        insertion_sort(keys, n);
        return;
    }
    uint64_t differ = 0, first = keys[0];
    for (int64_t i = 1; i < n; i++) differ |= keys[i] ^ first;
    if (!differ) return;
    int top = 63 - __builtin_clzll(differ);
    int bits = 64 - __builtin_clzll((uint64_t)n); /* about log2(n) + 1: a few items a bucket */
    if (bits > 11) bits = 11;
    int shift = top + 1 >= bits ? top + 1 - bits : 0;
    int64_t buckets = (int64_t)1 << (top + 1 - shift), mask = buckets - 1;
    int64_t counts[2048], offsets[2048];
    memset(counts, 0, (size_t)buckets * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) counts[(keys[i] >> shift) & mask]++;
    int64_t offset = 0;
    for (int64_t digit = 0; digit < buckets; digit++) {
        offsets[digit] = offset;
        offset += counts[digit];
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        scratch[offsets[(key >> shift) & mask]++] = key;
    }
    memcpy(keys, scratch, (size_t)n * 8);
    if (!shift) return; /* the digit was every differing bit */
    for (int64_t digit = 0, start = 0; digit < buckets; digit++) {
        int64_t count = counts[digit];
        if (count > 1) sort_keys(keys + start, scratch, count);
        start += count;
    }
}

/* How many -0.0 are among n doubles (counted before numpy sorts them: its vectorised sort may turn a -0.0 into 0.0,
 * as a vector min/max of the two zeros returns either). */
static int64_t negative_zeros(const double *values, int64_t n) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t word;
        memcpy(&word, values + i, 8);
        count += word == 0x8000000000000000ULL;
    }
    return count;
}

/* Every other item of a stretch numpy sorted (ascending; its zeros, `negative` of which were -0.0 before the sort,
 * with either sign), from index `from`, as order keys appended to out; the zeros are one run, found by bisection,
 * whose first `negative` are -0.0, as Java's total order has them. Returns how many were appended. */
static int64_t every_other_sorted(const double *sorted, int64_t n, int64_t from, int64_t negative, uint64_t *out) {
    int64_t low = 0, high = n;
    while (low < high) { /* the first item >= 0 */
        int64_t middle = low + (high - low) / 2;
        if (sorted[middle] < 0.0) low = middle + 1; else high = middle;
    }
    int64_t zeros = low;
    while (zeros < n && sorted[zeros] == 0.0) zeros++;
    int64_t at = 0;
    for (int64_t i = from; i < n; i += 2)
        out[at++] = i >= low && i < zeros ? order_key(i - low < negative ? -0.0 : 0.0) : order_key(sorted[i]);
    return at;
}

/* Sort keys that are a few sorted runs (an upper compactor's items: the sorted outputs of the level below, after
 * its odd leftover): natural merge sort, runs merged pairwise until one is left; many runs go to sort_keys. */
static void sort_runs(uint64_t *keys, uint64_t *scratch, int64_t n) {
    int64_t bounds[66], runs = 0;
    bounds[runs++] = 0;
    for (int64_t i = 1; i < n; i++) {
        if (keys[i] < keys[i - 1]) {
            if (runs == 65) {
                sort_keys(keys, scratch, n);
                return;
            }
            bounds[runs++] = i;
        }
    }
    bounds[runs] = n;
    while (runs > 1) {
        int64_t merged = 0;
        for (int64_t r = 0; r < runs; r += 2) {
            if (r + 1 == runs) {
                bounds[merged++] = bounds[r];
                break;
            }
            int64_t a = bounds[r], a_end = bounds[r + 1], b = a_end, b_end = bounds[r + 2], at = a;
            while (a < a_end && b < b_end) scratch[at++] = keys[b] < keys[a] ? keys[b++] : keys[a++];
            while (a < a_end) scratch[at++] = keys[a++];
            while (b < b_end) scratch[at++] = keys[b++];
            memcpy(keys + bounds[r], scratch + bounds[r], (size_t)(b_end - bounds[r]) * 8);
            bounds[merged++] = bounds[r];
        }
        bounds[merged] = n;
        runs = merged;
    }
}

/* The usual upper compaction: its n keys are at most two sorted runs (the outputs of the level below, one after the
 * other). Merge them and keep every other item from `from` straight into out, without sorting or copying; 0 when
 * the keys are more than two runs (the caller sorts them). */
static int select_two_runs(const uint64_t *keys, int64_t n, int64_t from, uint64_t *out) {
    int64_t cut = n;
    for (int64_t i = 1; i < n; i++) {
        if (keys[i] < keys[i - 1]) {
            if (cut != n) return 0;
            cut = i;
        }
    }
    int64_t a = 0, b = cut, at = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t key = b >= n || (a < cut && keys[a] <= keys[b]) ? keys[a++] : keys[b++];
        if (i >= from && (i - from) % 2 == 0) out[at++] = key;
    }
    return 1;
}

/* numpy's float64 sort (PyArray_ArrFuncs.sort[NPY_QUICKSORT] of the float64 descriptor: its vectorised quicksort,
 * AVX2 where the CPU has it), handed over by fastcsv.py at load (set_float_sort): calling it here, without the GIL,
 * keeps the whole update of a column in one C call. Without it (another numpy ABI), sort_doubles sorts the order
 * keys with sort_keys: the same order, slower. */
typedef int (*float_sort_function)(void *start, int64_t n, void *unused);
static float_sort_function float_sort = NULL;

void set_float_sort(void *function) { float_sort = (float_sort_function)function; }

static inline double key_value(uint64_t key) {
    uint64_t word = (key >> 63) ? key ^ 0x8000000000000000ULL : ~key;
    double value;
    memcpy(&value, &word, 8);
    return value;
}

/* Sort n finite doubles ascending (-0.0 and 0.0 in any order among themselves: every_other_sorted orders them);
 * scratch: 2n keys for the fallback. */
static void sort_doubles(double *values, int64_t n, uint64_t *scratch) {
    if (float_sort) {
        float_sort(values, n, NULL);
        return;
    }
    for (int64_t i = 0; i < n; i++) scratch[i] = order_key(values[i]);
    sort_keys(scratch, scratch + n, n);
    for (int64_t i = 0; i < n; i++) values[i] = key_value(scratch[i]);
}

/* One numeric column of the profile while chunks stream in: its KLL sketch, exact-sum bins, min/max, Fractional
 * count and mean/M2, in arrays fastcsv.py owns (its _Column mirrors this struct with ctypes). */
typedef struct {
    uint64_t *levels;       /* levels[h * stride + i], order keys, i < sizes[h], h < *height */
    int64_t *sizes, *compressions, *offsets, *height;
    const int64_t *capacities; /* QuantileNonSample.capacity(h), h < max_height (computed by kll.py) */
    uint64_t *scratch;      /* 2 * stride keys */
    double *stream;         /* stream_capacity doubles: the lowest compactor's items, then the new values */
    int64_t stride, max_height, stream_capacity;
    int64_t *high, *low;    /* 2048 each: the exact sum's bins (column_stats) */
    double *bounds;         /* min, max */
    int64_t *fractions;     /* the Fractional fields */
    double *pending;        /* block doubles: values not yet folded into mean/M2 */
    int64_t *pending_count;
    double *moments;        /* moment_count, mean, m2 */
    double *block_scratch;  /* block doubles */
    int64_t block;
} column_t;

/* KLL.update of the column's sketch (pipelines/analyze/kll.py, Deequ's QuantileNonSample item by item) by the n
 * values already in stream after the lowest compactor's sizes[0] items: the compaction loop condenses exactly when
 * the items exceed the total capacity, compacting the lowest level at or over its capacity into the one above. The
 * lowest compactor's items are a stretch of the stream (sorted here in place; its odd leftover item stays and starts
 * the next stretch); the upper compactors' are in levels. -1 when the sketch would outgrow max_height or stride. */
static int64_t kll_update(column_t *c, int64_t n) {
    int64_t *sizes = c->sizes, *compressions = c->compressions, *offsets = c->offsets, *height = c->height;
    const int64_t *capacities = c->capacities;
    int64_t stride = c->stride, lowest = sizes[0], total = lowest + n;
    int64_t size = 0, capacity = 0, start = 0, first = 0;
    for (int64_t h = 0; h < *height; h++) {
        size += sizes[h];
        capacity += capacities[h];
    }
    size -= lowest; /* the lowest compactor's items are the stream's first: counted as they are taken */
    sizes[0] = 0;
    while (start < total) {
        int64_t room = capacity - size + 1; /* the item that overflows triggers one condense */
        int64_t take = room < 0 ? 0 : (room < total - start ? room : total - start);
        sizes[0] += take;
        size += take;
        start += take;
        if (size <= capacity) continue;
        for (int64_t h = 0; h < *height; h++) {
            if (sizes[h] < capacities[h]) continue;
            if (h + 1 >= *height) {
                if (h + 1 >= c->max_height) return -1;
                sizes[h + 1] = 0;
                compressions[h + 1] = 0;
                offsets[h + 1] = 0;
                (*height)++;
                capacity += capacities[h + 1];
            }
            int64_t even = sizes[h] - sizes[h] % 2;
            if (sizes[h + 1] + even / 2 > stride || (h > 0 && sizes[h] > stride)) return -1;
            if (compressions[h] % 2 == 1) offsets[h] = 1 - offsets[h];
            compressions[h]++;
            uint64_t *above = c->levels + (h + 1) * stride;
            if (h == 0) {
                int64_t negative = negative_zeros(c->stream + first, even);
                sort_doubles(c->stream + first, even, c->scratch);
                every_other_sorted(c->stream + first, even, offsets[h], negative, above + sizes[h + 1]);
                first += even; /* the odd last item stays: the next stretch starts with it */
            } else {
                if (!select_two_runs(c->levels + h * stride, even, offsets[h], above + sizes[h + 1])) {
                    uint64_t *keys = c->scratch;
                    memcpy(keys, c->levels + h * stride, (size_t)even * 8);
                    sort_runs(keys, c->scratch + stride, even);
                    int64_t at = sizes[h + 1];
                    for (int64_t i = offsets[h]; i < even; i += 2) above[at++] = keys[i];
                }
                if (sizes[h] % 2) c->levels[h * stride] = c->levels[h * stride + even];
            }
            size -= even / 2;
            sizes[h + 1] += even / 2;
            sizes[h] -= even;
            break;
        }
    }
    if (sizes[0] > stride) return -1;
    for (int64_t i = 0; i < sizes[0]; i++) c->levels[i] = order_key(c->stream[first + i]);
    return 0;
}

/* The lowest compactor's items as doubles at the stream's start, then the parts' values (n in all): -1 when the
 * stream is too small (the caller grows it). */
static int64_t fill_stream(column_t *c, const double *const *parts, const int64_t *rows, int64_t count) {
    int64_t at = c->sizes[0], n = 0;
    for (int64_t p = 0; p < count; p++) n += rows[p];
    if (at + n > c->stream_capacity) return -1;
    for (int64_t i = 0; i < at; i++) c->stream[i] = key_value(c->levels[i]);
    for (int64_t p = 0; p < count; p++) {
        memcpy(c->stream + at, parts[p], (size_t)rows[p] * 8);
        at += rows[p];
    }
    return n;
}

/* kll.KLL.update(values) on the column's sketch (fastcsv.Sketch.update; the tests hold it to kll.py bit for bit):
 * 0, -1 when the sketch outgrows its arrays, -2 when the stream is too small. */
int64_t kll_add(column_t *c, const double *values, int64_t n) {
    if (fill_stream(c, &values, &n, 1) < 0) return -2;
    return kll_update(c, n);
}

/* ---- mean and M2 ------------------------------------------------------------------------------------------------ */

/* numpy's pairwise summation of contiguous doubles (numpy/_core/src/umath/loops_utils.h.src, @TYPE@_pairwise_sum,
 * PW_BLOCKSIZE 128, 8 accumulators), which ``ndarray.sum`` and ``ndarray.mean`` use: the same additions in the same
 * order, so the same double (tests/test_analyze_fast.py compares them on random arrays). */
static double pairwise_sum(const double *a, int64_t n) {
    if (n < 8) {
        double res = 0.;
        for (int64_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        int64_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    int64_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* stats.FeatureProfile._fold for each of the n / block full blocks of values, in order: the block's mean
 * (numpy's values.mean(): the pairwise sum over n) and M2 (((values - mean) ** 2).sum()), then Chan et al.'s
 * update of state = {moment_count, mean, m2} with Python's operation order. scratch: block doubles. */
void fold_blocks(const double *values, int64_t n, int64_t block, double *state, double *scratch) {
    for (int64_t start = 0; start + block <= n; start += block) {
        const double *v = values + start;
        double mean = pairwise_sum(v, block) / (double)block;
        for (int64_t i = 0; i < block; i++) {
            double d = v[i] - mean;
            scratch[i] = d * d;
        }
        double m2 = pairwise_sum(scratch, block);
        double count = state[0], total = count + (double)block;
        double delta = mean - state[1];
        state[2] += m2 + delta * delta * count * (double)block / total;
        state[1] += delta * (double)block / total;
        state[0] = total;
    }
}

/* Queue values for mean/M2 as stats.FeatureProfile.add_moments does: every full block of `block` consecutive values
 * is folded (fold_blocks), the rest waits in pending. */
static void moments_add(column_t *c, const double *values, int64_t n) {
    int64_t waiting = *c->pending_count, block = c->block;
    if (waiting) {
        int64_t take = block - waiting < n ? block - waiting : n;
        memcpy(c->pending + waiting, values, (size_t)take * 8);
        waiting += take;
        values += take;
        n -= take;
        if (waiting < block) {
            *c->pending_count = waiting;
            return;
        }
        fold_blocks(c->pending, block, block, c->moments, c->block_scratch);
    }
    int64_t full = n - n % block;
    fold_blocks(values, full, block, c->moments, c->block_scratch);
    memcpy(c->pending, values + full, (size_t)(n - full) * 8);
    *c->pending_count = n - full;
}

/* A parsed chunk into columns[first .. first + count): for each, its values in each part (parse_block's output:
 * part p holds column j's rows[p] values at values[p] + j * capacity[p]) go through column_stats, the mean/M2
 * blocks and the KLL update, in the parts' order. One call per thread and chunk, without the GIL. Returns 0, -1
 * when a sketch outgrows its arrays, -2 when a stream is too small (the caller grows it before calling). */
int64_t add_columns(column_t *columns, int64_t first, int64_t count, const double *const *values,
                    const uint8_t *const *fractional, const int64_t *rows, const int64_t *capacity, int64_t parts) {
    const double *column_values[8];
    if (parts > 8) return -1;
    for (int64_t j = first; j < first + count; j++) {
        column_t *c = columns + j;
        for (int64_t p = 0; p < parts; p++) {
            column_values[p] = values[p] + j * capacity[p];
            *c->fractions += column_stats(column_values[p], fractional[p] + j * capacity[p], rows[p], c->high, c->low,
                                          c->bounds);
            moments_add(c, column_values[p], rows[p]);
        }
        int64_t n = fill_stream(c, column_values, rows, parts);
        if (n < 0) return -2;
        if (kll_update(c, n) < 0) return -1;
    }
    return 0;
}
