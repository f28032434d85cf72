"""Bounded load test of the InfluxDB proxy: a fixed number of write requests over loopback, through
`tsquash influx-proxy` (a subprocess, as deployed) to a real InfluxDB 1.x, next to the same requests sent
straight to InfluxDB. Afterwards it counts what the server holds and checks that no point was lost: every
unfiltered value is there, and the filtered field holds exactly what the filter classes emit for its input
(``--lastvalue`` flush included).

    .venv/bin/python benchmarks/python/influx_proxy_load.py                 # default: 400 requests x 500 lines
    .venv/bin/python benchmarks/python/influx_proxy_load.py --requests 100 --lines 200 --runs 1

Writes benchmarks/results/influx_proxy_load-<hostname>.md (and prints it). Needs the Debian package influxdb
and aiohttp (requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

from influx_server import InfluxServer, find_influxd  # noqa: E402

from tsquash import filters  # noqa: E402

T0 = 1_700_000_000_000_000_000
STEP = 1_000_000_000
CLASSES = {"sdt": filters.SdtFilter, "deadband": filters.DeadbandFilter, "hysteresis": filters.HysteresisFilter}


def make_workload(requests: int, lines: int, clients: int, hosts_per_client: int, seed: int = 7):
    """Per client: a list of request bodies (its hosts interleaved, times increasing) and per host its
    usage_idle series. Each line carries 4 fields: usage_idle (filtered), usage_user, usage_system, procs."""
    rng = np.random.default_rng(seed)
    per_client = requests // clients
    rows_per_host = per_client * lines // hosts_per_client
    bodies, series = {}, {}
    for c in range(clients):
        hosts = [f"h{c:02d}{k:02d}" for k in range(hosts_per_client)]
        idle = {h: np.round(np.cumsum(rng.normal(scale=0.3, size=rows_per_host)) + 60.0, 2) for h in hosts}
        series.update(idle)
        out, cur = [], []
        for i in range(rows_per_host):
            t = T0 + i * STEP
            for h in hosts:
                cur.append(f"cpu,host={h},region=eu-west usage_idle={idle[h][i]},usage_user={(i * 7) % 100 / 4},"
                           f"usage_system={(i * 3) % 50 / 8},procs={100 + i % 17}i {t}")
                if len(cur) == lines:
                    out.append(("\n".join(cur) + "\n").encode())
                    cur = []
        if cur:
            out.append(("\n".join(cur) + "\n").encode())
        bodies[c] = out
    return bodies, series


async def _client(session, url, bodies, errors):
    for body in bodies:
        async with session.post(url, data=body) as resp:
            if resp.status != 204:
                errors.append((resp.status, await resp.text()))


async def drive(base_url: str, db: str, bodies: dict) -> tuple[float, list]:
    import aiohttp

    errors = []
    conn = aiohttp.TCPConnector(limit=len(bodies))
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=300)) as session:
        url = f"{base_url}/write?db={db}&precision=ns"
        t = time.perf_counter()
        await asyncio.gather(*(_client(session, url, b, errors) for b in bodies.values()))
        return time.perf_counter() - t, errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_proxy(upstream: str, args) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "tsquash", "influx-proxy", "127.0.0.1", str(port), upstream,
           "--fields", "cpu", "usage_idle", str(args.threshold), str(args.max_interval_ms), "--tags", "host",
           "--method", args.method, "--lastvalue", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stderr.readline()
    if "listening" not in line:
        proc.kill()
        raise RuntimeError(f"proxy did not start: {line}{proc.stderr.read()}")
    return proc, f"http://127.0.0.1:{port}"


def expected_filtered(series: dict, args) -> dict:
    max_ns = int(args.max_interval_ms * 1_000_000)
    out = {}
    for host, vals in series.items():
        f = CLASSES[args.method](args.threshold, max_ns)
        pts = []
        for i, v in enumerate(vals):
            pts += f.filter_point(T0 + i * STEP, float(v))
        pts += f.flush()
        out[host] = [(t, float(v)) for t, v in pts]
    return out


def count(server, db, what):
    doc = server.query(f"SELECT count({what}) FROM cpu", db)
    s = doc["results"][0].get("series")
    return s[0]["values"][0][1] if s else 0


def stored_filtered(server, db) -> dict:
    out = {}
    for row in server.select("SELECT usage_idle FROM cpu GROUP BY host", db):
        if row["usage_idle"] is not None:
            out.setdefault(row["host"], []).append((row["time"], float(row["usage_idle"])))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--lines", type=int, default=500, help="lines per request")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients (each sends its requests in order)")
    p.add_argument("--hosts-per-client", type=int, default=5)
    p.add_argument("--method", default="sdt", choices=sorted(CLASSES))
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--max-interval-ms", type=float, default=300_000)
    p.add_argument("--runs", type=int, default=3, help="repeats per path; the median is reported")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    binary = find_influxd()
    if binary is None:
        print("influxd not found: install the Debian package influxdb (scripts/install-system-deps.sh)",
              file=sys.stderr)
        return 1
    bodies, series = make_workload(args.requests, args.lines, args.clients, args.hosts_per_client)
    n_requests = sum(len(b) for b in bodies.values())
    n_lines = sum(body.count(b"\n") for b in bodies.values() for body in b)
    fields_per_line = 4
    expected = expected_filtered(series, args)
    n_expected_filtered = sum(len(v) for v in expected.values())
    server = InfluxServer(binary).start()
    results = {"direct": [], "proxy": []}
    checks = []
    try:
        for run in range(args.runs):
            db = f"direct{run}"
            server.create_db(db)
            secs, errors = asyncio.run(drive(server.url, db, bodies))
            assert not errors, errors[:3]
            assert count(server, db, "usage_user") == n_lines
            results["direct"].append(secs)

            db = f"proxy{run}"
            server.create_db(db)
            proc, url = start_proxy(server.url, args)
            try:
                secs, errors = asyncio.run(drive(url, db, bodies))
                assert not errors, errors[:3]
            finally:
                proc.send_signal(signal.SIGTERM)   # clean shutdown: --lastvalue flushes the held points
                rc = proc.wait(60)
            assert rc == 0, proc.stderr.read()
            results["proxy"].append(secs)
            users = count(server, db, "usage_user")
            systems = count(server, db, "usage_system")
            procs = count(server, db, "procs")
            stored = stored_filtered(server, db)
            same = stored == expected
            lost = (3 * n_lines - users - systems - procs) + sum(
                len(set(expected[h]) - set(stored.get(h, []))) for h in expected)
            checks.append((run, users, systems, procs, sum(len(v) for v in stored.values()), same, lost))
            server.drop_db(f"direct{run}")
            server.drop_db(db)
    finally:
        server.stop()

    host = socket.gethostname()
    med = {k: statistics.median(v) for k, v in results.items()}
    md = []
    md.append(f"# InfluxDB proxy load test ({host})\n")
    md.append(f"`{' '.join(['benchmarks/python/influx_proxy_load.py'] + (argv if argv is not None else sys.argv[1:]))}`"
              f" on {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"InfluxDB {server.version}; loopback only, the proxy as a subprocess "
              "(`tsquash influx-proxy ... --method "
              f"{args.method} --lastvalue`), {args.clients} concurrent clients, each sending its requests in order. "
              f"The client, the proxy and influxd share the machine's {os.cpu_count()} cores; the proxy is one "
              "Python process (one core at most).\n")
    md.append(f"Workload: {n_requests} requests x {args.lines} lines = {n_lines} lines, {fields_per_line} fields "
              f"per line ({n_lines * fields_per_line} points); `usage_idle` filtered per host "
              f"({len(series)} hosts, {args.method}, threshold {args.threshold}, max interval "
              f"{args.max_interval_ms:g} ms), the other three fields forwarded unchanged. Median of {args.runs} runs.\n")
    md.append("| path | seconds | requests/s | lines/s | points/s in |")
    md.append("|---|---:|---:|---:|---:|")
    for k in ("direct", "proxy"):
        s = med[k]
        md.append(f"| {'client -> InfluxDB' if k == 'direct' else 'client -> proxy -> InfluxDB'} | {s:.2f} | "
                  f"{n_requests / s:,.0f} | {n_lines / s:,.0f} | {n_lines * fields_per_line / s:,.0f} |")
    md.append("")
    md.append("Points found in the server after each proxied run (counted with `SELECT count(...)`; the filtered "
              "field compared point by point with the filter classes' output for the same input):\n")
    md.append("| run | usage_user | usage_system | procs | usage_idle stored | usage_idle expected | identical | lost |")
    md.append("|---|---:|---:|---:|---:|---:|---|---:|")
    for run, users, systems, procs, stored_n, same, lost in checks:
        md.append(f"| {run + 1} | {users} | {systems} | {procs} | {stored_n} | {n_expected_filtered} | "
                  f"{'yes' if same else 'NO'} | {lost} |")
    md.append("")
    md.append(f"Filtered field: {n_lines} points in, {n_expected_filtered} stored "
              f"({100 * n_expected_filtered / n_lines:.1f}%).\n")
    text = "\n".join(md)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    path = Path(args.out) / f"influx_proxy_load-{host}.md"
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)
    ok = all(c[5] and c[6] == 0 and c[1] == n_lines for c in checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
