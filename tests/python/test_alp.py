"""The block codecs alp and auto.

* A reader written in plain Python from docs/format.md ("alp and auto") decodes tsquash's streams bit for
  bit, so the page and the code cannot drift apart.
* Accounting: on data whose best method is known (decimals with a fixed number of digits, integer
  timestamps), the payload size equals what the page's layout gives for the integers, computed here.
* Size promises: never more than raw plus the framing; auto never more than alp; float32 data printed as
  doubles is coded as float32; on the shared series, alp and auto against the XOR family.
* Encoder stability: alp writes the bytes it always wrote, on inputs where the encoder's samples decide.
"""
from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

import tsquash
from conftest import DATASETS_DIR, FIXTURES_DIR, assert_bits_equal, edge_cases, split_stream

BLOCK = 1024
WIDTH = {"float64": 64, "float32": 32, "int64": 64}


# ---- a reader written from docs/format.md ---------------------------------------------------------------


F64 = [float(10**j) for j in range(19)]
I64 = [float(f"1e-{j}") for j in range(19)]  # Python parses decimal literals correctly rounded
MASK64 = (1 << 64) - 1


class Cursor:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def take(self, n: int) -> bytes:
        assert self.pos + n <= self.end, "read past the end"
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def varint(self) -> int:
        v, shift = 0, 0
        while True:
            b = self.u8()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def zigzag(self) -> int:
        u = self.varint()
        return ((u >> 1) ^ -(u & 1)) & MASK64

    def packed(self, m: int, w: int) -> list[int]:
        """m values of w bits, LSB first."""
        raw = self.take((m * w + 7) // 8)
        big = int.from_bytes(raw, "little")
        mask = (1 << w) - 1
        return [(big >> (i * w)) & mask for i in range(m)]


# The lags of the lagged integer streams (order 3) read so far, for tests that look for them.
LAGS_READ: list[int] = []


def read_ints(c: Cursor, m: int, models) -> list[int]:
    """An integer stream of m values (as unsigned 64-bit patterns)."""
    hdr = c.u8()
    order, coder = hdr & 3, (hdr >> 2) & 3
    assert hdr >> 4 == 0
    lag = 0
    if order == 3:  # a lag: first differences below it, differences from the value lag back from it on
        lag = c.varint()
        assert 2 <= lag < m, "lag within 2 and the value count"
        LAGS_READ.append(lag)
    starts = 1 if lag else order
    assert starts < m
    start = [c.zigzag() for _ in range(starts)]
    rc = m - starts
    if coder == 0:
        w = c.u8()
        base = c.zigzag()
        resid = [(r + base) & MASK64 for r in c.packed(rc, w)]
    elif coder == 3:
        resid = read_table_ans(c, rc, models[c.u8()])
    else:
        resid = read_entropy(c, rc, models[c.u8()], counted=coder == 2)
    v = start + resid
    if lag:
        for i in range(1, m):
            v[i] = (v[i] + v[i - 1 if i < lag else i - lag]) & MASK64
    elif order == 1:
        for i in range(1, m):
            v[i] = (v[i] + v[i - 1]) & MASK64
    elif order == 2:
        d = v[1]
        v[1] = (v[0] + d) & MASK64
        for i in range(2, m):
            d = (d + v[i]) & MASK64
            v[i] = (v[i - 1] + d) & MASK64
    return v


def read_entropy(c: Cursor, rc: int, model, counted: bool) -> list[int]:
    """rANS over bins: four states, symbol i with state i mod 4; then the offsets, LSB first. counted
    (coder 2): the words' count comes first."""
    log2, bins = model
    cum, slot_bin = [], []
    for b, (lower, width, weight) in enumerate(bins):
        cum.append(len(slot_bin))
        slot_bin += [b] * weight
    words = c.varint() if counted else None
    x = [c.u32() for _ in range(4)]
    words_start = c.pos
    chosen = []
    for i in range(rc):
        j = i % 4
        slot = x[j] & ((1 << log2) - 1)
        b = slot_bin[slot]
        x[j] = bins[b][2] * (x[j] >> log2) + slot - cum[b]
        if x[j] < 1 << 16:
            x[j] = (x[j] << 16) | c.u16()
        chosen.append(b)
    assert x == [1 << 16] * 4, "rANS states must end where the encoder started"
    assert words is None or c.pos - words_start == 2 * words, "the words' count must be the words read"
    return read_offsets(c, chosen, bins)


def read_offsets(c: Cursor, chosen: list[int], bins) -> list[int]:
    """The offsets of the residuals of bins `chosen`, LSB first, added to the bins' lower bounds."""
    total = sum(bins[b][1] for b in chosen)
    raw = c.take((total + 7) // 8)
    bits = int.from_bytes(raw, "little")
    assert total % 8 == 0 or raw[-1] >> (total % 8) == 0, "offset padding bits must be 0"
    out, pos = [], 0
    for b in chosen:
        lower, width, _ = bins[b]
        out.append((lower + ((bits >> pos) & ((1 << width) - 1))) & MASK64)
        pos += width
    return out


def read_table_ans(c: Cursor, rc: int, model) -> list[int]:
    """Table ANS over bins (coder 3), written from docs/format.md: the bins spread over the 2^L positions
    by the step 2^(L-1) + 2^(L-3) + 3, four states (positions), symbol i with state i mod 4; then the
    offsets."""
    log2, bins = model
    size = 1 << log2
    at, pos = [0] * size, 0
    for b, (_, _, weight) in enumerate(bins):
        for _ in range(weight):
            at[pos] = b
            pos = (pos + (size >> 1) + (size >> 3) + 3) % size
    seen = [weight for (_, _, weight) in bins]
    table = []  # per position: bin, bits to read, next state's base
    for s in range(size):
        b = at[s]
        xs = seen[b]
        seen[b] += 1
        nb = log2 + 1 - xs.bit_length()
        table.append((b, nb, (xs << nb) - size))
    nbytes = c.varint()
    x = [c.u16() for _ in range(4)]
    assert all(v < size for v in x)
    raw = c.take(nbytes)
    bits, tpos = int.from_bytes(raw, "little"), 0
    chosen = []
    for i in range(rc):
        b, nb, base = table[x[i % 4]]
        x[i % 4] = base + ((bits >> tpos) & ((1 << nb) - 1))
        tpos += nb
        chosen.append(b)
    assert x == [0] * 4, "table ANS states must end at position 0, where the encoder started"
    assert (tpos + 7) // 8 == nbytes and bits >> tpos == 0, "the state bits must fill their bytes, padding 0"
    return read_offsets(c, chosen, bins)


def signed(u: int) -> int:
    return u - (1 << 64) if u >> 63 else u


def alp_value(n: int, e: int, f: int, w: int) -> int:
    """Bits of n * F[f] * I[e] in double arithmetic with the page's magic-constant conversion; float32
    rounds that double to float32 once at the end."""
    m = struct.unpack("<Q", struct.pack("<d", 6755399441055744.0))[0]
    x = struct.unpack("<d", struct.pack("<Q", (m + n) & MASK64))[0] - 6755399441055744.0
    d = x * F64[f] * I64[e]
    if w == 64:
        return struct.unpack("<Q", struct.pack("<d", d))[0]
    return int(np.array([d], dtype=np.float64).astype(np.float32).view(np.uint32)[0])


def sig_value(q: int, e: int, p: int, decades: int, w: int) -> int:
    """Bits of the value of a `sig` integer: below 10^p it is the significand at e decimals; decade j above
    holds p-digit significands at e - j - 1 decimals; the quotient is correctly rounded (Python's int / int
    is), float32 rounds that double once more."""
    a = abs(q)
    span = 9 * 10 ** (p - 1)
    assert a < 10**p + decades * span, "past the last decade"
    if a < 10**p:
        s, ei = a, e
    else:
        j = (a - 10**p) // span
        s, ei = 10 ** (p - 1) + (a - 10**p - j * span), e - j - 1
    d = s / 10**ei
    if w == 64:
        bits = struct.unpack("<Q", struct.pack("<d", d))[0]
    else:
        bits = int(np.array([d], dtype=np.float64).astype(np.float32).view(np.uint32)[0])
    return bits | (1 << (w - 1)) if q < 0 else bits


def read_block(c: Cursor, m: int, w: int, ctx, nested: bool = False) -> list[int]:
    method = c.u8()
    if nested:
        assert method <= 3 or method in (7, 10, 11), "nested blocks use base methods"
    if method == 0:
        return [int.from_bytes(c.take(w // 8), "little") for _ in range(m)]
    if method in (1, 10):  # 10: alp_exc, the exceptions as two integer streams
        e, f = c.u8(), c.u8()
        k = c.varint()
        k2 = c.varint()
        e2, f2 = (c.u8(), c.u8()) if k2 else (0, 0)
        n = read_ints(c, m, ctx["models"])
        out = [alp_value(signed(x), e, f, w) for x in n]
        if method == 10:
            assert k >= 1
            pos, vals = read_ints(c, k, ctx["models"]), read_ints(c, k, ctx["models"])
            assert all(p < m for p in pos) and all(a < b for a, b in zip(pos, pos[1:])), "positions in order"
            assert all(v >> w == 0 for v in vals), "values within the dtype"
        else:
            pos = [c.u16() for _ in range(k)]
            vals = [int.from_bytes(c.take(w // 8), "little") for _ in range(k)]
        for p in [c.u16() for _ in range(k2)]:
            out[p] = alp_value(signed(n[p]), e2, f2, w)
        for p, v in zip(pos, vals):
            out[p] = v
        return out
    if method == 2:
        r = c.u8()
        d = c.u8()
        left = [c.u16() for _ in range(d)]
        k = c.varint()
        codes = c.packed(m, (d - 1).bit_length())
        rights = c.packed(m, r)
        out = [left[code] << r | right for code, right in zip(codes, rights)]
        pos = [c.u16() for _ in range(k)]
        lefts = [c.u16() for _ in range(k)]
        for p, lv in zip(pos, lefts):
            out[p] = lv << r | rights[p]
        return out
    if method == 3:
        return [x & ((1 << w) - 1) for x in read_ints(c, m, ctx["models"])]
    if method in (7, 11):  # 11: sig_exc, the exceptions as two integer streams
        e, p, decades = c.u8(), c.u8(), c.u8()
        assert e <= (18 if w == 64 else 10) and 1 <= p <= (15 if w == 64 else 9) and decades <= e
        k = c.varint()
        out = [sig_value(signed(q), e, p, decades, w) for q in read_ints(c, m, ctx["models"])]
        if method == 11:
            assert k >= 1
            pos, vals = read_ints(c, k, ctx["models"]), read_ints(c, k, ctx["models"])
            assert all(q < m for q in pos) and all(a < b for a, b in zip(pos, pos[1:])), "positions in order"
            assert all(v >> w == 0 for v in vals), "values within the dtype"
        else:
            pos = [c.u16() for _ in range(k)]
            vals = [int.from_bytes(c.take(w // 8), "little") for _ in range(k)]
        for p_, v in zip(pos, vals):
            out[p_] = v
        return out
    assert not nested
    if method == 4:
        runs = c.varint()
        lengths = read_ints(c, runs, ctx["models"])
        vals = read_block(c, runs, w, ctx, nested=True)
        out = []
        for ln, v in zip(lengths, vals):
            out += [v] * (ln + 1)
        assert len(out) == m
        return out
    if method == 5:
        codes = read_ints(c, m, ctx["models"])
        esc = codes.count(0)
        escaped = read_block(c, esc, w, ctx, nested=True) if esc else []
        it = iter(escaped)
        out = []
        for code in codes:
            out.append(ctx["dict"][code - 2] if code >= 2 else out[-1] if code == 1 else next(it))
        return out
    if method == 6:
        assert w == 64
        flags = c.u8()
        corr = read_ints(c, m, ctx["models"]) if flags else [0] * m
        g = read_block(c, m, 32, ctx, nested=True)
        widened = np.array(g, dtype=np.uint32).view(np.float32).astype(np.float64).view(np.uint64)
        return [(int(x) + k) & MASK64 for x, k in zip(widened, corr)]
    if method == 8:  # stride: L channels, channel j holding values j, j + L, ...
        lanes = c.u8()
        if not (2 <= lanes <= 16 and lanes <= m):  # a check of the bytes, as for sparse counts below
            raise AssertionError("stride out of range")
        out = [0] * m
        for j in range(lanes):
            out[j::lanes] = read_block(c, len(range(j, m, lanes)), w, ctx, nested=True)
        return out
    if method == 9:  # sparse: gaps between the nonzero values' positions, then those values
        k = c.varint()
        # A check of the bytes, not of the test (test_reference_reader_refuses_counts_the_page_rules_out
        # feeds it k = 0 and k = m); raised, not asserted, so that it also holds under python -O.
        if not 1 <= k < m:
            raise AssertionError("sparse nonzero count out of range")
        gaps = read_ints(c, k, ctx["models"])
        vals = read_block(c, k, w, ctx, nested=True)
        out, at = [0] * m, 0
        for gap, v in zip(gaps, vals):
            at += gap
            assert at < m, "nonzero position past the block"
            out[at] = v
            at += 1
        return out
    if method == 12:  # near: corrections in units in the last place, then the decimals as a nested block
        corr = read_ints(c, m, ctx["models"])
        base = read_block(c, m, w, ctx, nested=True)
        return [(b + k) & ((1 << w) - 1) for b, k in zip(base, corr)]
    raise AssertionError(f"unknown method {method}")


@pytest.mark.parametrize("block, message", [
    (bytes([9, 0]), "sparse nonzero count"),   # sparse with no value that is not zero
    (bytes([9, 4]), "sparse nonzero count"),   # sparse whose every value is "not zero": as many as the block
    (bytes([8, 1]), "stride out of range"),    # one channel
    (bytes([8, 5]), "stride out of range"),    # more channels than values
])
def test_reference_reader_refuses_counts_the_page_rules_out(block, message):
    # The reader's bounds are checks that fail on bytes the page forbids (the library raises
    # CorruptStreamError on the same ones), not assertions that always hold.
    with pytest.raises(AssertionError, match=message):
        read_block(Cursor(block), 4, 64, {"models": [], "dict": []})


def read_frame(c: Cursor, n: int, w: int, ctx) -> list[int]:
    nblocks = -(-n // BLOCK)
    sizes = [c.u16() for _ in range(nblocks)]
    assert sum(sizes) == c.end - c.pos, "directory does not cover the rest of the payload"
    out = []
    for b, size in enumerate(sizes):
        m = min(BLOCK, n - b * BLOCK)
        bc = Cursor(c.data, c.pos, c.pos + size)
        out += read_block(bc, m, w, ctx)
        assert bc.pos == bc.end, "block has bytes left over"
        c.pos += size
    return out


def read_payload(payload: bytes, n: int, dtype: str) -> list[int]:
    """The bit patterns of the n values of an alp/auto payload."""
    if n == 0:
        assert payload == b""
        return []
    w = WIDTH[dtype]
    c = Cursor(payload)
    sections = c.u8()
    assert sections & ~7 == 0
    reference = None
    if sections & 4:
        # The series reference: P values (a payload of their own, without a reference), the domain, and
        # then int64 blocks of the differences.
        period, domain, length = c.varint(), c.u8(), c.u32()
        inner = payload[c.pos:c.pos + length]
        assert inner[0] & 4 == 0
        reference = (period, domain, read_payload(inner, period, dtype))
        c.pos += length
        w = 64
    ctx = {"models": None, "dict": None}
    if sections & 1:
        ctx["models"] = read_models(c)
    if sections & 2:
        d, length = c.u32(), c.u32()
        inner = Cursor(c.data, c.pos, c.pos + length)
        assert inner.u8() == 0
        ctx["dict"] = read_frame(inner, d, w, {"models": ctx["models"], "dict": None})
        c.pos += length
    values = read_frame(c, n, w, ctx)
    if reference is None:
        return values
    period, domain, ref = reference
    if domain == 1:  # float32 patterns of float64 values
        assert dtype == "float64"
        pattern = np.array(ref, dtype=np.uint64).view(np.float64).astype(np.float32).view(np.uint32).tolist()
        mask = (1 << 32) - 1
        out = [(d + pattern[i % period]) & mask for i, d in enumerate(values)]
        return np.array(out, dtype=np.uint32).view(np.float32).astype(np.float64).view(np.uint64).tolist()
    assert domain == 0
    mask = (1 << WIDTH[dtype]) - 1
    return [(d + ref[i % period]) & mask for i, d in enumerate(values)]


def read_models(c: Cursor):
    """(log2 table size, [(lower, width, weight), ...]) for each model."""
    models = []
    for _ in range(c.u8()):
        log2 = c.u8()
        lower, bins = 0, []
        for _ in range(c.u16()):
            weight = c.varint()
            width = c.u8()
            lower = (lower + c.zigzag()) & MASK64
            bins.append((lower, width, weight))
        assert sum(b[2] for b in bins) == 1 << log2
        models.append((log2, bins))
    return models


def reference_decode(blob: bytes) -> np.ndarray:
    h, payload = split_stream(blob)
    dtype = {1: "float64", 2: "float32", 3: "int64"}[h["dtype_code"]]
    assert h["codec_id"] in (6, 7)
    vals = read_payload(payload, h["count"], dtype)
    u = np.uint32 if dtype == "float32" else np.uint64
    return np.array(vals, dtype=u).view(dtype)


def block_methods(blob: bytes) -> list[int]:
    """Method of each top-level block (by the page's framing)."""
    h, payload = split_stream(blob)
    n = h["count"]
    if n == 0:
        return []
    c = Cursor(payload)
    sections = c.u8()
    if sections & 4:
        c.varint(), c.u8()
        length = c.u32()  # read before the position is (c.pos += c.u32() would add to the position before it)
        c.pos += length
    if sections & 1:
        read_models(c)
    if sections & 2:
        c.u32()
        length = c.u32()
        c.pos += length
    sizes = [c.u16() for _ in range(-(-n // BLOCK))]
    out, at = [], c.pos
    for s in sizes:
        out.append(payload[at])
        at += s
    return out


# ---- inputs ----------------------------------------------------------------------------------------------


def decimal_walk(n, digits, scale, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    return np.round(20 + np.cumsum(rng.normal(scale=scale, size=n)), digits).astype(dtype)


def float32_printed(n, seed):
    """float32 readings with 3 decimals written with 17 significant digits and read back as doubles by a
    parser that is not correctly rounded (pandas' default), so some land an ulp off the float32 value."""
    rng = np.random.default_rng(seed)
    f = np.round(np.cumsum(rng.normal(scale=0.05, size=n)) + 5, 3).astype(np.float32).astype(np.float64)
    return (f.view(np.int64) + rng.choice([-1, 0, 0, 1], size=n)).view(np.float64)


def significant_digits(n, digits, seed, dtype="float64"):
    """A smooth series crossing zero, printed with a fixed number of significant digits (%.8g, as
    z-normalised series exported as text are) and parsed back: the larger the magnitude, the fewer the
    decimals."""
    rng = np.random.default_rng(seed)
    x = 3 * np.sin(np.arange(n) / 60 + np.cumsum(rng.normal(scale=0.01, size=n)))
    return np.array([float(f"{v:.{digits}g}") for v in x]).astype(dtype)


def multi_block(dtype):
    if dtype == "int64":
        rng = np.random.default_rng(4)
        return np.concatenate([1_700_000_000_000 + np.arange(1500) * 1000 + rng.integers(-2, 3, 1500),
                               np.repeat(rng.integers(-9, 9, 60), 20), rng.integers(-2**62, 2**62, 700)])
    rng = np.random.default_rng(5)
    parts = [decimal_walk(1100, 2, 0.2, 1, dtype), np.sin(np.arange(900) / 7).astype(dtype),
             np.repeat(np.round(rng.normal(size=50), 2), 25).astype(dtype),
             rng.integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32 if dtype == "float32" else np.uint64)
             .view(dtype)[:300]]
    if dtype == "float64":
        parts.append(float32_printed(1200, 6))
    return np.concatenate(parts).astype(dtype)


CODECS = ("alp", "auto")


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_reference_reader_decodes_edge_cases(codec, dtype):
    for name, x in edge_cases(dtype).items():
        blob = tsquash.encode(x, codec)
        assert_bits_equal(reference_decode(blob), x)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_reference_reader_decodes_multi_block_series(codec, dtype):
    x = multi_block(dtype)
    blob = tsquash.encode(x, codec)
    assert_bits_equal(reference_decode(blob), x)
    assert_bits_equal(tsquash.decode(blob), x)


def _dataset(name, n=None):
    path = DATASETS_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} not present (the shared datasets are optional)")
    x = np.fromfile(path, dtype="<f8")
    return x if n is None else x[:n]


@pytest.mark.parametrize("name", ["etth1/HUFL.f64", "nyc29_lon/value.f64", "poi_lat/value.f64",
                                  "basel_temp/value.f64", "city_temperature/value.f64", "shapes_all/value.f64"])
def test_reference_reader_on_real_series(name):
    x = _dataset(name, 5000)
    for codec in CODECS:
        for arr in (x, x.astype(np.float32)):
            assert_bits_equal(reference_decode(tsquash.encode(arr, codec)), arr)


# ---- accounting -----------------------------------------------------------------------------------------


def zigzag(v: int) -> int:
    return 2 * v if v >= 0 else -2 * v - 1


def varint_size(u: int) -> int:
    return max(1, -(-u.bit_length() // 7))


def for_stream_bytes(v: list[int]) -> int:
    """Size of an integer stream with the best delta order, frame of reference and bit packing (the page:
    header byte, the order's start values, width byte, 8-byte base, packed residuals)."""
    best = None
    m = len(v)
    cur = [int(x) for x in v]
    for order in range(3):
        if order >= m:
            break
        if order:
            cur = [b - a for a, b in zip(cur[:-1], cur[1:])]
        width = (max(cur) - min(cur)).bit_length()
        starts = sum(varint_size(zigzag(s)) for s in ([int(v[0])] if order >= 1 else [])
                     + ([int(v[1]) - int(v[0])] if order == 2 else []))
        size = 1 + starts + 1 + varint_size(zigzag(min(cur))) + (len(cur) * width + 7) // 8
        best = size if best is None else min(best, size)
    return best


@pytest.mark.parametrize("digits", [1, 2, 3])
def test_decimal_payload_is_the_integers_packed(digits):
    # Values built by the page's formula with exponent `digits` and factor 0 (n * 1 * I[digits]), so that
    # pair has no exceptions and no pair gives smaller integers: each block is method, exponent, factor,
    # exception and second-pair counts (one-byte varints, 0), and the integers as the best integer stream.
    rng = np.random.default_rng(digits)
    ints = (20 * 10**digits + np.cumsum(rng.integers(-50, 51, 5000))).astype(np.int64)
    x = ints.astype(np.float64) * 1.0 * I64[digits]
    assert np.all(np.round(x * 10**digits) == ints)
    nblocks = -(-x.size // BLOCK)
    expected = 1 + 2 * nblocks
    for b in range(nblocks):
        expected += 1 + 2 + 1 + 1 + for_stream_bytes(ints[b * BLOCK:(b + 1) * BLOCK].tolist())
    blob = tsquash.encode(x, "alp")
    assert tsquash.info(blob)["payload_size"] == expected
    assert set(block_methods(blob)) == {1}


def test_timestamp_payload_is_the_best_delta_stream():
    rng = np.random.default_rng(3)
    t = 1_700_000_000_000_000_000 + np.cumsum(1_000_000_000 + rng.integers(-500, 500, 4000)).astype(np.int64)
    nblocks = -(-t.size // BLOCK)
    expected = 1 + 2 * nblocks + sum(1 + for_stream_bytes(t[b * BLOCK:(b + 1) * BLOCK].tolist())
                                     for b in range(nblocks))
    blob = tsquash.encode(t, "alp")
    assert tsquash.info(blob)["payload_size"] == expected
    assert tsquash.info(tsquash.encode(t, "auto"))["payload_size"] <= expected


def test_entropy_coded_offsets_wider_than_57_bits():
    # Small skewed steps with a few jumps of 2^59 and more: the deltas get a model whose gap bins are wider
    # than one unaligned 64-bit load can serve at every bit position, which the decoder handles apart.
    rng = np.random.default_rng(7)
    step = 1000 + rng.geometric(0.1, 8 * BLOCK)
    jumps = rng.choice(step.size, 24, replace=False)
    step[jumps] = rng.choice([-1, 1], 24) * (2**59 + rng.integers(0, 2**40, 24))
    x = np.cumsum(step).astype(np.int64)
    blob = tsquash.encode(x, "auto")
    h, payload = split_stream(blob)
    c = Cursor(payload)
    assert c.u8() & 1, "expected an entropy-coded stream"
    assert max(width for _, bins in read_models(c) for _, width, _ in bins) > 57
    assert_bits_equal(tsquash.decode(blob), x)
    assert_bits_equal(reference_decode(blob), x)


# ---- size promises --------------------------------------------------------------------------------------


def raw_bound(x) -> int:
    """Header + sections byte + per block a directory entry, a method byte, and the raw values."""
    nblocks = -(-x.size // BLOCK)
    return 32 + (1 + 3 * nblocks + x.nbytes if x.size else 0)


def sampled_inputs() -> dict[str, np.ndarray]:
    """4,096 values (from integer arithmetic alone) whose blocks' exponent pairs depend on which values the
    encoder samples: a sawtooth of period 100 in halves, 2-decimal values with every 37th at 5 decimals,
    and ones with every 32nd at 5 decimals (the stride of evenly spaced block samples)."""
    t = np.arange(4096, dtype=np.int64)
    k = (t * 2654435761) % 1000003
    saw = (t % 100) * 0.5
    walk = np.cumsum((k % 61) - 30) / 100.0
    walk[::37] += (k[::37] % 997) / 100000.0
    grid = np.cumsum((k % 61) - 30) / 100.0
    grid[::32] += (k[::32] % 997 + 1) / 100000.0
    return {"sawtooth/float64": saw, "sawtooth/float32": saw.astype(np.float32), "decimals/float64": walk,
            "decimals/float32": walk.astype(np.float32), "grid/float64": grid}


# sha256 of each input's alp stream, as every release of format version 1 writes it (docs/format.md:
# changing the bytes of any codec but auto is a format change). auto may sample differently; alp may not.
ALP_FROZEN = {
    "sawtooth/float64": "15b2d10c207c57c7ed6d18bb69014a8243802ac1d716351b86ad29623b83eea9",
    "sawtooth/float32": "37c00dcb6f352dc5c3ee4d2c056c990824e016722a0ceb7892bc4b5ba3f042a3",
    "decimals/float64": "b22992aae817197b60be4790c51672b03e780489786309d3477ef64e36f5e0a3",
    "decimals/float32": "6d8edc81a95b11e663bb45040de4a39d5020961e3f9c0c70adf9c771fcd4271b",
    "grid/float64": "aab5289acd4b48bddc58aede7477d1b04d4dc9f054325ea4b699890550aad214",
}


@pytest.mark.parametrize("name", sorted(ALP_FROZEN))
def test_alp_bytes_stay_those_of_earlier_releases(name):
    x = sampled_inputs()[name]
    blob = tsquash.encode(x, "alp")
    assert_bits_equal(tsquash.decode(blob), x)
    assert hashlib.sha256(blob).hexdigest() == ALP_FROZEN[name]
    auto = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(auto), x)
    assert len(auto) <= len(blob)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_never_larger_than_raw_plus_framing(dtype):
    for name, x in list(edge_cases(dtype).items()) + [("multi_block", multi_block(dtype))]:
        for codec in CODECS:
            assert len(tsquash.encode(x, codec)) <= raw_bound(x), (name, codec)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_auto_never_larger_than_alp(dtype):
    for name, x in list(edge_cases(dtype).items()) + [("multi_block", multi_block(dtype))]:
        assert len(tsquash.encode(x, "auto")) <= len(tsquash.encode(x, "alp")), name


def smooth_decimals(n):
    """4-decimal readings of a slow curve: their second differences are far smaller than their first."""
    t = np.arange(n)
    return np.round(50 + 30 * np.sin(t / 900.0) + 0.00001 * t**1.5, 4)


@pytest.mark.parametrize("first_blocks", [4, 9])
@pytest.mark.parametrize("order", ["walk_then_smooth", "smooth_then_noise"])
def test_auto_follows_a_change_of_delta_order_within_a_row_group(first_blocks, order):
    # After a few blocks that agree, auto estimates only the delta order they chose for a kind of stream.
    # When the data changes so that another order is far better (a random walk, best as first
    # differences, then a smooth curve, best as second ones; or the curve, then noise, best as is), the
    # blocks after the change must not stay with the old order: the series costs about what its two parts
    # cost apart (a little more, for the tables the parts share). Staying costs 27% to 110% more here.
    rng = np.random.default_rng(first_blocks)
    if order == "walk_then_smooth":
        a, b = decimal_walk(first_blocks * BLOCK, 2, 0.3, first_blocks), smooth_decimals(12 * BLOCK)
    else:
        a, b = smooth_decimals(first_blocks * BLOCK), np.round(50 + rng.normal(scale=3, size=12 * BLOCK), 4)
    x = np.concatenate([a, b])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    assert len(blob) <= 1.2 * (len(tsquash.encode(a, "auto")) + len(tsquash.encode(b, "auto")))


def test_auto_keeps_the_smaller_frame_of_reference_once_its_delta_order_has_settled():
    # Float seconds stepping by 1 or 2: first differences pack in 1 bit a value, while the entropy coder's
    # estimate prefers second differences (about 1.5 bits coded). Once that order has settled and the
    # others are no longer estimated, the stream must keep the smaller frame of reference as its fallback,
    # not the settled order's (1.57 bits a value when it did).
    rng = np.random.default_rng(0)
    x = 1.7e9 + np.cumsum(rng.integers(1, 3, 20_000)).astype(float)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    assert 8 * len(blob) / x.size < 1.2


@pytest.mark.parametrize("first_blocks", [4, 6, 9])
def test_auto_follows_a_change_of_decimal_pair_within_a_row_group(first_blocks):
    # Once the blocks of a row group agree on a decimal pair, auto stops ranking the pairs on each block's
    # samples. When the data then needs another pair (readings near 10^13 with one decimal, then small ones
    # with four: 10^4 times the former would not be exact), the first block that misses values under the
    # old pair must still get a decimal method (alp, 1, sig, 7, or near, 12: decimals under a pair of the
    # row group that misses some values by a few units in the last place, with those distances), not be left
    # as a block of exceptions or to the high-precision split or float deltas, and the series costs about
    # what its parts cost apart.
    rng = np.random.default_rng(first_blocks)
    a = np.round(1e13 + np.cumsum(rng.normal(scale=30, size=first_blocks * BLOCK)), 1)
    b = np.round(0.5 + np.cumsum(rng.normal(scale=0.001, size=6 * BLOCK)), 4)
    x = np.concatenate([a, b])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    assert all(m in (1, 7, 12) for m in block_methods(blob)), block_methods(blob)
    assert len(blob) <= 1.05 * (len(tsquash.encode(a, "auto")) + len(tsquash.encode(b, "auto")))


@pytest.mark.parametrize("first_blocks", [5, 9, 13])
def test_auto_follows_a_change_of_data_within_a_row_group(first_blocks):
    # auto stops writing out methods that lose on a row group's first blocks; when the data changes after
    # them (here from 2-decimal readings to full-precision doubles, at a block where it would not look
    # again on its own), the very next block must still get its own best method, not alp's exceptions or
    # raw bytes.
    rng = np.random.default_rng(first_blocks)
    decimals = decimal_walk(first_blocks * BLOCK, 2, 0.3, first_blocks)
    precise = 20 + np.cumsum(rng.normal(scale=0.3, size=6 * BLOCK))
    x = np.concatenate([decimals, precise, decimal_walk(4 * BLOCK, 2, 0.3, 99)])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    methods = block_methods(blob)
    assert all(m == 1 for m in methods[:first_blocks]), methods
    changed = methods[first_blocks : first_blocks + 6]
    assert all(m in (2, 3) for m in changed), methods  # the high-precision split or float deltas
    alone = len(tsquash.encode(precise, "auto"))
    parts = len(tsquash.encode(decimals, "auto")) + alone + len(tsquash.encode(x[-4 * BLOCK :], "auto"))
    assert len(blob) <= 1.02 * parts


def _mixed_segment(rng, n):
    kind = int(rng.integers(0, 8))
    if kind == 0:
        return np.round(20 + np.cumsum(rng.normal(scale=0.3, size=n)), int(rng.integers(0, 5)))
    if kind == 1:
        return 20 + np.cumsum(rng.normal(scale=0.3, size=n))
    if kind == 2:
        return np.full(n, rng.normal())
    if kind == 3:
        return np.round(np.cumsum(rng.normal(size=n)), 3).astype(np.float32).astype(np.float64)
    if kind == 4:
        return rng.integers(-1000, 1000, size=n).astype(np.float64)
    if kind == 5:
        x = rng.normal(size=n)
        x[rng.random(n) < 0.05] = np.nan
        x[rng.random(n) < 0.02] = -np.inf
        return x
    if kind == 6:
        return rng.choice(rng.normal(size=50), size=n)
    return np.repeat(np.round(rng.normal(size=n // 7 + 1), 2), 7)[:n]


@pytest.mark.parametrize("seed", range(12))
def test_auto_round_trips_series_whose_kind_changes_often(seed):
    # Segments of different kinds (decimals, full precision, constants, float32 values, integers, NaN and
    # infinities, a small set of values, runs) at arbitrary offsets: every block method, the dictionary,
    # the entropy stage and the encoder's row-group memory of which methods win meet changes of data
    # anywhere in a block or a row group. Bit-exact, and the same bytes on one thread and on two.
    rng = np.random.default_rng(seed)
    x = np.concatenate([_mixed_segment(rng, int(rng.integers(1, 6000))) for _ in range(int(rng.integers(2, 25)))])
    for dtype in ("float64", "float32"):
        y = x.astype(dtype)
        blob = tsquash.encode(y, "auto")
        assert tsquash.encode(y, "auto", n_threads=2) == blob
        assert_bits_equal(tsquash.decode(blob), y)


def test_float32_printed_as_double_is_coded_as_float32():
    x = float32_printed(4096, 1)
    assert np.mean(x.astype(np.float32).astype(np.float64) == x) < 0.95  # some are an ulp off float32 values
    blob = tsquash.encode(x, "auto")
    assert set(block_methods(blob)) == {6}
    # Near what the float32 array itself costs, far below the doubles through alp.
    as32 = len(tsquash.encode(x.astype(np.float32), "auto"))
    assert len(blob) < as32 + x.size * 4 // 8
    assert len(blob) * 2 < len(tsquash.encode(x, "alp"))


METHOD_NAMES = ["raw", "alp", "alp_rd", "delta", "rle", "dict", "float32", "sig", "stride", "sparse", "alp_exc",
                "sig_exc", "near"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_decimals_an_ulp_off_are_near_blocks(dtype):
    # Sums of two 2-decimal series: in binary a quarter of them land next to the 2-decimal number, which alp
    # makes exceptions of (14.6 bits a value). `near` blocks code the decimals and the distances from them.
    rng = np.random.default_rng(17)
    n = 20000
    walk = np.round(20 + np.cumsum(rng.normal(0, 0.3, n)), 2).astype(dtype)
    step = np.round(rng.normal(5, 1, n), 2).astype(dtype)
    x = walk + step
    assert np.mean(np.round(x.astype(np.float64), 2).astype(dtype) != x) > 0.1  # not plain decimals
    blob = tsquash.encode(x, "auto")
    assert "near" in tsquash.block_choices(blob)["methods"]
    assert_bits_equal(reference_decode(blob), x)
    assert_bits_equal(tsquash.decode(blob), x)
    # About what the rounded decimals cost, and a bit or so a value more (before near blocks 16.8 bits a
    # value, the rounded decimals 9.5). float32 sums are also exact with 6 decimals, which some blocks took
    # and then lost to float deltas (14.2 bits a value) until the row group's near pair was tried there too.
    rounded = np.round(x.astype(np.float64), 2).astype(dtype)
    assert len(blob) * 8 / n < len(tsquash.encode(rounded, "auto")) * 8 / n + 1.5


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_a_pattern_repeated_over_and_over_is_coded_at_its_lag(dtype):
    # 88 exact values over and over (a schedule, a test signal), then a walk (so that the series does not
    # repeat exactly all through): the pattern's values are series dictionary entries, and their codes go to
    # the entropy stage as differences 88 values back (order 3), about a bit a value where the codes alone
    # took 7.
    rng = np.random.default_rng(29)
    shape = np.round(rng.normal(0, 10, 88), 3)
    if dtype == "int64":
        shape = shape * 1000
    x = np.concatenate([np.tile(shape, 200), np.round(np.cumsum(rng.normal(0, 1, 3000)), 1)]).astype(dtype)
    blob = tsquash.encode(x, "auto")
    LAGS_READ.clear()
    assert_bits_equal(reference_decode(blob), x)
    assert_bits_equal(tsquash.decode(blob), x)
    assert LAGS_READ and set(LAGS_READ) == {88}
    # The pattern alone repeats exactly all through: its period becomes the series reference, and the blocks
    # hold zeros (0.2 bits a value, where zstd-19 takes 0.2 too).
    pattern = x[:88 * 200]
    pattern_only = tsquash.encode(pattern, "auto")
    assert tsquash.block_choices(pattern_only)["reference_period"] == 88
    assert_bits_equal(reference_decode(pattern_only), pattern)
    assert len(pattern_only) * 8 / pattern.size < 0.3


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_a_pattern_among_other_data_is_coded_at_its_lag(dtype):
    # A walk, then 145 exact 2-decimal values over and over for nine blocks: too few of the series' values
    # for the series dictionary, so the blocks' own integers (decimal, or int64 deltas) go to the entropy
    # stage as differences 145 values back. The pattern then costs little more than its first period in each
    # block, against the same values in no order.
    rng = np.random.default_rng(31)
    scale = 100 if dtype == "int64" else 1
    shape = np.round(rng.normal(0, 10, 145), 2) * scale
    walk = np.round(np.cumsum(rng.normal(0, 1, 30000)), 2) * scale
    tile = np.tile(shape, 60)
    x = np.concatenate([walk, tile]).astype(dtype)
    shuffled = np.concatenate([walk, rng.permutation(tile)]).astype(dtype)
    blob = tsquash.encode(x, "auto")
    LAGS_READ.clear()
    assert_bits_equal(reference_decode(blob), x)
    assert_bits_equal(tsquash.decode(blob), x)
    assert 145 in LAGS_READ
    walk_only = len(tsquash.encode(x[:walk.size], "auto"))
    assert len(blob) - walk_only < 0.4 * (len(tsquash.encode(shuffled, "auto")) - walk_only)


def test_run_length_blocks_come_back_after_losing():
    # Decimals repeated one to three times, where run-length blocks come close and mostly lose (after a few
    # losses they are tried only now and then), then long runs: there they win again from the first blocks
    # on, and the series costs little more than its two parts apart (each with tables of its own).
    rng = np.random.default_rng(5)
    walk = np.round(np.cumsum(rng.normal(0, 1, 30000)), 3)
    close = np.repeat(walk, rng.integers(1, 4, walk.size))[:40 * 1024]
    runs = np.repeat(np.round(rng.normal(0, 50, 800), 1), rng.integers(10, 40, 800))[:20 * 1024]
    x = np.concatenate([close, runs])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    per_block = tsquash.block_choices(blob)["per_block"]
    assert per_block[40:].count("rle") >= 16
    assert len(blob) <= 1.05 * (len(tsquash.encode(close, "auto")) + len(tsquash.encode(runs, "auto")))


def special_gaps(kind: int, seed: int) -> np.ndarray:
    """A series of one kind with missing readings: NaN (or NaN, infinities and -0.0) scattered or in stretches."""
    rng = np.random.default_rng(seed)
    n = 2500
    if kind == 0:
        x = np.round(np.cumsum(rng.normal(0, 0.3, n)), 2)
    elif kind == 1:  # float32 readings printed as doubles
        x = np.round(np.cumsum(rng.normal(0, 0.3, n)), 3).astype(np.float32).astype(np.float64)
    elif kind == 2:  # a few dozen levels
        x = rng.choice(np.round(rng.normal(size=40), 2), n)
    elif kind == 3:  # two channels interleaved
        x = np.stack([np.round(np.cumsum(rng.normal(0, 0.2, n // 2)), 1),
                      np.round(50 + np.cumsum(rng.normal(0, 0.2, n // 2)), 1)], 1).ravel()
    elif kind == 4:  # mostly zeros
        x = np.where(rng.random(n) < 0.03, np.round(rng.normal(0, 100, n), 1), 0.0)
    else:  # six significant digits over several decades
        x = np.array([float(f"{v:.6g}") for v in np.exp(rng.normal(0, 2, n))])
    gone = rng.random(x.size) < 0.05
    for s in rng.integers(0, x.size, 3):
        gone[s:s + 40] = True
    fill = np.where(rng.random(x.size) < 0.5, np.nan, rng.choice([np.inf, -np.inf, -0.0, np.nan], x.size))
    return np.where(gone, fill if seed % 2 else np.nan, x)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", range(6))
def test_reference_reader_decodes_missing_readings_in_every_method(dtype, kind):
    # Gaps in every kind of series reach every method that nests blocks (float32, dictionary escapes, stride
    # channels, sparse values) and the _exc layouts: the page's reading of each stream gives the values.
    seen = set()
    for seed in (1, 2):
        x = special_gaps(kind, seed).astype(dtype)
        blob = tsquash.encode(x, "auto")
        assert_bits_equal(reference_decode(blob), x)
        assert_bits_equal(tsquash.decode(blob), x)
        seen |= set(tsquash.block_choices(blob)["methods"])
    assert seen & {"alp_exc", "sig_exc", "float32", "dict", "stride", "sparse", "rle"}, seen


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_missing_significant_digit_readings_cost_little(dtype):
    # Readings exported with 6 significant digits over several decades (`sig` blocks), 5% of them missing.
    rng = np.random.default_rng(23)
    n = 30000
    digits = 6 if dtype == "float64" else 5
    x = np.array([float(f"{v:.{digits}g}") for v in np.exp(np.cumsum(rng.normal(0, 0.01, n)) + 1)]).astype(dtype)
    plain = len(tsquash.encode(x, "auto"))
    gone = rng.random(n) < 0.05
    x[gone] = np.nan
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 < plain * 8 + 8 * gone.sum()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["scattered", "stretches"])
def test_missing_readings_cost_little(dtype, layout):
    # A sensor's decimal readings with gaps (NaN, as pandas stores missing values): 5% of them, one at a time
    # or in stretches of 50. Each costs a few bits over the readings alone, not a raw exception's 80.
    rng = np.random.default_rng(21)
    n = 50000
    x = decimal_walk(n, 3, 0.3, 22).astype(dtype)
    plain = len(tsquash.encode(x, "auto"))
    if layout == "scattered":
        gone = rng.random(n) < 0.05
    else:
        gone = np.zeros(n, bool)
        for s in rng.choice(n - 50, n // 1000):
            gone[s:s + 50] = True
    x[gone] = np.nan
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 < plain * 8 + 8 * gone.sum()
    assert "alp_exc" in tsquash.block_choices(blob)["methods"]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_mostly_zeros_are_coded_as_positions_and_values(dtype):
    # Event-like data: zero nearly everywhere, a wide value now and then.
    rng = np.random.default_rng(11)
    n = 40000
    x = np.where(rng.random(n) < 0.005, rng.normal(0, 1e5, n), 0.0)
    x = x.astype(np.int64) if dtype == "int64" else x.astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert tsquash.decode(blob).tobytes() == x.tobytes()
    per_block = tsquash.block_choices(blob)["per_block"]
    assert per_block.count("sparse") * 4 >= len(per_block) * 3


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("lanes", [2, 3, 7])
def test_interleaved_channels_are_coded_channel_by_channel(dtype, lanes):
    # Rows of a table stored row by row: each column a slow walk around its own level.
    rng = np.random.default_rng(lanes)
    n = 30000 // lanes
    cols = [np.round(300.0 * c + np.cumsum(rng.normal(0, 0.2, n)), 1) for c in range(lanes)]
    x = np.stack(cols, axis=1).ravel()
    x = (x * 10).astype(np.int64) if dtype == "int64" else x.astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert tsquash.decode(blob).tobytes() == x.tobytes()
    assert set(tsquash.block_choices(blob)["methods"]) == {"stride"}
    # Close to the columns coded one by one (each channel of a block carries its own header: 4% more for
    # two channels, 21% for seven), and far below the interleaved values as one series.
    apart = sum(len(tsquash.encode(np.ascontiguousarray(x[c::lanes]), "auto")) for c in range(lanes))
    assert len(blob) < (1 + 0.035 * lanes) * apart
    assert 2 * len(blob) < len(tsquash.encode(x, "alp"))


def test_block_choices_name_each_blocks_method():
    t = np.arange(6000)
    # In random order: in a repeating order, stride blocks code them as constant channels.
    order = np.random.default_rng(3).integers(0, 3, t.size)
    levels = np.array([0.1234567891, 2.718281828459045, 3.141592653589793])[order]
    inputs = {
        "decimals": decimal_walk(5000, 2, 0.3, 3),
        "float32 printed": float32_printed(4096, 2),
        "levels": levels,
        "runs": np.repeat(np.round(np.sin(t[:60]) * 10, 3), 100),
        "int16": (t % 1000).astype(np.int16),
        "mixed": np.concatenate([decimal_walk(3000, 1, 1.0, 4), float32_printed(3000, 5), np.zeros(3000)]),
        "gaps": np.where(t % 9 == 4, np.nan, decimal_walk(t.size, 2, 0.3, 5)),
    }
    for name, x in inputs.items():
        for codec in ("alp", "auto"):
            blob = tsquash.encode(x, codec)
            c = tsquash.block_choices(blob)
            want = [METHOD_NAMES[m] for m in block_methods(blob)]  # the page's framing, read here
            assert c["per_block"] == want, (name, codec)
            assert c["blocks"] == len(want) == -(-x.size // BLOCK)
            assert c["methods"] == {m: want.count(m) for m in set(want)}
            if codec == "alp":
                assert c["dictionary_entries"] == c["entropy_tables"] == c["reference_period"] == 0
    assert set(tsquash.block_choices(tsquash.encode(inputs["float32 printed"], "auto"))["methods"]) == {"float32"}
    assert tsquash.block_choices(tsquash.encode(levels, "auto"))["dictionary_entries"] == 3
    assert set(tsquash.block_choices(tsquash.encode(inputs["gaps"], "auto"))["methods"]) == {"alp_exc"}
    empty = tsquash.block_choices(tsquash.encode(np.zeros(0), "auto"))
    assert empty["blocks"] == 0 and empty["methods"] == {} and empty["per_block"] == []


def test_block_choices_refuse_other_codecs_and_bad_bytes():
    x = decimal_walk(3000, 2, 0.3, 6)
    with pytest.raises(ValueError, match="alp and auto"):
        tsquash.block_choices(tsquash.encode(x, "gorilla"))
    blob = bytearray(tsquash.encode(x, "auto"))
    blob[-3] ^= 0x10
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.block_choices(bytes(blob))
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.block_choices(bytes(blob[: len(blob) // 2]))


def test_alp_beats_the_xor_family_on_decimal_data():
    for x in (decimal_walk(20000, 2, 0.3, 9), decimal_walk(20000, 1, 1.0, 10)):
        alp_size = len(tsquash.encode(x, "alp"))
        for codec in ("gorilla", "chimp", "chimp128", "tsxor", "fpc"):
            assert alp_size < len(tsquash.encode(x, codec)), codec


def test_shared_series_sizes():
    if not DATASETS_DIR.is_dir():
        pytest.skip(f"{DATASETS_DIR} not present")
    files = sorted(DATASETS_DIR.glob("*/*.f64"))
    if not files:
        pytest.skip(f"no *.f64 under {DATASETS_DIR}")
    total = {c: 0 for c in ("alp", "auto", "chimp128")}
    n = 0
    for p in files:
        x = np.fromfile(p, dtype="<f8")
        sizes = {c: len(tsquash.encode(x, c)) for c in total}
        assert sizes["auto"] <= sizes["alp"], p
        for c in total:
            total[c] += sizes[c]
        n += x.size
    # The block codecs are far below the XOR family over the suite (chimp128: about 34 bits per value).
    assert total["alp"] * 8 / n < 26
    assert total["auto"] * 8 / n < total["alp"] * 8 / n
    assert total["alp"] < total["chimp128"] * 0.8


def test_etth1_costs_what_its_float32_values_cost():
    # ETTh1 holds float32 readings printed with 17 digits (some an ulp off when read back): auto codes
    # them about as compactly as the float32 array itself (float32 blocks or the dictionary), far below
    # the doubles through alp, which has neither.
    x = _dataset("etth1/HUFL.f64")
    blob = tsquash.encode(x, "auto")
    assert set(block_methods(blob)) <= {5, 6}
    assert len(blob) <= len(tsquash.encode(x.astype(np.float32), "auto")) + x.size // 4
    assert len(blob) * 3 < len(tsquash.encode(x, "alp"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float32_deltas_across_zero_are_entropy_coded(dtype):
    # A smooth float32 field that crosses zero every few hundred values: at each crossing the bit patterns
    # jump by about 2^31, so the float deltas of a block take 33 bits as a frame of reference, more than the
    # raw values, yet entropy-coded they cost about 20 bits. auto must judge them by that estimate: the
    # significant-digit decimals it took when it judged by the frame of reference cost 22 bits a value.
    rng = np.random.default_rng(5)
    n = 32 * BLOCK
    x = (np.sin(np.arange(n) / 60.0) * 0.5 + rng.normal(scale=1e-3, size=n)).astype(np.float32).astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 / n < 20.6
    assert set(block_methods(blob)) == ({3} if dtype == "float32" else {6})


@pytest.mark.parametrize("seed", [0, 3])
def test_rare_spikes_do_not_mislead_the_sampled_estimate(seed):
    # Zeros with 1% large spikes: the delta-order estimate samples a quarter of a block's residuals and
    # often saw one spike of ten, or none, so float32 blocks with entropy-coded corrections looked cheaper
    # than they are (6% larger than plain decimal blocks). Residuals reaching far beyond what the sample
    # holds are now counted in full.
    rng = np.random.default_rng(seed)
    n = 50 * BLOCK
    x = np.where(rng.random(n) < 0.01, rng.normal(0, 1e6, n), 0.0)
    assert len(tsquash.encode(x, "auto")) <= len(tsquash.encode(x, "alp"))


@pytest.mark.parametrize("dtype,n", [("float64", 3000), ("float64", 40000), ("float32", 9000)])
def test_a_few_full_precision_levels_cost_their_index(dtype, n):
    # Six full-precision values in random order (states, quantised readings): their bit patterns are far
    # apart, so only the series dictionary codes them near log2(6) = 2.6 bits; a dictionary of fewer than 16
    # entries was never tried, and they took 19-51 bits a value.
    rng = np.random.default_rng(n)
    x = rng.choice(rng.normal(size=6), n).astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 / n < 3.5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_runs_of_a_few_levels_use_the_dictionary(dtype):
    # Eight full-precision levels in runs of about 20: runs made the plain blocks cheap enough (2.6 bits a
    # value, every run's value stored in full) that the dictionary was never tried; with it, each run costs
    # an index and each repeat about a bit of entropy-coded code.
    rng = np.random.default_rng(7)
    n = 20 * BLOCK
    x = rng.normal(size=8)[np.cumsum(rng.random(n) < 0.05) % 8].astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert set(block_methods(blob)) == {5}
    assert len(blob) * 8 / n < 1.0


def has_dictionary(blob: bytes) -> bool:
    return bool(split_stream(blob)[1][0] & 2)


def pool_draws(rng, n, size=2000):
    """Draws from `size` random doubles: the series dictionary codes them in about log2(size) bits."""
    return rng.choice(rng.integers(0, 2**62, size, dtype=np.uint64).view(np.float64), n)


def test_decimals_after_dictionary_blocks_go_back_to_the_decimal_method():
    # The dictionary wins the first 23 blocks by far, so the other methods are only explored there; then a
    # decimal walk in the same row group. The dictionary still codes the walk (its values repeat too), at
    # about 6 bits a value where the decimal method takes 4.5: the change has to be seen at once from the
    # dictionary block's cost, and then the decimal method tried although it never won in the row group
    # (the walk's first three blocks stayed dictionary blocks before that).
    rng = np.random.default_rng(0)
    x = np.concatenate([pool_draws(rng, 24 * BLOCK - 300), decimal_walk(12 * BLOCK, 1, 0.5, 1)])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob), x)
    methods = block_methods(blob)
    assert set(methods[:23]) == {5} and set(methods[24:]) <= {1, 10}, methods  # alp, or alp_exc


def test_a_dictionary_chosen_from_the_first_blocks_is_dropped_when_it_does_not_pay():
    # float32 values in a walk, then runs of seven two-decimal values: the first blocks are costly and the
    # series repeats a lot, so the dictionary is made a candidate from the start; over the series it saves
    # less than its entries cost (the runs are smaller without it), and the blocks are written again
    # without it. Kept, the series came out 34% larger.
    rng = np.random.default_rng(3)
    walk = np.round(np.cumsum(rng.normal(size=9100)), 3).astype(np.float32).astype(np.float64)
    runs = np.repeat(np.round(rng.normal(size=39285 // 7 + 1), 2), 7)[:39285]
    x = np.concatenate([walk, runs])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert not has_dictionary(blob)
    assert len(blob) <= 1.02 * (len(tsquash.encode(walk, "auto")) + len(tsquash.encode(runs, "auto")))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_levels_take_the_dictionary_from_the_first_block(seed):
    # A few hundred float32 readings widened to doubles, drawn over 18 blocks (as ETTh1's columns): the
    # first block alone says the dictionary pays by far, so it is a candidate from there on. Every block
    # takes it, at the draws' entropy (7.35 bits a value) and the entries' share.
    rng = np.random.default_rng(seed)
    levels = np.round(rng.normal(0, 5, 300), 3).astype(np.float32).astype(np.float64)
    x = levels[np.clip(np.round(rng.normal(150, 40, 18 * BLOCK)), 0, 299).astype(int)]
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert has_dictionary(blob)
    assert set(block_methods(blob)) == {5}
    assert len(blob) * 8 / x.size < 8.3


@pytest.mark.parametrize("seed", [0, 1])
def test_levels_before_values_that_never_repeat_take_the_dictionary(seed):
    # 7,000 draws from 2,000 levels of 6 decimals, then a float32 walk whose values never repeat: the
    # dictionary codes the levels in about 11 bits where they take 27 without it, and the walk's blocks go
    # without it. Its estimate spread evenly over the series charged the walk for it too and ruled it out:
    # the series came out 1.2x its two parts encoded apart.
    rng = np.random.default_rng(seed)
    levels = np.round(rng.normal(0, 100, 2000), 6)
    draws = levels[rng.integers(0, levels.size, 7000)]
    walk = np.cumsum(rng.normal(0, 1, 13000)).astype(np.float32).astype(np.float64)
    x = np.concatenate([draws, walk])
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert has_dictionary(blob)
    assert set(block_methods(blob)[:6]) == {5}
    assert len(blob) <= 1.05 * (len(tsquash.encode(draws, "auto")) + len(tsquash.encode(walk, "auto")))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_a_special_value_among_decimals_is_an_exception(dtype, special):
    # NaN and infinities survive the decimal method's integer conversion bit for bit, as an integer near
    # 2^62: kept as such, one of them set the width of the whole block (57 bits a value
    # instead of 10). auto stores them as exceptions.
    rng = np.random.default_rng(11)
    x = np.round(rng.normal(size=4 * BLOCK), 2).astype(dtype)
    x[[5, 1500, 3000]] = special
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert set(block_methods(blob)) == {1}
    assert len(blob) * 8 / x.size < 11.5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sparse_decimals_are_coded_as_decimals(dtype):
    # Nine values in ten are 0.0, the rest have one decimal. By packed size the integer pair (e = f = 0) with
    # the decimals as exceptions looked cheaper (a frame of reference charges every value the widest
    # integer's bits); entropy-coded, the decimals as integers cost a third of that. auto's second-level
    # choice ranks pairs by each integer's own width when a block has exceptions.
    rng = np.random.default_rng(0)
    n = 20 * BLOCK
    x = np.where(rng.random(n) < 0.1, np.round(rng.exponential(5, n), 1), 0.0).astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 / n < 2.1


@pytest.mark.parametrize("dtype,limit", [("float32", 14), ("float64", 45)])
def test_short_smooth_series_get_float_deltas(dtype, limit):
    # Two blocks are enough to compare candidates by their coded size (each entropy-coded stream charged
    # its share of a table): a smooth full-precision signal of 2,000 values took 18 (float32) and 57
    # (float64) bits a value as decimals or split doubles when that needed eight blocks.
    x = (np.sin(np.arange(2000) / 77.0) * 3.3).astype(dtype)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 / x.size < limit


def test_a_short_ramp_of_halves_stays_decimal():
    # A sawtooth of halves (0, 0.5, ..., 49.5, 0, ...) as float32: its float deltas looked about as cheap as
    # its decimals, and with only the five best (e, f) pairs of one difference to pick from, blocks took the
    # float deltas at 1.2 bits a value; as decimals (steps of one, entropy-coded) they take 0.6.
    x = ((np.arange(2000) % 100) * 0.5).astype(np.float32)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(reference_decode(blob), x)
    assert len(blob) * 8 / x.size < 0.8


def test_cfd_frames_are_coded_against_a_series_reference():
    # 60 frames of 50 x 50 float32 cells. Order-1 deltas within blocks cost about 21.1 bits a value; the
    # frames repeat a shape with period 2,500, and the differences from the per-cell median frame cost about
    # 20.0, plus 0.35 for the reference itself (pcodec at its highest level: 20.81).
    path = DATASETS_DIR / "cfd_baler" / "CFD_animation.npz"
    if not path.is_file():
        pytest.skip(f"{path} not present (the shared datasets are optional)")
    with np.load(path) as z:
        x = z["data"].astype(np.float64).ravel()
    blob = tsquash.encode(x, "auto")
    _, payload = split_stream(blob)
    assert payload[0] & 4, "no reference section"
    c = Cursor(payload, 1)
    assert (c.varint(), c.u8()) == (2500, 1)  # the frame, in float32 patterns
    assert len(blob) * 8 / x.size < 20.6
    assert_bits_equal(reference_decode(blob), x)


def drifting_frames(cells: int, frames: int, seed: int) -> np.ndarray:
    """Frames of a random float32 field (incompressible within a frame) that drifts by an ulp a frame, as
    float64."""
    rng = np.random.default_rng(seed)
    field = rng.uniform(0.5, 2.0, cells).astype(np.float32)
    out = []
    for _ in range(frames):
        field = np.nextafter(field, np.where(rng.random(cells) < 0.5, np.float32(3), np.float32(0.25)))
        out.append(field.copy())
    return np.concatenate(out).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_frames_of_a_drifting_field_use_a_series_reference(dtype):
    x = drifting_frames(1800, 30, 3)
    if dtype == "int64":
        x = x.view(np.int64) >> 20  # integers with the same shape
    else:
        x = x.astype(dtype)
    blob = tsquash.encode(x, "auto")
    _, payload = split_stream(blob)
    assert payload[0] & 4
    assert Cursor(payload, 1).varint() == 1800
    # Without the reference every value costs its field's randomness (about 23 bits); with it, the drift and
    # the reference's own 1,800 values.
    assert len(blob) * 8 / x.size < 10
    assert_bits_equal(tsquash.decode(blob), x)
    assert_bits_equal(reference_decode(blob), x)
    # Read in pieces that start and end anywhere, across blocks and periods.
    dec = tsquash.StreamDecoder(blob)
    parts = []
    for size in [1, 1023, 1801, 5000, 7, 20000]:
        parts.append(dec.read(size))
    parts.append(dec.read(dec.remaining))
    assert_bits_equal(np.concatenate(parts), x)


def test_a_series_reference_gives_the_same_bytes_for_any_thread_count():
    x = drifting_frames(2500, 40, 4)
    one = tsquash.encode(x, "auto")
    assert split_stream(one)[1][0] & 4
    assert tsquash.encode(x, "auto", n_threads=3) == one
    assert_bits_equal(tsquash.decode(one, n_threads=2), x)


def test_no_series_reference_where_nothing_repeats():
    rng = np.random.default_rng(5)
    for x in (rng.random(40000), drifting_frames(9000, 3, 6)):  # noise; a frame too long to repeat often
        assert not split_stream(tsquash.encode(x, "auto"))[1][0] & 4


# ---- significant-digit decimals (method 7) ---------------------------------------------------------------


@pytest.mark.parametrize("dtype,digits", [("float64", 8), ("float32", 6)])
def test_significant_digit_decimals_get_their_method(dtype, digits):
    x = significant_digits(8 * BLOCK, digits, 1, dtype)
    blob = tsquash.encode(x, "auto")
    methods = block_methods(blob)
    assert methods.count(7) >= 6, methods
    assert_bits_equal(tsquash.decode(blob), x)
    assert_bits_equal(reference_decode(blob), x)
    # One exponent per block pays log2(10) bits for every decimal the large values do not have.
    assert len(blob) < 0.9 * len(tsquash.encode(x, "alp"))


def test_plain_decimals_never_use_the_significant_digit_method():
    for x in (decimal_walk(8 * BLOCK, 2, 0.3, 3), decimal_walk(8 * BLOCK, 4, 5.0, 4)):
        assert 7 not in block_methods(tsquash.encode(x, "auto"))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_significant_digit_blocks_keep_every_special_value(dtype):
    x = significant_digits(4 * BLOCK, 8 if dtype == "float64" else 6, 2, dtype)
    u = np.uint64 if dtype == "float64" else np.uint32
    w = 64 if dtype == "float64" else 32
    specials = np.array([1 << (w - 1),                                   # -0.0
                         (0x7FF0000000000001 if w == 64 else 0x7F800001),  # signalling NaN with a payload
                         (0xFFF8DEADBEEF0001 if w == 64 else 0xFFC0BEEF),  # negative quiet NaN, payload
                         (0x7FF0000000000000 if w == 64 else 0x7F800000),  # inf
                         (0xFFF0000000000000 if w == 64 else 0xFF800000),  # -inf
                         1, (1 << (w - 1)) | 3,                             # subnormals
                         ], dtype=u).view(dtype)
    extra = np.array([0.0, 1e-30, -7.5e12, 123456.78901234, 3.0000000000000004, -1e300 if w == 64 else -3e38],
                     dtype=dtype)
    rng = np.random.default_rng(3)
    where = rng.choice(x.size, specials.size + extra.size, replace=False)
    x[where] = np.concatenate([specials, extra])
    blob = tsquash.encode(x, "auto")
    methods = block_methods(blob)
    assert methods.count(7) >= 3, methods
    assert_bits_equal(tsquash.decode(blob), x)
    assert_bits_equal(reference_decode(blob), x)
    dec = tsquash.StreamDecoder(blob)
    assert_bits_equal(np.concatenate([dec.read(333) for _ in range(0, x.size, 333)]), x)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_significant_digit_fixture_holds_sig_blocks(dtype):
    # The frozen stream pins the method's bytes: the page's reader and tsquash decode it to the same bits.
    blob = (FIXTURES_DIR / "auto" / f"{dtype}_significant_digits.tsq").read_bytes()
    x = np.load(FIXTURES_DIR / "auto" / f"{dtype}_significant_digits.npy")
    assert 7 in block_methods(blob)
    assert_bits_equal(reference_decode(blob), x)
    assert_bits_equal(tsquash.decode(blob), x)


# ---- threads ----------------------------------------------------------------------------------------------


def several_row_groups() -> np.ndarray:
    """Three row groups of 65,536 values: decimals, draws from a few thousand random doubles (dictionary and
    entropy models in play) and float32 values printed as doubles."""
    rng = np.random.default_rng(41)
    pool = rng.integers(0, 2**62, 3000, dtype=np.uint64).view(np.float64)
    return np.concatenate([decimal_walk(70000, 2, 0.3, 42), rng.choice(pool, 70000),
                           decimal_walk(60000, 3, 0.2, 43).astype(np.float32).astype(np.float64)])


def dictionary_row_groups() -> np.ndarray:
    """Three row groups whose first blocks make the series dictionary a candidate from the start: draws
    from a few thousand random doubles, a decimal walk (its values repeat), and draws again."""
    rng = np.random.default_rng(47)
    return np.concatenate([pool_draws(rng, 70000, 3000), decimal_walk(60000, 1, 0.5, 48), pool_draws(rng, 50000, 500)])


def dictionary_after_a_cheap_start() -> np.ndarray:
    """Five blocks of decimals, then two row groups of draws from a few thousand random doubles: the first
    four blocks say no dictionary, the first sixteen say yes (the dictionary-first pass starts there)."""
    rng = np.random.default_rng(49)
    return np.concatenate([decimal_walk(5 * BLOCK, 1, 0.5, 50), pool_draws(rng, 80000, 3000)])


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("series", [several_row_groups, dictionary_row_groups, dictionary_after_a_cheap_start])
def test_n_threads_gives_the_same_bytes(codec, series):
    x = series()
    one = tsquash.encode(x, codec)
    if codec == "auto":
        assert has_dictionary(one)
    assert tsquash.encode(x, codec, n_threads=4) == one
    assert tsquash.encode(x, codec, n_threads=2) == one
    assert tsquash.info(one)["params"] == {}  # the thread count is not part of the stream
    assert_bits_equal(tsquash.decode(one, n_threads=4), x)
    out = np.empty_like(x)
    assert tsquash.decode(one, out=out, n_threads=3) is out
    assert_bits_equal(out, x)


def test_n_threads_for_other_dtypes_and_codecs():
    t = np.arange(150000, dtype=np.int64) * 1000 + 1_700_000_000_000
    f = decimal_walk(150000, 2, 0.5, 44).astype(np.float32)
    for x in (t, f):
        blob = tsquash.encode(x, "auto", n_threads=4)
        assert blob == tsquash.encode(x, "auto")
        assert_bits_equal(tsquash.decode(blob, n_threads=4), x)
    # Sequential codecs take the argument and run on the calling thread.
    y = decimal_walk(5000, 2, 0.3, 45)
    assert tsquash.encode(y, "chimp128", n_threads=4) == tsquash.encode(y, "chimp128")
    assert_bits_equal(tsquash.decode(tsquash.encode(y, "gorilla"), n_threads=4), y)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_n_threads_must_be_a_positive_integer(bad):
    x = decimal_walk(100, 2, 0.3, 46)
    with pytest.raises(ValueError, match="n_threads"):
        tsquash.encode(x, "auto", n_threads=bad)
    with pytest.raises(ValueError, match="n_threads"):
        tsquash.decode(tsquash.encode(x, "auto"), n_threads=bad)
