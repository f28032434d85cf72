"""Error-bounded filters: swinging door trending (SDT), deadband and hysteresis, point by point or in batches.

    >>> from tsquash import SdtFilter
    >>> f = SdtFilter(0.5)
    >>> out = f.filter_points([(0, 0.0), (1, 0.2), (2, 0.4), (3, 3.0), (4, 3.1)])
    >>> out + f.flush()
    [(0, 0.0), (2, 0.4), (3, 3.0), (4, 3.1)]

Guarantees (see docs/filters.md):

* ``SdtFilter``: every input point up to the last emitted one lies within +-deviation of the *linear*
  interpolation of the emitted points (up to floating-point rounding). Emitted points sit at input times;
  their values are the input values unless the bound needs an adjustment, which is at most the deviation.
* ``DeadbandFilter`` and ``HysteresisFilter``: emitted points are input points, and every input point lies
  within +-threshold of the *step* (sample-and-hold) reconstruction.

Times are ints, floats, or datetimes (numpy datetime64, pandas Timestamp / DatetimeIndex,
datetime.datetime); they must increase strictly. Values must be finite: NaN or infinite values raise
ValueError (the pandas accessor skips NaN rows instead).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import numbers
import struct
import sys
import zlib

import numpy as np

from . import _core

__all__ = [
    "DeadbandFilter",
    "Filter",
    "FilterTree",
    "HysteresisFilter",
    "SdtFilter",
    "reconstruct",
]

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_I64 = np.iinfo(np.int64)
_I64_MIN, _I64_MAX = int(_I64.min), int(_I64.max)
_PLAIN_NUMBERS = (float, int)
_INT_DESC = ["int"]
_FLOAT_DESC = ["float"]


def _pandas():
    """pandas if the user has imported it (tsquash itself never imports it)."""
    return sys.modules.get("pandas")


# ---- time conversion -------------------------------------------------------------------------------------
# A filter's time domain is fixed by the first time it sees: "int" (Python / numpy integers), "float"
# (floats) or "datetime" (datetime64, pandas Timestamp / DatetimeIndex, datetime.datetime). The kernel runs
# on int64 (ints; datetimes as nanoseconds since the epoch, UTC) or float64 (floats; everything in compat
# mode, whose output times are fractional). Each call records a small JSON-able description of the
# caller's time type ("out"), used to turn kernel times back into that type for this call and for
# flush(); it is part of the saved state.


def _is_timedelta(x) -> bool:
    return isinstance(x, (_dt.timedelta, np.timedelta64))


def _timedelta_ns(x) -> int:
    if isinstance(x, np.timedelta64):
        if np.isnat(x):
            raise ValueError("max_interval is NaT")
        return int(x.astype("timedelta64[ns]").astype(np.int64))
    pd = _pandas()
    if pd is not None and isinstance(x, pd.Timedelta):
        return int(x.value)
    return (x.days * 86_400 + x.seconds) * 1_000_000_000 + x.microseconds * 1000


def _tz_spec(tz):
    """A JSON description of a time zone (None, a fixed offset, or an IANA / pandas name)."""
    if tz is None:
        return None
    if isinstance(tz, _dt.timezone):
        off = tz.utcoffset(None)
        return {"offset_s": off.days * 86_400 + off.seconds}
    return {"name": str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)}


def _tz_from_spec(spec):
    if spec is None:
        return None
    if "offset_s" in spec:
        return _dt.timezone(_dt.timedelta(seconds=spec["offset_s"]))
    name = spec["name"]
    if name == "UTC":
        return _dt.timezone.utc
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:  # noqa: BLE001 - leave it to pandas to resolve exotic names
        return name


def _scalar_in(t):
    """(domain, time as int ns / int / float, output description) of one caller time."""
    if isinstance(t, (bool, np.bool_)):
        raise TypeError("times must be numbers or datetimes, got a bool")
    if isinstance(t, np.datetime64):
        if np.isnat(t):
            raise ValueError("time is NaT")
        unit = np.datetime_data(t.dtype)[0]
        if unit == "generic":
            raise TypeError("datetime64 times need a unit")
        return "datetime", int(t.astype("datetime64[ns]").astype(np.int64)), ["dt64", unit]
    if isinstance(t, _dt.datetime):
        pd = _pandas()
        if pd is not None and isinstance(t, pd.Timestamp):
            if t is pd.NaT:
                raise ValueError("time is NaT")
            ns = int(t.as_unit("ns").value) if hasattr(t, "as_unit") else int(t.value)
            return "datetime", ns, ["ts", _tz_spec(t.tzinfo)]
        delta = t - (_EPOCH if t.tzinfo is None else _EPOCH_UTC)
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
        return "datetime", ns, ["pydt", _tz_spec(t.tzinfo)]
    if isinstance(t, (numbers.Integral, np.integer)):
        return "int", int(t), None
    if isinstance(t, (numbers.Real, np.floating)):
        return "float", float(t), None
    raise TypeError(f"times must be numbers or datetimes, got {type(t).__name__}")


def _out_scalar(desc, x):
    """A kernel time as the caller's scalar type."""
    if desc is None or desc[0] == "int":
        return int(x)
    if desc[0] == "float":
        return float(x)
    ns = int(round(x)) if isinstance(x, float) else int(x)
    kind = desc[0]
    if kind == "dt64":
        return np.datetime64(ns, "ns").astype(f"datetime64[{desc[1]}]")
    if kind == "ts":
        pd = _pandas()
        if pd is None:  # state restored in a process without pandas: numpy datetimes instead
            return np.datetime64(ns, "ns")
        stamp = pd.Timestamp(ns, unit="ns")
        return stamp if desc[1] is None else stamp.tz_localize("UTC").tz_convert(_tz_from_spec(desc[1]))
    # datetime.datetime (microsecond resolution)
    tz = _tz_from_spec(desc[1])
    if tz is None:
        return _EPOCH + _dt.timedelta(microseconds=ns // 1000)
    return (_EPOCH_UTC + _dt.timedelta(microseconds=ns // 1000)).astimezone(tz)


def _array_in(times):
    """(domain, 1-D array, back, out): the array holds int64 ns for datetimes, else the numbers as given;
    back(kernel_times) rebuilds the caller's array type; out describes its scalars (for flush)."""
    pd = _pandas()
    if pd is not None and isinstance(times, (pd.Index, pd.Series)) and times.dtype.kind == "M":
        if isinstance(times, pd.Series):
            times = pd.DatetimeIndex(times)
        tz = getattr(times.dtype, "tz", None)
        naive = times.tz_convert("UTC").tz_localize(None) if tz is not None else times
        base = np.asarray(naive.to_numpy())
        unit = np.datetime_data(base.dtype)[0]
        if np.isnat(base).any():
            raise ValueError(f"time at index {int(np.flatnonzero(np.isnat(base))[0])} is NaT")

        def back(k, tz=tz, unit=unit, name=times.name):
            arr = np.asarray(np.round(k) if k.dtype.kind == "f" else k).astype(np.int64).astype("datetime64[ns]")
            idx = pd.DatetimeIndex(arr, name=name)
            if tz is not None:
                idx = idx.tz_localize("UTC").tz_convert(tz)
            return idx.as_unit(unit) if hasattr(idx, "as_unit") else idx

        return "datetime", base.astype("datetime64[ns]").astype(np.int64), back, ["ts", _tz_spec(tz)]
    if pd is not None and isinstance(times, (pd.Index, pd.Series)):
        times = times.to_numpy()
    t = np.asarray(times)
    _check_1d(t, "times")
    if t.dtype == object:
        if t.size == 0:
            return "float", t.astype(np.float64), None, None
        parsed = [_scalar_in(x) for x in t]
        domains = {p[0] for p in parsed}
        if "datetime" in domains:
            if len(domains) > 1:
                raise TypeError("times mix datetimes and numbers")
            out = parsed[0][2]
            return ("datetime", np.array([p[1] for p in parsed], dtype=np.int64),
                    lambda k, out=out: np.array([_out_scalar(out, x) for x in k.tolist()], dtype=object), out)
        t = np.array([p[1] for p in parsed], dtype=np.float64 if "float" in domains else np.int64)
    k = t.dtype.kind
    if k == "M":
        unit = np.datetime_data(t.dtype)[0]
        if unit == "generic":
            raise TypeError("datetime64 times need a unit")
        if np.isnat(t).any():
            raise ValueError(f"time at index {int(np.flatnonzero(np.isnat(t))[0])} is NaT")
        return ("datetime", t.astype("datetime64[ns]").astype(np.int64),
                lambda kt, u=unit: np.asarray(np.round(kt) if kt.dtype.kind == "f" else kt).astype(np.int64)
                .astype("datetime64[ns]").astype(f"datetime64[{u}]"), ["dt64", unit])
    if k in "iu":
        return "int", t, None, None
    if k == "f":
        return "float", t, None, None
    if k == "b":
        raise TypeError("times must be numbers or datetimes, got booleans")
    raise TypeError(f"times must be numbers or datetimes, got an array of {t.dtype}")


def _check_1d(a: np.ndarray, what: str) -> None:
    if a.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D sequence, got shape {a.shape}")


def _values_f64(values) -> np.ndarray:
    pd = _pandas()
    if pd is not None and isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    v = np.asarray(values)
    _check_1d(v, "values")
    if v.dtype == object:
        try:
            v = v.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("values must be real numbers") from None
    if v.dtype.kind not in "iuf":
        raise TypeError(f"values must be real numbers, got {v.dtype}")
    if v.dtype != np.float64:
        v = v.astype(np.float64)
    return v


# ---- the filters -----------------------------------------------------------------------------------------

_CLASSES: dict[str, type] = {}
# (class name, compat) -> {kernel time dtype: _core class}
_KERNELS = {
    ("SdtFilter", False): {"int64": _core.SdtI64, "float64": _core.SdtF64},
    ("SdtFilter", True): {"float64": _core.SdtCompatF64},
    ("DeadbandFilter", False): {"int64": _core.DeadbandI64, "float64": _core.DeadbandF64},
    ("HysteresisFilter", False): {"int64": _core.HysteresisI64, "float64": _core.HysteresisF64},
}
_CORE_TO_CLASS = {
    _core.SdtI64: ("SdtFilter", False, "int64"), _core.SdtF64: ("SdtFilter", False, "float64"),
    _core.SdtCompatF64: ("SdtFilter", True, "float64"),
    _core.DeadbandI64: ("DeadbandFilter", False, "int64"), _core.DeadbandF64: ("DeadbandFilter", False, "float64"),
    _core.HysteresisI64: ("HysteresisFilter", False, "int64"),
    _core.HysteresisF64: ("HysteresisFilter", False, "float64"),
}


def _check_threshold(name: str, x) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}")
    return x


def _check_max_interval(x):
    if x is None:
        return None
    if _is_timedelta(x):
        if _timedelta_ns(x) <= 0:
            raise ValueError(f"max_interval must be > 0, got {x!r}")
        return x
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"max_interval must be a number, a timedelta or None, got {type(x).__name__}")
    if not (x > 0):  # also rejects NaN
        raise ValueError(f"max_interval must be > 0, got {x!r}")
    return x


def _max_interval_json(m):
    if m is None:
        return None
    if _is_timedelta(m):
        return {"timedelta_ns": _timedelta_ns(m)}
    return int(m) if isinstance(m, (numbers.Integral, np.integer)) else float(m)


def _max_interval_from_json(m):
    if isinstance(m, dict):
        return np.timedelta64(int(m["timedelta_ns"]), "ns")
    return m


class Filter:
    """Base class of SdtFilter, DeadbandFilter and HysteresisFilter.

    Methods: ``filter_point(t, v)``, ``filter_points(points)``, ``filter_arrays(times, values)``, ``flush()``,
    ``state()`` / ``restore(state)`` / ``Filter.from_state(state)``, with pydbfilter's names ``filterPoint``
    and ``filterPoints`` as aliases.
    """

    _threshold_name = "threshold"

    def __init__(self, threshold, max_interval=None, *, _compat: bool = False):
        self._threshold = _check_threshold(self._threshold_name, threshold)
        self._max_interval = _check_max_interval(max_interval)
        self._compat = bool(_compat)
        self._kernel = None  # created at the first point, when the time domain is known
        self._domain = None  # "int" | "float" | "datetime"
        self._out = None  # description of the caller's last time type
        self._fast = None  # "int" / "float" once the kernel runs on plain numbers (filter_point fast path)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    @property
    def max_interval(self):
        return self._max_interval

    @property
    def points_in(self) -> int:
        """Number of points fed to the filter so far."""
        return 0 if self._kernel is None else self._kernel.points_in

    @property
    def points_out(self) -> int:
        """Number of points the filter has released so far (flushes included)."""
        return 0 if self._kernel is None else self._kernel.points_out

    def __repr__(self) -> str:
        extra = ", compat=True" if self._compat else ""
        return (f"{type(self).__name__}({self._threshold!r}, {self._max_interval!r}{extra}) "
                f"[{self.points_in} in, {self.points_out} out]")

    # -- kernel --
    @property
    def _kdtype(self) -> str:
        return "float64" if self._compat or self._domain == "float" else "int64"

    def _start(self, domain: str) -> None:
        """Create the kernel for the caller's time domain (first call), or check the domain (later calls)."""
        if self._kernel is not None:
            if (self._domain == "datetime") != (domain == "datetime"):
                raise TypeError(
                    f"this filter runs on {'datetimes' if self._domain == 'datetime' else 'numeric times'}; "
                    f"got {'datetimes' if domain == 'datetime' else 'numbers'}")
            return
        m = self._max_interval
        if m is not None:
            if domain == "datetime" and not _is_timedelta(m):
                raise TypeError(
                    f"max_interval={m!r} is a plain number but the times are datetimes; pass a timedelta, "
                    f"e.g. numpy.timedelta64({m}, 's') or pandas.Timedelta(seconds={m})")
            if domain != "datetime" and _is_timedelta(m):
                raise TypeError(f"max_interval={m!r} is a timedelta but the times are plain numbers")
            if domain == "datetime":
                m = _timedelta_ns(m)
        self._domain = domain
        kd = self._kdtype
        if m is not None:
            if kd == "int64":
                f = float(m)
                # A point is forced out at the first integer time at least max_interval after the last one.
                m = None if f == math.inf else int(min(math.ceil(f), _I64.max)) if not isinstance(
                    m, (numbers.Integral, np.integer)) else int(m)
            else:
                m = float(m)
        self._kernel = _KERNELS[(type(self).__name__, self._compat)][kd](self._threshold, m)
        self._fast = None if domain == "datetime" else ("float" if kd == "float64" else "int")

    def _kernel_scalar(self, domain: str, x):
        if self._kdtype == "float64":
            return float(x)
        if domain == "float":
            if not (math.isfinite(x) and float(x).is_integer()):
                raise TypeError(f"this filter runs on integer times; got the time {x!r}")
            x = int(x)
        if not (_I64.min <= x <= _I64.max):
            raise ValueError(f"time {x} is outside the int64 range")
        return x

    def _kernel_array(self, domain: str, t: np.ndarray) -> np.ndarray:
        if self._kdtype == "float64":
            return t if t.dtype == np.float64 else t.astype(np.float64)
        if t.dtype.kind == "f":
            bad = ~np.isfinite(t) | (t != np.floor(t))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise TypeError(f"this filter runs on integer times; time at index {i} is {t[i]!r}")
            if t.size and (t.min() < -(2.0**63) or t.max() >= 2.0**63):
                raise ValueError("times are outside the int64 range")
        elif t.dtype.kind == "u" and t.size and int(t.max()) > _I64.max:
            raise ValueError("times are outside the int64 range")
        return t if t.dtype == np.int64 else t.astype(np.int64)

    def _numeric_desc(self):
        return ["float"] if self._kdtype == "float64" else ["int"]

    def _convert(self, pairs, desc) -> list:
        return [(_out_scalar(desc, t), v) for t, v in pairs]

    # -- point by point --
    def filter_point(self, t, v) -> list:
        """Feed one point; returns the points it releases as a list of (t, v): usually none or one, at
        most two. Times come back as the caller's type (numbers as the type of the filter's first time)."""
        # Fast path for the common case (plain int or float times and values on a started filter): the
        # kernel already returns Python ints / floats.
        k = self._kernel
        if k is not None and type(v) in _PLAIN_NUMBERS:
            tt = type(t)
            if tt is int and self._fast == "int" and _I64_MIN <= t <= _I64_MAX:
                self._out = _INT_DESC
                return k.push(t, float(v))
            if (tt is float or tt is int) and self._fast == "float":
                self._out = _FLOAT_DESC
                return k.push(float(t), float(v))
        domain, x, desc = _scalar_in(t)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
            raise TypeError(f"value must be a real number, got {type(v).__name__}")
        self._start(domain)
        released = self._kernel.push(self._kernel_scalar(domain, x), float(v))
        self._out = desc if desc is not None else self._numeric_desc()
        return self._convert(released, self._out)

    def flush(self) -> list:
        """The held last point if it has not been emitted, as a list of (t, v) (SDT may put one point
        before it to keep the bound); the filter then continues from that point."""
        if self._kernel is None:
            return []
        return self._convert(self._kernel.flush(), self._out)

    # -- batches --
    def _run(self, domain: str, t: np.ndarray, values):
        v = _values_f64(values)
        if t.shape[0] != v.shape[0]:
            raise ValueError(f"times and values differ in length: {t.shape[0]} and {v.shape[0]}")
        self._start(domain)
        kt = self._kernel_array(domain, t)
        n = kt.shape[0]
        out_t = np.empty(n + 2, dtype=kt.dtype)
        out_v = np.empty(n + 2, dtype=np.float64)
        m = self._kernel.run(kt, v, out_t, out_v)
        return _trim(out_t, m), _trim(out_v, m)

    def filter_arrays(self, times, values):
        """Columnar batch: (times, values) of the released points.

        ``times``: 1-D ints, floats or datetime64, or a pandas DatetimeIndex / Series (time zone kept);
        the returned times have the caller's type (ints stay int64, datetime64 keeps its unit; in compat
        mode numeric times come back as float64). Values come back as float64. Same results as calling
        filter_point on each point.
        """
        domain, t, back, desc = _array_in(times)
        kt, kv = self._run(domain, t, values)
        self._out = desc if desc is not None else self._numeric_desc()
        if back is not None:
            return back(kt), kv
        if t.dtype.kind in "iu" and kt.dtype == np.int64 and t.dtype != np.int64:
            return kt.astype(t.dtype), kv
        return kt, kv

    def filter_points(self, points):
        """Filter a batch of points; same results as calling filter_point on each of them.

        * list (or other iterable) of (t, v) -> list of (t, v)
        * (n, 2) numeric numpy array, times in column 0 -> (m, 2) float64 array
        * pandas DataFrame with one column (times in the index) or two columns (times in the first)
          -> DataFrame of the released points, same column names, time dtype and time zone kept
        * pandas Series (times in the index) -> Series
        """
        pd = _pandas()
        if pd is not None and isinstance(points, pd.DataFrame):
            return self._filter_frame(points)
        if pd is not None and isinstance(points, pd.Series):
            t, v = self.filter_arrays(points.index, points.to_numpy())
            index = t if isinstance(t, pd.Index) else pd.Index(t, name=points.index.name)
            return pd.Series(v, index=index, name=points.name)
        if isinstance(points, np.ndarray):
            return self._filter_ndarray(points)
        pts = list(points)
        if not pts:
            return []
        for i, p in enumerate(pts):
            if not hasattr(p, "__len__") or len(p) != 2:
                raise ValueError(f"point at index {i} is not a (time, value) pair: {p!r}")
        parsed = [_scalar_in(p[0]) for p in pts]
        domains = {p[0] for p in parsed}
        if "datetime" in domains and len(domains) > 1:
            raise TypeError("times mix datetimes and numbers")
        if "datetime" in domains:
            t = np.array([p[1] for p in parsed], dtype=np.int64)
            domain, desc = "datetime", parsed[0][2]
        elif "float" in domains:
            t = np.array([p[1] for p in parsed], dtype=np.float64)
            domain, desc = "float", None
        else:
            try:
                t = np.array([p[1] for p in parsed], dtype=np.int64)
            except OverflowError:
                raise ValueError("times are outside the int64 range") from None
            domain, desc = "int", None
        kt, kv = self._run(domain, t, [p[1] for p in pts])
        self._out = desc if desc is not None else self._numeric_desc()
        times = kt.tolist()
        if self._out[0] not in ("int", "float"):
            times = [_out_scalar(self._out, x) for x in times]
        return list(zip(times, kv.tolist()))

    def _filter_ndarray(self, arr: np.ndarray) -> np.ndarray:
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"expected an (n, 2) array of (time, value) rows, got shape {arr.shape}")
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"expected a numeric (n, 2) array, got {arr.dtype}")
        domain = "float" if arr.dtype.kind == "f" else "int"
        self._start(domain)
        n = arr.shape[0]
        if arr.dtype == np.float64 and self._kdtype == "float64":
            # Zero copy: the kernel reads both columns in place and writes into one (n + 2, 2) block.
            out = np.empty((n + 2, 2), dtype=np.float64)
            m = self._kernel.run(arr[:, 0], arr[:, 1], out[:, 0], out[:, 1])
            self._out = self._numeric_desc()
            return _trim(out, m)
        kt, kv = self._run(domain, arr[:, 0], arr[:, 1])
        self._out = self._numeric_desc()
        res = np.empty((kt.shape[0], 2), dtype=np.float64)
        res[:, 0] = kt
        res[:, 1] = kv
        return res

    def _filter_frame(self, df):
        pd = _pandas()
        ncol = df.shape[1]
        if ncol == 1:
            t, v = self.filter_arrays(df.index, df.iloc[:, 0].to_numpy())
            index = t if isinstance(t, pd.Index) else pd.Index(t, name=df.index.name)
            return pd.DataFrame({df.columns[0]: v}, index=index)
        if ncol != 2:
            raise ValueError(
                f"expected a DataFrame with two columns (time, value) or one column with the times in the "
                f"index, got {ncol} columns; df.tsq.sdt(...) and friends filter several columns")
        tcol = df.iloc[:, 0]
        t, v = self.filter_arrays(tcol, df.iloc[:, 1].to_numpy())
        return pd.DataFrame({df.columns[0]: pd.Series(np.asarray(t) if not isinstance(t, pd.Index) else t,
                                                      copy=False).reset_index(drop=True),
                             df.columns[1]: v})

    # pydbfilter's names
    def filterPoint(self, time, value) -> list:  # noqa: N802
        """Alias of :meth:`filter_point` (pydbfilter's name)."""
        return self.filter_point(time, value)

    def filterPoints(self, data):  # noqa: N802
        """Alias of :meth:`filter_points` (pydbfilter's name)."""
        return self.filter_points(data)

    # -- state --
    def state(self) -> bytes:
        """The complete filter state as bytes: parameters, position in the stream and held points, so a
        process can persist it and continue after a restart with identical output (see :meth:`restore`)."""
        meta = {"v": 1, "class": type(self).__name__, "compat": self._compat,
                "max_interval": _max_interval_json(self._max_interval), "domain": self._domain, "out": self._out}
        blob = json.dumps(meta, separators=(",", ":")).encode()
        if self._kernel is not None:
            return self._kernel.state(blob)
        # Not started: an idle kernel carries the parameters (max_interval lives in the annotation).
        return _KERNELS[(type(self).__name__, self._compat)]["float64"](self._threshold, None).state(blob)

    def restore(self, state: bytes) -> None:
        """Replace this filter's parameters and state with those saved by :meth:`state`."""
        other = type(self).from_state(state)
        self.__dict__.update(other.__dict__)

    @classmethod
    def from_state(cls, state: bytes) -> "Filter":
        """A new filter with the parameters and state saved by :meth:`state`.

        ``Filter.from_state`` returns the right subclass; ``SdtFilter.from_state`` and the others also check
        the kind (ValueError). Bytes that are not a filter state raise :class:`tsquash.CorruptStreamError`.
        """
        if not isinstance(state, (bytes, bytearray, memoryview)):
            raise TypeError(f"state must be bytes, got {type(state).__name__}")
        kernel, ann = _core.filter_from_state(bytes(state))
        name, compat, kd = _CORE_TO_CLASS[type(kernel)]
        try:
            meta = json.loads(ann.decode()) if ann else {}
            if not isinstance(meta, dict):
                raise ValueError
        except (UnicodeDecodeError, ValueError):
            raise _core.CorruptStreamError("filter state: unreadable annotation") from None
        if meta.get("class", name) != name or bool(meta.get("compat", compat)) != compat:
            raise _core.CorruptStreamError("filter state: annotation does not match the filter kind")
        klass = _CLASSES[name]
        if cls is not Filter and klass is not cls:
            raise ValueError(f"the state is of a {name}, not a {cls.__name__}")
        obj = klass.__new__(klass)
        Filter.__init__(obj, kernel.threshold, _max_interval_from_json(meta.get("max_interval")), _compat=compat)
        domain = meta.get("domain")
        if domain is None and kernel.points_in > 0:  # a state written by C++ alone
            domain = "int" if kd == "int64" else "float"
        if domain is not None:
            if domain not in ("int", "float", "datetime"):
                raise _core.CorruptStreamError("filter state: unknown time domain")
            obj._domain = domain
            if obj._kdtype != kd:
                raise _core.CorruptStreamError("filter state: time type does not match the time domain")
            obj._kernel = kernel
            obj._fast = None if domain == "datetime" else ("float" if kd == "float64" else "int")
            out = meta.get("out")
            obj._out = out if isinstance(out, list) and out else obj._numeric_desc()
        return obj


