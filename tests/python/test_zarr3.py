"""tsquash codecs as Zarr format 3 array-to-bytes codecs (tsquash.zarr3): real arrays written to and read
from a directory store, metadata, parameters, dtypes, corrupted chunks, and the entry points."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

zarr = pytest.importorskip("zarr", minversion="3")

import tsquash  # noqa: E402
import tsquash.zarr3 as tz  # noqa: E402
from conftest import REPO_ROOT, assert_bits_equal, build_stream, edge_cases, split_stream  # noqa: E402

ALL = {"raw": tz.Raw, "gorilla": tz.Gorilla, "chimp": tz.Chimp, "chimp128": tz.Chimp128, "tsxor": tz.TSXor,
       "fpc": tz.FPC, "alp": tz.Alp, "auto": tz.Auto}


def dtypes_of(name):
    return [d["dtypes"] for d in tsquash.available_codecs() if d["name"] == name][0]


CASES = [(name, dtype) for name in ALL for dtype in ("float64", "float32", "int64", "int32", "uint16", "uint64")
         if dtype in dtypes_of(name)]


def values(dtype, n):
    cases = edge_cases(dtype)
    return np.resize(np.concatenate(list(cases.values())), n).astype(dtype)


@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_directory_store_round_trip(tmp_path, name, dtype):
    x = values(dtype, 5_003)  # a partial last chunk
    path = tmp_path / "a.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(1000,), dtype=dtype, serializer=ALL[name](),
                          compressors=None, fill_value=0)
    z[:] = x
    meta = json.loads((path / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    params = tsquash.codecs.get(name).params  # every parameter is written out, defaults included
    assert meta["codecs"] == [{"name": f"tsquash.{name}", **({"configuration": params} if params else {})}]
    chunks = sorted((path / "c").iterdir(), key=lambda p: int(p.name))
    assert len(chunks) == 6
    # Every chunk file is a tsquash stream of the chunk's values (the last one padded with the fill value).
    padded = np.concatenate([x, np.zeros(6000 - x.size, dtype=dtype)])
    for k, p in enumerate(chunks):
        blob = p.read_bytes()
        assert tsquash.info(blob)["codec"] == name
        assert_bits_equal(tsquash.decode(blob), padded[k * 1000:(k + 1) * 1000])
    again = zarr.open_array(str(path), mode="r")
    assert again.serializer == ALL[name]()
    assert_bits_equal(again[:], x)
    assert_bits_equal(again[1234:3456], x[1234:3456])


def test_parameters_are_stored_in_the_metadata(tmp_path):
    x = values("float64", 3000)
    path = tmp_path / "p.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(1000,), dtype="float64",
                          serializer=tz.TSXor(window=17), compressors=None)
    z[:] = x
    assert json.loads((path / "zarr.json").read_text())["codecs"] == [
        {"name": "tsquash.tsxor", "configuration": {"window": 17}}]
    first = (path / "c" / "0").read_bytes()
    assert tsquash.info(first)["params"] == {"window": 17}
    again = zarr.open_array(str(path), mode="r")
    assert again.serializer == tz.TSXor(window=17) != tz.TSXor()
    assert_bits_equal(again[:], x)


@pytest.mark.parametrize("order", ["C", "F"])
def test_two_dimensional_chunks(tmp_path, order):
    x = np.round(np.cumsum(np.random.default_rng(2).normal(size=(90, 70)), axis=1), 2)
    path = tmp_path / "t.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(32, 25), dtype="float64", serializer=tz.Auto(),
                          compressors=None, config={"order": order})
    z[:] = x
    again = zarr.open_array(str(path), mode="r", config={"order": order})
    assert_bits_equal(again[:], x)
    assert_bits_equal(again[5:70, 3:41], x[5:70, 3:41])
    # A chunk is its values in C order (the edge chunks are padded to the full chunk shape).
    assert_bits_equal(tsquash.decode((path / "c" / "1" / "1").read_bytes()), x[32:64, 25:50].ravel())


def test_codec_config_round_trip():
    for cls in ALL.values():
        codec = cls()
        assert type(codec).from_dict(codec.to_dict()) == codec
        assert hash(codec) == hash(cls())
    with pytest.raises(ValueError):
        tz.TSXor(window=0)
    with pytest.raises(TypeError):
        tz.FPC(window=3)
    with pytest.raises(ValueError, match="tsquash.auto"):
        tz.Auto.from_dict({"name": "tsquash.alp"})
    assert repr(tz.TSXor(window=9)) == "TSXor(window=9)"


def test_unsupported_dtype_is_refused_when_the_array_is_created(tmp_path):
    with pytest.raises(TypeError, match="tsquash.chimp"):
        zarr.create_array(str(tmp_path / "i.zarr"), shape=(10,), chunks=(5,), dtype="int64",
                          serializer=tz.Chimp(), compressors=None)
    with pytest.raises(TypeError, match="tsquash.auto"):
        zarr.create_array(str(tmp_path / "j.zarr"), shape=(10,), chunks=(5,), dtype="float16",
                          serializer=tz.Auto(), compressors=None)


def test_corrupted_chunk_raises(tmp_path):
    x = values("float64", 2000)
    path = tmp_path / "x.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(1000,), dtype="float64", serializer=tz.Alp(),
                          compressors=None)
    z[:] = x
    chunk = path / "c" / "1"
    blob = bytearray(chunk.read_bytes())
    blob[-3] ^= 0x40
    chunk.write_bytes(bytes(blob))
    again = zarr.open_array(str(path), mode="r")
    assert_bits_equal(again[:1000], x[:1000])
    with pytest.raises(tsquash.CorruptStreamError):
        again[1000:]


@pytest.mark.parametrize("name", ["auto", "gorilla"])
def test_reads_of_part_of_a_chunk_match_numpy(name):
    x = np.round(np.cumsum(np.random.default_rng(2).normal(size=100_000)), 2)
    z = zarr.create_array(zarr.storage.MemoryStore(), data=x, chunks=(32_768,), serializer=ALL[name](),
                          compressors=None)
    for sel in [slice(None), slice(1000, 1010), slice(30000, 40000), slice(5, 99999, 7), slice(-50, None),
                12345, -1, [3, 70000, 5]]:
        assert_bits_equal(np.asarray(z[sel]).reshape(-1), np.asarray(x[sel]).reshape(-1))
    y = (np.arange(60 * 50) * 0.5).astype(np.float32).reshape(60, 50)
    z2 = zarr.create_array(zarr.storage.MemoryStore(), data=y, chunks=(20, 50), serializer=ALL[name](),
                           compressors=None)
    for sel in [(slice(3, 7), slice(None)), (slice(25, 26), slice(10, 20)), (5, 7), (slice(None), 3),
                (slice(1, 50, 2), slice(None)), (slice(19, 41), slice(2, 48, 3))]:
        assert_bits_equal(np.asarray(z2[sel]).reshape(-1), np.asarray(y[sel]).reshape(-1))


def test_part_of_a_chunk_decodes_only_its_blocks(tmp_path):
    # An alp chunk (payload: sections byte 0, a u16 size a block, the blocks) whose first block is broken
    # behind a forged checksum: a read of values in later blocks of that chunk decodes only those blocks
    # (Zarr's partial decoding), while one that needs the first block fails.
    x = np.round(np.cumsum(np.random.default_rng(3).normal(size=8192)), 2)
    path = tmp_path / "p.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(8192,), dtype="float64", serializer=tz.Alp(),
                          compressors=None)
    z[:] = x
    chunk = path / "c" / "0"
    h, payload = split_stream(chunk.read_bytes())
    payload = bytearray(payload)
    payload[1 + 2 * 8] = 0xFF
    chunk.write_bytes(build_stream(codec_id=h["codec_id"], dtype_code=h["dtype_code"], count=h["count"],
                                   params=h["params"], payload=bytes(payload)))
    again = zarr.open_array(str(path), mode="r")
    assert_bits_equal(again[5000:5010], x[5000:5010])
    assert_bits_equal(again[1024:], x[1024:])
    with pytest.raises(tsquash.CorruptStreamError):
        again[1000:1030]
    with pytest.raises(tsquash.CorruptStreamError):
        again[:]


def test_entry_points_open_arrays_without_importing_tsquash(tmp_path):
    x = values("float64", 2500)
    path = tmp_path / "e.zarr"
    z = zarr.create_array(str(path), shape=x.shape, chunks=(1000,), dtype="float64", serializer=tz.Chimp128(),
                          compressors=None)
    z[:] = x
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import zarr
        before = "tsquash" in sys.modules
        y = zarr.open_array({str(path)!r}, mode="r")[:]
        x = np.load({str(tmp_path / "x.npy")!r})
        print(before, bool((y.view(np.uint64) == x.view(np.uint64)).all()))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
