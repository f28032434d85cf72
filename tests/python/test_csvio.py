"""CSV and TSXor .bin reading and writing."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from tsquash.csvio import format_column, read_any, read_bin, read_csv, write_bin, write_csv
from tsquash.table import ColumnInfo, Table


def rd(text: str, **kw) -> Table:
    return read_csv(io.StringIO(text), **kw)


def wr(table, **kw) -> str:
    out = io.StringIO()
    write_csv(out, table, **kw)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- reading


def test_header_row_is_detected():
    t = rd("timestamp,temp,hum\n1,20.5,40\n2,20.6,41\n")
    assert list(t) == ["timestamp", "temp", "hum"] and t.header and t.time == "timestamp"
    assert t["temp"].tolist() == [20.5, 20.6]
    assert t.source_lines.tolist() == [2, 3]


def test_no_header_row_gets_default_names():
    t = rd("1,20.5,40\n2,20.6,41\n")
    assert list(t) == ["time", "v1", "v2"] and not t.header
    assert t["time"].dtype == np.int64 and t["time"].tolist() == [1, 2]
    assert t.source_lines.tolist() == [1, 2]


def test_header_can_be_forced():
    t = rd("1,2\n3,4\n", header=True)
    assert list(t) == ["1", "2"] and t["2"].tolist() == [4.0]
    t = rd("1,2\n", header=False, time=False)
    assert list(t) == ["v1", "v2"] and t.time is None
    with pytest.raises(ValueError, match="line 1, column 1 .* timestamp .t."):
        rd("t,x\n1,2\n", header=False)


def test_single_column_header_detection():
    assert list(rd("when\n2024-01-01\n")) == ["when"]
    t = rd("2024-01-01\n2024-01-02\n")
    assert list(t) == ["time"] and t.rows == 2


def test_time_kinds():
    assert rd("1,0\n2,0\n").columns_info["time"].kind == "int"
    t = rd("1,0\n2.5,0\n")
    assert t.columns_info["time"].kind == "float" and t["time"].tolist() == [1.0, 2.5]
    t = rd("2024-01-01T10:00:00,0\n2024-01-01T10:00:01.5,0\n")
    assert t.columns_info["time"].kind == "datetime"
    assert t["time"].dtype == np.dtype("datetime64[ms]")  # the finest unit any cell needs
    assert t["time"][1] == np.datetime64("2024-01-01T10:00:01.500")
    t = rd("2024-01-01,1\n2024-01-02,2\n")
    assert t["time"].dtype == np.dtype("datetime64[D]")


def test_datetimes_with_space_and_time_zones():
    t = rd("2024-01-01 10:00:00,1\n2024-01-01 10:00:01,2\n")
    assert t.columns_info["time"].space_sep and not t.columns_info["time"].utc
    t = rd("2024-06-01T12:00:00+02:00,1\n2024-06-01T10:30:00Z,2\n2024-06-01T05:30:00-0500,3\n")
    info = t.columns_info["time"]
    assert info.utc
    assert t["time"].tolist() == [np.datetime64("2024-06-01T10:00:00", "s").item(),
                                  np.datetime64("2024-06-01T10:30:00", "s").item(),
                                  np.datetime64("2024-06-01T10:30:00", "s").item()]
    with pytest.raises(ValueError, match="line 2.*time zone"):
        rd("2024-06-01T12:00:00Z,1\n2024-06-01T12:00:01,2\n")


def test_empty_and_blank_cells_are_nan_and_blank_lines_are_skipped():
    t = rd("t,a,b\n1,,2\n\n2, ,\n3,inf,-nan\n")
    a, b = t["a"], t["b"]
    assert np.isnan(a[0]) and np.isnan(a[1]) and a[2] == np.inf
    assert b[0] == 2 and np.isnan(b[1]) and np.isnan(b[2])
    assert t.source_lines.tolist() == [2, 4, 5]


def test_utf8_bom_and_quoted_cells():
    t = read_csv(io.StringIO("\ufefftime,\"a,b\"\n1,\"2.5\"\n"))
    assert list(t) == ["time", "a,b"] and t["a,b"].tolist() == [2.5]


def test_semicolon_delimiter():
    t = rd("t;x\n1;2.5\n", delimiter=";")
    assert t["x"].tolist() == [2.5]


@pytest.mark.parametrize("text, pattern", [
    ("t,a\n1,2\n2,abc\n", r"line 3, column 2 \('a'\): 'abc' is not a number"),
    ("t,a\n1,2\n2,3,4\n", r"line 3: expected 2 cells .* found 3"),
    ("t,a\n1,2\n,3\n", r"line 3, column 1 \('t'\): empty timestamp"),
    ("t,a\n1,2\nx,3\n", r"line 3, column 1 \('t'\): timestamp 'x' is not a number"),
    ("t,a\n2024-01-01,2\nyesterday,3\n", r"line 3, column 1 \('t'\): timestamp 'yesterday' is neither"),
    ("t,a\n99999999999999999999,1\n", r"line 2, column 1 .* does not fit int64"),
    ("t,t\n1,2\n", r"appears twice"),
    ("", r"empty"),
    ("\n\n", r"empty"),
])
def test_malformed_csv_names_the_line(text, pattern):
    with pytest.raises(ValueError, match=pattern):
        rd(text)


def test_header_only_gives_empty_columns():
    t = rd("t,a\n")
    assert t.rows == 0 and list(t) == ["t", "a"]


# ------------------------------------------------------------------------------------------- writing


def test_shortest_round_trip_floats_match_python_repr():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2**64, 20000, dtype=np.uint64).view(np.float64)
    x = x[~np.isnan(x)]
    cells = format_column(x)
    assert cells == [repr(v) for v in x.tolist()]  # Python's repr is the shortest round-trip text
    back = np.array([float(c) for c in cells])
    assert back.tobytes() == x.tobytes()


def test_nan_is_written_as_an_empty_cell():
    assert format_column(np.array([1.0, np.nan, -0.0])) == ["1.0", "", "-0.0"]


def test_float32_formatting():
    x = np.array([0.1, 230.1, 1e-5], dtype=np.float32)
    assert format_column(x) == ["0.1", "230.1", "1e-05"]
    as_double = format_column(x, ColumnInfo("v", print_double=True))
    assert as_double == [repr(float(v)) for v in x]
    assert np.array([float(c) for c in as_double], dtype=np.float32).tobytes() == x.tobytes()


def test_datetime_formatting_reproduces_the_input():
    text = "t,v\n2024-01-01 10:00:00.250Z,1.5\n2024-01-01 10:00:01.000Z,2.0\n"
    assert wr(rd(text)) == text
    text = "t,v\n2024-01-01,1.5\n2024-01-02,2.0\n"
    assert wr(rd(text)) == text


def test_csv_round_trip_of_canonical_text():
    text = "time,a,b\n1,0.1,\n2,1e-05,-3.5\n3,1.7976931348623157e+308,inf\n"
    assert wr(rd(text)) == text
    text = "1,0.1\n2,0.2\n"
    assert wr(rd(text)) == text  # no header in, none out
    assert wr(rd(text), header=True).startswith("time,v1\n")


def test_write_csv_puts_time_first_and_accepts_dicts(tmp_path):
    table = Table({"v": np.array([1.5]), "t": np.array([7], dtype=np.int64)}, time="t")
    assert wr(table) == "t,v\n7,1.5\n"
    write_csv(tmp_path / "d.csv", {"x": np.array([2.0])})
    assert (tmp_path / "d.csv").read_text() == "x\n2.0\n"


# ------------------------------------------------------------------------------------------- .bin


def test_bin_layout_byte_by_byte(tmp_path):
    table = Table({"time": np.array([1.5, 2.5]), "a": np.array([10.0, -0.0]), "b": np.array([np.inf, 3.25])},
                  time="time")
    notes = write_bin(tmp_path / "x.bin", table)
    assert notes == []
    expected = struct.pack("<QQ", 2, 3) + struct.pack("<6d", 1.5, 10.0, np.inf, 2.5, -0.0, 3.25)
    assert (tmp_path / "x.bin").read_bytes() == expected


def test_bin_round_trip_and_integer_time(tmp_path):
    raw = struct.pack("<QQ", 3, 2) + struct.pack("<6d", 100.0, 0.5, 160.0, np.nan, 220.0, 1e300)
    (tmp_path / "in.bin").write_bytes(raw)
    table = read_bin(tmp_path / "in.bin")
    assert list(table) == ["time", "v1"] and table.time == "time" and not table.header
    assert table["time"].dtype == np.int64 and table["time"].tolist() == [100, 160, 220]
    write_bin(tmp_path / "out.bin", table)
    assert (tmp_path / "out.bin").read_bytes() == raw
    assert read_any(tmp_path / "in.bin")["v1"].tobytes() == table["v1"].tobytes()


def test_bin_time_stays_float_when_not_whole(tmp_path):
    for t0 in (0.5, -0.0, 2.0**60):
        raw = struct.pack("<QQ", 2, 1) + struct.pack("<2d", t0, 1.0)
        table = read_bin(io.BytesIO(raw))
        assert table["time"].dtype == np.float64
        out = io.BytesIO()
        write_bin(out, table)
        assert out.getvalue() == raw


def test_bin_with_wrong_size_is_refused():
    with pytest.raises(ValueError, match="3 rows x 2 columns"):
        read_bin(io.BytesIO(struct.pack("<QQ", 3, 2) + b"\0" * 40))
    with pytest.raises(ValueError, match="16"):
        read_bin(io.BytesIO(b"\1\2\3"))
    with pytest.raises(ValueError, match="0 columns"):
        read_bin(io.BytesIO(struct.pack("<QQ", 0, 0)))


def test_datetimes_to_bin_become_seconds_with_a_note():
    t = np.array(["2024-01-01T00:00:00.5", "NaT"], dtype="datetime64[ms]")
    out = io.BytesIO()
    notes = write_bin(out, Table({"t": t, "v": np.ones(2)}, time="t"))
    assert any("seconds" in n for n in notes)
    values = struct.unpack("<4d", out.getvalue()[16:])
    assert values[0] == 1704067200.5 and np.isnan(values[2])


def test_single_column_with_nan_survives_a_round_trip():
    text = wr(Table({"v": np.array([1.0, np.nan, 2.0])}))
    assert text == 'v\n1.0\n""\n2.0\n'  # a lone empty cell is quoted so it is not read as a blank line
    back = rd(text, time=False)["v"]
    assert back[0] == 1.0 and np.isnan(back[1]) and back[2] == 2.0
