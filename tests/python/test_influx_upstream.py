"""What the proxy sends upstream, seen by a recording stand-in server: the v2 API towards a 2.x server, the
credentials, the 1.x mapping of v2 writes, and how upstream failures reach the client. (The real-server
behaviour is in test_influx_proxy.py; there is no InfluxDB 2.x package to run here.)"""
from __future__ import annotations

import asyncio
import base64
import gzip
import json
import threading

import pytest
from aiohttp import web
from influx_server import ProxyThread, free_port, http

from tsquash import filters
from tsquash._influx import parse_field_specs
from tsquash.influx_proxy import ProxyConfig


class Recorder:
    """A fake InfluxDB: answers /ping with the given version, records every write, answers with `status`."""

    def __init__(self, version: str | None, status: int = 204, body: str = ""):
        self.version = version
        self.status = status
        self.body = body
        self.requests = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def _ping(self, request):
        headers = {"X-Influxdb-Version": self.version} if self.version else {}
        return web.Response(status=204, headers=headers)

    async def _record(self, request):
        self.requests.append({"path": request.path, "query": dict(request.query),
                              "headers": dict(request.headers), "body": (await request.read()).decode()})
        if self.status == 204:
            return web.Response(status=204)
        return web.Response(status=self.status, text=self.body, content_type="application/json")

    def _run(self):
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/ping", self._ping)
        app.router.add_post("/write", self._record)
        app.router.add_post("/api/v2/write", self._record)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def config(url, method="deadband", **kw):
    return ProxyConfig(upstream=url, fields=parse_field_specs([["cpu", "v", "0.5", "none"]]), tags=["host"],
                       method=method, **kw)


BODY = "\n".join(f"cpu,host=a v={x},w={i}i {1000 + i}" for i, x in enumerate([0.0, 0.1, 0.2, 1.0, 1.1, 2.0]))
EXPECTED_V = [(1000 + i, x) for i, x in enumerate([0.0, 0.1, 0.2, 1.0, 1.1, 2.0])]


def expected_lines():
    f = filters.DeadbandFilter(0.5, None)
    kept = {t for t, _ in [p for t0, x in EXPECTED_V for p in f.filter_point(t0, x)]}
    out = []
    for i, (t, x) in enumerate(EXPECTED_V):
        out.append(f"cpu,host=a v={x},w={i}i {t}" if t in kept else f"cpu,host=a w={i}i {t}")
    return out


@pytest.mark.parametrize("version", ["v2.7.4", "2.0.0-beta.16", None])
def test_v2_writes_go_to_a_2x_server_as_v2(version):
    with Recorder(version) as up, ProxyThread(config(up.url)) as proxy:
        status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=acme&bucket=telegraf&precision=ns",
                              gzip.compress(BODY.encode()),
                              {"Authorization": "Token abc123==", "Content-Encoding": "gzip"})
        assert status == 204, raw
    [req] = up.requests
    assert req["path"] == "/api/v2/write"
    assert req["query"] == {"org": "acme", "bucket": "telegraf", "precision": "ns"}
    assert req["headers"]["Authorization"] == "Token abc123=="
    assert req["body"].splitlines() == expected_lines()


def test_v1_writes_keep_credentials_and_parameters():
    with Recorder("v2.7.4") as up, ProxyThread(config(up.url)) as proxy:
        status, _, raw = http("POST", f"{proxy.url}/write?db=mydb&rp=week&u=alice&p=s3cret&precision=ms"
                              "&consistency=one", BODY, {"Authorization": "Basic Zm9vOmJhcg=="})
        assert status == 204, raw
    [req] = up.requests
    assert req["path"] == "/write"
    assert req["query"] == {"db": "mydb", "rp": "week", "u": "alice", "p": "s3cret", "precision": "ms",
                            "consistency": "one"}
    assert req["headers"]["Authorization"] == "Basic Zm9vOmJhcg=="


