"""Our reading of line protocol against the real server's: tricky lines written straight to InfluxDB 1.x and
queried back must hold exactly what tsquash.lineprotocol parsed from them; lines we call malformed must be
refused by the server too."""
from __future__ import annotations

import math

import pytest
from influx_server import http, influx_db, influxd  # noqa: F401  (fixtures)

from tsquash.lineprotocol import Point, format_line, parse_line

TRICKY = [
    r"m1,host=a\ b,dc=x\,y\=z value=1.5 1000",
    r"m\ 2\,x,t=1 f\ k\=x\,y=2i 2000",
    r"m3,t=back\slash f=3 3000",
    r'm4 s="quote \" backslash \\ literal \d, comma=eq" 4000',
    'm5 s="line one\nline two",b=TRUE,c=f 5000',
    r"m6=eq f=-1.25e-3,g=7i,h=false 6000",
    "m7,ville=Zürich température=21.5 7000",
    r"m8,t=a\\\,b f=1 8000",
    "m9 f=.5,g=1.,h=2E+10 9000",
]


def _server_points(server, db) -> dict:
    """{(measurement, time): (tags, fields)} of everything in the database."""
    out = {}
    measurements = [v[0] for s in server.query("SHOW MEASUREMENTS", db)["results"][0]["series"]
                    for v in s["values"]]
    for m in measurements:
        tag_keys = [v[0] for res in server.query(f'SHOW TAG KEYS FROM "{_q(m)}"', db)["results"]
                    for s in res.get("series", []) for v in s["values"]]
        for row in server.select(f'SELECT * FROM "{_q(m)}"', db):
            tags = {k: row[k] for k in tag_keys if row.get(k) is not None}
            fields = {k: v for k, v in row.items()
                      if k not in tag_keys and k not in ("time", "_measurement") and v is not None}
            out[(m, row["time"])] = (tags, fields)
    return out


def _q(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def test_server_stores_what_we_parse(influxd, influx_db):
    influxd.write(influx_db, "\n".join(TRICKY) + "\n")
    stored = _server_points(influxd, influx_db)
    assert len(stored) == len(TRICKY)
    for line in TRICKY:
        p = parse_line(line)
        tags, fields = stored[(p.measurement, p.time)]
        assert tags == p.tags, line
        assert set(fields) == set(p.fields), line
        for k, v in p.fields.items():
            got = fields[k]
            if isinstance(v, float):
                assert math.isclose(got, v, rel_tol=0, abs_tol=0), (line, k, got, v)
            else:
                assert got == v and type(got) is type(v), (line, k, got, v)


def test_server_accepts_what_we_serialise(influxd, influx_db):
    pts = [
        Point("a b,c=d", {"k ,=": 1.0, "s": 'x"y\\z\nw'}, {"t ,=": "v ,=\\x"}, 10),
        Point("e", {"i": -(2**63), "j": 2**63 - 1, "b": True, "f": 5e-324}, {}, 20),
        Point("e", {"f": 1.7976931348623157e308}, {"x": "#y"}, 30),
    ]
    influxd.write(influx_db, "\n".join(format_line(p) for p in pts) + "\n")
    stored = _server_points(influxd, influx_db)
    for p in pts:
        tags, fields = stored[(p.measurement, p.time)]
        assert tags == p.tags
        assert fields == p.fields


@pytest.mark.parametrize("line", [
    "cpu v=1.5i 1", "cpu v=nan 1", "cpu,host=a=b v=1 1", "cpu v=1 12a", "cpu v=9223372036854775808i 1",
    'cpu v="unterminated 1', "cpu,host= v=1 1",
])
def test_server_refuses_what_we_refuse(influxd, influx_db, line):
    with pytest.raises(ValueError):
        parse_line(line)
    status, _, body = http("POST", f"{influxd.url}/write?db={influx_db}", line + "\n")
    assert status == 400, (line, status, body)
