"""Size claims, checked against the algorithms' published descriptions.

Each expected size is computed here in numpy (a small loop where the algorithm carries state) from the
paper's description of the format, never by asking tsquash how it encodes; the only thing taken from tsquash
is info(blob)["payload_size"], the number being checked.
"""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import bits, edge_cases, from_bits

U64 = np.uint64


# ---- bit tricks -------------------------------------------------------------------------------------------

def clz64(v: np.ndarray) -> np.ndarray:
    """Leading zero bits of each uint64 (64 for zero), by binary search on the top bits."""
    v = np.asarray(v, dtype=U64).copy()
    n = np.zeros(v.shape, dtype=np.int64)
    for s in (32, 16, 8, 4, 2, 1):
        small = v < (U64(1) << U64(64 - s))
        n += small * s
        v = np.where(small, v << U64(s), v)
    return n + (v == 0)


def ctz64(v: np.ndarray) -> np.ndarray:
    """Trailing zero bits of each uint64 (64 for zero): isolate the lowest set bit, then count."""
    v = np.asarray(v, dtype=U64)
    low = v & (~v + U64(1))
    return np.where(v == 0, 64, 63 - clz64(low))


def widened_bits(x: np.ndarray) -> tuple[np.ndarray, int]:
    """The bit patterns as uint64 and the value width in bits."""
    return bits(x).astype(U64), x.dtype.itemsize * 8


def test_bit_tricks_against_python_ints():
    rng = np.random.default_rng(0)
    vals = [0, 1, 2, 3, 2**63, 2**64 - 1, 2**32, 2**32 - 1, 0x00F0, 1 << 40]
    vals += [int(v) for v in rng.integers(0, 2**64 - 1, 200, dtype=U64, endpoint=True)]
    vals += [int(v) >> int(s) for v, s in zip(rng.integers(0, 2**64 - 1, 200, dtype=U64), rng.integers(0, 64, 200))]
    arr = np.array(vals, dtype=U64)
    assert clz64(arr).tolist() == [64 - v.bit_length() for v in vals]
    assert ctz64(arr).tolist() == [64 if v == 0 else (v & -v).bit_length() - 1 for v in vals]


# ---- Gorilla (Pelkonen et al., VLDB 2015, section 4.1.2) --------------------------------------------------

def gorilla_payload_bits(x: np.ndarray) -> int:
    """First value: the full width. Then per value, with D = value XOR previous:
    '0' if D == 0; '10' + the previous window's meaningful bits if D's leading and trailing zeros are at
    least the window's (the window is the one set by the last '11' record; there is none before the
    first); otherwise '11' + 5 bits of leading zeros (capped at 31) + the meaningful-bit count (6 bits for
    float64, 5 for float32) + the meaningful bits."""
    u, w = widened_bits(x)
    if u.size == 0:
        return 0
    d = u[1:] ^ u[:-1]
    total = w + int(np.count_nonzero(d == 0))
    nz = d[d != 0]
    lead = np.minimum(clz64(nz) - (64 - w), 31).tolist()
    trail = ctz64(nz).tolist()
    len_bits = 6 if w == 64 else 5
    win_lead, win_trail = None, None
    for ld, tr in zip(lead, trail):
        if win_lead is not None and ld >= win_lead and tr >= win_trail:
            total += 2 + (w - win_lead - win_trail)
        else:
            total += 2 + 5 + len_bits + (w - ld - tr)
            win_lead, win_trail = ld, tr
    return total


def payload_size(x, codec, **params) -> int:
    return tsquash.info(tsquash.encode(x, codec, **params))["payload_size"]