def test_v2_write_to_a_1x_server_maps_bucket_and_token():
    with Recorder("1.8.10") as up, ProxyThread(config(up.url)) as proxy:
        status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=x&bucket=db1/rp1&precision=us", BODY,
                              {"Authorization": "Token bob:pw"})
        assert status == 204, raw
        status, _, raw = http("POST", f"{proxy.url}/api/v2/write?org=x&bucket=db2&precision=s", "m f=1 5")
        assert status == 204, raw
    first, second = up.requests
    assert first["path"] == "/write" and first["query"] == {"db": "db1", "rp": "rp1", "precision": "u"}
    assert first["headers"]["Authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
    assert second["query"] == {"db": "db2", "precision": "s"} and "Authorization" not in second["headers"]


@pytest.mark.parametrize("status,body", [(500, '{"error":"engine: disk full"}'), (401, '{"error":"unauthorized"}'),
                                         (503, "")])
def test_upstream_errors_reach_the_client_with_their_status(status, body):
    with Recorder("1.8.10", status=status, body=body) as up, ProxyThread(config(up.url)) as proxy:
        got, _, raw = http("POST", f"{proxy.url}/write?db=d", BODY)
        assert got == status
        doc = json.loads(raw)
        assert f"upstream InfluxDB answered {status}" in doc["error"]
        if body:
            assert json.loads(body)["error"] in doc["error"]
        got, _, raw = http("POST", f"{proxy.url}/api/v2/write?bucket=d", BODY)
        assert got == status and f"answered {status}" in json.loads(raw)["message"]
        assert proxy.proxy.stats.undone == 2
        # after the failures the series is as new: the retry releases the same points as a first write would
        up.status = 204
        assert http("POST", f"{proxy.url}/write?db=d", BODY)[0] == 204
    assert up.requests[-1]["body"].splitlines() == expected_lines()


def test_unreachable_upstream_is_502():
    url = f"http://127.0.0.1:{free_port()}"
    with ProxyThread(config(url, timeout=5)) as proxy:
        status, _, raw = http("POST", f"{proxy.url}/write?db=d", BODY)
        assert status == 502 and b"cannot reach" in raw
        assert http("GET", proxy.url + "/ping")[0] == 502


def test_bad_requests_are_refused_before_going_upstream():
    with Recorder("1.8.10") as up, ProxyThread(config(up.url)) as proxy:
        assert http("POST", f"{proxy.url}/write?precision=ms", BODY)[0] == 400           # no db
        assert http("POST", f"{proxy.url}/write?db=d&precision=week", BODY)[0] == 400    # bad precision
        assert http("POST", f"{proxy.url}/api/v2/write?bucket=b&precision=h", BODY)[0] == 400
        status, _, raw = http("POST", f"{proxy.url}/write?db=d", "only\nbad lines here\n")
        assert status == 400 and b"line 1" in raw and b"line 2" in raw
    assert up.requests == []


def test_body_size_limit_applies_after_decompression():
    with Recorder("1.8.10") as up, ProxyThread(config(up.url, max_body_size=10_000)) as proxy:
        big = ("cpu,host=a w=1i 1\n" * 2000).encode()        # 36 kB, gzips to well under 10 kB
        status, _, _ = http("POST", f"{proxy.url}/write?db=d", gzip.compress(big), {"Content-Encoding": "gzip"})
        assert status == 413
    assert up.requests == []


# --------------------------------------------------------------------------------------------- the body rewrite

from hypothesis import given, strategies as st  # noqa: E402

from tsquash.influx_proxy import InfluxProxy  # noqa: E402
from tsquash.lineprotocol import parse  # noqa: E402


def _oracle(cls, threshold, max_ns, pts):
    f = cls(threshold, max_ns)
    out = []
    for t, v in pts:
        out += f.filter_point(t, v)
    return out


@given(st.sampled_from(["sdt", "deadband", "hysteresis"]),
       st.lists(st.tuples(st.sampled_from(["a", "b", "c d"]), st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2)),
                          st.integers(1, 3), st.booleans()), min_size=1, max_size=60),
       st.lists(st.integers(1, 59), max_size=4), st.sampled_from([("ns", 1), ("u", 1000), ("s", 10**9)]))
def test_rewritten_bodies_carry_exactly_the_filter_output(method, rows, cuts, precision):
    # Whatever the split into requests and the precision: the configured field's forwarded points are the
    # filter's output for each series, every other field and line arrives unchanged, nothing else appears.
    cls = {"sdt": filters.SdtFilter, "deadband": filters.DeadbandFilter,
           "hysteresis": filters.HysteresisFilter}[method]
    proxy = InfluxProxy(ProxyConfig(upstream="http://127.0.0.1:9", fields=parse_field_specs(
        [["cpu", "v", "0.5", "7"]]), tags=["host"], method=method))
    pname, mult = precision
    lines, expect_in, others = [], {}, []
    for i, (host, v, step, dup) in enumerate(rows):
        t = 1_000 + i * 3 + step
        esc = host.replace(" ", "\\ ")
        fields = f"v={v + 1000},w={i}i,v={v}" if dup else f"v={v},w={i}i"
        lines.append(f"cpu,host={esc},x=y {fields} {t}")
        expect_in.setdefault(host, []).append((t * mult, float(v)))
        others.append((host, t * mult, i))
        lines.append(f'mem,host={esc} s="q{i}" {t}')
    bounds = sorted(set(c for c in cuts if c < len(lines))) + [len(lines)]
    out_points = []
    start = 0
    for end in bounds:
        b = proxy.process("\n".join(lines[start:end]), mult, {"api": "v1", "db": "d"})
        assert not b.errors
        for p in parse("\n".join(b.lines)):
            out_points.append((p, p.time * b.mult))
        start = end
    got_v, got_w, got_mem = {}, [], []
    for p, t_ns in out_points:
        if p.measurement == "cpu":
            assert p.tags["x"] == "y"
            if "v" in p.fields:
                got_v.setdefault(p.tags["host"], []).append((t_ns, p.fields["v"]))
            if "w" in p.fields:
                got_w.append((p.tags["host"], t_ns, p.fields["w"]))
            assert set(p.fields) <= {"v", "w"}
        else:
            got_mem.append((p.tags["host"], t_ns, p.fields["s"]))
    for host, pts in expect_in.items():
        assert sorted(got_v.get(host, [])) == _oracle(cls, 0.5, 7 * 10**6, pts)
    assert sorted(got_w) == sorted(others)
    assert sorted(got_mem) == sorted((h, t, f"q{i}") for h, t, i in others)
