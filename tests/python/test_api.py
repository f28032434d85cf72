"""The Python surface: what encode() accepts and refuses, decode(out=...), info(), codec objects and the
codec registry, and concurrent use from threads."""
from __future__ import annotations

import pickle
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import tsquash
from tsquash import codecs
from conftest import (CODEC_DTYPES, FLOAT_CODECS, INT_CODECS, INT_DTYPES, assert_bits_equal, build_stream,
                      crc32c, edge_cases, parse_header, split_stream)


def sample(dtype="float64", n=500):
    x = np.round(np.cumsum(np.random.default_rng(11).normal(size=n)), 3)
    return x.astype(dtype) if dtype != "int64" else (x * 1000).astype(np.int64)


# ---- accepted inputs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("codec,dtype", CODEC_DTYPES, ids=[f"{c}-{d}" for c, d in CODEC_DTYPES])
def test_read_only_arrays_are_accepted(codec, dtype):
    x = sample(dtype)
    ro = x.copy()
    ro.setflags(write=False)
    blob = tsquash.encode(ro, codec)
    assert blob == tsquash.encode(x, codec)
    assert_bits_equal(tsquash.decode(blob), x)
    assert not ro.flags.writeable  # untouched


def test_read_only_input_is_not_copied():
    # A copy of an 80 MB input would show up in tracemalloc's peak (numpy reports its buffers to it). The
    # C++ encoder's own output buffer is not traced, and constant data compresses to almost nothing, so
    # the peak stays tiny unless the input is duplicated on the way in.
    x = np.zeros(10_000_000)
    x.setflags(write=False)
    s = pd.Series(x, copy=False)
    tracemalloc.start()
    try:
        blob = tsquash.encode(x, "gorilla")
        blob2 = tsquash.encode(s, "gorilla")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob == blob2
    assert peak < 8_000_000, f"encode allocated {peak} bytes for an {x.nbytes}-byte read-only input"


def test_zero_copy_conversion_of_supported_arrays():
    from tsquash._arrays import as_values

    for dtype in ("float64", "float32", "int64"):
        x = sample(dtype)
        x.setflags(write=False)
        assert as_values(x) is x or np.shares_memory(as_values(x), x)


def test_non_contiguous_views_are_converted():
    base = sample("float64", 1000)
    for view in (base[::2], base[::-3], base[1::7]):
        assert not view.flags.c_contiguous
        for codec in FLOAT_CODECS:
            blob = tsquash.encode(view, codec)
            assert blob == tsquash.encode(np.ascontiguousarray(view), codec)
            assert_bits_equal(tsquash.decode(blob), np.ascontiguousarray(view))
    column = np.asfortranarray(np.stack([base, base * 2], axis=1))[:, 1]
    assert_bits_equal(tsquash.decode(tsquash.encode(column, "chimp")), base * 2)


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i8"])
def test_big_endian_arrays_are_converted(dtype):
    native = np.dtype(dtype).newbyteorder("=")
    if native.kind == "f":
        x = edge_cases(native)["nan_mixed"].copy()
    else:
        x = edge_cases("int64")["extremes"].copy()
    big = x.astype(dtype)
    assert not big.dtype.isnative
    codec = "gorilla"
    blob = tsquash.encode(big, codec)
    assert blob == tsquash.encode(x, codec)
    y = tsquash.decode(blob)
    assert y.dtype == native and y.dtype.isnative
    assert_bits_equal(y, x)


def test_pandas_series_values_are_encoded():
    x = sample("float64", 300)
    idx = pd.date_range("2024-01-01", periods=x.size, freq="min", tz="UTC", name="time")
    s = pd.Series(x, index=idx, name="temp")
    blob = tsquash.encode(s, "chimp128")
    assert blob == tsquash.encode(x, "chimp128")
    assert tsquash.info(blob)["count"] == x.size
    assert_bits_equal(tsquash.decode(blob), x)
    s32 = pd.Series(x.astype(np.float32))
    assert tsquash.encode(s32, "tsxor") == tsquash.encode(x.astype(np.float32), "tsxor")
    # The Series is not modified (values, index, name).
    assert s.index.equals(idx) and s.name == "temp"
    assert_bits_equal(s.to_numpy(), x)


