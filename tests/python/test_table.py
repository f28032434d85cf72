"""The .tsq table file: round trips, the byte layout docs/cli.md promises, and corrupted input."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import tsquash
from tsquash.table import Table, crc32c, read_table, table_info, to_pandas, write_table

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def special_floats(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.round(np.cumsum(rng.normal(size=n)), 2)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308])
    x[: specials.size] = specials
    bits = x.view(np.uint64)
    bits[10] = 0x7FF8_0000_0000_0001  # a NaN with a payload
    bits[11] = 0xFFF0_0000_0000_00FF  # a negative signalling NaN
    return x


def small_table_bytes(codec="chimp") -> tuple[bytes, dict]:
    cols = {"t": np.array([10, 20, 30], dtype=np.int64), "x": np.array([1.5, 2.5, np.nan])}
    buf = io.BytesIO()
    write_table(buf, cols, time="t", codec=codec)
    return buf.getvalue(), cols


# ------------------------------------------------------------------------------------------- checksum


def test_crc32c_matches_the_published_check_value():
    # RFC 3720 (iSCSI) / the CRC catalogue give 0xE3069283 as CRC-32C of the ASCII digits 1..9.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283


# ------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("codec", ["raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"])
def test_round_trip_is_bit_exact_for_every_codec(tmp_path, codec):
    n = 5000
    cols = {
        "time": 1_700_000_000 + np.arange(n, dtype=np.int64) * 60,
        "a": special_floats(n),
        "b": np.random.default_rng(1).normal(size=n).astype(np.float32),
    }
    path = tmp_path / "x.tsq"
    size = write_table(path, cols, time="time", codec=codec)
    assert size == path.stat().st_size
    table = read_table(path)
    assert isinstance(table, Table) and isinstance(table, dict)
    assert list(table) == ["time", "a", "b"]
    assert table.time == "time"
    for name in cols:
        assert same_bits(table[name], cols[name]), name
    assert table.columns_info["a"].codec == codec
    assert table.columns_info["time"].codec == "gorilla"


def test_int64_value_column_needs_a_codec_that_takes_int64(tmp_path):
    cols = {"count": np.arange(100, dtype=np.int64) * 3}
    write_table(tmp_path / "ok.tsq", cols, codec="gorilla")
    assert same_bits(read_table(tmp_path / "ok.tsq")["count"], cols["count"])
    with pytest.raises(TypeError, match="count"):
        write_table(tmp_path / "bad.tsq", cols, codec="chimp")
    assert not (tmp_path / "bad.tsq").exists()


def test_smaller_integer_dtypes_are_widened_to_int64(tmp_path):
    cols = {"n": np.array([1, -2, 3], dtype=np.int16)}
    write_table(tmp_path / "x.tsq", cols, codec="raw")
    back = read_table(tmp_path / "x.tsq")["n"]
    assert back.dtype == np.int64 and back.tolist() == [1, -2, 3]


@pytest.mark.parametrize("unit", ["D", "s", "ms", "us", "ns"])
def test_datetime_time_column_keeps_its_unit(tmp_path, unit):
    t = np.datetime64("2024-02-28T23:00:00", "s") + np.arange(50) * np.timedelta64(3600, "s")
    t = t.astype(f"datetime64[{unit}]")
    t[7] = np.datetime64("NaT")
    path = tmp_path / "t.tsq"
    write_table(path, {"when": t, "v": np.arange(50.0)}, time="when")
    table = read_table(path)
    assert table["when"].dtype == np.dtype(f"datetime64[{unit}]")
    assert same_bits(table["when"], t)
    info = table_info(path)
    assert info["columns"][0].kind == "datetime" and info["columns"][0].unit == unit
    assert info["columns"][0].dtype == "int64"


def test_float_timestamps(tmp_path):
    t = 1.7e9 + np.arange(100) * 0.25
    write_table(tmp_path / "f.tsq", {"t": t, "v": np.ones(100)}, time="t", time_codec="chimp")
    table = read_table(tmp_path / "f.tsq")
    assert same_bits(table["t"], t)
    assert table.columns_info["t"].kind == "float" and table.columns_info["t"].codec == "chimp"


def test_table_without_time_column(tmp_path):
    cols = {"a": np.arange(10.0), "b": np.arange(10.0) * 2}
    write_table(tmp_path / "n.tsq", cols)
    table = read_table(tmp_path / "n.tsq")
    assert table.time is None
    assert [c.role for c in table_info(tmp_path / "n.tsq")["columns"]] == ["value", "value"]


def test_codec_object_and_params(tmp_path):
    from tsquash.codecs import TSXor

    cols = {"v": np.round(np.sin(np.arange(1000) / 10), 3)}
    write_table(tmp_path / "a.tsq", cols, codec=TSXor(window=8))
    write_table(tmp_path / "b.tsq", cols, codec="fpc", table_log2=10)
    assert table_info(tmp_path / "a.tsq")["columns"][0].params == {"window": 8}
    assert table_info(tmp_path / "b.tsq")["columns"][0].params == {"table_log2": 10}
    assert same_bits(read_table(tmp_path / "a.tsq")["v"], cols["v"])


def test_time_argument_overrides_a_tables_own(tmp_path):
    table = Table({"a": np.arange(3, dtype=np.int64), "b": np.arange(3.0)}, time="a")
    write_table(tmp_path / "x.tsq", table, time="b", time_codec="gorilla", codec="gorilla")
    back = read_table(tmp_path / "x.tsq")
    assert back.time == "b"
    assert table.time == "a"  # the caller's table is left alone


def test_read_only_some_columns(tmp_path):
    cols = {"t": np.arange(5, dtype=np.int64), "a": np.arange(5.0), "b": -np.arange(5.0)}
    write_table(tmp_path / "x.tsq", cols, time="t")
    sub = read_table(tmp_path / "x.tsq", columns=["b"])
    assert list(sub) == ["b"] and sub.time is None
    with pytest.raises(KeyError, match="nope"):
        read_table(tmp_path / "x.tsq", columns=["nope"])


def test_empty_table(tmp_path):
    write_table(tmp_path / "e.tsq", {"t": np.zeros(0, np.int64), "v": np.zeros(0)}, time="t")
    table = read_table(tmp_path / "e.tsq")
    assert table.rows == 0 and table["v"].dtype == np.float64
    write_table(tmp_path / "none.tsq", {})
    assert len(read_table(tmp_path / "none.tsq")) == 0


def test_file_objects_and_bytes():
    blob, cols = small_table_bytes()
    assert same_bits(read_table(io.BytesIO(blob))["x"], cols["x"])
    assert same_bits(read_table(blob)["x"], cols["x"])
    assert same_bits(read_table(memoryview(blob))["t"], cols["t"])


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="length"):
        write_table(tmp_path / "x.tsq", {"a": np.arange(3.0), "b": np.arange(4.0)})
    with pytest.raises(TypeError, match="complex"):
        write_table(tmp_path / "x.tsq", {"a": np.arange(3, dtype=complex)})
    with pytest.raises(ValueError, match="1-D"):
        write_table(tmp_path / "x.tsq", {"a": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="time column"):
        write_table(tmp_path / "x.tsq", {"a": np.arange(3.0)}, time="b")
    assert not (tmp_path / "x.tsq").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tsq-")]  # no temporary files left


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=300), st.sampled_from(["gorilla", "chimp128", "tsxor", "fpc"]))
def test_arbitrary_bit_patterns_round_trip(bits, codec):
    x = np.array(bits, dtype=np.uint64).view(np.float64)
    t = np.cumsum(np.array(bits, dtype=np.uint64) % 1000).astype(np.int64)
    buf = io.BytesIO()
    write_table(buf, {"t": t, "x": x}, time="t", codec=codec)
    table = read_table(buf.getvalue())
    assert same_bits(table["x"], x) and same_bits(table["t"], t)


# ------------------------------------------------------------------------------------------- layout


def test_byte_layout_matches_the_documentation():
    t = np.array([100, 160, 220, 290], dtype=np.int64)
    temp = np.array([20.5, 20.5, 20.625, -1.0])
    buf = io.BytesIO()
    write_table(buf, {"t": t, "température": temp}, time="t", codec="tsxor", window=16)
    data = buf.getvalue()

    magic, version, flags, ncols, dir_len = struct.unpack_from("<4sHHII", data, 0)
    assert (magic, version, flags, ncols) == (b"TSQT", 1, 1, 2)  # flag 1: write a CSV header row
    pos = 16
    entries = []
    for _ in range(ncols):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2: pos + 2 + name_len].decode("utf-8")
        role, kind, unit, cflags, length = struct.unpack_from("<BBBBQ", data, pos + 2 + name_len)
        entries.append((name, role, kind, unit, cflags, length))
        pos += 2 + name_len + 12
    assert pos == 16 + dir_len
    (crc,) = struct.unpack_from("<I", data, pos)
    assert crc == crc32c(data[:pos])
    # Streams follow in directory order, each exactly what tsquash.encode makes for that column.
    t_stream = tsquash.encode(t, "gorilla")
    v_stream = tsquash.encode(temp, "tsxor", window=16)
    assert entries == [("t", 1, 1, 0, 0, len(t_stream)), ("température", 0, 0, 0, 0, len(v_stream))]
    assert data[pos + 4:] == t_stream + v_stream


def test_datetime_and_flags_in_the_directory():
    t = np.array(["2024-01-01T00:00:00.250"], dtype="datetime64[ms]")
    table = Table({"ts": t, "v": np.array([1.0], dtype=np.float32)}, time="ts")
    table.columns_info["ts"].utc = True
    table.columns_info["ts"].space_sep = True
    table.columns_info["v"].print_double = True
    table.header = False
    buf = io.BytesIO()
    write_table(buf, table)
    data = buf.getvalue()
    assert struct.unpack_from("<H", data, 6)[0] == 0  # no header row
    # "ts": role 1 (time), kind 2 (datetime), unit code 8 (ms), flags UTC|space = 0x03
    assert data[16:18] == b"\x02\x00" and data[18:20] == b"ts"
    assert tuple(data[20:24]) == (1, 2, 8, 0x03)
    # "v": role 0, kind 0 (float), no unit, flag 0x04 (float32 printed as double)
    assert data[32:35] == b"\x01\x00v" and tuple(data[35:39]) == (0, 0, 0, 0x04)
    back = read_table(data)
    info = back.columns_info
    assert info["ts"].utc and info["ts"].space_sep and info["v"].print_double and not back.header


# ------------------------------------------------------------------------------------------- corruption


def test_every_truncation_raises_corrupt_stream_error():
    blob, _ = small_table_bytes()
    for n in range(len(blob)):
        with pytest.raises(tsquash.CorruptStreamError):
            read_table(blob[:n])


def test_every_flipped_byte_raises_corrupt_stream_error():
    blob, _ = small_table_bytes()
    for i in range(len(blob)):
        for mask in (0x01, 0x80):
            bad = bytearray(blob)
            bad[i] ^= mask
            with pytest.raises(tsquash.CorruptStreamError):
                read_table(bytes(bad))
            with pytest.raises(tsquash.CorruptStreamError):
                table_info(bytes(bad))


def test_trailing_bytes_and_garbage():
    blob, _ = small_table_bytes()
    with pytest.raises(tsquash.CorruptStreamError, match="unexpected bytes"):
        read_table(blob + b"\x00")
    with pytest.raises(tsquash.CorruptStreamError, match="not a tsquash table"):
        read_table(b"time,value\n1,2\n" * 3)
    with pytest.raises(tsquash.CorruptStreamError):
        read_table(b"")
    rng = np.random.default_rng(7)
    for _ in range(200):
        junk = b"TSQT" + rng.integers(0, 256, rng.integers(0, 80), dtype=np.uint8).tobytes()
        with pytest.raises(tsquash.CorruptStreamError):
            read_table(junk)


def test_a_single_stream_is_named_as_such():
    with pytest.raises(tsquash.CorruptStreamError, match="single tsquash stream"):
        read_table(tsquash.encode(np.arange(10.0)))


def _resealed(data: bytearray) -> bytes:
    """Recompute the directory checksum, so the parser's other checks are what must catch the damage."""
    dir_end = 16 + struct.unpack_from("<I", data, 12)[0]
    struct.pack_into("<I", data, dir_end, crc32c(bytes(data[:dir_end])))
    return bytes(data)


