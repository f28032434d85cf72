"""What the InfluxDB proxy and the InfluxDB CSV tool share: the ``--fields`` specs and one filter per series.

A series is (measurement, field, values of the ``--tags`` keys). The filters see its times as integer
nanoseconds since the epoch (their int64 kernels take them exactly; SDT emits at input times) and
``max_interval`` (milliseconds on the command line) converted to nanoseconds.
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass

METHODS = ("sdt", "deadband", "hysteresis")
NS_PER_MS = 1_000_000
STATE_FORMAT = "tsquash-influx-state"
STATE_VERSION = 1


@dataclass(frozen=True)
class FieldSpec:
    """One ``--fields measurement field threshold max_interval_ms`` option."""

    measurement: str
    field: str
    threshold: float
    max_interval_ms: float | None

    @property
    def max_interval_ns(self) -> int | None:
        return None if self.max_interval_ms is None else int(round(self.max_interval_ms * NS_PER_MS))

    def as_json(self) -> list:
        return [self.measurement, self.field, self.threshold, self.max_interval_ms]


def parse_field_specs(items) -> list[FieldSpec]:
    """``--fields`` values (lists of four strings) -> specs; ValueError says which one is wrong and why.

    ``max_interval_ms`` may be ``none`` (or ``inf``) for no limit; otherwise a positive number of milliseconds."""
    specs = []
    seen = set()
    for item in items or []:
        if len(item) != 4:
            raise ValueError(f"--fields takes measurement field threshold max_interval_ms, got {item!r}")
        m, f, thr, mi = item
        if not m or not f:
            raise ValueError(f"--fields {' '.join(item)}: measurement and field must not be empty")
        try:
            threshold = float(thr)
        except ValueError:
            raise ValueError(f"--fields {' '.join(item)}: threshold {thr!r} is not a number") from None
        if not math.isfinite(threshold) or threshold < 0:
            raise ValueError(f"--fields {' '.join(item)}: threshold must be a finite number >= 0, got {thr}")
        if mi.strip().lower() in ("none", "inf", "infinity", "-"):
            max_ms = None
        else:
            try:
                max_ms = float(mi)
            except ValueError:
                raise ValueError(f"--fields {' '.join(item)}: max_interval_ms {mi!r} is not a number "
                                 "(or 'none')") from None
            if not math.isfinite(max_ms) or max_ms <= 0:
                raise ValueError(f"--fields {' '.join(item)}: max_interval_ms must be > 0 (or 'none'), got {mi}")
        if (m, f) in seen:
            raise ValueError(f"--fields {m} {f} is given twice")
        seen.add((m, f))
        specs.append(FieldSpec(m, f, threshold, max_ms))
    return specs


def filter_class(method: str):
    from . import filters

    try:
        name = {"sdt": "SdtFilter", "deadband": "DeadbandFilter", "hysteresis": "HysteresisFilter"}[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})") from None
    return getattr(filters, name)


class StaleTime(ValueError):
    """A point that is not after the last point its series already took (a retry, or out-of-order data)."""


class Series:
    """Book-keeping for one series next to its filter. ``info`` is free for the caller (JSON-serialisable)."""

    __slots__ = ("last", "version", "info")

    def __init__(self):
        self.last = None
        self.version = 0
        self.info = {}


class SeriesFilters:
    """One filter per series, created on first use, in one :class:`tsquash.FilterTree` per configured field."""

    def __init__(self, specs: list[FieldSpec], tag_keys=(), method: str = "sdt"):
        from .filters import FilterTree

        self.method = method
        self.cls = filter_class(method)
        self.specs = {(s.measurement, s.field): s for s in specs}
        self.tag_keys = tuple(tag_keys or ())
        self.measurements = frozenset(s.measurement for s in specs)
        self.fields_by_measurement = {m: frozenset(s.field for s in specs if s.measurement == m)
                                      for m in self.measurements}
        self.trees = {mf: FilterTree(self.cls, s.threshold, s.max_interval_ns) for mf, s in self.specs.items()}
        self.series: dict[tuple, Series] = {}

    # -- identity -----------------------------------------------------------------------------------------
    def key(self, tags) -> tuple:
        """The values of the selected tag keys (a missing tag is '', which no real tag value can be)."""
        return tuple(tags.get(k, "") for k in self.tag_keys)

    def spec(self, measurement: str, field: str) -> FieldSpec | None:
        return self.specs.get((measurement, field))

    def fingerprint(self) -> dict:
        return {"method": self.method, "tags": list(self.tag_keys),
                "fields": [s.as_json() for s in self.specs.values()]}

    # -- filtering ----------------------------------------------------------------------------------------
    def feed(self, measurement: str, field: str, key: tuple, t_ns: int, value: float) -> list[tuple[int, float]]:
        """Feed one point; returns the points the filter releases, with integer-nanosecond times."""
        sid = (measurement, field, key)
        s = self.series.get(sid)
        if s is None:
            s = self.series[sid] = Series()
        elif s.last is not None and t_ns <= s.last:
            raise StaleTime(f"time {t_ns} is not after the series' last point {s.last}")
        out = self.trees[(measurement, field)].filter_point(key, t_ns, float(value))
        s.last = t_ns
        s.version += 1
        return [(_ns(t), float(v)) for t, v in out]

    def feed_many(self, sid: tuple, times: list, values: list) -> list[tuple[int, float]]:
        """Feed a series several points in one batch call (times strictly increasing and after the series'
        last point: the caller checks); same results as :meth:`feed` point by point."""
        import numpy as np

        s = self.series.get(sid)
        if s is None:
            s = self.series[sid] = Series()
        rt, rv = self.trees[sid[:2]][sid[2]].filter_arrays(np.asarray(times, dtype=np.int64),
                                                         np.asarray(values, dtype=np.float64))
        s.last = times[-1]
        s.version += 1
        return list(zip(rt.tolist(), rv.tolist()))

    def flush(self) -> dict[tuple, list[tuple[int, float]]]:
        """The held point of every series (``--lastvalue``), by series id (measurement, field, key)."""
        out = {}
        for (m, f), tree in self.trees.items():
            for key, pts in tree.flush().items():
                if pts:
                    s = self.series[(m, f, tuple(key))]
                    s.version += 1
                    out[(m, f, tuple(key))] = [(_ns(t), float(v)) for t, v in pts]
        return out

    # -- per-series snapshots (undo a request whose points never reached the server) ----------------------
    def snapshot(self, sid) -> tuple:
        s = self.series.get(sid)
        if s is None:
            return (sid, None, None, None)
        tree = self.trees[sid[:2]]
        fstate = tree[sid[2]].state() if sid[2] in tree else None
        return (sid, fstate, (s.last, dict(s.info)), s.version)

    def undo(self, snap, version_after: int) -> bool:
        """Put a series back to a snapshot, unless something fed it after ``version_after``; True if undone."""
        sid, fstate, meta, _ = snap
        s = self.series.get(sid)
        if s is None or s.version != version_after:
            return False
        tree = self.trees[sid[:2]]
        if meta is None:
            # the series was new: its filter goes back to the state of a filter that has seen nothing
            spec = self.specs[sid[:2]]
            tree[sid[2]].restore(self.cls(spec.threshold, spec.max_interval_ns).state())
            del self.series[sid]
            return True
        if fstate is None:
            return False
        tree[sid[2]].restore(fstate)
        s.last, s.info = meta[0], meta[1]
        s.version = version_after + 1
        return True

    # -- persistence --------------------------------------------------------------------------------------
    def state(self) -> bytes:
        doc = {
            "format": STATE_FORMAT, "version": STATE_VERSION, "config": self.fingerprint(),
            "trees": [[m, f, base64.b64encode(tree.state()).decode("ascii")] for (m, f), tree in self.trees.items()],
            "series": [[m, f, list(key), s.last, s.info] for (m, f, key), s in self.series.items()],
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")

    def restore(self, blob: bytes) -> None:
        try:
            doc = json.loads(blob)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a tsquash influx state file ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            raise ValueError("not a tsquash influx state file")
        if doc.get("version") != STATE_VERSION:
            raise ValueError(f"state file version {doc.get('version')} is not supported (this is {STATE_VERSION})")
        if doc.get("config") != self.fingerprint():
            raise ValueError("the state file was written with other --fields/--tags/--method options "
                             f"({json.dumps(doc.get('config'))}); use the same options or start without it")
        for m, f, b64 in doc["trees"]:
            self.trees[(m, f)].restore(base64.b64decode(b64))
        self.series = {}
        for m, f, key, last, info in doc["series"]:
            s = Series()
            s.last = last
            s.info = info
            self.series[(m, f, tuple(key))] = s


def _ns(t) -> int:
    if isinstance(t, int):
        return t
    return int(round(float(t)))