def test_pandas_index_of_int64_is_accepted():
    t = pd.date_range("2024-01-01", periods=100, freq="s").as_unit("ns").asi8
    blob = tsquash.encode(pd.Index(t), "gorilla")
    assert_bits_equal(tsquash.decode(blob), t)


def test_lists_are_accepted():
    vals = [1.5, -0.0, float("inf"), float("nan"), 2.25]
    y = tsquash.decode(tsquash.encode(vals, "chimp"))
    assert y.dtype == np.float64
    assert_bits_equal(y, np.array(vals))
    ints = [1_700_000_000, 1_700_000_060, 1_700_000_120]
    y = tsquash.decode(tsquash.encode(ints, "gorilla"))
    assert y.dtype == np.int64 and y.tolist() == ints
    assert tsquash.decode(tsquash.encode([], "raw")).size == 0


def test_int_list_with_a_float_only_codec_says_why():
    with pytest.raises(TypeError, match="int64"):
        tsquash.encode([1, 2, 3], "chimp")


# ---- refused inputs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "bool", "object", "complex128", "longdouble", "U3", "S8"])
def test_unsupported_dtypes_raise_type_error(dtype):
    x = np.zeros(10, dtype=dtype)
    with pytest.raises(TypeError, match=np.dtype(dtype).name if dtype not in ("U3", "S8") else dtype) as e:
        tsquash.encode(x, "gorilla")
    # The message says what is accepted and how to get there.
    assert "float64" in str(e.value) and "astype" in str(e.value)


def test_datetime64_message_points_to_int64():
    t = np.arange("2024-01-01", "2024-01-02", dtype="datetime64[h]")
    with pytest.raises(TypeError, match="int64"):
        tsquash.encode(t, "gorilla")
    s = pd.Series(pd.date_range("2024-01-01", periods=10, freq="h"))
    with pytest.raises(TypeError, match="int64"):
        tsquash.encode(s, "gorilla")


def test_timedelta64_is_refused():
    with pytest.raises(TypeError):
        tsquash.encode(np.arange(5, dtype="timedelta64[s]"), "gorilla")


@pytest.mark.parametrize("shape", [(2, 3), (1, 5), (5, 1), (2, 2, 2)])
def test_multidimensional_arrays_raise_value_error(shape):
    with pytest.raises(ValueError, match="1-D"):
        tsquash.encode(np.zeros(shape), "chimp128")


def test_scalars_raise_value_error():
    with pytest.raises(ValueError, match="1-D"):
        tsquash.encode(3.0, "chimp128")
    with pytest.raises(ValueError, match="1-D"):
        tsquash.encode(np.float64(3.0), "chimp128")


def test_float_only_codecs_refuse_int64():
    for codec in set(FLOAT_CODECS) - set(INT_CODECS):
        with pytest.raises(TypeError, match=f"{codec} does not encode int64"):
            tsquash.encode(np.arange(5, dtype=np.int64), codec)


def test_unknown_codec_name():
    x = sample()
    with pytest.raises(ValueError, match="unknown codec 'zstd'.*chimp128"):
        tsquash.encode(x, "zstd")
    with pytest.raises(ValueError, match="unknown codec"):
        codecs.get("zstd")
    with pytest.raises(ValueError, match="unknown codec"):
        tsquash.StreamEncoder("zstd")
    with pytest.raises(ValueError):
        tsquash.encode(x, "Chimp128")  # names are exact


def test_encode_parameter_validation():
    x = sample()
    for bad in (0, 128, -1, 10**20):
        with pytest.raises(ValueError, match="window"):
            tsquash.encode(x, "tsxor", window=bad)
    for bad in (0, 25):
        with pytest.raises(ValueError, match="table_log2"):
            tsquash.encode(x, "fpc", table_log2=bad)
    for bad in (1.5, "7", None, True):
        with pytest.raises(TypeError, match="window"):
            tsquash.encode(x, "tsxor", window=bad)
    with pytest.raises(ValueError, match="no parameter 'window'"):
        tsquash.encode(x, "gorilla", window=3)
    with pytest.raises(ValueError, match="no parameter 'windw'.*window"):
        tsquash.encode(x, "tsxor", windw=3)
    with pytest.raises(ValueError, match="window"):
        tsquash.StreamEncoder("tsxor", window=-(10**30))


