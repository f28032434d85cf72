"""tsquash filter-csv: InfluxDB 2.x annotated CSV, real 1.x `influx -format csv` exports, plain time,value files.
Expected filtered points come from the filter classes fed the same points."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT
from influx_server import influx_db, influxd  # noqa: F401

from tsquash import filters
from tsquash._influx import parse_field_specs
from tsquash.influx_csv import CsvFormatError, filter_csv_text, format_time, parse_time

CLASSES = {"sdt": filters.SdtFilter, "deadband": filters.DeadbandFilter, "hysteresis": filters.HysteresisFilter}
T0 = 1_672_531_200_000_000_000  # 2023-01-01T00:00:00Z


def oracle(method, threshold, max_ms, points, flush=False):
    f = CLASSES[method](threshold, None if max_ms is None else int(round(max_ms * 1_000_000)))
    out = []
    for t, v in points:
        out += f.filter_point(t, float(v))
    if flush:
        out += f.flush()
    return [(t, float(v)) for t, v in out]


def walk(n, seed):
    rng = np.random.default_rng(seed)
    return np.round(np.cumsum(rng.normal(size=n)) + 20.0, 2)


def run(text, fields, tags=(), method="sdt", lastvalue=False, time_unit=None):
    return filter_csv_text(text, parse_field_specs(fields), tags, method, lastvalue, time_unit)


def rfc(ns):
    return format_time(ns, parse_time("2000-01-01T00:00:00Z", 1)[1])


# --------------------------------------------------------------------------------------------- times

@pytest.mark.parametrize("text,ns", [
    ("2023-01-01T00:00:00Z", T0),
    ("2023-01-01T00:00:00.5Z", T0 + 500_000_000),
    ("2023-01-01T00:00:00.000000001Z", T0 + 1),
    ("2023-01-01T01:00:00+01:00", T0),
    ("2022-12-31T19:00:00-05:00", T0),
    ("2023-01-01 00:00:00", T0),
    ("1672531200000", 1_672_531_200_000 * 1_000_000),     # in ms
    ("1672531200000.25", 1_672_531_200_000 * 1_000_000 + 250_000),
    ("-1.5", -1_500_000),
])
def test_parse_time(text, ns):
    got, style = parse_time(text, 1_000_000)
    assert got == ns
    assert parse_time(format_time(got, style), 1_000_000)[0] == ns


@pytest.mark.parametrize("text", ["2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z", "yesterday", "1e9", ""])
def test_bad_times(text):
    with pytest.raises(ValueError):
        parse_time(text, 1)


def test_format_time_rfc3339nano_trims_zeros():
    style = parse_time("2023-01-01T00:00:00Z", 1)[1]
    assert format_time(T0, style) == "2023-01-01T00:00:00Z"
    assert format_time(T0 + 120_000_000, style) == "2023-01-01T00:00:00.12Z"
    assert format_time(T0 + 7, style) == "2023-01-01T00:00:00.000000007Z"


# --------------------------------------------------------------------------------------------- 2.x annotated

def annotated_export(values: dict, users: dict, eol="\r\n"):
    """An export shaped like `influx query` output: a double block with one table per host for usage_idle, a
    blank line, then a long block for usage_user (a new schema gets new annotations)."""
    start, stop = rfc(T0 - 3600 * 10**9), rfc(T0 + 86400 * 10**9)
    out = io.StringIO()
    w = csv.writer(out, lineterminator=eol)
    w.writerow(["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true"])
    w.writerow(["#datatype", "string", "long", "dateTime:RFC3339", "dateTime:RFC3339", "dateTime:RFC3339",
                "double", "string", "string", "string"])
    w.writerow(["#default", "_result", "", "", "", "", "", "", "", ""])
    w.writerow(["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", "host"])
    for table, (host, vals) in enumerate(values.items()):
        for i, v in enumerate(vals):
            w.writerow(["", "", table, start, stop, rfc(T0 + i * 10 * 10**9), repr(float(v)), "usage_idle", "cpu",
                        host])
    out.write(eol)
    w.writerow(["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true"])
    w.writerow(["#datatype", "string", "long", "dateTime:RFC3339", "dateTime:RFC3339", "dateTime:RFC3339",
                "long", "string", "string", "string"])
    w.writerow(["#default", "_result", "", "", "", "", "", "", "", ""])
    w.writerow(["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", "host"])
    for table, (host, vals) in enumerate(users.items(), start=len(values)):
        for i, v in enumerate(vals):
            w.writerow(["", "", table, start, stop, rfc(T0 + i * 10 * 10**9), int(v), "usage_user", "cpu", host])
    out.write(eol)
    return out.getvalue()


def read_annotated(text):
    """{(field, host): [(ns, value)]} plus the annotation/header rows, read with the csv module."""
    series, meta = {}, []
    for cells in csv.reader(io.StringIO(text)):
        if not cells:
            continue
        if cells[0].startswith("#") or cells[1] == "result":
            meta.append(cells)
            continue
        series.setdefault((cells[7], cells[9]), []).append((parse_time(cells[5], 1)[0], float(cells[6])))
    return series, meta


@pytest.mark.parametrize("method,threshold,max_ms", [("sdt", 0.5, None), ("deadband", 0.7, 60_000),
                                                     ("hysteresis", 1.0, None)])
@pytest.mark.parametrize("lastvalue", [False, True])
def test_annotated_export(method, threshold, max_ms, lastvalue):
    values = {"a": walk(200, 1), "b": walk(150, 2)}
    users = {"a": walk(200, 3) * 10, "b": walk(150, 4) * 10}
    text = annotated_export(values, users)
    out, report = run(text, [["cpu", "usage_idle", str(threshold), str(max_ms or "none")]], ["host"], method,
                      lastvalue)
    assert report.format == "annotated" and report.series == 2 and report.points_in == 350
    got, meta = read_annotated(out)
    _, meta_in = read_annotated(text)
    assert meta == meta_in
    for host, vals in values.items():
        pts = [(T0 + i * 10 * 10**9, float(v)) for i, v in enumerate(vals)]
        want = oracle(method, threshold, max_ms, pts, flush=lastvalue)
        assert got[("usage_idle", host)] == want
        if lastvalue:
            assert want[-1][0] == pts[-1][0]
    # the unfiltered field's rows are copied byte for byte, line endings included
    user_lines = [ln for ln in text.split("\r\n") if ",usage_user," in ln]
    assert [ln for ln in out.split("\r\n") if ",usage_user," in ln] == user_lines
    assert out.count("\r\n") == len(out.splitlines())
    # output is itself a valid input: filtering it again with threshold 0 deadband keeps every row
    again, _ = run(out, [["cpu", "usage_idle", "0", "none"]], ["host"], "deadband", True)
    assert read_annotated(again)[0] == got


def test_annotated_tables_split_by_tags_and_defaults():
    # #default fills empty cells: _measurement defaults to cpu; the tag column is absent for one block
    text = (
        "#datatype,string,long,dateTime:RFC3339,double,string,string,string\n"
        "#group,false,false,false,false,true,true,true\n"
        "#default,_result,,,,,cpu,\n"
        ",result,table,_time,_value,_field,_measurement,host\n"
        + "".join(f",,0,{rfc(T0 + i * 10**9)},{v},usage_idle,,a\n" for i, v in enumerate([1, 1.1, 1.2, 9, 9.1]))
        + "".join(f",,1,{rfc(T0 + i * 10**9)},{v},usage_idle,,b\n" for i, v in enumerate([5, 5.1, 5.2, 5.3, 0]))
    )
    out, report = run(text, [["cpu", "usage_idle", "1", "none"]], ["host"], "deadband")
    rows = [r for r in csv.reader(io.StringIO(out)) if r and not r[0].startswith("#") and r[1] != "result"]
    assert [(r[2], parse_time(r[3], 1)[0] - T0, r[4]) for r in rows] == [
        ("0", 0, "1"), ("0", 3 * 10**9, "9"), ("1", 0, "5"), ("1", 4 * 10**9, "0")]
    assert all(r[6] == "" for r in rows)  # copied as they were: #default still applies on reading


def test_pivoted_annotated_export():
    # after pivot(): one column per field; only the configured one is filtered
    vals = walk(100, 5)
    text = (
        "#group,false,false,true,true,false,true,true,false,false\n"
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,double,double\n"
        "#default,_result,,,,,,,,\n"
        ",result,table,_start,_stop,_time,_measurement,host,usage_idle,usage_user\n"
        + "".join(f",,0,{rfc(T0)},{rfc(T0 + 10**12)},{rfc(T0 + i * 10**9)},cpu,a,{v},{i}.5\n"
                  for i, v in enumerate(vals))
    )
    out, _ = run(text, [["cpu", "usage_idle", "0.5", "none"]], ["host"], "sdt")
    rows = [r for r in csv.reader(io.StringIO(out)) if r and not r[0].startswith("#") and r[1] != "result"]
    idle = [(parse_time(r[5], 1)[0], float(r[8])) for r in rows if r[8]]
    assert idle == oracle("sdt", 0.5, None, [(T0 + i * 10**9, float(v)) for i, v in enumerate(vals)])
    user = [(parse_time(r[5], 1)[0], r[9]) for r in rows if r[9]]
    assert user == [(T0 + i * 10**9, f"{i}.5") for i in range(100)]
    assert all(r[6:8] == ["cpu", "a"] and r[3] == rfc(T0) for r in rows)


# --------------------------------------------------------------------------------------------- 1.x exports

def _influx_cli():
    import shutil

    exe = shutil.which("influx")
    if exe is None:
        import os

        msg = "the influx CLI is missing: install the Debian package 'influxdb-client' (scripts/install-system-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


@pytest.mark.parametrize("precision", ["ns", "rfc3339"])
def test_real_1x_cli_export(influxd, influx_db, precision):
    exe = _influx_cli()
    values = {"a": walk(120, 11), "b\\,x": walk(120, 12)}
    lines = []
    for i in range(120):
        for host, vals in values.items():
            lines.append(f"cpu,host={host},region=eu usage_idle={vals[i]},usage_user={i}i {T0 + i * 10**9}")
        lines.append(f"mem,host=a free={i * 2} {T0 + i * 10**9}")
    influxd.write(influx_db, "\n".join(lines))
    for query in ("SELECT * FROM cpu, mem", "SELECT usage_idle, usage_user FROM cpu GROUP BY host"):
        exported = subprocess.run(
            [exe, "-host", "127.0.0.1", "-port", str(influxd.http_port), "-database", influx_db, "-format", "csv",
             "-precision", precision, "-execute", query], capture_output=True, text=True, timeout=60, check=True).stdout
        assert exported.startswith("name,")
        out, report = run(exported, [["cpu", "usage_idle", "0.6", "none"]], ["host"], "sdt")
        assert report.format == "v1" and report.series == 2
        got = {}
        users = {}
        header = None
        for cells in csv.reader(io.StringIO(out)):
            if cells[0] == "name":
                header = cells
                continue
            row = dict(zip(header, cells))
            host = row.get("host") or row["tags"].split("=", 1)[1]
            t = parse_time(row["time"], 1)[0]
            if row.get("usage_idle"):
                got.setdefault(host, []).append((t, float(row["usage_idle"])))
            if row.get("usage_user"):
                users.setdefault(host, []).append((t, int(row["usage_user"])))
        for host, vals in values.items():
            name = host.replace("\\,", ",")
            pts = [(T0 + i * 10**9, float(v)) for i, v in enumerate(vals)]
            assert got[name] == oracle("sdt", 0.6, None, pts), (query, host)
            assert users[name] == [(T0 + i * 10**9, i) for i in range(120)]
        if "mem" in query:
            mem_in = [ln for ln in exported.splitlines() if ln.startswith("mem,")]
            assert [ln for ln in out.splitlines() if ln.startswith("mem,")] == mem_in


# --------------------------------------------------------------------------------------------- plain CSVs

@pytest.mark.parametrize("header", [True, False])
def test_plain_time_value(header):
    vals = walk(300, 21)
    text = ("time,value\n" if header else "") + "".join(f"{1000 * i},{v}\n" for i, v in enumerate(vals))
    out, report = run(text, [["-", "value", "0.4", "20000"]], method="sdt", lastvalue=True)
    assert report.format == "plain"
    rows = list(csv.reader(io.StringIO(out)))
    if header:
        assert rows.pop(0) == ["time", "value"]
    got = [(parse_time(r[0], 1_000_000)[0], float(r[1])) for r in rows]
    pts = [(i * 1000 * 1_000_000, float(v)) for i, v in enumerate(vals)]
    assert got == oracle("sdt", 0.4, 20000, pts, flush=True)


def test_plain_several_columns_and_iso_times():
    a, b = walk(50, 31), walk(50, 32)
    text = "time,a,b\n" + "".join(f"2023-01-01 00:{i // 60:02d}:{i % 60:02d},{x},{y}\n"
                                  for i, (x, y) in enumerate(zip(a, b)))
    out, _ = run(text, [["-", "a", "0.5", "none"]], method="deadband")
    rows = list(csv.reader(io.StringIO(out)))[1:]
    got_a = [(parse_time(r[0], 1)[0], float(r[1])) for r in rows if r[1]]
    assert got_a == oracle("deadband", 0.5, None, [(T0 + i * 10**9, float(x)) for i, x in enumerate(a)])
    assert [r[2] for r in rows] == [str(y) for y in b]           # column b untouched, every row kept
    assert all(" " in r[0] and "T" not in r[0] for r in rows)


def test_time_unit_option():
    vals = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 5]
    text = "t,v\n" + "".join(f"{i},{x}\n" for i, x in enumerate(vals))
    # max interval 2500 ms: it matters when the times are seconds, not when they are milliseconds
    for unit, ns in (("s", 10**9), ("ms", 10**6)):
        out, _ = run(text, [["-", "v", "1", "2500"]], method="deadband", time_unit=unit)
        got = [(int(r[0]) * ns, float(r[1])) for r in list(csv.reader(io.StringIO(out)))[1:]]
        assert got == oracle("deadband", 1.0, 2500, [(i * ns, float(x)) for i, x in enumerate(vals)])
        if unit == "s":
            assert len(got) > 2
        else:
            assert [t for t, _ in got] == [0, 7 * ns]


# --------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text,fields,msg", [
    ("time,value\n1,2\n3\n", [["-", "value", "1", "none"]], "<csv>:3: 1 columns, but the header (line 1) has 2"),
    ("time,value\n1,2\nsoon,3\n", [["-", "value", "1", "none"]], "<csv>:3: time: invalid time 'soon'"),
    ("time,value\n5,2\n5,3\n", [["-", "value", "1", "none"]], "<csv>:3: the time of value is not after its "
                                                              "previous point (line 2)"),
    ('time,value\n1,"2\n', [["-", "value", "1", "none"]], "<csv>:2:"),
    ("#datatype,string,double\n#bogus,a,b\n,result,_value\n,,1\n", [["m", "f", "1", "none"]],
     "<csv>:2: unknown annotation '#bogus'"),
    ("#datatype,string,double\n,result,_value\n,,1\n", [["m", "f", "1", "none"]], "<csv>:2: no _time column"),
    ("#datatype,string,string,string\n,result,error,reference\n,,out of memory,\n", [["m", "f", "1", "none"]],
     "error table: out of memory"),
    ("#datatype,string,dateTime:RFC3339,double\n#group,false,false\n,_time,_value\n", [["m", "f", "1", "none"]],
     "<csv>:1: 4 columns, but the header (line 3) has 3"),
    ("", [["m", "f", "1", "none"]], "no CSV rows"),
    ("time,a,b\n1,2,3\n", [["x", "a", "1", "none"], ["y", "a", "2", "none"]], "twice"),
    (",result,table,_time,_value\n,,0,2023-01-01T00:00:00Z,1\n", [["m", "f", "1", "none"]],
     "needs _field and _measurement"),
])
def test_malformed_files(text, fields, msg):
    with pytest.raises(CsvFormatError) as info:
        run(text, fields)
    assert msg in str(info.value)


def test_cli(tmp_path):
    src = tmp_path / "in.csv"
    dst = tmp_path / "out.csv"
    src.write_text("time,value\n" + "".join(f"{i * 1000},{x}\n" for i, x in enumerate([0, 0.1, 3, 3.1])))
    cmd = [sys.executable, "-m", "tsquash", "filter-csv", str(src), str(dst), "--fields", "-", "value", "1", "none",
           "--method", "deadband", "--lastvalue"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert r.returncode == 0, r.stderr
    assert "4 points of 1 filtered series -> 3" in r.stdout
    assert dst.read_text() == "time,value\n0,0\n2000,3\n3000,3.1\n"
    src.write_text("time,value\n1,2\nx,3\n")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert r.returncode == 1 and f"{src}:3: time: invalid time 'x'" in r.stderr
    assert dst.read_text() == "time,value\n0,0\n2000,3\n3000,3.1\n"     # not overwritten by a failed run
    r = subprocess.run(cmd[:5], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert r.returncode == 2 and "--fields" in r.stderr


def test_nan_and_empty_cells_are_copied_not_filtered():
    vals = [1.0, 1.1, "NaN", 1.2, "", 5.0, 5.1]
    text = "time,value\n" + "".join(f"{i * 1000},{v}\n" for i, v in enumerate(vals))
    out, report = run(text, [["-", "value", "0.5", "none"]], method="deadband")
    assert report.points_in == 5
    rows = list(csv.reader(io.StringIO(out)))[1:]
    kept = [(int(r[0]) * 10**6, float(r[1])) for r in rows if r[1] not in ("NaN", "")]
    numeric = [(i * 1000 * 10**6, float(v)) for i, v in enumerate(vals) if v not in ("NaN", "")]
    assert kept == oracle("deadband", 0.5, None, numeric)
    assert ["2000", "NaN"] in rows and ["4000", ""] in rows