def _trim(a: np.ndarray, m: int) -> np.ndarray:
    """The first m rows; copied when that frees most of the allocation."""
    return a[:m].copy() if m < a.shape[0] // 2 else a[:m]


class SdtFilter(Filter):
    """Swinging door trending with a guaranteed error bound.

    ``SdtFilter(deviation, max_interval=None, *, compat=False)``; positional use ``SdtFilter(0.05, 100)`` as
    in pydbfilter.

    Every input point up to the last emitted one lies within +-deviation of the linear interpolation of the
    emitted points (up to floating-point rounding, see docs/filters.md). Emitted points are at input times,
    with the input value where the bound allows it and otherwise a value at most ``deviation`` away.

    ``max_interval``: when a point arrives at least max_interval after the last emitted point, the last held
    point is emitted first (adjusted if the bound needs it), then the new point if it is still at least
    max_interval after that. ``flush()`` emits the exact last point, preceded by a point at the time of the
    one before it when the bound needs it.

    ``compat=True`` reproduces pydbfilter's SdtFilter output (fractional output times, off-centre points,
    strict ``>`` for max_interval); it gives no bound: errors reach about twice the deviation.
    """

    _threshold_name = "deviation"

    def __init__(self, deviation, max_interval=None, *, compat: bool = False):
        super().__init__(deviation, max_interval, _compat=compat)

    @property
    def deviation(self) -> float:
        return self._threshold

    @property
    def compat(self) -> bool:
        return self._compat