def test_numpy_integer_parameters_are_accepted():
    # Parameters often come out of numpy (a config array, a sweep): the codec objects take them, and so
    # do encode() and StreamEncoder.
    x = sample()
    assert tsquash.encode(x, "tsxor", window=np.int64(9)) == tsquash.encode(x, "tsxor", window=9)
    assert tsquash.encode(x, "fpc", table_log2=np.uint8(7)) == codecs.FPC(table_log2=np.int32(7)).encode(x)
    enc = tsquash.StreamEncoder("tsxor", window=np.int16(9))
    enc.push(x)
    assert enc.finish() == tsquash.encode(x, "tsxor", window=9)
    with pytest.raises(TypeError):
        tsquash.encode(x, "tsxor", window=np.float64(9))
    with pytest.raises(TypeError):
        tsquash.encode(x, "tsxor", window=np.True_)


def test_parameters_change_the_stream_and_are_recorded():
    x = sample(n=2000)
    a = tsquash.encode(x, "tsxor", window=2)
    b = tsquash.encode(x, "tsxor", window=127)
    assert tsquash.info(a)["params"] == {"window": 2}
    assert tsquash.info(b)["params"] == {"window": 127}
    assert tsquash.encode(x, "tsxor") == b  # the default is the largest window
    assert tsquash.info(tsquash.encode(x, "fpc"))["params"] == {"table_log2": 16}
    assert_bits_equal(tsquash.decode(a), x)


# ---- decode(out=...) --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_decode_into_out(dtype):
    x = sample(dtype)
    blob = tsquash.encode(x, "gorilla")
    out = np.full(x.size, 7, dtype=dtype)
    got = tsquash.decode(blob, out=out)
    assert got is out
    assert_bits_equal(out, x)


def test_decode_into_out_of_another_shape_or_layout():
    x = sample("float64", 600)
    blob = tsquash.encode(x, "fpc")
    out2d = np.zeros((20, 30))
    assert tsquash.decode(blob, out=out2d) is out2d
    assert_bits_equal(out2d.reshape(-1), x)
    strided = np.zeros(1200)[::2]
    tsquash.decode(blob, out=strided)
    assert_bits_equal(strided, x)


def test_decode_rejects_mismatched_out():
    x = sample("float64", 100)
    blob = tsquash.encode(x, "chimp")
    for bad in (np.zeros(99), np.zeros(101), np.zeros(100, dtype=np.float32), np.zeros(100, dtype=np.int64),
                np.zeros(200, dtype=np.float32)):
        before = bad.copy()
        with pytest.raises(ValueError, match="out"):
            tsquash.decode(blob, out=bad)
        assert_bits_equal(bad, before)  # not partially written


@pytest.mark.parametrize("codec", ["auto", "gorilla"])
def test_decode_into_out_leaves_it_as_it_was_on_a_corrupted_stream(codec):
    # A contiguous out is decoded into directly; the payload's checksum is checked before anything is
    # written, so a damaged stream raises and leaves out untouched.
    x = sample("float64", 3000)
    blob = bytearray(tsquash.encode(x, codec))
    blob[-5] ^= 0x10
    out = np.full(x.size, 7.0)
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.decode(bytes(blob), out=out)
    assert (out == 7.0).all()


def test_decode_into_a_read_only_out_is_refused():
    x = sample("float64", 50)
    blob = tsquash.encode(x, "auto")
    out = np.zeros(50)
    out.flags.writeable = False
    with pytest.raises(ValueError):
        tsquash.decode(blob, out=out)
    assert (out == 0).all()


@pytest.mark.parametrize("n_threads", [1, 3])
def test_decode_into_out_with_threads(n_threads):
    x = sample("float64", 5000)
    blob = tsquash.encode(x, "auto")
    out = np.empty((50, 100))
    assert tsquash.decode(blob, out=out, n_threads=n_threads) is out
    assert_bits_equal(out.reshape(-1), x)


