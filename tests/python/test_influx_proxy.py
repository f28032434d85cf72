"""The InfluxDB proxy against a real InfluxDB 1.x server: write through the proxy, query the server, and check
exactly which points arrived. The expected filtered points come from the filter classes themselves, fed the
same points (integer nanoseconds, as the proxy documents)."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import REPO_ROOT
from influx_server import ProxyThread, http, influx_db, influxd  # noqa: F401

from tsquash import filters
from tsquash._influx import parse_field_specs
from tsquash.influx_proxy import ProxyConfig

T0 = 1_700_000_000_000_000_000
CLASSES = {"sdt": filters.SdtFilter, "deadband": filters.DeadbandFilter, "hysteresis": filters.HysteresisFilter}


def make_config(server, fields, tags=("host",), method="sdt", **kw) -> ProxyConfig:
    return ProxyConfig(upstream=server.url, fields=parse_field_specs(fields), tags=list(tags), method=method, **kw)


def oracle(method, threshold, max_ms, points, flush=False):
    """What the filter class releases for these (ns time, value) points."""
    f = CLASSES[method](threshold, None if max_ms is None else int(round(max_ms * 1_000_000)))
    out = []
    for t, v in points:
        out += f.filter_point(t, float(v))
    if flush:
        out += f.flush()
    return [(t, float(v)) for t, v in out]


def walk(n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return np.round(np.cumsum(rng.normal(scale=scale, size=n)) + 50.0, 3)


def series(server, db, field, where="", measurement="cpu"):
    rows = server.select(f'SELECT "{field}" FROM "{measurement}" {where}', db)
    return [(r["time"], r[field]) for r in rows if r[field] is not None]


def write(proxy, db, body, precision=None, headers=None, gz=False, path="/write"):
    q = f"db={db}" + (f"&precision={precision}" if precision else "")
    data = body.encode() if isinstance(body, str) else body
    h = dict(headers or {})
    if gz:
        data = gzip.compress(data)
        h["Content-Encoding"] = "gzip"
    return http("POST", f"{proxy.url}{path}?{q}", data, h)


@pytest.fixture
def proxies():
    started = []

    def start(config):
        p = ProxyThread(config).start()
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def lines_for(hosts_values, t0=T0, step=1_000_000_000, extra=True):
    """cpu lines with a filtered field (usage_idle), an unfiltered one (usage_user) and a tag that is not
    selected (region)."""
    out = []
    n = len(next(iter(hosts_values.values())))
    for i in range(n):
        for host, vals in hosts_values.items():
            tail = f",usage_user={i}i" if extra else ""
            out.append(f"cpu,host={host},region=eu usage_idle={vals[i]}{tail} {t0 + i * step}")
    return out


# --------------------------------------------------------------------------------------------- filtering

@pytest.mark.parametrize("method,threshold,max_ms", [("sdt", 0.5, 30_000), ("deadband", 0.8, None),
                                                     ("hysteresis", 1.0, 20_000)])
def test_filtered_field_matches_the_filter_and_the_rest_arrives_unchanged(influxd, influx_db, proxies, method,
                                                                          threshold, max_ms):
    vals = {"a": walk(300, 1), "b": walk(300, 2)}
    proxy = proxies(make_config(influxd, [["cpu", "usage_idle", str(threshold), str(max_ms) if max_ms else "none"]],
                                method=method))
    lines = lines_for(vals)
    other = [f'mem,host=a used={i * 1.5},note="n{i}\\"x" {T0 + i * 7}' for i in range(50)]
    for j, k in enumerate(range(0, len(lines), 100)):   # several requests: the filters carry on across them
        mine = other[j * 9:(j + 1) * 9] if k + 100 < len(lines) else other[j * 9:]
        status, _, body = write(proxy, influx_db, "\n".join(lines[k:k + 100] + mine))
        assert status == 204, body
    for host, v in vals.items():
        pts = [(T0 + i * 1_000_000_000, float(x)) for i, x in enumerate(v)]
        got = series(influxd, influx_db, "usage_idle", f"WHERE host='{host}'")
        want = oracle(method, threshold, max_ms, pts)
        assert got == want
        # the walk must exercise the filter: it drops at least 40 % of the points and keeps at least 50, each
        # at the time of a sent point
        assert 50 <= len(got) <= 0.6 * len(pts), len(got)
        assert {t for t, _ in got} <= {t for t, _ in pts}
        # the unfiltered field of the same lines: every point, unchanged
        assert series(influxd, influx_db, "usage_user", f"WHERE host='{host}'") == \
            [(T0 + i * 1_000_000_000, i) for i in range(300)]
    mem = influxd.select("SELECT * FROM mem", influx_db)
    assert [(r["time"], r["used"], r["note"]) for r in mem] == [(T0 + i * 7, i * 1.5, f'n{i}"x') for i in range(50)]


def test_lines_without_configured_fields_are_byte_identical_to_direct_writes(influxd, proxies):
    influxd.create_db("direct_cmp")
    influxd.create_db("proxied_cmp")
    try:
        proxy = proxies(make_config(influxd, [["cpu", "usage_idle", "1", "none"], ["cpu", "flag", "1", "none"]]))
        body = "\n".join([
            r'weird\ m\,x,t\ k=v\,1\=2 f\=k=1.25,s="a\"b\\c",i=-7i,b=T 100',
            "cpu,host=a usage_user=3i,usage_idle_not=2 200",    # a configured measurement, other fields
            'cpu,host=a usage_idle="text" 300',                 # configured field holding a string
            "cpu,host=b flag=true 400",                         # ... and a boolean
            "disk free=1e+20,used=.5 500",
        ])
        influxd.write("direct_cmp", body)
        assert write(proxy, "proxied_cmp", body)[0] == 204
        for m in ("weird m,x", "cpu", "disk"):
            q = 'SELECT * FROM "' + m.replace('"', '\\"') + '"'
            assert influxd.select(q, "proxied_cmp") == influxd.select(q, "direct_cmp")
        assert proxy.proxy.stats.filtered_points_in == 0
    finally:
        influxd.drop_db("direct_cmp")
        influxd.drop_db("proxied_cmp")


def test_integer_field_stays_integer(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "n", "2", "none"]], method="sdt"))
    vals = [int(x) for x in walk(200, 5, scale=3.0) * 10]
    body = "\n".join(f"cpu,host=a n={v}i {T0 + i * 1_000_000_000}" for i, v in enumerate(vals))
    assert write(proxy, influx_db, body)[0] == 204
    keys = influxd.query("SHOW FIELD KEYS", influx_db)["results"][0]["series"][0]["values"]
    assert ["n", "integer"] in keys
    got = series(influxd, influx_db, "n")
    want = oracle("sdt", 2.0, None, [(T0 + i * 1_000_000_000, v) for i, v in enumerate(vals)])
    assert got == [(t, int(round(v))) for t, v in want]


def test_precision_is_kept_for_released_input_times(influxd, influx_db, proxies):
    for method, field in (("deadband", "d"), ("sdt", "s"), ("hysteresis", "h")):
        proxy = proxies(make_config(influxd, [["p", field, "0.4", "30000"]], method=method))
        v = walk(120, 9)
        t0s = 1_700_000_000
        body = "\n".join(f"p,host=a {field}={x},keep={i}i {t0s + i}" for i, x in enumerate(v))
        assert write(proxy, influx_db, body, precision="s")[0] == 204
        pts = [((t0s + i) * 1_000_000_000, float(x)) for i, x in enumerate(v)]
        assert series(influxd, influx_db, field, measurement="p") == oracle(method, 0.4, 30000, pts)
        assert series(influxd, influx_db, "keep", measurement="p") == \
            [((t0s + i) * 1_000_000_000, i) for i in range(120)]
        assert proxy.proxy.stats.lines_out > 0


def test_body_is_widened_to_ns_when_a_released_time_needs_it(influxd, influx_db, proxies):
    # A point held from a nanosecond write is released by a later write in seconds: its time is no whole
    # second, so the proxy rewrites that body in nanoseconds (the other lines' times exactly multiplied).
    proxy = proxies(make_config(influxd, [["p", "v", "1", "5000"]], method="deadband"))
    t0s = 1_700_000_000
    first = f"p,host=a v=0 {t0s * 10**9 + 1_500_000_000}\np,host=a v=0.1 {t0s * 10**9 + 2_500_000_000}"
    assert write(proxy, influx_db, first, precision="ns")[0] == 204
    second = f"p,host=a v=0.2,keep=1i {t0s + 10}\nother,host=a x=5 {t0s + 11}\nother,host=b y=6"
    assert write(proxy, influx_db, second, precision="s")[0] == 204
    pts = [(t0s * 10**9 + 1_500_000_000, 0.0), (t0s * 10**9 + 2_500_000_000, 0.1), ((t0s + 10) * 10**9, 0.2)]
    want = oracle("deadband", 1.0, 5000, pts)
    assert any(t % 10**9 for t, _ in want[1:])         # the case this test is about
    assert series(influxd, influx_db, "v", measurement="p") == want
    assert series(influxd, influx_db, "keep", measurement="p") == [((t0s + 10) * 10**9, 1)]
    assert series(influxd, influx_db, "x", measurement="other") == [((t0s + 11) * 10**9, 5.0)]
    assert len(series(influxd, influx_db, "y", measurement="other")) == 1    # no timestamp: the server's


def test_points_without_timestamp_get_the_proxy_time(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "v", "0.1", "none"]], method="deadband"))
    before = time.time_ns()
    assert write(proxy, influx_db, "cpu,host=a v=1,w=2\ncpu,host=z other=1")[0] == 204
    after = time.time_ns()
    rows = influxd.select("SELECT * FROM cpu", influx_db)
    assert len(rows) == 2
    for r in rows:
        assert before - 1_000_000_000 <= r["time"] <= after + 1_000_000_000


def test_gzip_bodies(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "usage_idle", "0.5", "none"]], method="deadband"))
    vals = {"a": walk(200, 3)}
    status, _, body = write(proxy, influx_db, "\n".join(lines_for(vals)), gz=True)
    assert status == 204, body
    pts = [(T0 + i * 1_000_000_000, float(x)) for i, x in enumerate(vals["a"])]
    assert series(influxd, influx_db, "usage_idle") == oracle("deadband", 0.5, None, pts)
    assert len(series(influxd, influx_db, "usage_user")) == 200
    status, _, body = http("POST", f"{proxy.url}/write?db={influx_db}", b"\x1f\x8bnot gzip at all",
                           {"Content-Encoding": "gzip"})
    assert status == 400


def test_malformed_lines_get_400_and_valid_lines_still_arrive(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "v", "0.5", "none"]], method="deadband"))
    body = "\n".join([
        "cpu,host=a v=1 1000",             # 1
        "cpu,host=a v=oops 2000",          # 2
        "# a comment",                     # 3
        "mem free=5 3000",                 # 4
        "cpu,host=a v=9i9 4000",           # 5
        "cpu,host=a v=3 5000",             # 6
        "nofields",                        # 7
    ])
    status, headers, raw = write(proxy, influx_db, body)
    assert status == 400
    doc = json.loads(raw)
    assert [(e["line"], e["text"]) for e in doc["lines"]] == [(2, "cpu,host=a v=oops 2000"),
                                                              (5, "cpu,host=a v=9i9 4000"), (7, "nofields")]
    assert "invalid field value 'oops'" in doc["lines"][0]["reason"]
    assert "line 2" in doc["error"] and "line 5" in doc["error"] and "line 7" in doc["error"]
    assert "line 2" in headers["X-Influxdb-Error"]
    assert series(influxd, influx_db, "v") == [(1000, 1.0), (5000, 3.0)]
    assert series(influxd, influx_db, "free", measurement="mem") == [(3000, 5.0)]


# --------------------------------------------------------------------------------------------- endpoints

def test_v2_write_is_mapped_to_db_and_rp_on_1x(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "usage_idle", "0.5", "none"]], method="deadband"))
    vals = {"a": walk(60, 4)}
    t0s = 1_700_000_000
    body = "\n".join(lines_for(vals, t0=t0s, step=1))
    status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=myorg&bucket={influx_db}/autogen&precision=s",
                          body, {"Authorization": "Token someone:secret"})
    assert status == 204, raw
    pts = [((t0s + i) * 1_000_000_000, float(x)) for i, x in enumerate(vals["a"])]
    assert series(influxd, influx_db, "usage_idle") == oracle("deadband", 0.5, None, pts)
    # bucket without a retention policy
    status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=o&bucket={influx_db}", "mem x=1 77")
    assert status == 204, raw
    assert series(influxd, influx_db, "x", measurement="mem") == [(77, 1.0)]
    status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=o", "mem x=1 78")
    assert status == 400 and b"bucket" in raw


def test_ping_and_query_pass_through(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "v", "1", "none"]]))
    status, headers, _ = http("GET", proxy.url + "/ping")
    assert status == 204 and headers["X-Influxdb-Version"] == influxd.version
    influxd.write(influx_db, "cpu,host=a v=1 1\ncpu,host=b v=2 2\n")
    q = f"/query?db={influx_db}&epoch=ns&q=SELECT+*+FROM+cpu"
    s1, _, via_proxy = http("GET", proxy.url + q)
    s2, _, direct = http("GET", influxd.url + q)
    assert s1 == s2 == 200 and json.loads(via_proxy) == json.loads(direct)
    s1, h1, gz = http("GET", proxy.url + q, headers={"Accept-Encoding": "gzip"})
    assert h1.get("Content-Encoding") == "gzip" and json.loads(gzip.decompress(gz)) == json.loads(direct)
    status, _, raw = http("POST", proxy.url + "/query", f"q=CREATE+DATABASE+{influx_db}_2".encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    assert [f"{influx_db}_2"] in influxd.query("SHOW DATABASES")["results"][0]["series"][0]["values"]
    influxd.drop_db(f"{influx_db}_2")


def test_upstream_error_is_reported_and_the_filter_state_undone(influxd, proxies):
    db = "created_later"
    proxy = proxies(make_config(influxd, [["cpu", "usage_idle", "0.5", "none"]], method="sdt"))
    vals = {"a": walk(100, 6)}
    lines = lines_for(vals)
    first = "\n".join(lines[:50])
    status, _, raw = write(proxy, db, first)
    assert status == 404 and b"database not found" in raw
    assert proxy.proxy.stats.undone == 1
    influxd.create_db(db)
    try:
        # the client retries the same body, then goes on: the result is as if the failure never happened
        assert write(proxy, db, first)[0] == 204
        assert write(proxy, db, "\n".join(lines[50:]))[0] == 204
        pts = [(T0 + i * 1_000_000_000, float(x)) for i, x in enumerate(vals["a"])]
        assert series(influxd, db, "usage_idle") == oracle("sdt", 0.5, None, pts)
        assert proxy.proxy.stats.stale_points == 0
    finally:
        influxd.drop_db(db)


def test_repeated_points_are_forwarded_unfiltered(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "v", "5", "none"]], method="deadband"))
    body = "\n".join(f"cpu,host=a v={i * 0.1} {1000 + i}" for i in range(20))
    assert write(proxy, influx_db, body)[0] == 204
    assert series(influxd, influx_db, "v") == [(1000, 0.0)]
    assert write(proxy, influx_db, body)[0] == 204     # a replay: times not after the series' last point
    assert series(influxd, influx_db, "v") == [(1000 + i, i * 0.1) for i in range(20)]
    assert proxy.proxy.stats.stale_points == 20


def test_concurrent_clients(influxd, influx_db, proxies):
    proxy = proxies(make_config(influxd, [["cpu", "usage_idle", "0.3", "60000"]], method="sdt"))
    hosts = {f"h{k}": walk(400, 100 + k) for k in range(8)}
    errors = []
    # influxd 1.x can drop points written concurrently while it creates the shard they fall in (answering 204);
    # create it first, directly, so that what this test sees is the proxy's concurrency only.
    influxd.write(influx_db, f"warmup v=1 {T0}")

    def client(host):
        lines = lines_for({host: hosts[host]})
        for k in range(0, len(lines), 40):
            status, _, raw = write(proxy, influx_db, "\n".join(lines[k:k + 40]))
            if status != 204:
                errors.append((host, status, raw))

    threads = [threading.Thread(target=client, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for host, v in hosts.items():
        pts = [(T0 + i * 1_000_000_000, float(x)) for i, x in enumerate(v)]
        assert series(influxd, influx_db, "usage_idle", f"WHERE host='{host}'") == oracle("sdt", 0.3, 60000, pts)
        assert len(series(influxd, influx_db, "usage_user", f"WHERE host='{host}'")) == 400


# --------------------------------------------------------------------------------------------- shutdown, state

def test_lastvalue_flushes_held_points_on_shutdown(influxd, influx_db):
    body = "\n".join(f"cpu,host=a v={x},w=1 {1000 + i}" for i, x in enumerate([0, 0.1, 0.2, 5.0, 5.1, 5.2]))
    for lastvalue in (False, True):
        db = f"{influx_db}_{int(lastvalue)}"
        influxd.create_db(db)
        p = ProxyThread(make_config(influxd, [["cpu", "v", "1", "none"]], method="deadband",
                                    lastvalue=lastvalue)).start()
        assert write(p, db, body)[0] == 204
        p.stop()
        pts = [(1000 + i, x) for i, x in enumerate([0, 0.1, 0.2, 5.0, 5.1, 5.2])]
        assert series(influxd, db, "v") == oracle("deadband", 1.0, None, pts, flush=lastvalue)
        influxd.drop_db(db)
    # with --lastvalue the last input point is there
    assert oracle("deadband", 1.0, None, pts, flush=True)[-1] == (1005, 5.2)


def test_state_survives_a_restart(influxd, influx_db, tmp_path):
    state = tmp_path / "proxy.state"
    vals = {"a": walk(400, 7), "b": walk(400, 8)}
    lines = lines_for(vals)
    cfg = dict(fields=[["cpu", "usage_idle", "0.4", "30000"]], method="sdt", state_file=str(state))
    p = ProxyThread(make_config(influxd, **cfg)).start()
    assert write(p, influx_db, "\n".join(lines[:300]))[0] == 204
    p.stop()
    doc = json.loads(state.read_bytes())
    assert doc["format"] == "tsquash-influx-state" and len(doc["series"]) == 2
    p = ProxyThread(make_config(influxd, **cfg)).start()
    assert write(p, influx_db, "\n".join(lines[300:]))[0] == 204
    p.stop()
    for host, v in vals.items():
        pts = [(T0 + i * 1_000_000_000, float(x)) for i, x in enumerate(v)]
        assert series(influxd, influx_db, "usage_idle", f"WHERE host='{host}'") == oracle("sdt", 0.4, 30000, pts)
    # other options: the proxy refuses the state rather than mixing filters
    with pytest.raises(ValueError, match="other --fields"):
        ProxyThread(make_config(influxd, fields=[["cpu", "usage_idle", "0.9", "30000"]], method="sdt",
                                state_file=str(state)))


def test_state_is_saved_periodically(influxd, influx_db, tmp_path):
    state = tmp_path / "s.json"
    p = ProxyThread(make_config(influxd, [["cpu", "v", "1", "none"]], state_file=str(state),
                                state_interval=0.1)).start()
    try:
        assert write(p, influx_db, "cpu,host=a v=1 1\ncpu,host=a v=1.2 2")[0] == 204
        deadline = time.monotonic() + 10
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.exists()
        assert json.loads(state.read_bytes())["series"][0][:3] == ["cpu", "v", ["a"]]
        assert not [f for f in os.listdir(tmp_path) if f.startswith(".tsquash-state-")]
    finally:
        p.stop()


def test_cli_subprocess_sigterm_flushes_and_saves(influxd, influx_db, tmp_path):
    import signal

    state = tmp_path / "cli.state"
    cmd = [sys.executable, "-m", "tsquash", "influx-proxy", "127.0.0.1", "0", influxd.url,
           "--fields", "cpu", "v", "1", "none", "--tags", "host", "--method", "deadband", "--lastvalue",
           "--state-file", str(state), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        body = "cpu,host=a v=0 1000\ncpu,host=a v=0.5 2000\ncpu,host=a v=0.6 3000"
        status, _, raw = http("POST", f"http://127.0.0.1:{port}/write?db={influx_db}", body)
        assert status == 204, raw
        assert series(influxd, influx_db, "v") == [(1000, 0.0)]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert series(influxd, influx_db, "v") == [(1000, 0.0), (3000, 0.6)]
    assert state.exists()


def test_cli_usage_errors():
    r = subprocess.run([sys.executable, "-m", "tsquash", "influx-proxy", "127.0.0.1", "0", "http://x",
                        "--fields", "cpu", "v", "-1", "none"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "threshold" in r.stderr
    r = subprocess.run([sys.executable, "-m", "tsquash", "influx-proxy", "127.0.0.1", "0", "ftp://x",
                        "--fields", "cpu", "v", "1", "none"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "http://" in r.stderr
