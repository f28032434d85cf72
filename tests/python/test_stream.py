"""StreamEncoder / StreamDecoder: the same bytes and values as encode() / decode(), however they are fed."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import CODEC_DTYPES, PARAM_CHOICES, assert_bits_equal, edge_cases, from_bits

STREAM_CASES = [(c, d, p) for c, d in CODEC_DTYPES for p in PARAM_CHOICES[c]]
STREAM_IDS = [f"{c}-{d}-{'-'.join(f'{k}{v}' for k, v in p.items())}".rstrip("-") for c, d, p in STREAM_CASES]


def mixed(dtype) -> np.ndarray:
    cases = edge_cases(dtype)
    if dtype == "int64":
        return np.concatenate([cases["jittered_ms"][:300], cases["dod_bucket_edges"], cases["extremes"]])
    if np.dtype(dtype).kind in "iu":
        return np.concatenate([cases["walk"][:300], cases["extremes"], cases["random"][:50]])
    return np.concatenate([cases["rounded_decimals"][:300], cases["nan_payloads"], cases["signed_zeros"],
                           cases["infinities"], cases["subnormals"], cases["periodic_129"][:200],
                           cases["random_bits"][:50]])


@pytest.mark.parametrize("codec,dtype,params", STREAM_CASES, ids=STREAM_IDS)
def test_pushing_single_values_equals_encode(codec, dtype, params):
    x = mixed(dtype)
    enc = tsquash.StreamEncoder(codec, dtype=dtype, **params)
    for v in x:  # numpy scalars of the encoder's dtype
        enc.push(v)
    assert enc.count == x.size
    assert enc.finish() == tsquash.encode(x, codec, **params)


@pytest.mark.parametrize("codec,dtype,params", STREAM_CASES, ids=STREAM_IDS)
def test_pushing_chunks_equals_encode(codec, dtype, params):
    x = mixed(dtype)
    expected = tsquash.encode(x, codec, **params)
    rng = np.random.default_rng(len(x))
    for _ in range(5):
        cuts = np.sort(rng.integers(0, x.size + 1, size=int(rng.integers(0, 20))))
        enc = tsquash.StreamEncoder(codec, dtype=dtype, **params)
        for chunk in np.split(x, cuts):
            enc.push(chunk)
        assert enc.finish() == expected


def test_pushing_python_numbers():
    vals = [1.0, 2.5, -0.0, float("inf"), 3]  # an int that float64 holds exactly
    enc = tsquash.StreamEncoder("chimp", dtype="float64")
    for v in vals:
        enc.push(v)
    assert enc.finish() == tsquash.encode(np.array(vals, dtype=np.float64), "chimp")
    enc = tsquash.StreamEncoder("gorilla", dtype="int64")
    for v in (10, 20, 30, np.int32(40), np.uint8(50)):
        enc.push(v)
    y = tsquash.decode(enc.finish())
    assert y.dtype == np.int64 and y.tolist() == [10, 20, 30, 40, 50]


def test_pushing_lists_and_exactly_representable_other_dtypes():
    enc = tsquash.StreamEncoder("tsxor", dtype="float32", window=4)
    enc.push([0.5, 1.25])
    enc.push(np.array([2.0, -0.0], dtype=np.float64))  # float64 values that float32 holds exactly
    enc.push(np.array([3, 4], dtype=np.int16))
    y = tsquash.decode(enc.finish())
    assert y.dtype == np.float32
    assert_bits_equal(y, np.array([0.5, 1.25, 2.0, -0.0, 3, 4], dtype=np.float32))


def test_default_codec_and_dtype():
    x = mixed("float64")
    enc = tsquash.StreamEncoder()
    enc.push(x)
    assert enc.finish() == tsquash.encode(x)
    assert tsquash.info(tsquash.encode(x))["codec"] == "chimp128"


@pytest.mark.parametrize("dtype,value", [
    ("float32", 0.1),                       # rounds in float32
    ("float32", 1e300),                     # overflows to inf
    ("float32", 1e-50),                     # underflows to 0
    ("float32", 2**24 + 1),                 # an int float32 cannot hold
    ("float64", 2**53 + 1),                 # an int float64 cannot hold
    ("int64", 1.5),                         # not an integer
    ("int64", float("nan")),
    ("int64", float("inf")),
    ("int64", 2**63),                       # beyond int64
    ("float64", 1 + 2j),
    ("float64", None),
], ids=lambda v: repr(v))
def test_pushing_values_the_dtype_cannot_hold_raises_type_error(dtype, value):
    enc = tsquash.StreamEncoder("raw", dtype=dtype)
    with pytest.raises(TypeError, match="exactly"):
        enc.push(value)
    assert enc.count == 0


def test_pushing_unsigned_values_beyond_int64_raises_type_error():
    # np.uint64(2**64 - 1) -> int64 -> uint64 comes back unchanged, yet the int64 value stored is -1.
    enc = tsquash.StreamEncoder("gorilla", dtype="int64")
    with pytest.raises(TypeError):
        enc.push(np.array([5, 2**64 - 1], dtype=np.uint64))
    with pytest.raises(TypeError):
        enc.push(np.uint64(2**63))
    enc.push(np.array([5, 2**63 - 1], dtype=np.uint64))  # these fit
    assert tsquash.decode(enc.finish()).tolist() == [5, 2**63 - 1]


def test_pushing_float64_nans_whose_payload_float32_drops_raises_type_error():
    # Bit-exact means the NaN payload too: float32 keeps only the top 23 payload bits and quiets sNaNs.
    enc = tsquash.StreamEncoder("chimp", dtype="float32")
    for pattern in (0x7FF0000000000001, 0x7FF8000000000001, 0xFFF0000000000001):
        with pytest.raises(TypeError):
            enc.push(from_bits([pattern], np.float64))
    # A float64 NaN that float32 does represent exactly (quiet, payload in the top bits) is fine.
    enc.push(from_bits([0x7FF8000000000000, 0xFFF8000000000000], np.float64))
    y = tsquash.decode(enc.finish())
    assert_bits_equal(y, from_bits([0x7FC00000, 0xFFC00000], np.float32))


def test_pushing_non_numeric_values_raises_type_error():
    enc = tsquash.StreamEncoder("chimp", dtype="float64")
    for bad in ("abc", "1.5", b"\x00" * 8, np.array(["x"]), {"a": 1}):
        with pytest.raises(TypeError):
            enc.push(bad)
    assert enc.count == 0


def test_pushing_two_dimensional_chunks_raises_value_error():
    enc = tsquash.StreamEncoder("chimp", dtype="float64")
    with pytest.raises(ValueError, match="1-D"):
        enc.push(np.zeros((2, 2)))


def test_finish_twice_and_push_after_finish_raise():
    enc = tsquash.StreamEncoder("gorilla", dtype="float64")
    enc.push([1.0, 2.0])
    blob = enc.finish()
    assert_bits_equal(tsquash.decode(blob), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="finished"):
        enc.finish()
    with pytest.raises(ValueError, match="finished"):
        enc.push(3.0)


def test_empty_stream_from_encoder():
    for codec, dtype in CODEC_DTYPES:
        enc = tsquash.StreamEncoder(codec, dtype=dtype)
        blob = enc.finish()
        assert blob == tsquash.encode(np.empty(0, dtype=dtype), codec)
        assert tsquash.decode(blob).size == 0


def test_encoder_constructor_validation():
    with pytest.raises(TypeError, match="dtype"):
        tsquash.StreamEncoder("gorilla", dtype="float16")
    with pytest.raises(TypeError, match="int32"):
        tsquash.StreamEncoder("chimp", dtype="int32")
    with pytest.raises(TypeError, match="int64"):
        tsquash.StreamEncoder("chimp128", dtype="int64")
    with pytest.raises(ValueError, match="window"):
        tsquash.StreamEncoder("tsxor", window=0)
    with pytest.raises(TypeError):
        tsquash.StreamEncoder("tsxor", window=2.0)
    with pytest.raises(ValueError, match="unknown codec"):
        tsquash.StreamEncoder("lz4")
    enc = tsquash.StreamEncoder("fpc", dtype=np.float32, table_log2=3)
    assert enc.dtype == np.float32 and enc.codec == "fpc"
    enc.push(np.float32(1.5))
    assert tsquash.info(enc.finish())["params"] == {"table_log2": 3}


# ---- decoder ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("codec,dtype,params", STREAM_CASES, ids=STREAM_IDS)
def test_reading_in_pieces_equals_decode(codec, dtype, params):
    x = mixed(dtype)
    blob = tsquash.encode(x, codec, **params)
    for size in (1, 2, 7, 64, 1000):
        dec = tsquash.StreamDecoder(blob)
        assert dec.remaining == x.size
        pieces = []
        while dec.remaining:
            piece = dec.read(size)
            assert piece.dtype == dtype and 0 < piece.size <= size
            pieces.append(piece)
        assert_bits_equal(np.concatenate(pieces), x)
        assert dec.read(10).size == 0 and dec.read().size == 0


def test_read_without_argument_returns_the_rest():
    x = mixed("float64")
    dec = tsquash.StreamDecoder(tsquash.encode(x, "tsxor"))
    head = dec.read(10)
    rest = dec.read()
    assert_bits_equal(np.concatenate([head, rest]), x)
    assert dec.remaining == 0


def test_read_zero_and_negative():
    x = mixed("float32")
    dec = tsquash.StreamDecoder(tsquash.encode(x, "chimp"))
    assert dec.read(0).size == 0 and dec.read(-3).size == 0
    assert dec.remaining == x.size
    assert dec.read(0).dtype == np.float32


@pytest.mark.parametrize("chunk", [1, 3, 100, 65536])
def test_iteration_yields_chunks(chunk):
    x = mixed("float64")
    blob = tsquash.encode(x, "gorilla")
    pieces = list(tsquash.StreamDecoder(blob, chunk=chunk))
    assert all(p.size <= chunk for p in pieces)
    assert all(p.size == chunk for p in pieces[:-1])
    assert_bits_equal(np.concatenate(pieces), x)
    assert list(tsquash.StreamDecoder(tsquash.encode(np.empty(0), "gorilla"))) == []


def test_iteration_continues_after_partial_reads():
    x = mixed("int64")
    dec = tsquash.StreamDecoder(tsquash.encode(x, "gorilla"), chunk=50)
    first = dec.read(13)
    rest = list(dec)
    assert_bits_equal(np.concatenate([first] + rest), x)


def test_decoder_header_matches_info():
    x = mixed("float32")
    blob = tsquash.encode(x, "fpc", table_log2=9)
    dec = tsquash.StreamDecoder(blob)
    assert dec.header == tsquash.info(blob)
    assert dec.header["params"] == {"table_log2": 9}


def test_decoder_checks_the_payload_checksum_up_front():
    blob = bytearray(tsquash.encode(mixed("float64"), "chimp128"))
    blob[-1] ^= 0x10
    with pytest.raises(tsquash.CorruptStreamError, match="checksum"):
        tsquash.StreamDecoder(bytes(blob))


def test_decoder_keeps_its_source_alive():
    x = mixed("float64")
    dec = tsquash.StreamDecoder(bytearray(tsquash.encode(x, "chimp")))  # the only reference is inside
    import gc

    gc.collect()
    assert_bits_equal(np.concatenate(list(dec)), x)