def test_decode_out_must_be_an_array():
    blob = tsquash.encode(sample("float64", 4), "gorilla")
    for bad in ([0.0] * 4, bytearray(32)):
        with pytest.raises(TypeError, match="numpy array"):
            tsquash.decode(blob, out=bad)


def test_decode_keeps_nan_payloads_in_out():
    x = edge_cases("float32")["nan_payloads"]
    out = np.empty_like(x)
    tsquash.decode(tsquash.encode(x, "chimp128"), out=out)
    assert_bits_equal(out, x)


# ---- decode(start=, stop=) and StreamDecoder.skip -----------------------------------------------------------

RANGES = [(None, None), (0, 10), (1000, 2100), (3071, 3073), (-5, None), (None, -4000), (-100, -50), (5, 5),
          (10, 3), (4999, 10**9), (10**9, None), (-10**9, 2)]


@pytest.mark.parametrize("codec,dtype", CODEC_DTYPES)
def test_decode_range_is_the_slice_of_the_whole(codec, dtype):
    x = sample(dtype, 5000)
    blob = tsquash.encode(x, codec)
    for start, stop in RANGES:
        got = tsquash.decode(blob, start=start, stop=stop)
        assert got.dtype == x.dtype
        assert_bits_equal(got, x[start:stop])


@pytest.mark.parametrize("codec", ["auto", "chimp"])
def test_decode_range_into_out(codec):
    x = sample("float64", 4000)
    blob = tsquash.encode(x, codec)
    out = np.full((10, 30), 7.0)
    assert tsquash.decode(blob, out=out, start=1500, stop=1800) is out
    assert_bits_equal(out.reshape(-1), x[1500:1800])
    strided = np.zeros(600)[::2]
    tsquash.decode(blob, out=strided, start=-300)
    assert_bits_equal(strided, x[-300:])
    wrong = np.full(301, 7.0)
    with pytest.raises(ValueError, match="out"):
        tsquash.decode(blob, out=wrong, start=1500, stop=1800)
    assert (wrong == 7.0).all()


def test_decode_range_with_threads_and_narrow_integers():
    x = sample("int16", 9000)
    blob = tsquash.encode(x, "auto")
    assert_bits_equal(tsquash.decode(blob, start=1000, stop=8000, n_threads=3), x[1000:8000])


def test_decode_range_bounds_must_be_integers():
    blob = tsquash.encode(sample("float64", 100), "auto")
    for bad in (1.5, "3", True, [1]):
        with pytest.raises(TypeError, match="start"):
            tsquash.decode(blob, start=bad)
        with pytest.raises(TypeError, match="stop"):
            tsquash.decode(blob, stop=bad)
    assert_bits_equal(tsquash.decode(blob, start=np.int32(90), stop=np.uint64(95)), sample("float64", 100)[90:95])


def test_decode_range_of_a_corrupted_stream_raises():
    blob = bytearray(tsquash.encode(sample("float64", 3000), "auto"))
    blob[-5] ^= 0x10
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.decode(bytes(blob), start=10, stop=20)


def test_a_range_of_a_block_stream_decodes_no_other_block():
    # An alp payload without sections: sections byte 0, the directory (u16 sizes), then the blocks. The
    # first block's method byte is made invalid and the checksum forged: the whole stream no longer
    # decodes, while values from the second block on still do, so the first block was never read.
    x = np.round(np.cumsum(np.random.default_rng(5).normal(size=4096)), 2)
    h, payload = split_stream(tsquash.encode(x, "alp"))
    assert payload[0] == 0
    first_block = 1 + 2 * 4
    payload = bytearray(payload)
    payload[first_block] = 0xFF
    forged = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                          params=h["params"], payload=bytes(payload))
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.decode(forged)
    with pytest.raises(tsquash.CorruptStreamError):
        tsquash.decode(forged, start=1023, stop=1025)
    assert_bits_equal(tsquash.decode(forged, start=1024), x[1024:])
    reader = tsquash.StreamDecoder(forged)
    assert reader.skip(3000) == 3000
    assert_bits_equal(reader.read(), x[3000:])