class DeadbandFilter(Filter):
    """Deadband (report by exception): a point is emitted when its value differs from the last emitted value
    by more than ``deadband``. Every input point lies within +-deadband of the step (sample-and-hold)
    reconstruction of the emitted points; emitted points are input points.

    ``max_interval`` and ``flush()`` work as for :class:`SdtFilter`, with the held point emitted unchanged.
    """

    _threshold_name = "deadband"

    def __init__(self, deadband, max_interval=None):
        super().__init__(deadband, max_interval)

    @property
    def deadband(self) -> float:
        return self._threshold


class HysteresisFilter(Filter):
    """Hysteresis: a point is emitted when the spread (max - min) of the values since, and including, the
    last emitted one exceeds ``hysteresis``. Every input point lies within +-hysteresis of the step
    (sample-and-hold) reconstruction; emitted points are input points.

    ``max_interval`` and ``flush()`` work as for :class:`DeadbandFilter`.
    """

    _threshold_name = "hysteresis"

    def __init__(self, hysteresis, max_interval=None):
        super().__init__(hysteresis, max_interval)

    @property
    def hysteresis(self) -> float:
        return self._threshold


# ---- filter trees ----------------------------------------------------------------------------------------

_TREE_MAGIC = b"TSQT"


def _key_to_json(key):
    if isinstance(key, tuple):
        return {"t": [_key_to_json(k) for k in key]}
    if key is None or isinstance(key, (str, bool, int, float)):
        return key
    if isinstance(key, (np.integer, np.floating, np.str_, np.bool_)):
        return key.item()
    raise TypeError(f"FilterTree.state(): keys must be tuples of str/int/float/bool/None, got {type(key).__name__}")


