"""Every codec x dtype x edge case decodes to the exact bit patterns it was given."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import CODEC_DTYPES, PARAM_CHOICES, assert_bits_equal, edge_cases

CASES = [(codec, dtype, name) for codec, dtype in CODEC_DTYPES for name in edge_cases(dtype)]


@pytest.mark.parametrize("codec,dtype,case", CASES, ids=[f"{c}-{d}-{n}" for c, d, n in CASES])
def test_edge_case_round_trip(codec, dtype, case):
    x = edge_cases(dtype)[case]
    for params in PARAM_CHOICES[codec]:
        blob = tsquash.encode(x, codec, **params)
        assert isinstance(blob, bytes)
        y = tsquash.decode(blob)
        assert_bits_equal(y, x)
        meta = tsquash.info(blob)
        assert meta["codec"] == codec
        assert meta["dtype"] == dtype
        assert meta["count"] == x.size
        assert meta["header_size"] + meta["payload_size"] == len(blob)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fpc_largest_table(dtype):
    # table_log2=24 is the top of the range: 2**24-entry tables, used on one mixed input per dtype.
    cases = edge_cases(dtype)
    x = np.concatenate([cases["nan_mixed"], cases["random_bits"], cases["rounded_decimals"][:300]])
    assert_bits_equal(tsquash.decode(tsquash.encode(x, "fpc", table_log2=24)), x)


@pytest.mark.parametrize("window", list(range(1, 128)))
def test_tsxor_every_window(window):
    for dtype in ("float64", "float32"):
        cases = edge_cases(dtype)
        x = np.concatenate([cases["periodic_129"], cases["nan_payloads"], cases["rounded_decimals"][:200]])
        assert_bits_equal(tsquash.decode(tsquash.encode(x, "tsxor", window=window)), x)


@pytest.mark.parametrize("table_log2", list(range(1, 21)))
def test_fpc_table_sizes(table_log2):
    for dtype in ("float64", "float32"):
        cases = edge_cases(dtype)
        x = np.concatenate([cases["random_walk"][:500], cases["leading_zero_bytes"], cases["nan_payloads"]])
        assert_bits_equal(tsquash.decode(tsquash.encode(x, "fpc", table_log2=table_log2)), x)


@pytest.mark.parametrize("codec,dtype", CODEC_DTYPES, ids=[f"{c}-{d}" for c, d in CODEC_DTYPES])
def test_all_cases_concatenated(codec, dtype):
    # One long stream that switches between every kind of input, so state carried across records
    # (windows, stored leading zeros, predictor tables, rings) meets every transition.
    x = np.concatenate(list(edge_cases(dtype).values()))
    for params in PARAM_CHOICES[codec]:
        assert_bits_equal(tsquash.decode(tsquash.encode(x, codec, **params)), x)


@pytest.mark.parametrize("codec", ["raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"])
def test_lengths_around_word_and_ring_boundaries(codec):
    # Lengths next to 64-bit writer words, FPC's byte pairs, and the 128-entry Chimp128 ring.
    rng = np.random.default_rng(5)
    pool = rng.integers(0, 2**64 - 1, size=400, dtype=np.uint64, endpoint=True).view(np.float64)
    for n in [1, 2, 3, 7, 8, 9, 63, 64, 65, 127, 128, 129, 130, 255, 256, 257]:
        x = pool[:n]
        assert_bits_equal(tsquash.decode(tsquash.encode(x, codec)), x)


@pytest.mark.parametrize("codec", ["raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"])
def test_compressible_data_shrinks(codec):
    # Not a ratio claim, only that the XOR codecs do something on slowly varying data.
    x = np.round(20 + np.cumsum(np.random.default_rng(3).normal(scale=0.05, size=5000)), 1)
    blob = tsquash.encode(x, codec)
    if codec == "raw":
        assert tsquash.info(blob)["payload_size"] == x.nbytes
    else:
        assert len(blob) < x.nbytes * 0.8
