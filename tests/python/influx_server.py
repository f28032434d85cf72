"""A throw-away InfluxDB 1.x server for the tests and the load benchmark.

`InfluxServer` starts the Debian package's ``influxd`` with a generated config: HTTP and RPC bound to free
loopback ports, meta/data/wal under a temporary folder, reporting, monitoring, subscriptions and background
services off. It never touches a system service or /var/lib/influxdb. The pytest fixture ``influxd`` shares one
server across the whole session (test modules import it) and stops it at the end.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  wal-fsync-delay = "0s"
  index-version = "inmem"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  write-timeout = "10s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  pprof-enabled = false
  unix-socket-enabled = false
  max-body-size = 0

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  enabled = false
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_influxd() -> str | None:
    return shutil.which("influxd") or (os.path.exists("/usr/bin/influxd") and "/usr/bin/influxd") or None


class InfluxServer:
    def __init__(self, binary: str):
        self.binary = binary
        self.root = tempfile.mkdtemp(prefix="tsquash-influxd-")
        self.http_port = free_port()
        self.rpc_port = free_port()
        while self.rpc_port == self.http_port:
            self.rpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.config = os.path.join(self.root, "influxdb.conf")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(root=self.root, rpc_port=self.rpc_port, http_port=self.http_port))
        self.log_path = os.path.join(self.root, "influxd.log")
        self.proc = None
        self.version = None

    def start(self, timeout: float = 30.0) -> "InfluxServer":
        log = open(self.log_path, "wb")
        env = dict(os.environ, INFLUXDB_REPORTING_DISABLED="true")
        self.proc = subprocess.Popen([self.binary, "-config", self.config], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"influxd exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                    if r.status == 204:
                        self.version = r.headers.get("X-Influxdb-Version")
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"influxd did not answer /ping within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 3000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    # -- HTTP helpers -----------------------------------------------------------------------------------
    def query(self, q: str, db: str | None = None, method: str = "GET") -> dict:
        params = {"q": q, "epoch": "ns"}
        if db:
            params["db"] = db
        url = self.url + "/query?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=30) as r:
            doc = json.loads(r.read())
        for res in doc.get("results", []):
            if "error" in res:
                raise RuntimeError(f"query {q!r} failed: {res['error']}")
        return doc

    def create_db(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"', method="POST")

    def drop_db(self, name: str) -> None:
        self.query(f'DROP DATABASE "{name}"', method="POST")

    def write(self, db: str, body: bytes | str, precision: str = "ns") -> None:
        data = body.encode() if isinstance(body, str) else body
        url = self.url + "/write?" + urllib.parse.urlencode({"db": db, "precision": precision})
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=30) as r:
                assert r.status == 204, r.status
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"write to {db} failed with {exc.code}: {exc.read().decode(errors='replace')}") \
                from None

    def select(self, q: str, db: str) -> list[dict]:
        """Rows of a SELECT as dicts (column -> value), over every series it returns; tags of GROUP BY merged."""
        doc = self.query(q, db)
        rows = []
        for res in doc["results"]:
            for s in res.get("series", []):
                cols = s["columns"]
                for vals in s["values"]:
                    row = dict(zip(cols, vals))
                    row.update(s.get("tags", {}))
                    row["_measurement"] = s["name"]
                    rows.append(row)
        return rows


_SHARED: InfluxServer | None = None


def shared_server() -> InfluxServer:
    """One server per process, started on first use and stopped at exit (or by the session fixture)."""
    global _SHARED
    if _SHARED is None:
        binary = find_influxd()
        if binary is None:
            msg = "influxd not found: install the Debian package 'influxdb' (scripts/install-system-deps.sh)"
            if os.environ.get("CI"):
                pytest.fail(msg)
            pytest.skip(msg)
        _SHARED = InfluxServer(binary).start()
        atexit.register(_stop_shared)
    return _SHARED


def _stop_shared() -> None:
    global _SHARED
    if _SHARED is not None:
        _SHARED.stop()
        _SHARED = None


@pytest.fixture(scope="session")
def influxd():
    server = shared_server()
    yield server
    _stop_shared()


_db_counter = 0


@pytest.fixture
def influx_db(influxd):
    """A fresh database for one test (dropped afterwards)."""
    global _db_counter
    _db_counter += 1
    name = f"t{os.getpid()}_{_db_counter}"
    influxd.create_db(name)
    yield name
    try:
        influxd.drop_db(name)
    except Exception:
        pass


class ProxyThread:
    """An InfluxProxy serving from its own event loop in a background thread, so tests can talk to it with
    plain blocking HTTP. ``stop()`` runs the proxy's clean shutdown (flush, state save) and waits for it."""

    def __init__(self, config):
        import asyncio
        import threading

        from tsquash.influx_proxy import InfluxProxy

        self.loop = asyncio.new_event_loop()
        self.proxy = InfluxProxy(config)
        self.port = None
        self._started = threading.Event()
        self._error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import asyncio

        asyncio.set_event_loop(self.loop)
        try:
            self.port = self.loop.run_until_complete(self.proxy.start("127.0.0.1", 0))
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def start(self) -> "ProxyThread":
        self.thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        import asyncio

        if not self.thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self.proxy.stop(), self.loop)
        try:
            fut.result(60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def http(method: str, url: str, body: bytes | str | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; HTTP errors are answers here, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