def _key_from_json(j):
    if isinstance(j, dict):
        return tuple(_key_from_json(k) for k in j["t"])
    return j


def _params_to_json(args, kwargs):
    def conv(x):
        if _is_timedelta(x):
            return {"timedelta_ns": _timedelta_ns(x)}
        if isinstance(x, (np.integer, np.floating, np.bool_)):
            return x.item()
        return x

    return {"args": [conv(a) for a in args], "kwargs": {k: conv(v) for k, v in kwargs.items()}}


def _params_from_json(j):
    def conv(x):
        if isinstance(x, dict) and "timedelta_ns" in x:
            return np.timedelta64(int(x["timedelta_ns"]), "ns")
        return x

    return [conv(a) for a in j["args"]], {k: conv(v) for k, v in j["kwargs"].items()}


class FilterTree:
    """One filter per key (for example a tuple of tag values), created on first use.

        >>> tree = FilterTree(SdtFilter, 0.05, 100)
        >>> tree.filter_point(("host-a",), 0, 1.0)
        [(0, 1.0)]

    ``filter_point(key, t, v)`` / ``filter_points(key, points)`` feed the key's filter; ``flush()`` flushes
    every filter into ``{key: [points]}``; ``state()`` / ``restore()`` / ``FilterTree.from_state()`` save and
    load all of them. Keys must be hashable; to save the state they must be tuples of str, int, float, bool
    or None (or one such value).
    """

    def __init__(self, filter_cls, *args, **kwargs):
        if not (isinstance(filter_cls, type) and issubclass(filter_cls, Filter)):
            raise TypeError("filter_cls must be SdtFilter, DeadbandFilter or HysteresisFilter")
        filter_cls(*args, **kwargs)  # check the parameters now rather than at the first point
        self._cls = filter_cls
        self._args = args
        self._kwargs = kwargs
        self._filters: dict = {}

    def __getitem__(self, key) -> Filter:
        """The key's filter, created if needed."""
        f = self._filters.get(key)
        if f is None:
            f = self._cls(*self._args, **self._kwargs)
            self._filters[key] = f
        return f

    def __contains__(self, key) -> bool:
        return key in self._filters

    def __len__(self) -> int:
        return len(self._filters)

    def __iter__(self):
        return iter(self._filters)

    def keys(self):
        return self._filters.keys()

    def items(self):
        return self._filters.items()

    def filter_point(self, key, t, v) -> list:
        return self[key].filter_point(t, v)

    def filter_points(self, key, points):
        return self[key].filter_points(points)

    filterPoint = filter_point  # noqa: N815
    filterPoints = filter_points  # noqa: N815

    def flush(self) -> dict:
        """Flush every filter: {key: list of released points} (an empty list where nothing was held)."""
        return {k: f.flush() for k, f in self._filters.items()}

    def state(self) -> bytes:
        """All filters' states (and the tree's filter class and parameters) as bytes."""
        head = json.dumps({"class": self._cls.__name__, **_params_to_json(self._args, self._kwargs)},
                          separators=(",", ":")).encode()
        parts = [_TREE_MAGIC, struct.pack("<BI", 1, len(head)), head, struct.pack("<Q", len(self._filters))]
        for k, f in self._filters.items():
            kb = json.dumps(_key_to_json(k), separators=(",", ":")).encode()
            sb = f.state()
            parts += [struct.pack("<I", len(kb)), kb, struct.pack("<Q", len(sb)), sb]
        body = b"".join(parts)
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_state(cls, state: bytes) -> "FilterTree":
        b = bytes(state)
        bad = _core.CorruptStreamError
        if len(b) < 4 + 5 + 8 + 4 or b[:4] != _TREE_MAGIC:
            raise bad("filter tree state: bad magic or too short")
        if struct.unpack_from("<I", b, len(b) - 4)[0] != zlib.crc32(b[:-4]):
            raise bad("filter tree state: checksum mismatch (truncated or corrupted)")
        body = b[:-4]
        version, hlen = struct.unpack_from("<BI", body, 4)
        if version != 1:
            raise bad(f"filter tree state: unsupported version {version}")
        pos = 9
        try:
            head = json.loads(body[pos:pos + hlen].decode())
            pos += hlen
            (count,) = struct.unpack_from("<Q", body, pos)
            pos += 8
            klass = _CLASSES[head["class"]]
            args, kwargs = _params_from_json(head)
            tree = cls(klass, *args, **kwargs)
            for _ in range(count):
                (kl,) = struct.unpack_from("<I", body, pos)
                pos += 4
                key = _key_from_json(json.loads(body[pos:pos + kl].decode()))
                pos += kl
                (sl,) = struct.unpack_from("<Q", body, pos)
                pos += 8
                if pos + sl > len(body):
                    raise bad("filter tree state: truncated")
                tree._filters[key] = klass.from_state(body[pos:pos + sl])
                pos += sl
        except (struct.error, KeyError, ValueError, TypeError, UnicodeDecodeError) as e:
            if isinstance(e, bad):
                raise
            raise bad(f"filter tree state: malformed ({e})") from None
        if pos != len(body):
            raise bad("filter tree state: trailing bytes")
        return tree

    def restore(self, state: bytes) -> None:
        """Replace every filter (and the tree's class and parameters) with those saved by :meth:`state`."""
        other = FilterTree.from_state(state)
        self.__dict__.update(other.__dict__)


