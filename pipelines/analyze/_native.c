/* data-quality's fast reader (pipelines/analyze/fastcsv.py): the compiled part, loaded with ctypes.
 *
 * Built by `make native` (cc -O2 -shared; the analyzer container's build stage does the same); without the library
 * the reference reader runs. Plain C99 and the C library only, so it loads in a few milliseconds: the compiled
 * kernel it replaces (numba) cost about 1.1 s of import and cache loading per process, more than the whole budget
 * of a million records a second (docs/performance.md).
 *
 * Every function works on memory the caller (numpy) owns and is called without the GIL (ctypes.CDLL releases it),
 * so the Python side runs two of them at once, one per core.
 *
 * - line_index: the non-blank lines of a chunk.
 * - parse_rows: SageMaker's compact capture line with all-numeric CSV data into doubles, exactly as Python's float()
 *   (Clinger's fast path only; anything else fails the chunk, which then goes whole to the reference reader). The
 *   rules are fastcsv.py's module docstring.
 * - column_stats: a column's min, max, Fractional count and its exact sum in bins (pipelines/analyze/exact.py).
 * - kll_update: Deequ's KLL sketch update, item for item the same compactions as pipelines/analyze/kll.py
 *   (QuantileNonSample.scala, NonSampleCompactor.scala in awslabs/deequ), with the compactor's sort in Java's total
 *   order of doubles (-0.0 before 0.0, as Scala's Ordering.Double and java.util.Arrays.sort order them).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

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
        while (pos < end && (digit = (unsigned)buf[pos] - '0') <= 9) {
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
            while (pos < end && (digit = (unsigned)buf[pos] - '0') <= 9) {
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
 * (values[col * capacity + row]). Returns the number of rows, or -1 at the first line the kernel does not take (or
 * a row beyond capacity): the caller then hands the whole block to the reference reader. Each data string is read
 * once: its fields end at its closing quote, where the fixed tail must follow. */