@pytest.mark.parametrize("codec,dtype", [("auto", "float64"), ("alp", "float32"), ("gorilla", "int64"),
                                         ("chimp128", "float64"), ("raw", "uint16"), ("auto", "int8")])
def test_stream_decoder_seek_forwards_and_backwards(codec, dtype):
    x = sample(dtype, 5000)
    reader = tsquash.StreamDecoder(tsquash.encode(x, codec))
    for position, n in [(4000, 30), (10, 5), (2047, 2), (-3, 10), (0, 1), (4999, 1), (5000, 1), (1024, 2000)]:
        reader.seek(position)
        start = position + 5000 if position < 0 else position
        assert reader.position == start
        assert_bits_equal(reader.read(n), x[start:start + n])
        assert reader.position == min(start + n, 5000)
    for bad in (5001, -5001):
        with pytest.raises(ValueError, match="outside"):
            reader.seek(bad)
    for bad in (1.0, True, "3"):
        with pytest.raises(TypeError):
            reader.seek(bad)


def test_seek_reads_no_block_it_passes():
    # As in the range test above: the first block is broken behind a forged checksum; a decoder made once
    # seeks past it and back to the second block, and only a read that needs the first block fails.
    x = np.round(np.cumsum(np.random.default_rng(6).normal(size=4096)), 2)
    h, payload = split_stream(tsquash.encode(x, "alp"))
    payload = bytearray(payload)
    payload[1 + 2 * 4] = 0xFF
    forged = build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                          params=h["params"], payload=bytes(payload))
    reader = tsquash.StreamDecoder(forged)
    reader.seek(3000)
    assert_bits_equal(reader.read(100), x[3000:3100])
    reader.seek(1024)
    assert_bits_equal(reader.read(1), x[1024:1025])
    reader.seek(1000)
    with pytest.raises(tsquash.CorruptStreamError):
        reader.read(10)


@pytest.mark.parametrize("codec", ["auto", "gorilla", "raw"])
def test_stream_decoder_skip(codec):
    x = sample("float64", 5000)
    reader = tsquash.StreamDecoder(tsquash.encode(x, codec))
    assert reader.skip(0) == 0
    assert_bits_equal(reader.read(10), x[:10])
    assert reader.skip(2000) == 2000
    assert_bits_equal(reader.read(5), x[2010:2015])
    assert reader.remaining == 5000 - 2015
    assert reader.skip(10**12) == 5000 - 2015
    assert reader.remaining == 0
    assert reader.read().size == 0
    with pytest.raises(ValueError, match="negative"):
        reader.skip(-1)
    for bad in (1.0, True, "2"):
        with pytest.raises(TypeError):
            reader.skip(bad)


# ---- info() and available_codecs() ------------------------------------------------------------------------

def test_info_contents():
    x = sample("float32", 321)
    blob = tsquash.encode(x, "tsxor", window=9)
    meta = tsquash.info(blob)
    assert set(meta) == {"codec", "format_version", "dtype", "count", "params", "header_size", "payload_size",
                         "payload_crc32c"}
    assert meta["codec"] == "tsxor"
    assert meta["format_version"] == 1
    assert meta["dtype"] == "float32"
    assert meta["count"] == 321
    assert meta["params"] == {"window": 9}
    assert meta["header_size"] == 33  # 32 fixed bytes + one parameter byte
    assert meta["header_size"] + meta["payload_size"] == len(blob)
    assert meta["payload_crc32c"] == crc32c(blob[meta["header_size"]:])
    assert parse_header(blob)["count"] == 321


def test_info_of_an_empty_stream():
    for codec, dtype in CODEC_DTYPES:
        blob = tsquash.encode(np.empty(0, dtype=dtype), codec)
        meta = tsquash.info(blob)
        assert meta["count"] == 0 and meta["dtype"] == dtype and meta["codec"] == codec
        y = tsquash.decode(blob)
        assert y.size == 0 and y.dtype == dtype


