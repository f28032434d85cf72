"""Bundled sample data, simulated: deterministic generators that mimic the kinds of series the codecs meet in
practice (no data files are shipped). Each sample has int64 timestamps and float64 values.

    >>> from tsquash import samples
    >>> samples.names()
    ['building_temperature', 'stock_price', 'power_load', 'gps_longitude', 'vibration']
    >>> s = samples.load("stock_price", n=1000)
    >>> s.time.dtype, s.values.dtype, s.time_unit
    (dtype('int64'), dtype('float64'), 'ns')

What makes each one interesting for compression:

* building_temperature: 1-minute readings at 0.1 °C resolution with daily/weekly HVAC cycles, a seasonal
  drift, AR(1) sensor noise and sensor dropouts (runs of NaN); timestamps jitter by a second now and then.
* stock_price: irregular intraday trades (ns timestamps, µs resolution, trading hours only) with a
  geometric-Brownian mid price and bid/ask bounce on a 0.01 tick grid: many repeated prices.
* power_load: a household smart meter every 10 s (base load, fridge cycles, appliances, daily profile) whose
  firmware keeps float32 kW values, exported as doubles (0.35100001096725464): 29 trailing zero bits.
* gps_longitude: a car driving around Pisa at 1 Hz, 5 decimals, standing still at lights and while parked
  (runs of identical values), GPS gaps in the timestamps.
* vibration: a 10 kHz accelerometer on a gearbox (shaft harmonics, gear mesh, bearing-fault impulses, noise)
  in full double precision: the hard case for XOR codecs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_N = 100_000
_EPOCH_2023 = 1_672_531_200  # 2023-01-01T00:00:00Z in seconds
_EPOCH_2024_03_04 = 1_709_510_400  # a Monday


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    time: np.ndarray  # int64, in time_unit since 1970-01-01 UTC
    values: np.ndarray  # float64
    time_unit: str  # "s", "ms", "us" or "ns"
    value_name: str = "value"

    def columns(self, datetimes: bool = False) -> dict:
        """``{"time": ..., value_name: ...}``; with ``datetimes`` the time column is datetime64."""
        t = self.time.view(f"datetime64[{self.time_unit}]") if datetimes else self.time
        return {"time": t, self.value_name: self.values}

    def to_pandas(self):
        """A pandas DataFrame with a UTC DatetimeIndex (needs pandas)."""
        import pandas as pd

        index = pd.DatetimeIndex(self.time.view(f"datetime64[{self.time_unit}]"), name="time").tz_localize("UTC")
        return pd.DataFrame({self.value_name: self.values}, index=index)

    def __len__(self):
        return self.values.size


def _ar1(rng, n: int, phi: float, sigma: float) -> np.ndarray:
    """AR(1) noise x[k] = phi * x[k-1] + e[k] (a loop: sensor noise is correlated from one reading to the next)."""
    e = rng.normal(0.0, sigma, n).tolist()
    out = [0.0] * n
    x = 0.0
    for i in range(n):
        x = phi * x + e[i]
        out[i] = x
    return np.array(out)


def _dropouts(rng, n: int, rate: float, mean_len: float) -> np.ndarray:
    """A boolean mask of missing readings: outages start with probability ``rate`` per sample."""
    mask = np.zeros(n, dtype=bool)
    starts = np.flatnonzero(rng.random(n) < rate)
    lengths = rng.geometric(1.0 / mean_len, starts.size)
    for s, length in zip(starts, lengths):
        mask[s:s + length] = True
    return mask


def building_temperature(n: int = DEFAULT_N, seed: int = 1) -> Sample:
    rng = np.random.default_rng(seed)
    jitter = np.where(rng.random(n) < 0.05, rng.integers(-1, 2, n), 0)
    t = _EPOCH_2023 + 60 * np.arange(n, dtype=np.int64) + jitter
    hours = (t - _EPOCH_2023) / 3600.0
    hour_of_day = hours % 24
    weekday = ((hours // 24).astype(np.int64) + 6) % 7  # 2023-01-01 was a Sunday; 0 = Monday
    occupied = (weekday < 5) & (hour_of_day >= 7) & (hour_of_day < 19)
    setpoint = np.where(occupied, 21.5, 17.5)
    day_of_year = hours / 24.0
    outdoor = 4.0 + 9.0 * np.sin(2 * np.pi * (day_of_year - 110) / 365.25) \
        + 4.0 * np.sin(2 * np.pi * (hour_of_day - 9) / 24)
    # A room relaxes towards the HVAC setpoint and leaks towards the outdoor temperature; the response to a
    # setpoint step is exponential (time constant ~40 min), so integrate the first-order dynamics.
    a, b = 1 - np.exp(-1 / 40.0), 0.002
    target = (a * setpoint + b * outdoor) / (a + b)
    temp = [0.0] * n
    x = float(target[0])
    k = a + b
    for i, goal in enumerate(target.tolist()):
        x += k * (goal - x)
        temp[i] = x
    temp = np.array(temp)
    temp += _ar1(rng, n, 0.95, 0.03)
    values = np.round(temp, 1)
    values[_dropouts(rng, n, 2e-4, 25)] = np.nan
    return Sample("building_temperature", "room temperature sensor, 1 min, 0.1 °C, HVAC cycles, dropouts as NaN",
                  t.astype(np.int64), values, "s", "temperature")


def stock_price(n: int = DEFAULT_N, seed: int = 2) -> Sample:
    rng = np.random.default_rng(seed)
    session = 6.5 * 3600
    gaps = rng.exponential(0.35, n)  # seconds between trades
    # U-shaped intraday activity: trades cluster at the open and the close.
    t_session = np.empty(n)
    days = np.empty(n, dtype=np.int64)
    day, clock = 0, 0.0
    for i in range(n):
        phase = clock / session
        intensity = 0.6 + 2.2 * ((phase - 0.5) * 2) ** 2
        clock += gaps[i] / intensity
        if clock >= session:
            day += 1
            clock = rng.exponential(0.05)
        t_session[i] = clock
        days[i] = day
    weekday_offset = days + 2 * (days // 5)  # skip weekends
    open_utc = _EPOCH_2024_03_04 + 14 * 3600 + 30 * 60  # 09:30 New York (EST) = 14:30 UTC
    micros = np.round(t_session * 1e6).astype(np.int64)
    t_ns = (open_utc + weekday_offset * 86400) * 1_000_000_000 + micros * 1000
    dt = np.diff(np.concatenate([[0.0], t_session]))
    dt[dt < 0] = 60.0  # overnight: one extra minute of variance
    sigma = 0.28 / np.sqrt(252 * session)
    mid = 187.35 * np.exp(np.cumsum(rng.normal(-0.5 * sigma ** 2 * dt, sigma * np.sqrt(dt))))
    bounce = np.where(rng.random(n) < 0.5, -0.005, 0.005)  # trades hit the bid or the ask (spread 0.01)
    values = np.round(mid + bounce, 2)
    return Sample("stock_price", "intraday trades, irregular ns timestamps, GBM on a 0.01 tick with bid/ask bounce",
                  t_ns, values, "ns", "price")


def power_load(n: int = DEFAULT_N, seed: int = 3) -> Sample:
    rng = np.random.default_rng(seed)
    t = _EPOCH_2023 + 10 * np.arange(n, dtype=np.int64)
    hour = ((t - _EPOCH_2023) / 3600.0) % 24
    profile = 0.25 * np.exp(-((hour - 7.5) / 1.2) ** 2) + 0.55 * np.exp(-((hour - 19.5) / 2.0) ** 2)
    fridge = np.where(((t - _EPOCH_2023) // 60 % 47) < 19, 0.115, 0.0)  # compressor on 19 of every 47 minutes
    appliances = np.zeros(n)
    for power, minutes, per_day in ((2.1, 3, 4), (0.45, 90, 0.6), (1.8, 40, 0.5), (0.9, 12, 2)):
        starts = np.flatnonzero(rng.random(n) < per_day / 8640)
        for s in starts:
            appliances[s:s + minutes * 6] += power
    base = 0.18 + 0.01 * np.sin(2 * np.pi * (t - _EPOCH_2023) / (86400 * 7))
    kw = base + profile + fridge + appliances + rng.normal(0, 0.004, n)
    kw = np.round(np.maximum(kw, 0.0), 3)  # the meter resolves 1 W
    values = kw.astype(np.float32).astype(np.float64)  # float32 register, exported as double
    return Sample("power_load", "household smart meter, 10 s, kW kept as float32 and exported as double",
                  t, values, "s", "load_kw")


def gps_longitude(n: int = DEFAULT_N, seed: int = 4) -> Sample:
    rng = np.random.default_rng(seed)
    lat0, lon0 = 43.71553, 10.40172  # Pisa
    steps = np.ones(n, dtype=np.int64)
    gaps = rng.random(n) < 0.002
    steps[gaps] = rng.integers(5, 30, int(gaps.sum()))  # lost fixes (tunnels, buildings)
    t = _EPOCH_2023 + 8 * 3600 + np.cumsum(steps) - 1
    # Driving and stopping: a two-state process (stopped at lights / parked vs. moving with OU speed).
    speed = np.empty(n)
    v, moving, left = 0.0, True, 0
    heading = np.empty(n)
    h = rng.uniform(0, 2 * np.pi)
    for i in range(n):
        if left <= 0:
            moving = not moving
            left = rng.integers(30, 400) if moving else (rng.integers(15, 60) if rng.random() < 0.9
                                                          else rng.integers(600, 2400))
        left -= 1
        if moving:
            v += 0.15 * (12.0 - v) + rng.normal(0, 0.6)
            v = max(v, 0.5)
            h += rng.normal(0, 0.03) + (rng.normal(0, 0.6) if rng.random() < 0.01 else 0.0)
        else:
            v = 0.0
        speed[i] = v
        heading[i] = h
    meters_east = np.cumsum(speed * np.sin(heading) * steps)
    lon = lon0 + meters_east / (111_320.0 * np.cos(np.radians(lat0)))
    values = np.round(lon, 5)
    return Sample("gps_longitude", "car GPS track at 1 Hz, longitude with 5 decimals, stops and lost fixes",
                  t.astype(np.int64), values, "s", "longitude")


def vibration(n: int = DEFAULT_N, seed: int = 5) -> Sample:
    rng = np.random.default_rng(seed)
    fs = 10_000.0
    t_ns = 1_700_000_000 * 1_000_000_000 + 100_000 * np.arange(n, dtype=np.int64)
    s = np.arange(n) / fs
    shaft = 29.5 * (1 + 0.002 * np.sin(2 * np.pi * 0.1 * s))  # slowly wandering speed
    phase = 2 * np.pi * np.cumsum(shaft) / fs
    x = 0.30 * np.sin(phase) + 0.08 * np.sin(2 * phase + 0.4) + 0.03 * np.sin(3 * phase + 1.1)
    mesh = (0.12 + 0.04 * np.sin(phase)) * np.sin(23 * phase)  # gear mesh, amplitude-modulated by the shaft
    impulses = np.zeros(n)
    period = fs / 107.3  # outer-race fault frequency
    ring = np.exp(-np.arange(60) / 8.0) * np.sin(2 * np.pi * 3200 * np.arange(60) / fs)
    for k in np.arange(0, n, period):
        i = int(k + rng.normal(0, 1.5))
        if 0 <= i < n - 60:
            impulses[i:i + 60] += 0.5 * rng.uniform(0.6, 1.0) * ring
    values = x + mesh + impulses + rng.normal(0, 0.02, n)
    return Sample("vibration", "gearbox accelerometer at 10 kHz in g, full double precision", t_ns, values, "ns",
                  "accel_g")


_GENERATORS = {
    "building_temperature": building_temperature,
    "stock_price": stock_price,
    "power_load": power_load,
    "gps_longitude": gps_longitude,
    "vibration": vibration,
}


def names() -> list[str]:
    """The sample names, for :func:`load`."""
    return list(_GENERATORS)


def load(name: str, n: int = DEFAULT_N, seed: int | None = None) -> Sample:
    """Generate a sample. The same ``n`` and ``seed`` give the same series (numpy's random generators are
    stable across versions; transcendental functions may differ in the last bit between CPUs)."""
    try:
        gen = _GENERATORS[name]
    except KeyError:
        raise ValueError(f"unknown sample {name!r} (known: {', '.join(_GENERATORS)})") from None
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    return gen(n) if seed is None else gen(n, seed)


__all__ = ["Sample", "load", "names"]
