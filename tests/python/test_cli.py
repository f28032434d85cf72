"""The tsquash command line: main([...]) in-process, and once through `python -m tsquash`."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tsquash
from tsquash.cli import main
from tsquash.table import read_table

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- csv2bin


def test_csv2bin_layout_byte_by_byte(tmp_path, capsys):
    src = write(tmp_path / "data.csv", "t,a,b\n1,0.5,-2\n2,,1e-3\n3,7.25,inf\n")
    status, out, err = run(capsys, "csv2bin", src)
    assert status == 0, err
    assert "data.bin" in out
    data = (tmp_path / "data.bin").read_bytes()  # TSXor's name: the input's with .bin
    assert len(data) == 16 + 3 * 3 * 8
    assert data[:16] == (3).to_bytes(8, "little") + (3).to_bytes(8, "little")
    rows = [struct.unpack_from("<3d", data, 16 + 24 * i) for i in range(3)]
    assert rows[0] == (1.0, 0.5, -2.0)
    assert rows[1][:1] == (2.0,) and np.isnan(rows[1][1]) and rows[1][2] == 0.001
    assert rows[2] == (3.0, 7.25, float("inf"))
    assert data[16:24] == bytes.fromhex("000000000000f03f")  # 1.0 as a little-endian double


def test_csv2bin_explicit_output_and_no_header(tmp_path, capsys):
    src = write(tmp_path / "x.csv", "10,1.5\n20,2.5\n")
    status, _, err = run(capsys, "csv2bin", src, tmp_path / "y.bin", "-q")
    assert status == 0, err
    assert (tmp_path / "y.bin").read_bytes() == struct.pack("<QQ4d", 2, 2, 10, 1.5, 20, 2.5)


# ------------------------------------------------------------------------------------------- round trips

CANONICAL = {
    "header_int_time": "time,temp\n1700000000,20.5\n1700000060,20.5\n1700000120,20.6\n",
    "no_header": "1,0.1\n2,0.2\n3,0.30000000000000004\n",
    "float_time": "t,v\n0.5,1.0\n1.25,2.0\n2.0,-0.0\n",
    "iso_time": "when,a,b\n2024-01-01T00:00:00,1.5,\n2024-01-01T00:00:10,,2.5\n2024-01-01T00:00:20,3.5,3.5\n",
    "iso_space_ms": "when,a\n2024-01-01 00:00:00.125,1.5\n2024-01-01 00:00:00.250,1.5\n",
    "iso_utc": "when,a\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:00:01Z,inf\n",
    "iso_date": "day,rain\n2024-01-01,0.0\n2024-01-02,12.3\n",
    "many_columns": "t," + ",".join(f"c{i}" for i in range(8)) + "\n" + "".join(
        f"{k}," + ",".join(repr(round(k * 0.37 + i, 3)) for i in range(8)) + "\n" for k in range(50)),
}


@pytest.mark.parametrize("codec", ["gorilla", "chimp128", "tsxor", "fpc"])
@pytest.mark.parametrize("case", sorted(CANONICAL))
def test_compress_decompress_reproduces_the_csv(tmp_path, capsys, case, codec):
    src = write(tmp_path / "in.csv", CANONICAL[case])
    status, out, err = run(capsys, "compress", src, tmp_path / "x.tsq", "--codec", codec)
    assert status == 0, err
    assert "x.tsq" in out
    status, _, err = run(capsys, "decompress", tmp_path / "x.tsq", tmp_path / "back.csv")
    assert status == 0, err
    assert (tmp_path / "back.csv").read_text() == CANONICAL[case]


def test_non_canonical_numbers_come_back_equal(tmp_path, capsys):
    src = write(tmp_path / "in.csv", "t,v\n1,1\n2,  2.50 \n3,1E3\n4,NaN\n")
    assert run(capsys, "compress", src, tmp_path / "x.tsq")[0] == 0
    assert run(capsys, "decompress", tmp_path / "x.tsq", tmp_path / "b.csv")[0] == 0
    assert (tmp_path / "b.csv").read_text() == "t,v\n1,1.0\n2,2.5\n3,1000.0\n4,\n"


def test_nan_cells_and_special_values_are_bit_exact(tmp_path, capsys):
    src = write(tmp_path / "in.csv", "t,v\n1,\n2,-0.0\n3,5e-324\n4,-inf\n5,1.7976931348623157e+308\n")
    assert run(capsys, "compress", src, tmp_path / "x.tsq", "--codec", "chimp")[0] == 0
    v = read_table(tmp_path / "x.tsq")["v"]
    expected = np.array([np.nan, -0.0, 5e-324, -np.inf, 1.7976931348623157e308])
    assert np.isnan(v[0]) and v[1:].tobytes() == expected[1:].tobytes()


def test_params_time_codec_and_info(tmp_path, capsys):
    src = write(tmp_path / "in.csv", CANONICAL["header_int_time"])
    status, _, err = run(capsys, "compress", src, tmp_path / "x.tsq", "--codec", "tsxor", "--param", "window=64",
                         "--time-codec", "raw")
    assert status == 0, err
    status, out, _ = run(capsys, "info", tmp_path / "x.tsq")
    assert status == 0
    lines = out.splitlines()
    assert "3 rows" in lines[0] and "time column: time" in lines[0]
    assert any(ln.split()[:4] == ["time", "time", "int64", "raw"] for ln in lines)
    assert any(ln.split()[:5] == ["temp", "value", "float64", "tsxor", "window=64"] for ln in lines)
    size = (tmp_path / "x.tsq").stat().st_size
    assert lines[-1].split()[:3] == ["total", str(size), "48"]

    status, out, _ = run(capsys, "info", tmp_path / "x.tsq", "--json")
    doc = json.loads(out)
    assert doc["kind"] == "table" and doc["rows"] == 3 and doc["file_bytes"] == size
    assert [c["codec"] for c in doc["columns"]] == ["raw", "tsxor"]
    assert doc["columns"][1]["params"] == {"window": 64}


def test_float32_for_floats_printed_as_doubles(tmp_path, capsys):
    x = np.array([0.35, 1.2, 230.1], dtype=np.float32).astype(np.float64).tolist()
    text = "t,kw\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(x))
    assert "0.3499999940395355" in text
    src = write(tmp_path / "in.csv", text)
    assert run(capsys, "compress", src, tmp_path / "x.tsq", "--dtype", "float32")[0] == 0
    table = read_table(tmp_path / "x.tsq")
    assert table["kw"].dtype == np.float32 and table.columns_info["kw"].print_double
    assert run(capsys, "decompress", tmp_path / "x.tsq", tmp_path / "b.csv")[0] == 0
    assert (tmp_path / "b.csv").read_text() == text


def test_float32_for_short_decimals(tmp_path, capsys):
    text = "t,v\n1,0.1\n2,230.1\n3,\n"
    src = write(tmp_path / "in.csv", text)
    assert run(capsys, "compress", src, tmp_path / "x.tsq", "--dtype", "float32")[0] == 0
    assert read_table(tmp_path / "x.tsq")["v"].dtype == np.float32
    assert run(capsys, "decompress", tmp_path / "x.tsq", tmp_path / "b.csv")[0] == 0
    assert (tmp_path / "b.csv").read_text() == text


def test_float32_refuses_to_lose_digits(tmp_path, capsys):
    src = write(tmp_path / "in.csv", "t,v\n1,0.5\n2,0.123456789012\n")
    status, _, err = run(capsys, "compress", src, tmp_path / "x.tsq", "--dtype", "float32")
    assert status == 1
    assert "line 3" in err and "float32" in err
    assert not (tmp_path / "x.tsq").exists()


def test_bin_in_bin_out(tmp_path, capsys):
    raw = struct.pack("<QQ", 4, 3) + struct.pack("<12d", 0, 1.5, 2, 60, 1.5, np.nan, 120, 1.75, -0.0, 180, 2.0, 1e-300)
    (tmp_path / "d.bin").write_bytes(raw)
    assert run(capsys, "compress", tmp_path / "d.bin", tmp_path / "d.tsq", "--codec", "fpc")[0] == 0
    table = read_table(tmp_path / "d.tsq")
    assert table["time"].dtype == np.int64  # whole-number times get delta-of-delta coding
    assert run(capsys, "decompress", tmp_path / "d.tsq", tmp_path / "back.bin")[0] == 0
    assert (tmp_path / "back.bin").read_bytes() == raw
    assert run(capsys, "decompress", tmp_path / "d.tsq", tmp_path / "back.csv")[0] == 0
    assert (tmp_path / "back.csv").read_text().splitlines()[:2] == ["0,1.5,2.0", "60,1.5,"]


def test_no_time_column(tmp_path, capsys):
    src = write(tmp_path / "in.csv", "a,b\n1.5,2.5\n3.5,4.5\n")
    assert run(capsys, "compress", src, tmp_path / "x.tsq", "--no-time")[0] == 0
    table = read_table(tmp_path / "x.tsq")
    assert table.time is None and table["a"].tolist() == [1.5, 3.5]


def test_decompress_selected_columns_to_stdout(tmp_path, capsys):
    src = write(tmp_path / "in.csv", "t,a,b\n1,1.5,2.5\n2,3.5,4.5\n")
    assert run(capsys, "compress", src, tmp_path / "x.tsq")[0] == 0
    status, out, _ = run(capsys, "decompress", tmp_path / "x.tsq", "-", "--columns", "t,b")
    assert status == 0 and out == "t,b\n1,2.5\n2,4.5\n"
    status, out, _ = run(capsys, "decompress", tmp_path / "x.tsq", "-", "--no-header", "--delimiter", ";")
    assert status == 0 and out == "1;1.5;2.5\n2;3.5;4.5\n"
    status, _, err = run(capsys, "decompress", tmp_path / "x.tsq", "-", "--columns", "zzz")
    assert status == 1 and "zzz" in err


def test_single_stream_files(tmp_path, capsys):
    x = np.array([1.5, 2.5, np.nan])
    (tmp_path / "s.tsqs").write_bytes(tsquash.encode(x, "chimp"))
    status, out, _ = run(capsys, "info", tmp_path / "s.tsqs")
    assert status == 0 and "stream" in out and "chimp" in out and "3 x float64" in out
    status, out, _ = run(capsys, "decompress", tmp_path / "s.tsqs", "-")
    assert status == 0 and out == 'value\n1.5\n2.5\n""\n'  # a lone empty cell is quoted, not a blank line


def test_codecs_lists_every_codec_with_its_parameters(capsys):
    status, out, _ = run(capsys, "codecs")
    assert status == 0
    names = [ln.split()[0] for ln in out.splitlines()[1:]]
    assert names == [c["name"] for c in tsquash.available_codecs()]
    assert "window=127 (1..127)" in out and "table_log2=16 (1..24)" in out
    status, out, _ = run(capsys, "codecs", "--json")
    assert {c["name"] for c in json.loads(out)} == {"raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc",
                                                        "alp", "auto"}


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("text, fragment", [
    ("t,a\n1,2\n2,oops\n", "line 3, column 2 ('a'): 'oops' is not a number"),
    ("t,a\n1,2\n2,3,4\n", "line 3: expected 2 cells"),
    ("t,a\n1,2\n,3\n", "line 3, column 1 ('t'): empty timestamp"),
])
def test_malformed_csv(tmp_path, capsys, text, fragment):
    src = write(tmp_path / "bad.csv", text)
    status, out, err = run(capsys, "compress", src, tmp_path / "x.tsq")
    assert status == 1
    assert fragment in err and err.startswith("tsquash compress: error:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.tsq").exists()
    assert os.listdir(tmp_path) == ["bad.csv"]  # no temporary file left behind


@pytest.mark.parametrize("argv, fragment", [
    (["--codec", "zip"], "unknown codec 'zip'"),
    (["--codec", "tsxor", "--param", "window=500"], "window must be in 1..127"),
    (["--codec", "tsxor", "--param", "window"], "KEY=VALUE"),
    (["--codec", "tsxor", "--param", "window=big"], "not an integer"),
    (["--codec", "chimp", "--param", "window=3"], "window"),
    (["--time-codec", "nope"], "--time-codec"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv, fragment):
    src = write(tmp_path / "in.csv", CANONICAL["header_int_time"])
    status, _, err = run(capsys, "compress", src, tmp_path / "x.tsq", *argv)
    assert status == 2
    assert fragment in err and "Traceback" not in err


def test_time_codec_that_cannot_take_integers(tmp_path, capsys):
    src = write(tmp_path / "in.csv", CANONICAL["header_int_time"])
    status, _, err = run(capsys, "compress", src, tmp_path / "x.tsq", "--time-codec", "tsxor")
    assert status == 1 and "column 'time'" in err and "int64" in err


def test_argparse_errors_and_help(capsys):
    assert run(capsys, )[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "compress" in out and "bench" in out
    status, out, _ = run(capsys, "--version")
    assert status == 0 and tsquash.__version__ in out


def test_missing_input_file(tmp_path, capsys):
    status, _, err = run(capsys, "compress", tmp_path / "nope.csv", tmp_path / "x.tsq")
    assert status == 1 and "No such file" in err and "nope.csv" in err


def test_corrupted_tsq_files(tmp_path, capsys):
    src = write(tmp_path / "in.csv", CANONICAL["iso_time"])
    assert run(capsys, "compress", src, tmp_path / "x.tsq")[0] == 0
    good = (tmp_path / "x.tsq").read_bytes()
    cases = {
        "truncated": good[:-5],
        "flipped_payload": good[:-3] + bytes([good[-3] ^ 0x10]) + good[-2:],
        "flipped_directory": good[:20] + bytes([good[20] ^ 0x01]) + good[21:],
        "extended": good + b"\0\0",
        "empty": b"",
        "csv": CANONICAL["iso_time"].encode(),
    }
    for name, blob in cases.items():
        bad = tmp_path / f"{name}.tsq"
        bad.write_bytes(blob)
        for cmd in (["decompress", bad, tmp_path / "out.csv"], ["info", bad]):
            status, _, err = run(capsys, *cmd)
            assert status == 1, (name, cmd[0])
            assert "corrupted or not a tsquash file" in err and "Traceback" not in err, name
            assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------------------------------- bench


def test_bench_tables_and_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    (tmp_path / "ds" / "walk").mkdir(parents=True)
    walk = np.round(np.cumsum(rng.normal(size=3000)), 2)
    walk.astype("<f8").tofile(tmp_path / "ds" / "walk" / "value.f64")
    (tmp_path / "ds" / "multi").mkdir()
    const = np.full(2000, 3.25)
    const.astype("<f8").tofile(tmp_path / "ds" / "multi" / "flat.f64")
    csv_path = write(tmp_path / "extra.csv", "t,v\n" + "".join(f"{i},{i * 0.5}\n" for i in range(500)))
    status, out, err = run(capsys, "bench", tmp_path / "ds", csv_path, "--codecs", "gorilla,tsxor:window=8",
                           "--runs", "2", "--csv", tmp_path / "r.csv")
    assert status == 0, err
    for title in ("Compression speed (MB/s)", "Decompression speed (MB/s)", "Compression ratio"):
        assert f"### {title}" in out
    ratio_table = out.split("### Compression ratio")[1]
    rows = [ln for ln in ratio_table.splitlines() if ln.startswith("| ") and "Gorilla" not in ln]
    assert [r.split("|")[1].strip() for r in rows] == ["multi/flat", "walk", "extra", "**all series**"]
    assert "TSXor(window=8)" in out
    for r in rows:
        assert r.count("**") >= 2  # the best of each row is bold

    import csv as _csv
    with open(tmp_path / "r.csv") as f:
        records = list(_csv.DictReader(f))
    assert len(records) == 6
    by = {(r["series"], r["codec"]): r for r in records}
    walk_gorilla = by[("walk", "gorilla")]
    assert int(walk_gorilla["compressed_bytes"]) == len(tsquash.encode(walk, "gorilla"))
    assert int(walk_gorilla["raw_bytes"]) == walk.nbytes and walk_gorilla["bit_exact"] == "1"
    tsx = by[("multi/flat", "tsxor")]
    assert tsx["params"] == "window=8"
    assert int(tsx["compressed_bytes"]) == len(tsquash.encode(const, "tsxor", window=8))
    assert abs(float(tsx["ratio"]) - const.nbytes / int(tsx["compressed_bytes"])) < 1e-3


def test_bench_errors(tmp_path, capsys):
    status, _, err = run(capsys, "bench", tmp_path, "--codecs", "gorilla")
    assert status == 1 and "no *.f64" in err
    status, _, err = run(capsys, "bench", tmp_path, "--codecs", "gorilla,zzz")
    assert status == 2 and "zzz" in err
    status, _, err = run(capsys, "bench", tmp_path, "--runs", "0")
    assert status == 2
    (tmp_path / "odd.f64").write_bytes(b"\0" * 12)
    status, _, err = run(capsys, "bench", tmp_path / "odd.f64")
    assert status == 1 and "12 bytes" in err


def test_bench_on_the_shared_datasets(capsys):
    folder = SHARED / "exchange_rate"
    if not folder.is_dir():
        pytest.skip(f"real data not present at {folder}")
    status, out, err = run(capsys, "bench", folder, "--codecs", "gorilla,chimp,chimp128,tsxor,fpc", "--runs", "1")
    assert status == 0, err
    assert out.count("| c") >= 3 * 8  # c0..c7 in each of the three tables


# ------------------------------------------------------------------------------------------- python -m


def test_python_dash_m_tsquash(tmp_path):
    src = write(tmp_path / "in.csv", CANONICAL["iso_utc"])
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "tsquash", "compress", str(src), str(tmp_path / "x.tsq"),
                           "--codec", "tsxor", "--param", "window=4"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "tsquash", "decompress", str(tmp_path / "x.tsq"), "-"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout == CANONICAL["iso_utc"]
    done = subprocess.run([sys.executable, "-m", "tsquash", "info", str(src)], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "not a tsquash table" in done.stderr


# ------------------------------------------------------------------------------------------- samples


def test_samples_are_deterministic_and_shaped_as_described():
    from tsquash import samples

    assert samples.names() == ["building_temperature", "stock_price", "power_load", "gps_longitude", "vibration"]
    for name in samples.names():
        a, b = samples.load(name, n=3000), samples.load(name, n=3000)
        assert a.values.tobytes() == b.values.tobytes() and a.time.tobytes() == b.time.tobytes(), name
        assert a.time.dtype == np.int64 and a.values.dtype == np.float64 and len(a) == 3000
        assert np.all(np.diff(a.time) > 0), name
        assert samples.load(name, n=3000, seed=99).values.tobytes() != a.values.tobytes()
    temp = samples.load("building_temperature", n=50_000).values
    assert np.isnan(temp).any()
    finite = temp[~np.isnan(temp)]
    assert np.array_equal(finite, np.round(finite * 10) / 10)
    price = samples.load("stock_price").values
    assert np.array_equal(price, np.round(price * 100) / 100) and np.mean(price[1:] == price[:-1]) > 0.1
    load = samples.load("power_load").values
    assert np.array_equal(load.astype(np.float32).astype(np.float64), load)
    lon = samples.load("gps_longitude").values
    assert np.array_equal(lon, np.round(lon, 5)) and np.mean(lon[1:] == lon[:-1]) > 0.1
    with pytest.raises(ValueError, match="unknown sample"):
        samples.load("nope")


@pytest.mark.parametrize("name", ["building_temperature", "stock_price", "power_load", "gps_longitude", "vibration"])
def test_samples_survive_csv_and_the_cli(tmp_path, capsys, name):
    from tsquash import csvio, samples

    s = samples.load(name, n=2000)
    csvio.write_csv(tmp_path / "s.csv", s.columns(datetimes=True))
    extra = ["--dtype", "float32"] if name == "power_load" else []
    assert run(capsys, "compress", tmp_path / "s.csv", tmp_path / "s.tsq", "--codec", "chimp128", *extra)[0] == 0
    assert run(capsys, "decompress", tmp_path / "s.tsq", tmp_path / "b.csv")[0] == 0
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "s.csv").read_bytes()
    table = read_table(tmp_path / "s.tsq")
    assert table[s.value_name].astype(np.float64).tobytes() == s.values.tobytes()
    assert table["time"].view(np.int64).tobytes() == s.time.tobytes()