def test_available_codecs():
    specs = {s["name"]: s for s in tsquash.available_codecs()}
    assert set(specs) == set(FLOAT_CODECS)
    assert len({s["id"] for s in specs.values()}) == len(specs)
    for name, s in specs.items():
        expected = ["float64", "float32"] + (list(INT_DTYPES) if name in INT_CODECS else [])
        assert sorted(s["dtypes"]) == sorted(expected), name
        assert s["summary"]
    window = specs["tsxor"]["params"]
    assert [(p["name"], p["min"], p["max"], p["default"]) for p in window] == [("window", 1, 127, 127)]
    table = specs["fpc"]["params"]
    assert [(p["name"], p["min"], p["max"], p["default"]) for p in table] == [("table_log2", 1, 24, 16)]
    for name in ("raw", "gorilla", "chimp", "chimp128"):
        assert specs[name]["params"] == []


# ---- codec objects ----------------------------------------------------------------------------------------

ALL_CODEC_OBJECTS = [codecs.Raw(), codecs.Gorilla(), codecs.Chimp(), codecs.Chimp128(), codecs.TSXor(),
                     codecs.TSXor(window=3), codecs.FPC(), codecs.FPC(table_log2=20)]


def test_codec_attributes():
    assert codecs.TSXor().window == 127
    assert codecs.TSXor(window=64).window == 64
    assert codecs.TSXor(64).window == 64
    assert codecs.FPC().table_log2 == 16
    assert codecs.FPC(table_log2=3).table_log2 == 3
    assert codecs.TSXor(window=np.int64(12)).window == 12
    assert type(codecs.TSXor(window=np.int64(12)).window) is int
    for obj in ALL_CODEC_OBJECTS:
        assert obj.codec_id == f"tsquash.{obj.name}"
    assert codecs.Gorilla().params == {}
    assert codecs.TSXor(window=5).params == {"window": 5}


def test_codec_parameter_validation():
    for bad in (0, 128, -5):
        with pytest.raises(ValueError, match="window must be in 1..127"):
            codecs.TSXor(window=bad)
    for bad in (0, 25):
        with pytest.raises(ValueError, match="table_log2"):
            codecs.FPC(table_log2=bad)
    for bad in (1.0, "64", None, True, [3]):
        with pytest.raises(TypeError, match="window must be an int"):
            codecs.TSXor(window=bad)
    with pytest.raises(TypeError, match="unexpected parameter 'window'"):
        codecs.Gorilla(window=3)
    with pytest.raises(TypeError):
        codecs.FPC(window=3)


def test_codec_get_by_name():
    assert codecs.get("tsxor", window=4) == codecs.TSXor(window=4)
    assert codecs.get("chimp128") == codecs.Chimp128()
    assert set(codecs.ALL) == set(FLOAT_CODECS)


def test_codec_equality_and_hash():
    assert codecs.TSXor(window=64) == codecs.TSXor(window=64)
    assert codecs.TSXor(window=64) != codecs.TSXor(window=63)
    assert codecs.TSXor() != codecs.FPC()
    assert codecs.Gorilla() == codecs.Gorilla()
    assert codecs.Gorilla() != codecs.Chimp()
    assert codecs.Chimp() != codecs.Chimp128()
    assert codecs.Raw() != "raw"
    assert hash(codecs.FPC(table_log2=8)) == hash(codecs.FPC(table_log2=8))
    assert len({codecs.TSXor(window=5), codecs.TSXor(window=5), codecs.TSXor(window=6)}) == 2


def test_codec_repr_round_trips():
    assert repr(codecs.TSXor(window=64)) == "TSXor(window=64)"
    assert repr(codecs.Gorilla()) == "Gorilla()"
    assert repr(codecs.FPC()) == "FPC(table_log2=16)"
    namespace = {cls.__name__: cls for cls in codecs.ALL.values()}
    for obj in ALL_CODEC_OBJECTS:
        assert eval(repr(obj), namespace) == obj


def test_codec_pickling_round_trip():
    x = sample()
    for obj in ALL_CODEC_OBJECTS:
        again = pickle.loads(pickle.dumps(obj))
        assert again == obj and type(again) is type(obj)
        assert again.encode(x) == obj.encode(x)