int64_t parse_block(const uint8_t *buf, int64_t n, int64_t capacity, int64_t width, int32_t output_first,
                    double *values, uint8_t *fractional) {
    const int64_t prefix = sizeof(PREFIX) - 1, mode_in = sizeof(MODE_IN) - 1, tail = sizeof(TAIL) - 1,
                  output = sizeof(OUTPUT) - 1, mode_out = sizeof(MODE_OUT) - 1;
    double *row_values = malloc((size_t)width * sizeof(double));
    uint8_t *row_marks = malloc((size_t)width);
    int64_t row = 0, line = 0;
    if (!row_values || !row_marks) goto fail;
    while (line < n) {
        const uint8_t *newline = memchr(buf + line, '\n', (size_t)(n - line));
        int64_t pos = line, end = newline ? (int64_t)(newline - buf) : n, stop = -1;
        line = end + 1;
        if (end == pos) continue; /* a blank line */
        if (row >= capacity || !matches(buf, pos, end, PREFIX, prefix)) goto fail;
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
int64_t column_stats(const double *values, const uint8_t *fractional, int64_t n, int64_t *high, int64_t *low,
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

/* Every other item of a stretch numpy sorted (ascending, but -0.0 and 0.0 in any order among themselves), from
 * index `from`, as order keys appended to out; the zeros are one run, found by bisection, whose -0.0 go first, as
 * Java's total order has them. Returns how many were appended. */
static int64_t every_other_sorted(const double *sorted, int64_t n, int64_t from, uint64_t *out) {
    int64_t low = 0, high = n;
    while (low < high) { /* the first item >= 0 */
        int64_t middle = low + (high - low) / 2;
        if (sorted[middle] < 0.0) low = middle + 1; else high = middle;
    }
    int64_t zeros = low, negative = 0;
    while (zeros < n && sorted[zeros] == 0.0) negative += signbit(sorted[zeros++]) != 0;
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

/* A sketch's state in caller-owned arrays: levels[h * stride + i] (order keys) for i < sizes[h], h < *height;
 * compressions and offsets per compactor; capacities[h] = QuantileNonSample.capacity(h) for h < max_height
 * (computed in Python, with Python's float power, so they are kll.py's). scratch: 2 * stride keys.
 *
 * An update runs in three steps, so that the sorts of the lowest compactor (half the work: every item passes it)
 * are numpy's vectorised sort: which compactions happen depends on the sizes only, never on the values, so
 * kll_plan finds, without the values, the stretches of the stream (the lowest compactor's items, then the new
 * values) that each compaction of the lowest compactor sorts: consecutive, disjoint stretches. fastcsv.Sketch
 * sorts each stretch in place (numpy), and kll_apply replays the update with them. */

/* The compaction loop of kll.py's KLL.update (condense exactly when Deequ's item-by-item update would: when the
 * items exceed the total capacity; the lowest level at or over its capacity is compacted into the one above). With
 * stream == NULL it only plans: sizes change, and the lengths of the lowest compactor's sorted stretches go to
 * stretches (at most max_stretches; the count is returned). With stream, the lowest compactor's items are
 * stream[first:...] and its stretches are already sorted; the upper compactors' items are in levels. -1 when the
 * sketch would outgrow max_height or stride, or more stretches than max_stretches. */
static int64_t replay(uint64_t *levels, int64_t stride, int64_t max_height, int64_t *sizes, int64_t *compressions,
                      int64_t *offsets, int64_t *height, const int64_t *capacities, uint64_t *scratch,
                      double *stream, int64_t n, int64_t *stretches, int64_t max_stretches) {
    int64_t size = 0, capacity = 0, start = 0, first = 0, count = 0;
    for (int64_t h = 0; h < *height; h++) {
        size += sizes[h];
        capacity += capacities[h];
    }
    while (start < n) {
        int64_t room = capacity - size + 1; /* the item that overflows triggers one condense */
        int64_t take = room < 0 ? 0 : (room < n - start ? room : n - start);
        sizes[0] += take;
        size += take;
        start += take;
        if (size <= capacity) continue;
        for (int64_t h = 0; h < *height; h++) {
            if (sizes[h] < capacities[h]) continue;
            if (h + 1 >= *height) {
                if (h + 1 >= max_height) return -1;
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
            if (!stream) { /* plan: sizes only */
                if (h == 0) {
                    if (count == max_stretches) return -1;
                    stretches[count++] = even;
                }
            } else {
                uint64_t *keys = scratch, *above = levels + (h + 1) * stride;
                if (h == 0) { /* the stretch was sorted by the caller */
                    every_other_sorted(stream + first, even, offsets[h], above + sizes[h + 1]);
                } else {
                    memcpy(keys, levels + h * stride, (size_t)even * 8);
                    sort_runs(keys, scratch + stride, even);
                    int64_t at = sizes[h + 1];
                    for (int64_t i = offsets[h]; i < even; i += 2) above[at++] = keys[i];
                }
                if (h == 0)
                    first += even; /* the odd last item stays: the next stretch starts with it */
                else if (sizes[h] % 2)
                    levels[h * stride] = levels[h * stride + even];
            }
            size -= even / 2;
            sizes[h + 1] += even / 2;
            sizes[h] -= even;
            break;
        }
    }
    if (stream) {
        if (sizes[0] > stride) return -1;
        for (int64_t i = 0; i < sizes[0]; i++) levels[i] = order_key(stream[first + i]);
    }
    return count;
}

/* The plan of an update of a sketch by n values (see replay); the state arrays are not changed (the caller passes
 * copies of sizes, compressions, offsets and height). */
int64_t kll_plan(int64_t stride, int64_t max_height, int64_t *sizes, int64_t *compressions, int64_t *offsets,
                 int64_t *height, const int64_t *capacities, int64_t n, int64_t *stretches, int64_t max_stretches) {
    return replay(NULL, stride, max_height, sizes, compressions, offsets, height, capacities, NULL, NULL, n,
                  stretches, max_stretches);
}

/* Apply the update: stream = the lowest compactor's items then the n new values (finite doubles), each planned
 * stretch sorted by numpy's float sort (which leaves -0.0 and 0.0 in any order: sorted_keys puts them in order). */
int64_t kll_apply(uint64_t *levels, int64_t stride, int64_t max_height, int64_t *sizes, int64_t *compressions,
                  int64_t *offsets, int64_t *height, const int64_t *capacities, uint64_t *scratch, double *stream,
                  int64_t n) {
    sizes[0] = 0; /* its items are the stream's first ones */
    return replay(levels, stride, max_height, sizes, compressions, offsets, height, capacities, scratch, stream, n,
                  NULL, 0);
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

double sum_pairwise(const double *a, int64_t n) { return pairwise_sum(a, n); }

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
