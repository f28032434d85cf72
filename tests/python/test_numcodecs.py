"""tsquash codecs through numcodecs (entry points, buffers, config, pickling) and as compressors of Zarr format 2
arrays (written with zarr-python 3; format 3 arrays are in test_zarr3.py)."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

numcodecs = pytest.importorskip("numcodecs")

import tsquash  # noqa: E402
from conftest import FLOAT_CODECS, REPO_ROOT, assert_bits_equal, edge_cases  # noqa: E402

CONFIGS = [
    {"id": "tsquash.raw"},
    {"id": "tsquash.gorilla"},
    {"id": "tsquash.chimp"},
    {"id": "tsquash.chimp128"},
    {"id": "tsquash.tsxor"},
    {"id": "tsquash.tsxor", "window": 17},
    {"id": "tsquash.fpc"},
    {"id": "tsquash.fpc", "table_log2": 10},
]
CONFIG_IDS = ["-".join(str(v) for v in c.values()).replace("tsquash.", "") for c in CONFIGS]


def values(dtype, n=2000):
    cases = edge_cases(dtype)
    x = np.concatenate([cases["rounded_decimals"], cases["nan_payloads"], cases["subnormals"],
                        cases["infinities"], cases["signed_zeros"]])
    return np.resize(x, n)


def test_entry_points_work_without_importing_tsquash_first():
    # A fresh interpreter: numcodecs must find every tsquash codec through the numcodecs.codecs entry
    # point group, before anything imports tsquash.
    script = textwrap.dedent("""
        import json, sys
        import numpy as np
        import numcodecs
        before = "tsquash" in sys.modules
        results = {}
        for name in ["raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc", "alp", "auto"]:
            codec = numcodecs.get_codec({"id": "tsquash." + name})
            x = np.array([1.5, -0.0, float("nan"), 2.25, 2.25, 1e-310], dtype=np.float64)
            y = codec.decode(codec.encode(x))
            results[name] = {
                "type": type(codec).__module__ + "." + type(codec).__name__,
                "codec_id": codec.codec_id,
                "bits_equal": bool((np.asarray(y).view(np.uint64) == x.view(np.uint64)).all()),
                "is_numcodecs": isinstance(codec, numcodecs.abc.Codec),
            }
        tsx = numcodecs.get_codec({"id": "tsquash.tsxor", "window": 9})
        print(json.dumps({"before": before, "results": results, "window": tsx.window}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] is False, "tsquash was imported before get_codec: the test proves nothing"
    assert out["window"] == 9
    for name in FLOAT_CODECS:
        r = out["results"][name]
        assert r["codec_id"] == f"tsquash.{name}"
        assert r["type"].startswith("tsquash.numcodecs_ext.")
        assert r["bits_equal"] and r["is_numcodecs"]


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_get_codec_encode_decode(config):
    import tsquash.numcodecs_ext  # noqa: F401

    codec = numcodecs.get_codec(dict(config))
    assert codec.codec_id == config["id"]
    assert isinstance(codec, numcodecs.abc.Codec)
    for dtype in ("float64", "float32"):
        x = values(dtype)
        enc = codec.encode(x)
        assert tsquash.info(enc)["codec"] == config["id"].split(".")[1]
        y = codec.decode(enc)
        assert_bits_equal(np.asarray(y), x)
        # The encoded bytes are a plain tsquash stream.
        assert_bits_equal(tsquash.decode(enc), x)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_decode_into_bytes_like_outputs(config):
    codec = numcodecs.get_codec(dict(config))
    x = values("float64", 500)
    enc = codec.encode(x)
    for out in (np.empty(500), np.empty((25, 20)), bytearray(x.nbytes), memoryview(bytearray(x.nbytes)),
                np.empty(x.nbytes, dtype=np.uint8)):
        got = codec.decode(enc, out=out)
        assert got is out
        assert_bits_equal(np.frombuffer(memoryview(out).cast("B"), dtype=np.float64), x)
    with pytest.raises(ValueError):
        codec.decode(enc, out=np.empty(499))


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_encode_from_buffer_kinds(config):
    codec = numcodecs.get_codec(dict(config))
    x = values("float32", 600)
    ref = codec.encode(x)
    assert codec.encode(x.reshape(20, 30)) == ref  # multi-dimensional chunks are flattened
    assert codec.encode(x.copy()) == ref
    ro = x.copy()
    ro.setflags(write=False)
    assert codec.encode(ro) == ref
    # Streams arrive as bytes, bytearray, memoryview or uint8 arrays (what stores hand back).
    for buf in (bytes(ref), bytearray(ref), memoryview(ref), np.frombuffer(ref, dtype=np.uint8)):
        assert_bits_equal(np.asarray(codec.decode(buf)), x)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_config_round_trip_and_pickling(config):
    codec = numcodecs.get_codec(dict(config))
    cfg = codec.get_config()
    assert cfg["id"] == config["id"]
    for k, v in config.items():
        assert cfg[k] == v
    json.dumps(cfg)  # configs go into .zarray as JSON
    again = numcodecs.get_codec(dict(cfg))
    assert again == codec and type(again) is type(codec)
    pickled = pickle.loads(pickle.dumps(codec))
    assert pickled == codec and type(pickled) is type(codec)
    x = values("float64", 300)
    assert pickled.encode(x) == codec.encode(x)
    assert type(codec).from_config(cfg) == codec
    assert repr(codec).startswith(type(codec).__name__ + "(")


def test_numcodecs_classes_are_registered_under_their_ids():
    from numcodecs.registry import codec_registry

    import tsquash.numcodecs_ext as ext

    for name in FLOAT_CODECS:
        cls = codec_registry[f"tsquash.{name}"]
        assert cls.__module__ == "tsquash.numcodecs_ext"
        assert getattr(ext, cls.__name__) is cls


def test_invalid_numcodecs_config():
    with pytest.raises(ValueError):
        numcodecs.get_codec({"id": "tsquash.tsxor", "window": 0})
    with pytest.raises(TypeError):
        numcodecs.get_codec({"id": "tsquash.tsxor", "winodw": 3})
    with pytest.raises(ValueError):
        numcodecs.get_codec({"id": "tsquash.nosuchcodec"})


# ---- numcodecs' own checks ---------------------------------------------------------------------------------

# The arrays numcodecs' tests of its PCodec codec use (every dtype, 2-D in C and F order), plus the ends of
# the narrow integer ranges.
_rng = np.random.default_rng(3)
PEER_ARRAYS = [
    np.arange(1000, dtype="u4"), np.arange(1000, dtype="u8"), np.arange(1000, dtype="i4"), np.arange(1000, dtype="i8"),
    np.linspace(1000, 1001, 1000, dtype="f4"), np.linspace(1000, 1001, 1000, dtype="f8"),
    _rng.normal(loc=1000, scale=1, size=(100, 10)), np.asfortranarray(_rng.normal(loc=1000, scale=1, size=(100, 10))),
    _rng.integers(0, 2**60, size=1000, dtype="u8"), _rng.integers(-(2**63), -(2**63) + 20, size=1000, dtype="i8"),
    np.array([0, 255, 1, 254, 128, 127] * 50, dtype="u1"), np.array([-128, 127, 0, -1] * 70, dtype="i1"),
    np.array([-32768, 32767, 0, 5] * 70, dtype="i2"), np.array([0, 65535, 1] * 90, dtype="u2"),
    np.array([2**64 - 1, 0, 2**63, 2**63 - 1] * 60, dtype="u8"),
]
PEER_IDS = [f"{a.dtype.str}-{a.shape}-{'F' if a.ndim > 1 and not a.flags.c_contiguous else 'C'}-{i}"
            for i, a in enumerate(PEER_ARRAYS)]


@pytest.mark.parametrize("arr", PEER_ARRAYS, ids=PEER_IDS)
@pytest.mark.parametrize("name", ["raw", "gorilla", "alp", "auto"])
def test_numcodecs_checks_on_every_dtype(name, arr):
    common = pytest.importorskip("numcodecs.tests.common")
    codec = numcodecs.get_codec({"id": f"tsquash.{name}"})
    # Encoded and decoded as the array, and into an array of its own (decode gives its dtype back).
    common.check_encode_decode_array_to_bytes(arr, codec)
    # From bytes, bytearray, array.array and mmap, decoded into bytes-like outputs too (untyped buffers are
    # coded as uint8 values).
    common.check_encode_decode(arr, codec)


@pytest.mark.parametrize("name", FLOAT_CODECS)
def test_numcodecs_checks_on_objects_and_configs(name):
    common = pytest.importorskip("numcodecs.tests.common")
    codec = numcodecs.get_codec({"id": f"tsquash.{name}"})
    common.check_config(codec)
    common.check_err_encode_object_buffer(codec)
    if name in ("raw", "gorilla", "alp", "auto"):  # the check encodes int64 values first
        common.check_err_decode_object_buffer(codec)
    for arr in (np.linspace(0, 1, 100, dtype="f8"), np.linspace(0, 1, 100, dtype="f4")):
        common.check_encode_decode_array_to_bytes(arr, codec)


def test_float_only_codecs_refuse_integers_and_untyped_bytes():
    for name in ("chimp", "chimp128", "tsxor", "fpc"):
        codec = numcodecs.get_codec({"id": f"tsquash.{name}"})
        for x in (np.arange(10, dtype="i4"), b"\x00" * 16, np.arange(4, dtype="u8")):
            with pytest.raises(TypeError, match=name):
                codec.encode(x)


# ---- Zarr format 2 -----------------------------------------------------------------------------------------

zarr = pytest.importorskip("zarr")


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_zarr_v2_directory_store_round_trip(tmp_path, config, dtype):
    codec = numcodecs.get_codec(dict(config))
    x = values(dtype, 10_007)  # not a multiple of the chunk size: a partial last chunk
    store = zarr.storage.LocalStore(str(tmp_path / "data.zarr"))
    z = zarr.create_array(store, shape=x.shape, chunks=(1000,), dtype=dtype, compressors=codec, filters=None,
                          fill_value=None, zarr_format=2)
    z[:] = x
    chunk_files = [p for p in (tmp_path / "data.zarr").iterdir() if not p.name.startswith(".")]
    assert len(chunk_files) == 11
    meta = json.loads((tmp_path / "data.zarr" / ".zarray").read_text())
    assert meta["compressor"]["id"] == config["id"]
    # Every chunk on disk is a tsquash stream.
    for p in chunk_files:
        assert tsquash.info(p.read_bytes())["dtype"] == dtype
    # A fresh array object reads the compressor back from .zarray.
    again = zarr.open_array(zarr.storage.LocalStore(str(tmp_path / "data.zarr")), mode="r")
    assert again.compressors == (codec,)
    assert_bits_equal(again[:], x)
    assert_bits_equal(again[1234:5678], x[1234:5678])  # partial chunks
    assert_bits_equal(again[3000:4000], x[3000:4000])  # exactly one chunk


@pytest.mark.parametrize("name", FLOAT_CODECS)
@pytest.mark.parametrize("order", ["C", "F"])
def test_zarr_v2_two_dimensional_multi_chunk(tmp_path, name, order):
    codec = numcodecs.get_codec({"id": f"tsquash.{name}"})
    x = values("float64", 120 * 50).reshape(120, 50)
    z = zarr.create_array(str(tmp_path / "a.zarr"), shape=x.shape, chunks=(32, 20), dtype=x.dtype,
                          compressors=codec, filters=None, order=order, zarr_format=2)
    z[:] = x
    z2 = zarr.open_array(str(tmp_path / "a.zarr"), mode="r")
    assert_bits_equal(z2[:], x)
    assert_bits_equal(z2[5:70, 3:41], x[5:70, 3:41])


@pytest.mark.parametrize("order", ["C", "F"])
def test_zarr_v2_whole_array_chunk(tmp_path, order):
    # One chunk covering the array, in either memory order.
    codec = numcodecs.get_codec({"id": "tsquash.chimp128"})
    x = values("float32", 40 * 25).reshape(40, 25)
    z = zarr.create_array(str(tmp_path / "one.zarr"), shape=x.shape, chunks=x.shape, dtype=x.dtype,
                          compressors=codec, filters=None, order=order, zarr_format=2)
    z[:] = x
    assert_bits_equal(zarr.open_array(str(tmp_path / "one.zarr"), mode="r")[:], x)