def test_gorilla_accounting_on_the_papers_example():
    # Three values that exercise each record once: a repeat, a new window, a value inside the window.
    x = np.array([12.0, 12.0, 24.0, 15.0], dtype=np.float64)
    u = bits(x)
    d1, d2 = int(u[2] ^ u[1]), int(u[3] ^ u[2])
    lead1, trail1 = min(64 - d1.bit_length(), 31), (d1 & -d1).bit_length() - 1
    lead2, trail2 = min(64 - d2.bit_length(), 31), (d2 & -d2).bit_length() - 1
    expected = 64 + 1 + (2 + 5 + 6 + 64 - lead1 - trail1)
    expected += (2 + 64 - lead1 - trail1) if (lead2 >= lead1 and trail2 >= trail1) else (13 + 64 - lead2 - trail2)
    assert gorilla_payload_bits(x) == expected
    assert payload_size(x, "gorilla") == (expected + 7) // 8


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gorilla_accounting_synthetic(dtype):
    for name, x in edge_cases(dtype).items():
        expected = (gorilla_payload_bits(x) + 7) // 8
        assert payload_size(x, "gorilla") == expected, name


def test_gorilla_full_width_window_costs_what_the_paper_says():
    # XOR with both end bits set: a 64-bit meaningful window, written with the length field's 64 -> 0 code.
    base = 0x4093_4A45_6D5C_FAAD
    x = np.array([base, base ^ 0x8000_0000_0000_0001, base], dtype=U64).view(np.float64)
    assert gorilla_payload_bits(x) == 64 + (2 + 5 + 6 + 64) + (2 + 64)
    assert payload_size(x, "gorilla") == (64 + 77 + 66 + 7) // 8


def test_gorilla_accounting_shared_series(dataset_arrays):
    for name, series in dataset_arrays.items():
        for dtype in ("float64", "float32"):
            x = series.astype(dtype)
            expected = (gorilla_payload_bits(x) + 7) // 8
            assert payload_size(x, "gorilla") == expected, f"{name} {dtype}"


# ---- Gorilla delta-of-delta timestamps (VLDB 2015, section 4.1.1, widened to 64 bits) -------------------

def dod_payload_bits(t: np.ndarray) -> int:
    """First value 64 bits; then D = (t[i] - t[i-1]) - (t[i-1] - t[i-2]) (the delta before the first value
    is 0, arithmetic modulo 2**64) costs '0' if 0, '10'+7 bits for [-63, 64], '110'+9 for [-255, 256],
    '1110'+12 for [-2047, 2048], '11110'+32 for [-(2**31-1), 2**31], else '11111'+64."""
    if t.size == 0:
        return 0
    u = t.view(U64)
    delta = np.diff(u, prepend=u[:1])  # wraps; the first entry is the zero delta before the first value
    dod = np.diff(delta).view(np.int64)
    cost = np.full(dod.shape, 5 + 64)
    for lo, hi, c in ((-(2**31 - 1), 2**31, 5 + 32), (-2047, 2048, 4 + 12), (-255, 256, 3 + 9),
                      (-63, 64, 2 + 7), (0, 0, 1)):
        cost = np.where((dod >= lo) & (dod <= hi), c, cost)
    return 64 + int(cost.sum())


def test_delta_of_delta_accounting():
    for name, t in edge_cases("int64").items():
        assert payload_size(t, "gorilla") == (dod_payload_bits(t) + 7) // 8, name
    # Second-resolution timestamps with rare jitter: nearly one bit per value.
    t = np.arange(10_000, dtype=np.int64) * 60 + 1_700_000_000
    t[::97] += 1
    assert payload_size(t, "gorilla") == (dod_payload_bits(t) + 7) // 8


# ---- TSXor (Bruno et al., SPIRE 2021) ---------------------------------------------------------------------

def _zero_byte_score_table(nbytes: int) -> np.ndarray:
    """For each mask of non-zero bytes (bit i = byte i, least significant first): leading plus trailing
    zero bytes; 0 for the all-zero mask (an equal value, handled as a Reference)."""
    table = np.zeros(1 << nbytes, dtype=np.int64)
    for m in range(1, 1 << nbytes):
        top = m.bit_length() - 1
        low = (m & -m).bit_length() - 1
        table[m] = (nbytes - 1 - top) + low
    return table