def test_inconsistent_directories_with_valid_checksums():
    blob, _ = small_table_bytes()
    version = bytearray(blob)
    struct.pack_into("<H", version, 4, 2)
    with pytest.raises(tsquash.CorruptStreamError, match="version 2"):
        read_table(_resealed(version))
    huge = bytearray(blob)
    struct.pack_into("<I", huge, 8, 0xFFFFFFFF)  # column count far beyond the directory
    with pytest.raises(tsquash.CorruptStreamError, match="cannot hold"):
        read_table(_resealed(huge))
    role = bytearray(blob)
    role[16 + 2 + 1] = 7  # the time column's role byte
    with pytest.raises(tsquash.CorruptStreamError, match="role"):
        read_table(_resealed(role))
    kind = bytearray(blob)
    kind[16 + 2 + 1 + 1] = 2  # int column claims to be a datetime without a unit
    with pytest.raises(tsquash.CorruptStreamError, match="unit"):
        read_table(_resealed(kind))
    swap = bytearray(blob)
    swap[16 + 2 + 1 + 1] = 0  # the int64 time stream declared as a float column
    with pytest.raises(tsquash.CorruptStreamError, match="float column"):
        read_table(_resealed(swap))


# ------------------------------------------------------------------------------------------- pandas


def test_to_pandas_and_dataframe_input(tmp_path):
    pd = pytest.importorskip("pandas")
    index = pd.date_range("2024-03-30", periods=48, freq="h", tz="Europe/Rome", name="when")
    df = pd.DataFrame({"a": np.arange(48.0), "b": np.arange(48.0) / 3}, index=index)
    write_table(tmp_path / "df.tsq", df, codec="chimp128")
    back = to_pandas(tmp_path / "df.tsq")
    assert isinstance(back.index, pd.DatetimeIndex)
    assert str(back.index.tz) == "UTC" and back.index.name == "when"
    assert back.index.equals(index.tz_convert("UTC"))
    pd.testing.assert_frame_equal(back, df.tz_convert("UTC"), check_freq=False)
    assert read_table(tmp_path / "df.tsq").to_pandas().equals(back)

    write_table(tmp_path / "i.tsq", {"t": np.arange(3, dtype=np.int64), "v": np.ones(3)}, time="t")
    plain = read_table(tmp_path / "i.tsq").to_pandas()
    assert plain.index.name == "t" and plain.index.tolist() == [0, 1, 2]
    write_table(tmp_path / "n.tsq", {"v": np.ones(3)})
    assert isinstance(to_pandas(tmp_path / "n.tsq").index, pd.RangeIndex)


def test_importing_tsquash_does_not_import_pandas():
    code = "import sys, tsquash, tsquash.table, tsquash.csvio, tsquash.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kind_follows_the_array_not_stale_metadata(tmp_path):
    table = Table({"t": np.arange(3, dtype=np.int64), "v": np.array([1.0, 2.0, 3.0], dtype=np.float32)}, time="t")
    table.columns_info["v"].print_double = True
    table["t"] = np.array([0.5, 1.5, 2.5])  # replaced after the metadata was made
    table["v"] = table["v"].astype(np.float64)  # the float32-as-double flag no longer applies
    write_table(tmp_path / "x.tsq", table)
    back = read_table(tmp_path / "x.tsq")
    assert back.columns_info["t"].kind == "float" and back["t"].tolist() == [0.5, 1.5, 2.5]
    assert back["v"].dtype == np.float64 and not back.columns_info["v"].print_double
