"""An InfluxDB write proxy that filters configured fields with SDT, deadband or hysteresis (docs/influx-proxy.md).

    tsquash influx-proxy 127.0.0.1 8087 http://127.0.0.1:8086 \\
        --fields cpu usage_idle 0.5 60000 --tags host --method sdt --state-file proxy.state

Clients write line protocol to the proxy exactly as they would to InfluxDB (``/write`` for 1.x clients,
``/api/v2/write`` for 2.x clients, gzip bodies included); ``/ping``, ``/query`` and every other path are passed
through. For each configured (measurement, field) the proxy runs one filter per combination of the ``--tags``
values and forwards only what the filter emits; everything else is forwarded unchanged.

Needs aiohttp (``pip install tsquash[influx]``).
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field

from ._influx import FieldSpec, SeriesFilters, StaleTime
from .lineprotocol import escape_key, parse_lines

try:
    from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
    from multidict import CIMultiDict
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("the InfluxDB proxy needs aiohttp: pip install 'tsquash[influx]'") from exc

log = logging.getLogger("tsquash.influx_proxy")

# Nanoseconds per unit of each precision. 1.x reads anything it does not know as nanoseconds; so do we for
# "n"/"ns", and refuse the rest rather than guess.
PRECISION_V1 = {"": 1, "n": 1, "ns": 1, "u": 1_000, "us": 1_000, "µ": 1_000, "ms": 1_000_000,
                "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
PRECISION_V2 = {"": 1, "ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
V1_NAME = {1: "ns", 1_000: "u", 1_000_000: "ms", 1_000_000_000: "s", 60_000_000_000: "m",
           3_600_000_000_000: "h"}
V2_NAME = {1: "ns", 1_000: "us", 1_000_000: "ms", 1_000_000_000: "s"}
INT64_MAX = (1 << 63) - 1
# Request headers that describe the client's connection or body, not the request: never copied upstream.
HOP_HEADERS = frozenset(h.lower() for h in (
    "Host", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive",
    "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer", "Upgrade"))


@dataclass
class ProxyConfig:
    upstream: str
    fields: list = field(default_factory=list)     # list[FieldSpec]
    tags: list = field(default_factory=list)
    method: str = "sdt"
    lastvalue: bool = False
    state_file: str | None = None
    state_interval: float = 10.0                   # seconds between periodic state saves (0: only at shutdown)
    timeout: float = 30.0                          # upstream request timeout, seconds
    max_body_size: int = 64 * 1024 * 1024          # after gzip decompression
    shutdown_timeout: float = 10.0                 # wait this long for requests in flight on shutdown


@dataclass
class Stats:
    requests: int = 0
    write_requests: int = 0
    lines_in: int = 0
    lines_out: int = 0
    malformed_lines: int = 0
    filtered_points_in: int = 0                    # values of configured fields fed to a filter
    filtered_points_out: int = 0                   # values the filters released (forwarded)
    stale_points: int = 0                          # configured-field values forwarded unfiltered (time not after)
    upstream_errors: int = 0
    undone: int = 0                                # series put back after a failed upstream write
    not_undone: int = 0                            # ... or that could not be (another request fed them since)
    state_saves: int = 0


class _Batch:
    """What one write body turns into."""

    __slots__ = ("lines", "mult", "errors", "snaps", "versions", "lines_in", "points_in", "points_out")

    def __init__(self):
        self.lines: list[str] = []
        self.mult = 1
        self.errors = []
        self.snaps = {}
        self.versions = {}
        self.lines_in = 0
        self.points_in = 0
        self.points_out = 0


def _type_code(v) -> str | None:
    """'f', 'i' or 'u' for numeric field values (the ones a filter can take), None for bool and str."""
    if isinstance(v, float):
        return "f"
    if isinstance(v, bool) or not isinstance(v, int):
        return None
    from .lineprotocol import Unsigned

    return "u" if isinstance(v, Unsigned) else "i"


def _format_value(v: float, code: str) -> str:
    # SDT may adjust a value to keep its bound; an integer field must stay an integer or InfluxDB refuses the point
    # (field type conflict), so those are rounded.
    if code == "f":
        return repr(float(v))
    n = int(round(v))
    if code == "u":
        return f"{min(max(n, 0), (1 << 64) - 1)}u"
    return f"{min(max(n, -(1 << 63)), INT64_MAX)}i"


def _target_key(target: dict) -> str:
    return json.dumps(target, sort_keys=True, separators=(",", ":"))


def _major_version(header: str | None) -> int | None:
    if not header:
        return None
    v = header.strip().lstrip("vV")
    digits = ""
    for c in v:
        if c.isdigit():
            digits += c
        else:
            break
    return int(digits) if digits else None


class InfluxProxy:
    """The proxy: an aiohttp application plus the filters, their persisted state and the upstream client."""

    def __init__(self, config: ProxyConfig):
        self.config = config
        self.upstream = config.upstream.rstrip("/")
        self.filters = SeriesFilters(config.fields, config.tags, config.method)
        self.stats = Stats()
        self._auth: dict[str, dict] = {}           # target -> credentials of its latest write (memory only)
        self._session: ClientSession | None = None
        self._server_major: int | None = None
        self._inflight = 0
        # asyncio primitives are made in start(), inside the loop that serves (Python 3.9 binds them to the
        # loop current at construction)
        self._idle: asyncio.Event | None = None
        self._saved_version = None
        self._change = 0
        self._save_lock: asyncio.Lock | None = None
        self._saver: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        if config.state_file and os.path.exists(config.state_file):
            with open(config.state_file, "rb") as f:
                blob = f.read()
            try:
                self.filters.restore(blob)
            except ValueError as exc:
                raise ValueError(f"{config.state_file}: {exc}") from None
            log.info("restored the state of %d series from %s", len(self.filters.series), config.state_file)
        self._saved_version = self._change

    # ------------------------------------------------------------------------------------------ lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_body_size)
        app.router.add_post("/write", self.handle_write_v1)
        app.router.add_post("/api/v2/write", self.handle_write_v2)
        app.router.add_get("/tsquash/stats", self.handle_stats)
        app.router.add_route("*", "/{tail:.*}", self.handle_passthrough)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start listening; returns the port (useful with port 0)."""
        self._idle = asyncio.Event()
        self._idle.set()
        self._save_lock = asyncio.Lock()
        self._session = ClientSession(
            connector=TCPConnector(limit=64, force_close=False),
            timeout=ClientTimeout(total=self.config.timeout), auto_decompress=False)
        await self._detect_server()
        self._runner = web.AppRunner(self.make_app(), access_log=None,
                                     shutdown_timeout=self.config.shutdown_timeout)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.config.state_file and self.config.state_interval > 0:
            self._saver = asyncio.create_task(self._periodic_save())
        return self.port

    async def stop(self) -> None:
        """Stop accepting requests, wait for those in flight, flush (``lastvalue``), save the state, close."""
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        if self._runner is not None:
            for site in list(self._runner.sites):
                await site.stop()
            if self._idle is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), self.config.shutdown_timeout)
        try:
            if self.config.lastvalue:
                await self.flush_lastvalues()
            await self.save_state()
        finally:
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def _detect_server(self) -> int | None:
        """Major version of the upstream server from /ping's X-Influxdb-Version (None when unreachable)."""
        if self._server_major is not None:
            return self._server_major
        try:
            async with self._session.get(self.upstream + "/ping") as resp:
                await resp.read()
                major = _major_version(resp.headers.get("X-Influxdb-Version"))
        except (ClientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("cannot reach %s/ping yet (%s); will ask again", self.upstream, exc)
            return None
        # No header at all: a server that is not InfluxDB 1.x (those always send it); treat as 2.x-compatible.
        self._server_major = major if major is not None else 2
        log.info("upstream %s is InfluxDB %s", self.upstream, resp.headers.get("X-Influxdb-Version", "(unknown)"))
        return self._server_major

    # ------------------------------------------------------------------------------------------ state
    def _mark_changed(self) -> None:
        self._change += 1

    async def save_state(self) -> bool:
        """Write the filter state atomically (temp file + rename) if it changed since the last save."""
        path = self.config.state_file
        if not path:
            return False
        if self._save_lock is None:
            self._save_lock = asyncio.Lock()
        async with self._save_lock:
            if self._change == self._saved_version and os.path.exists(path):
                return False
            version = self._change
            blob = self.filters.state()  # taken on the event loop: no request is half-way through a body
            await asyncio.get_running_loop().run_in_executor(None, _atomic_write, path, blob)
            self._saved_version = version
            self.stats.state_saves += 1
            return True

    async def _periodic_save(self) -> None:
        while True:
            await asyncio.sleep(self.config.state_interval)
            try:
                await self.save_state()
            except OSError as exc:
                log.error("cannot save the state to %s: %s", self.config.state_file, exc)

    async def flush_lastvalues(self) -> int:
        """Write every series' held point upstream (``--lastvalue``); on failure the filters keep them."""
        before = self.filters.state()
        flushed = self.filters.flush()
        by_target: dict[str, list[str]] = {}
        for (m, f, key), pts in flushed.items():
            s = self.filters.series[(m, f, key)]
            code = s.info.get("type", "f")
            series = s.info.get("series")
            target = s.info.get("target")
            if not series or not target:
                continue
            for t, v in pts:
                by_target.setdefault(target, []).append(f"{series} {escape_key(f, 'field key')}="
                                                        f"{_format_value(v, code)} {t}")
        n = 0
        try:
            for tkey, lines in by_target.items():
                target = json.loads(tkey)
                status, text = await self._post_lines(target, self._auth.get(tkey, {}), lines, 1)
                if not 200 <= status < 300:
                    raise RuntimeError(f"upstream answered {status}: {text}")
                n += len(lines)
        except (RuntimeError, ClientError, asyncio.TimeoutError, OSError) as exc:
            log.error("could not flush the last values (%s); they stay in the saved state", exc)
            self.filters.restore(before)
            return 0
        self._mark_changed()
        log.info("flushed %d last values", n)
        return n

    # ------------------------------------------------------------------------------------------ filtering
    def process(self, body: bytes | str, mult: int, target: dict, now_ns: int | None = None) -> _Batch:
        """Parse a write body and run the configured fields through their filters (synchronous: no other
        request runs in between). Returns the lines to forward and the precision they are in.

        The points of one series in one body go through its filter in a single batch call (same results
        as point by point); each released point is put back into the line that carried the input point at
        that time, or, when that line came in an earlier body, written as a line of its own."""
        b = _Batch()
        good, bad = parse_lines(body)
        b.errors = bad
        b.lines_in = len(good)
        filters = self.filters
        by_measurement = filters.fields_by_measurement
        tkey = _target_key(target)
        now_units = None
        # Per line: None (forward raw) or [t_units, {field: replacement text or None}]
        edits = [None] * len(good)
        groups: dict[tuple, list] = {}      # sid -> [(line index, t_ns, value, type code)]
        for idx, pl in enumerate(good):
            m = pl.measurement
            wanted = by_measurement.get(m)
            if wanted is None:
                continue
            chosen = None
            for i, (k, _) in enumerate(pl.raw_fields):
                if k in wanted:
                    if chosen is None:
                        chosen = {}
                    chosen[k] = i            # a repeated field: the last one counts, as in InfluxDB
            if chosen is None:
                continue
            picked = []
            for k, i in chosen.items():
                v = pl.value(i)
                code = _type_code(v)
                if code is not None:
                    picked.append((k, v, code))
            if not picked:
                continue
            if pl.time is None:
                if now_units is None:
                    now_units = (now_ns if now_ns is not None else time.time_ns()) // mult
                t_units = now_units
            else:
                t_units = pl.time
            t_ns = t_units * mult
            key = filters.key(pl.tags())
            edits[idx] = [t_units, {}]
            for k, v, code in picked:
                groups.setdefault((m, k, key), []).append((idx, t_ns, v, code))
        extras = []          # (text without timestamp, time in ns): released points at other times
        for sid, items in groups.items():
            s = filters.series.get(sid)
            last = s.last if s is not None else None
            fresh = []
            for item in items:
                if last is not None and item[1] <= last:
                    self.stats.stale_points += 1      # keep the raw value: forwarding it loses nothing
                    continue
                fresh.append(item)
                last = item[1]
            if not fresh:
                continue
            b.snaps[sid] = filters.snapshot(sid)
            prev_series = s.info.get("series") if s is not None else None
            released = filters.feed_many(sid, [it[1] for it in fresh], [float(it[2]) for it in fresh])
            b.points_in += len(fresh)
            b.points_out += len(released)
            s = filters.series[sid]
            field = sid[1]
            at = {it[1]: it for it in fresh}
            code = fresh[-1][3]
            for it in fresh:
                edits[it[0]][1][field] = None
            fk = None
            for te, ve in released:
                it = at.get(te)
                if it is not None:
                    edits[it[0]][1][field] = "raw" if ve == float(it[2]) else (ve, it[3])
                else:
                    fk = fk or escape_key(field, "field key")
                    extras.append((f"{prev_series or good[fresh[0][0]].series} {fk}={_format_value(ve, code)}", te))
            s.info["series"] = good[fresh[-1][0]].series
            s.info["type"] = code
            s.info["target"] = tkey
            b.versions[sid] = s.version
        # Keep the client's precision unless a released time does not fit it (a point held back from an
        # earlier write in a finer precision).
        out_mult = mult
        if mult != 1 and any(te % mult for _, te in extras):
            out_mult = 1
        b.mult = out_mult
        lines = b.lines
        for idx, pl in enumerate(good):
            e = edits[idx]
            if e is None or not e[1]:
                if out_mult == mult or pl.raw_time is None:
                    lines.append(pl.raw)
                else:
                    lines.append(pl.raw[: len(pl.raw) - len(pl.raw_time)].rstrip(" ") + f" {pl.time * mult}")
                continue
            t_units, replaced = e
            # Walk the fields backwards so that a repeated filtered field is written once, where its last
            # (deciding) occurrence was.
            parts = []
            done = set()
            for k, raw in reversed(pl.raw_fields):
                if k not in replaced:
                    parts.append(raw)
                elif k not in done:
                    done.add(k)
                    r = replaced[k]
                    if r == "raw":
                        parts.append(raw)
                    elif r is not None:
                        parts.append(f"{escape_key(k, 'field key')}={_format_value(r[0], r[1])}")
            if parts:
                parts.reverse()
                lines.append(f"{pl.series} {','.join(parts)} {t_units * mult // out_mult}")
        for text, te in extras:
            lines.append(f"{text} {te // out_mult}")
        if b.versions:
            self._mark_changed()
        return b

    def _undo(self, b: _Batch) -> None:
        for sid, snap in b.snaps.items():
            if sid not in b.versions:
                continue
            if self.filters.undo(snap, b.versions[sid]):
                self.stats.undone += 1
            else:
                self.stats.not_undone += 1
                log.warning("series %s was fed by a later request before the failed write could be undone", sid)
        self._mark_changed()

    # ------------------------------------------------------------------------------------------ upstream
    async def _post_lines(self, target: dict, auth: dict, lines: list[str], mult: int):
        """POST lines to the server for a target; returns (status, body text)."""
        payload = ("\n".join(lines) + "\n").encode("utf-8")
        headers = {"Content-Type": "text/plain; charset=utf-8", "Accept-Encoding": "identity"}
        if auth.get("Authorization"):
            headers["Authorization"] = auth["Authorization"]
        if target["api"] == "v1":
            params = {"db": target["db"], "precision": V1_NAME[mult]}
            for k in ("rp", "consistency"):
                if target.get(k):
                    params[k] = target[k]
            for k in ("u", "p"):
                if auth.get(k):
                    params[k] = auth[k]
            url = self.upstream + "/write"
        else:
            major = await self._detect_server()
            if major is None:
                return 503, f"InfluxDB at {self.upstream} is not reachable"
            if major >= 2:
                params = {k: target[k] for k in ("org", "orgID", "bucket") if target.get(k)}
                params["precision"] = V2_NAME[mult]
                url = self.upstream + "/api/v2/write"
            else:
                # 1.x has no /api/v2/write (before 1.8): bucket "db/rp" is database and retention policy.
                db, _, rp = target["bucket"].partition("/")
                params = {"db": db, "precision": V1_NAME[mult]}
                if rp:
                    params["rp"] = rp
                token = auth.get("Authorization", "")
                scheme, _, cred = token.partition(" ")
                if scheme.lower() == "token" and ":" in cred:
                    # 1.x reads "Token user:password" only from 1.8 on; Basic works on every 1.x.
                    headers["Authorization"] = "Basic " + base64.b64encode(cred.encode("utf-8")).decode("ascii")
                url = self.upstream + "/write"
        async with self._session.post(url, params=params, data=payload, headers=headers) as resp:
            text = await resp.text(errors="replace")
            return resp.status, text

    # ------------------------------------------------------------------------------------------ handlers
    async def handle_write_v1(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        precision = q.get("precision", "")
        if precision not in PRECISION_V1:
            return _error(400, f"invalid precision {precision!r} (use ns, u, ms, s, m or h)")
        if not q.get("db"):
            return _error(400, "database is required")
        target = {"api": "v1", "db": q["db"]}
        for k in ("rp", "consistency"):
            if q.get(k):
                target[k] = q[k]
        auth = {k: q[k] for k in ("u", "p") if q.get(k)}
        if request.headers.get("Authorization"):
            auth["Authorization"] = request.headers["Authorization"]
        return await self._write(request, target, auth, PRECISION_V1[precision])

    async def handle_write_v2(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        precision = q.get("precision", "ns")
        if precision not in PRECISION_V2:
            return _error(400, f"invalid precision {precision!r} (use ns, us, ms or s)", v2=True)
        if not q.get("bucket"):
            return _error(400, "bucket is required", v2=True)
        target = {"api": "v2", "bucket": q["bucket"]}
        for k in ("org", "orgID"):
            if q.get(k):
                target[k] = q[k]
        auth = {}
        if request.headers.get("Authorization"):
            auth["Authorization"] = request.headers["Authorization"]
        return await self._write(request, target, auth, PRECISION_V2[precision], v2=True)

    async def _write(self, request, target, auth, mult, v2=False) -> web.StreamResponse:
        self._enter()
        try:
            self.stats.requests += 1
            self.stats.write_requests += 1
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise
            except Exception as exc:  # corrupt gzip and the like surface here
                return _error(400, f"cannot read the request body: {exc}", v2=v2)
            tkey = _target_key(target)
            if auth:
                self._auth[tkey] = auth
            b = self.process(body, mult, target)
            self.stats.lines_in += b.lines_in
            self.stats.malformed_lines += len(b.errors)
            self.stats.filtered_points_in += b.points_in
            self.stats.filtered_points_out += b.points_out
            status, upstream_text = 204, ""
            if b.lines:
                try:
                    status, upstream_text = await self._post_lines(target, auth, b.lines, b.mult)
                except (ClientError, asyncio.TimeoutError, OSError) as exc:
                    status, upstream_text = 502, f"cannot reach InfluxDB at {self.upstream}: {exc}"
                if not 200 <= status < 300:
                    self.stats.upstream_errors += 1
                    self._undo(b)
                else:
                    self.stats.lines_out += len(b.lines)
            if not 200 <= status < 300:
                msg = _upstream_message(upstream_text)
                if b.errors:
                    msg += "; also " + _malformed_message(b.errors)
                return _error(status, f"upstream InfluxDB answered {status}: {msg}", v2=v2,
                              lines=b.errors)
            if b.errors:
                return _error(400, "partial write: " + _malformed_message(b.errors), v2=v2, lines=b.errors)
            return web.Response(status=204)
        finally:
            self._leave()

    async def handle_stats(self, request: web.Request) -> web.Response:
        doc = dict(vars(self.stats))
        doc["series"] = len(self.filters.series)
        doc["upstream_major_version"] = self._server_major
        return web.json_response(doc)

    async def handle_passthrough(self, request: web.Request) -> web.StreamResponse:
        """/ping, /query and anything else: the same request upstream, the answer streamed back."""
        self._enter()
        try:
            self.stats.requests += 1
            headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in HOP_HEADERS)
            # The answer is relayed byte for byte: compressed only if this client asked for it.
            if "Accept-Encoding" not in headers:
                headers["Accept-Encoding"] = "identity"
            data = await request.read() if request.can_read_body else None
            try:
                upstream = await self._session.request(
                    request.method, self.upstream + request.rel_url.path, params=request.rel_url.query,
                    data=data, headers=headers, allow_redirects=False)
            except (ClientError, asyncio.TimeoutError, OSError) as exc:
                return _error(502, f"cannot reach InfluxDB at {self.upstream}: {exc}")
            async with upstream:
                resp = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                for k, v in upstream.headers.items():
                    if k.lower() not in HOP_HEADERS:
                        resp.headers.add(k, v)
                if "Content-Encoding" in upstream.headers:
                    resp.headers["Content-Encoding"] = upstream.headers["Content-Encoding"]
                await resp.prepare(request)
                if request.method != "HEAD":
                    async for chunk in upstream.content.iter_chunked(65536):
                        await resp.write(chunk)
                await resp.write_eof()
                return resp
        finally:
            self._leave()

    def _enter(self) -> None:
        self._inflight += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()


def _upstream_message(text: str) -> str:
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            return str(doc.get("error") or doc.get("message") or text.strip())
    except ValueError:
        pass
    return text.strip() or "(no message)"


def _malformed_message(errors, limit: int = 20) -> str:
    parts = [f"line {e.lineno}: {e.reason}" for e in errors[:limit]]
    more = f"; ... and {len(errors) - limit} more" if len(errors) > limit else ""
    n = len(errors)
    return f"{n} malformed line{'s' if n != 1 else ''} not written: " + "; ".join(parts) + more


def _error(status: int, message: str, v2: bool = False, lines=()) -> web.Response:
    if v2:
        code = {400: "invalid", 401: "unauthorized", 404: "not found", 413: "request too large",
                503: "unavailable"}.get(status, "internal error")
        doc = {"code": code, "message": message}
    else:
        doc = {"error": message}
    if lines:
        doc["lines"] = [{"line": e.lineno, "reason": e.reason, "text": e.line[:200]} for e in lines]
    resp = web.json_response(doc, status=status)
    resp.headers["X-Influxdb-Error"] = message[:1000].replace("\n", " ")
    return resp


def _atomic_write(path: str, blob: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tsquash-state-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


async def serve(config: ProxyConfig, host: str, port: int, ready=None) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly (flush, save). ``ready(port)`` is called once
    listening."""
    proxy = InfluxProxy(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    actual = await proxy.start(host, port)
    try:
        if ready is not None:
            ready(actual)
        await stop.wait()
    finally:
        await proxy.stop()


def run(config: ProxyConfig, host: str, port: int, ready=None) -> None:
    asyncio.run(serve(config, host, port, ready))


__all__ = ["FieldSpec", "InfluxProxy", "ProxyConfig", "Stats", "run", "serve"]