def tsxor_payload_bytes(x: np.ndarray, window: int) -> int:
    """First value: its raw bytes. Then, over the previous `window` values: 1 byte (Reference) if one of
    them is equal; otherwise best = the largest (leading + trailing zero bytes) of the XOR with any of
    them, and an XOR record of 2 + (width - best) bytes if best >= 2, else an Exception of 1 + width bytes."""
    u = bits(x)
    nbytes = x.dtype.itemsize
    n = u.size
    if n == 0:
        return 0
    # Gather each XOR's "byte i is non-zero" flags into one small integer: with one 0/1 flag per byte, the
    # multiplication sums flag_i * 2**i into the top byte without carries.
    gather = {8: np.uint64(0x0102040810204080), 4: np.uint32(0x01020408)}[nbytes]
    shift = u.dtype.type(8 * (nbytes - 1))
    table = _zero_byte_score_table(nbytes)
    best = np.zeros(n - 1, dtype=np.int64)
    ref = np.zeros(n - 1, dtype=bool)
    for k in range(1, min(window, n - 1) + 1):
        d = u[k:] ^ u[:-k]  # value i against value i - k, for i = k .. n-1
        flags = (d.view(np.uint8) != 0).view(np.uint8).view(u.dtype)
        mask = (flags * gather) >> shift
        np.maximum(best[k - 1:], table[mask], out=best[k - 1:])
        ref[k - 1:] |= mask == 0
    cost = np.where(ref, 1, np.where(best >= 2, 2 + nbytes - best, 1 + nbytes))
    return nbytes + int(cost.sum())


def test_zero_byte_scores_against_python_ints():
    rng = np.random.default_rng(1)
    for dtype, nbytes in ((np.float64, 8), (np.float32, 4)):
        w = 8 * nbytes
        pats = [0, 1, 2**w - 1, 1 << (w - 1), 0xFF, 0xFF << (w - 8), 0x0100]
        pats += [int(v) >> int(s) << int(t) & (2**w - 1) for v, s, t in
                 zip(rng.integers(1, 2**w - 1, 300, dtype=np.uint64), rng.integers(0, w, 300),
                     rng.integers(0, w, 300))]
        for p in pats:
            x = from_bits([0, p], dtype)
            if p == 0:
                expected = nbytes + 1
            else:
                score = (w - p.bit_length()) // 8 + ((p & -p).bit_length() - 1) // 8
                expected = nbytes + (2 + nbytes - score if score >= 2 else 1 + nbytes)
            assert tsxor_payload_bytes(x, 1) == expected, hex(p)


@pytest.mark.parametrize("window", [1, 4, 127])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tsxor_accounting_synthetic(dtype, window):
    for name, x in edge_cases(dtype).items():
        assert payload_size(x, "tsxor", window=window) == tsxor_payload_bytes(x, window), name


def test_tsxor_accounting_hand_example():
    a = 0x4059_0000_0000_0000  # 100.0
    b = a ^ 0x0000_0012_3400_0000  # 3 leading + 3 trailing zero bytes against a: XOR record of 2 + 2 bytes
    c = 0xC1D2_E3F4_A5B6_C7D8  # no zero bytes against either: Exception
    x = np.array([a, b, a, c, b], dtype=U64).view(np.float64)
    assert tsxor_payload_bytes(x, 127) == 8 + (2 + 2) + 1 + 9 + 1
    assert payload_size(x, "tsxor") == 8 + 4 + 1 + 9 + 1
    # With a window of one, the second `a` and the last `b` no longer see their twins: a against b is the
    # same 4-byte XOR record, and b against c (0x818BE3E691B6C7D8, no zero byte at either end) an Exception.
    expected_w1 = 8 + 4 + 4 + 9 + 9
    assert tsxor_payload_bytes(x, 1) == expected_w1
    assert payload_size(x, "tsxor", window=1) == expected_w1