# ---- reconstruction --------------------------------------------------------------------------------------

def _points_columns(points):
    """(times, values) arrays from the point containers filter_points accepts, or a (times, values) pair."""
    pd = _pandas()
    if pd is not None and isinstance(points, pd.DataFrame):
        if points.shape[1] == 1:
            return points.index, points.iloc[:, 0].to_numpy()
        if points.shape[1] == 2:
            return points.iloc[:, 0], points.iloc[:, 1].to_numpy()
        raise ValueError("expected a DataFrame with one value column (times in the index) or (time, value) columns")
    if pd is not None and isinstance(points, pd.Series):
        return points.index, points.to_numpy()
    if isinstance(points, np.ndarray):
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"expected an (n, 2) array, got shape {points.shape}")
        return points[:, 0], points[:, 1]
    if isinstance(points, tuple) and len(points) == 2 and all(
            hasattr(c, "__len__") and not isinstance(c, (str, bytes)) and np.ndim(c) == 1 for c in points) and \
            not all(isinstance(c, tuple) and len(c) == 2 for c in points):
        return points[0], points[1]
    pts = list(points)
    return [p[0] for p in pts], [p[1] for p in pts]


def _time_ns_or_number(times):
    """(array, is_datetime): datetimes become int64 ns since the epoch (UTC)."""
    pd = _pandas()
    if np.ndim(times) == 0 and not (pd is not None and isinstance(times, (pd.Index, pd.Series))):
        times = [times]
    domain, t, _, _ = _array_in(times)
    if domain == "datetime":
        return t, True
    return (t.astype(np.int64) if domain == "int" else t.astype(np.float64)), False


