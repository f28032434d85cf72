"""Plain-Python versions of pydbfilter's three algorithms, written for tsquash's benchmarks and tests.

They follow the behaviour described in pydbfilter's README and pinned by its unit tests, one point at a
time in interpreted Python, as the original runs: the speed yardstick for ``benchmarks/python/filters_speed.py``
and the oracle for ``SdtFilter(..., compat=True)`` in ``tests/python/test_filters_compat.py``.

* ``RefSdt``: the swinging door as pydbfilter builds it. Pivots at +-deviation around the last output
  point; ``su_max`` is the largest slope from the upper pivot to a point since, ``sl_min`` the smallest
  from the lower pivot. When ``su_max > sl_min`` the door that did not move is extended from its pivot and
  intersected with the line through the previous and the current point; the intersection, shifted down by
  deviation/2 when the upper slope moved, is the output point, and the window restarts there with the
  slopes from the current point. Where pydbfilter divides by zero or restarts its window from the wrong
  point (after a max-interval emission or a flush), this reference restarts from the last emitted point,
  as tsquash's compat mode does (see docs/filters.md).
* ``RefDeadband``: emit when |v - last emitted value| > deadband.
* ``RefHysteresis``: emit when the spread of the values since the last emitted one (included) exceeds
  the hysteresis.

All three use pydbfilter's strict ``>`` for the maximum interval: the previous point is emitted (unless it
already was), then the current one if it is still more than max_interval after it.
"""
from __future__ import annotations

INF = float("inf")


class _Base:
    def filterPoints(self, points):  # noqa: N802 - pydbfilter's name
        out = []
        for t, v in points:
            out += self.filterPoint(t, v)
        return out


class RefSdt(_Base):
    def __init__(self, deviation, max_interval=None):
        self.d = deviation
        self.max_interval = INF if max_interval is None else max_interval
        self.started = False
        self.last_emitted = False

    def _restart(self, t, v):
        self.at, self.av = t, v
        self.su_max, self.sl_min = -INF, INF

    def filterPoint(self, t, v):  # noqa: N802
        out = []
        if not self.started:
            self.started = True
            out.append((t, v))
            self._restart(t, v)
            self.lt, self.lv, self.last_emitted = t, v, True
            return out
        if t <= self.lt:
            raise ValueError("Time-series data-point must be newer than previous points.")
        if t - self.at > self.max_interval:
            if not self.last_emitted:
                out.append((self.lt, self.lv))
                self._restart(self.lt, self.lv)
            if t - self.at > self.max_interval:
                out.append((t, v))
                self._restart(t, v)
                self.lt, self.lv, self.last_emitted = t, v, True
                return out
        d = self.d
        upper, lower = self.av + d, self.av + (-d)
        su = (v - upper) / (t - self.at)
        sl = (v - lower) / (t - self.at)
        up = su > self.su_max
        if up:
            self.su_max = su
        if sl < self.sl_min:
            self.sl_min = sl
        if self.su_max > self.sl_min:
            if up:
                m1 = self.sl_min
                b1 = upper - m1 * self.at
            else:
                m1 = self.su_max
                b1 = lower - m1 * self.at
            m2 = (v - self.lv) / (t - self.lt)
            b2 = v - m2 * t
            try:
                x = (b2 - b1) / (m1 - m2)
                y = m1 * (b2 - b1) / (m1 - m2) + b1
            except ZeroDivisionError:
                x = y = float("nan")
            if up:
                y = y + (-d / 2)
            if x == x and y == y and abs(x) != INF and abs(y) != INF and self.at < x < t:
                out.append((x, y))
                self.at, self.av = x, y
            else:
                if not self.last_emitted:
                    out.append((self.lt, self.lv))
                self.at, self.av = self.lt, self.lv
            self.su_max = (v - (self.av + d)) / (t - self.at)
            self.sl_min = (v - (self.av + (-d))) / (t - self.at)
        self.lt, self.lv, self.last_emitted = t, v, False
        return out

    def flush(self):
        if not self.started or self.last_emitted:
            return []
        self._restart(self.lt, self.lv)
        self.last_emitted = True
        return [(self.lt, self.lv)]


class RefDeadband(_Base):
    def __init__(self, deadband, max_interval=None):
        self.db = deadband
        self.max_interval = INF if max_interval is None else max_interval
        self.base = None
        self.pending = False

    def filterPoint(self, t, v):  # noqa: N802
        out = []
        if self.base is None:
            self.base = (t, v)
            self.last = (t, v)
            return [(t, v)]
        if t <= self.last[0]:
            raise ValueError("Time-series data-point must be newer than previous points.")
        if t - self.base[0] > self.max_interval:
            if self.pending:
                out.append(self.last)
                self.base = self.last
                self.pending = False
        if abs(v - self.base[1]) > self.db or t - self.base[0] > self.max_interval:
            out.append((t, v))
            self.base = (t, v)
            self.pending = False
        else:
            self.pending = True
        self.last = (t, v)
        return out

    def flush(self):
        if not self.pending:
            return []
        self.pending = False
        self.base = self.last
        return [self.last]


class RefHysteresis(_Base):
    def __init__(self, hysteresis, max_interval=None):
        self.h = hysteresis
        self.max_interval = INF if max_interval is None else max_interval
        self.lo = None
        self.pending = False

    def filterPoint(self, t, v):  # noqa: N802
        out = []
        if self.lo is None:
            self.lo = self.hi = v
            self.first_time = t
            self.last = (t, v)
            return [(t, v)]
        if t <= self.last[0]:
            raise ValueError("Time-series data-point must be newer than previous points.")
        if t - self.first_time > self.max_interval and self.pending:
            out.append(self.last)
            self.first_time = self.last[0]
            self.lo = self.hi = self.last[1]
            self.pending = False
        if v > self.hi:
            self.hi = v
        if v < self.lo:
            self.lo = v
        if self.hi - self.lo > self.h or t - self.first_time > self.max_interval:
            out.append((t, v))
            self.lo = self.hi = v
            self.first_time = t
            self.pending = False
        else:
            self.pending = True
        self.last = (t, v)
        return out

    def flush(self):
        if not self.pending:
            return []
        self.pending = False
        self.first_time = self.last[0]
        self.lo = self.hi = self.last[1]
        return [self.last]