@pytest.mark.parametrize("window", [127, 5])
def test_tsxor_accounting_shared_series(dataset_arrays, window):
    for name, series in dataset_arrays.items():
        for dtype in ("float64", "float32"):
            x = series.astype(dtype)
            assert payload_size(x, "tsxor", window=window) == tsxor_payload_bytes(x, window), f"{name} {dtype}"


# ---- Chimp (Liakos et al., VLDB 2022) ---------------------------------------------------------------------

CHIMP_LEAD_CLASSES = np.array([0, 8, 12, 16, 18, 20, 22, 24])


def chimp_payload_bits(x: np.ndarray) -> int:
    """float64 Chimp: first value 64 bits; then per XOR D with the previous value: '00' if 0; '01' + 3-bit
    leading class + 6-bit count + the significant bits if D has more than 6 trailing zeros; otherwise the
    leading zeros rounded down to a class, '10' + (64 - lead) bits if that equals the lead stored by the
    previous value's record (only '10'/'11' records store one), else '11' + 3 bits + (64 - lead) bits."""
    u, w = widened_bits(x)
    assert w == 64
    if u.size == 0:
        return 0
    d = u[1:] ^ u[:-1]
    lead = CHIMP_LEAD_CLASSES[np.searchsorted(CHIMP_LEAD_CLASSES, clz64(d), side="right") - 1]
    trail = ctz64(d)
    zero = d == 0
    sparse = ~zero & (trail > 6)
    dense = ~zero & ~sparse
    prev_dense = np.concatenate([[False], dense[:-1]])
    prev_lead = np.concatenate([[-1], lead[:-1]])
    same = dense & prev_dense & (lead == prev_lead)
    cost = np.where(zero, 2, 0)
    cost = np.where(sparse, 2 + 3 + 6 + (64 - lead - trail), cost)
    cost = np.where(dense & same, 2 + (64 - lead), cost)
    cost = np.where(dense & ~same, 2 + 3 + (64 - lead), cost)
    return 64 + int(cost.sum())


def test_chimp_accounting_synthetic():
    for name, x in edge_cases("float64").items():
        assert payload_size(x, "chimp") == (chimp_payload_bits(x) + 7) // 8, name


def test_chimp_accounting_shared_series(dataset_arrays):
    for name, x in dataset_arrays.items():
        assert payload_size(x, "chimp") == (chimp_payload_bits(x) + 7) // 8, name


# ---- Chimp128 against the paper's reported sizes ----------------------------------------------------------

# Bits per value of Chimp128 reported for these series in the Chimp paper (VLDB 2022).
CHIMP128_REFERENCE = {
    "city_temperature": 20.40,
    "stocks_usa": 13.98,
    "air_pressure": 34.43,
    "basel_temp": 29.15,
    "bird_migration": 31.26,
}


def test_chimp128_matches_published_sizes(dataset_arrays):
    found = {name.split("/")[0]: x for name, x in dataset_arrays.items() if name.split("/")[0] in CHIMP128_REFERENCE}
    missing = set(CHIMP128_REFERENCE) - set(found)
    assert not missing, f"reference series missing from the shared datasets: {sorted(missing)}"
    for name, x in found.items():
        got = payload_size(x, "chimp128") * 8 / x.size
        ref = CHIMP128_REFERENCE[name]
        assert abs(got - ref) <= 0.01 * ref, f"{name}: {got:.2f} bits/value, paper {ref:.2f}"


def test_chimp128_beats_chimp_on_repetitive_data(dataset_arrays):
    # The point of the 128-value ring: values recurring from further back than the previous one.
    x = dataset_arrays.get("city_temperature/value")
    if x is None:
        pytest.skip("city_temperature is not among the shared datasets")
    assert payload_size(x, "chimp128") < payload_size(x, "chimp")