def reconstruct(points, times, method: str = "linear") -> np.ndarray:
    """Values of the signal that ``points`` (a filter's output) stands for, at ``times``.

    ``points``: what the filters return (list of (t, v), (n, 2) array, DataFrame, Series) or a pair of
    arrays ``(times, values)``. ``method="linear"`` interpolates between consecutive points (the
    reconstruction SDT's bound refers to) and gives NaN outside [first time, last time];
    ``method="step"`` holds each value until the next point (the reconstruction deadband and hysteresis
    bounds refer to), NaN before the first point and the last value after the last one.

    Knot values are returned exactly; between knots the linear value is
    ``v_a + (v_b - v_a) * ((t - t_a) / (t_b - t_a))`` with exact int64 time differences, so its rounding
    error is a few units in the last place of max(|v_a|, |v_b|).
    """
    if method not in ("linear", "step"):
        raise ValueError(f"method must be 'linear' or 'step', got {method!r}")
    pt, pv = _points_columns(points)
    tk, kdt = _time_ns_or_number(pt)
    vk = _values_f64(pv)
    if tk.shape[0] != vk.shape[0]:
        raise ValueError("point times and values differ in length")
    tq, qdt = _time_ns_or_number(times)
    if tk.size and tq.size and kdt != qdt:
        raise TypeError("points and query times must both be datetimes or both be numbers")
    if tk.size > 1:
        bad = np.flatnonzero(~(tk[1:] > tk[:-1]))
        if bad.size:
            i = int(bad[0]) + 1
            raise ValueError(f"point times must increase strictly: time at index {i} is not after the previous one")
    out = np.full(tq.shape[0], np.nan)
    if tk.size == 0 or tq.size == 0:
        return out
    if tk.dtype != tq.dtype:
        tk, tq = tk.astype(np.float64), tq.astype(np.float64)
    idx = np.searchsorted(tk, tq, side="right") - 1
    inside = idx >= 0
    i = np.where(inside, idx, 0)
    if method == "step":
        out[inside] = vk[i[inside]]
        return out
    exact = inside & (tk[i] == tq)
    out[exact] = vk[i[exact]]
    between = inside & ~exact & (i + 1 < tk.shape[0])
    a = i[between]
    b = a + 1
    if tk.dtype == np.int64:
        # uint64 differences are exact for any pair of int64 times with t_a < t.
        num = (tq[between].view(np.uint64) - tk[a].view(np.uint64)).astype(np.float64)
        den = (tk[b].view(np.uint64) - tk[a].view(np.uint64)).astype(np.float64)
    else:
        num = tq[between] - tk[a]
        den = tk[b] - tk[a]
    frac = num / den
    va, vb = vk[a], vk[b]
    with np.errstate(over="ignore", invalid="ignore"):
        rise = vb - va
        val = va + rise * frac
        wide = ~np.isfinite(rise)
        if wide.any():  # the difference overflowed: weight the ends instead
            val[wide] = va[wide] * (1 - frac[wide]) + vb[wide] * frac[wide]
    out[between] = val
    return out