def test_codec_config_round_trip():
    for obj in ALL_CODEC_OBJECTS:
        config = obj.get_config()
        assert config["id"] == obj.codec_id
        assert {k: v for k, v in config.items() if k != "id"} == obj.params
        assert type(obj).from_config(config) == obj
        assert type(obj).from_config(dict(config)) == obj
    assert codecs.TSXor(window=7).get_config() == {"id": "tsquash.tsxor", "window": 7}
    assert codecs.Chimp().get_config() == {"id": "tsquash.chimp"}


def test_codec_encode_decode():
    for obj in ALL_CODEC_OBJECTS:
        for dtype in ("float64", "float32"):
            x = edge_cases(dtype)["nan_mixed"]
            blob = obj.encode(x)
            assert blob == tsquash.encode(x, obj.name, **obj.params)
            assert tsquash.info(blob)["params"] == obj.params
            assert_bits_equal(obj.decode(blob), x)


def test_codec_encode_flattens_contiguous_arrays_in_memory_order():
    # The numcodecs convention: a codec sees a chunk's buffer, so a contiguous array of any shape is
    # taken in memory order (what Zarr expects for order="C" and order="F" arrays alike).
    x = sample("float64", 600).reshape(20, 30)
    c = codecs.Chimp128()
    assert c.encode(x) == c.encode(x.reshape(-1))
    f = np.asfortranarray(x)
    assert c.encode(f) == c.encode(f.T.reshape(-1))
    assert_bits_equal(c.decode(c.encode(f)), f.ravel(order="K"))
    with pytest.raises(ValueError, match="1-D"):
        c.encode(x[:, ::2])  # neither C- nor F-contiguous: no buffer order to take


def test_codec_decode_into_buffers():
    x = sample("float64", 100)
    c = codecs.Gorilla()
    blob = c.encode(x)
    for out in (bytearray(x.nbytes), memoryview(bytearray(x.nbytes)), np.zeros(100), np.zeros((10, 10)),
                np.zeros(x.nbytes, dtype=np.uint8)):
        got = c.decode(blob, out=out)
        assert got is out
        assert_bits_equal(np.frombuffer(memoryview(out).cast("B"), dtype=np.float64), x)
    with pytest.raises(ValueError, match="bytes"):
        c.decode(blob, out=bytearray(x.nbytes - 1))
    # A Fortran-ordered out is filled in its memory order (how Zarr hands over order="F" chunks).
    fout = np.asfortranarray(np.zeros((10, 10)))
    assert c.decode(blob, out=fout) is fout
    assert_bits_equal(fout.ravel(order="K"), x)


def test_codec_streaming_encoder():
    x = sample("float32", 300)
    c = codecs.TSXor(window=11)
    enc = c.encoder(dtype="float32")
    enc.push(x[:100])
    enc.push(x[100:])
    assert enc.finish() == c.encode(x)


# ---- threads ----------------------------------------------------------------------------------------------

def test_concurrent_encode_decode_from_threads():
    inputs = []
    for i, (codec, dtype) in enumerate(CODEC_DTYPES):
        x = sample(dtype, 50_000 + 1000 * i)
        inputs.append((codec, dtype, x, tsquash.encode(x, codec)))
    barrier = threading.Barrier(4)

    def work(k):
        barrier.wait()  # start together so the calls overlap
        done = 0
        for rep in range(3):
            for j in range(len(inputs)):
                codec, dtype, x, expected = inputs[(j + k + rep) % len(inputs)]
                blob = tsquash.encode(x, codec)
                assert blob == expected
                assert_bits_equal(tsquash.decode(blob), x)
                dec = tsquash.StreamDecoder(expected)
                assert_bits_equal(np.concatenate([dec.read(7000) for _ in range(0, x.size, 7000)]), x)
                done += 1
        return done

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4)))
    assert results == [3 * len(inputs)] * 4


def test_concurrent_decoding_of_one_shared_buffer():
    x = sample("float64", 200_000)
    blob = bytearray(tsquash.encode(x, "chimp128"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(lambda _: tsquash.decode(blob), range(8)))
    for y in outs:
        assert_bits_equal(y, x)
