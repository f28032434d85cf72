"""Property tests: whatever the values and parameters, decode(encode(x)) has x's exact bit patterns, and the
streaming encoder, fed in any chunks, produces encode()'s bytes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tsquash
from conftest import FLOAT_CODECS, UINT, assert_bits_equal

MAX_LEN = 300


def param_strategy(codec: str):
    if codec == "tsxor":
        return st.fixed_dictionaries({"window": st.integers(1, 127)})
    if codec == "fpc":
        return st.fixed_dictionaries({"table_log2": st.integers(1, 24)})
    return st.just({})


def float_arrays(dtype: str):
    """Arrays that stress the codecs in different ways: arbitrary floats (NaN, inf, subnormal, -0.0 as
    hypothesis picks them), arbitrary bit patterns, and series drawn from a small pool with single-bit
    perturbations (lots of repeats and near-repeats, which is what the reference / XOR paths are for)."""
    dt = np.dtype(dtype)
    u = UINT[dt]
    width = dt.itemsize * 8
    floats = hnp.arrays(dt, st.integers(0, MAX_LEN),
                        elements=st.floats(width=width, allow_nan=True, allow_infinity=True,
                                           allow_subnormal=True))
    patterns = hnp.arrays(u, st.integers(0, MAX_LEN), elements=st.integers(0, 2**width - 1)).map(
        lambda a: a.view(dt))

    @st.composite
    def pooled(draw):
        pool = draw(st.lists(st.integers(0, 2**width - 1), min_size=1, max_size=12))
        picks = draw(st.lists(st.tuples(st.integers(0, len(pool) - 1), st.integers(-1, width - 1)),
                              max_size=MAX_LEN))
        vals = [pool[i] ^ (0 if b < 0 else 1 << b) for i, b in picks]
        return np.array(vals, dtype=u).view(dt)

    return st.one_of(floats, patterns, pooled())


def int_arrays():
    i64 = np.iinfo(np.int64)
    anything = hnp.arrays(np.int64, st.integers(0, MAX_LEN), elements=st.integers(int(i64.min), int(i64.max)))

    @st.composite
    def timestamps(draw):
        start = draw(st.integers(int(i64.min), int(i64.max)))
        steps = draw(st.lists(st.one_of(st.integers(-3000, 3000), st.integers(-(2**40), 2**40),
                                        st.sampled_from([0, 1000, 1000, 1000, 60_000_000_000])),
                              max_size=MAX_LEN))
        out = np.array([start] + steps, dtype=np.int64)
        with np.errstate(over="ignore"):
            return np.cumsum(out, dtype=np.int64)  # wraps: overflow is part of what must round trip

    return st.one_of(anything, timestamps())


FLOAT_CASES = [(c, d) for c in FLOAT_CODECS for d in ("float64", "float32")]


@pytest.mark.parametrize("codec,dtype", FLOAT_CASES, ids=[f"{c}-{d}" for c, d in FLOAT_CASES])
def test_float_round_trip(codec, dtype):
    @given(x=float_arrays(dtype), params=param_strategy(codec))
    def check(x, params):
        blob = tsquash.encode(x, codec, **params)
        assert_bits_equal(tsquash.decode(blob), x)
        assert tsquash.info(blob)["params"] == params

    check()


@pytest.mark.parametrize("codec", ["gorilla", "raw"])
def test_int64_round_trip(codec):
    @given(x=int_arrays())
    def check(x):
        assert_bits_equal(tsquash.decode(tsquash.encode(x, codec)), x)

    check()


@st.composite
def repeated_patterns(draw, dtype: str):
    """A pattern (arbitrary bit patterns, or a few values from a small pool: runs inside the pattern) repeated
    past a block, with a few values changed, and sometimes a stretch of other values in front: what the
    lagged integer streams and the exact-period series reference of `auto` are for, with their checks
    nearly passing or nearly failing."""
    dt = np.dtype(dtype)
    u = np.uint64 if dt.itemsize == 8 else np.uint32
    width = dt.itemsize * 8
    period = draw(st.integers(2, 700))
    if draw(st.booleans()):
        pattern = draw(hnp.arrays(u, period, elements=st.integers(0, 2**width - 1)))
    else:
        pool = draw(st.lists(st.integers(0, 2**width - 1), min_size=1, max_size=4))
        pattern = np.array(pool, dtype=u)[draw(hnp.arrays(np.int64, period, elements=st.integers(0, len(pool) - 1)))]
    n = draw(st.integers(1025, 5000))
    x = np.tile(pattern, n // period + 1)[:n]
    for _ in range(draw(st.integers(0, 8))):
        x[draw(st.integers(0, n - 1))] = draw(st.integers(0, 2**width - 1))
    front = draw(st.integers(0, 1500))
    if front:
        x = np.concatenate([draw(hnp.arrays(u, front, elements=st.integers(0, 2**width - 1))), x])
    return x.view(dt)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_auto_round_trips_repeated_patterns(dtype):
    @given(x=repeated_patterns(dtype))
    def check(x):
        assert_bits_equal(tsquash.decode(tsquash.encode(x, "auto")), x)

    check()


STREAM_CASES = FLOAT_CASES + [("gorilla", "int64"), ("raw", "int64")]


@pytest.mark.parametrize("codec,dtype", STREAM_CASES, ids=[f"{c}-{d}" for c, d in STREAM_CASES])
def test_streaming_encoder_matches_encode(codec, dtype):
    values = int_arrays() if dtype == "int64" else float_arrays(dtype)

    @given(x=values, params=param_strategy(codec), data=st.data())
    def check(x, params, data):
        cuts = sorted(data.draw(st.lists(st.integers(0, x.size), max_size=12), label="cuts"))
        enc = tsquash.StreamEncoder(codec, dtype=dtype, **params)
        for a, b in zip([0] + cuts, cuts + [x.size]):
            enc.push(x[a:b])  # empty chunks included
        assert enc.count == x.size
        assert enc.finish() == tsquash.encode(x, codec, **params)

    check()


@pytest.mark.parametrize("codec,dtype", STREAM_CASES, ids=[f"{c}-{d}" for c, d in STREAM_CASES])
def test_streaming_decoder_matches_decode(codec, dtype):
    values = int_arrays() if dtype == "int64" else float_arrays(dtype)

    @given(x=values, sizes=st.lists(st.integers(0, 70), min_size=1, max_size=8).filter(any))
    def check(x, sizes):
        blob = tsquash.encode(x, codec)
        dec = tsquash.StreamDecoder(blob)
        pieces = []
        i = 0
        while dec.remaining:
            n = sizes[i % len(sizes)]  # cycled; zero-sized reads included
            i += 1
            before = dec.remaining
            piece = dec.read(n)
            assert piece.size == min(n, before)
            assert dec.remaining == before - piece.size
            pieces.append(piece)
        assert dec.read(5).size == 0
        out = np.concatenate(pieces) if pieces else np.empty(0, dtype=dtype)
        assert_bits_equal(out, x)

    check()


@pytest.mark.parametrize("codec", FLOAT_CODECS)
def test_codec_objects_agree_with_encode(codec):
    from tsquash import codecs

    @given(x=float_arrays("float64"), params=param_strategy(codec))
    def check(x, params):
        obj = codecs.get(codec, **params)
        blob = obj.encode(x)
        assert blob == tsquash.encode(x, codec, **params)
        assert_bits_equal(obj.decode(blob), x)
        again = type(obj).from_config(obj.get_config())
        assert again == obj and again.encode(x) == blob

    check()
