#!/usr/bin/env python3
"""Lossless float compression: tsquash's codecs against the peers users would otherwise pick.

    .venv/bin/python benchmarks/python/lossless.py                      # everything, a few minutes
    .venv/bin/python benchmarks/python/lossless.py --series city_temperature 'etth1/*' --runs 3
    .venv/bin/python benchmarks/python/lossless.py --methods chimp128 zstd-3 --out /tmp/res

Every series of ../shared/datasets (<name>/<column>.f64 files of little-endian float64, the data columns of
<name>/*.csv.gz files, the arrays of <name>/*.npz files flattened) is compressed by every method through its
Python API, single-threaded:

  size   bits per value of everything a user has to keep to get the values back (tsquash's stream header,
         pcodec's standalone header, zstd's frame header, blosc2's chunk header, fpzip's header)
  speed  MB/s of raw input (8 bytes a value), compress and decompress, median of --runs timed runs after a
         warm-up call; short calls are repeated inside a run so each timing spans at least 20 ms, and runs
         are interleaved across methods. Time is the process's CPU time (--clock cpu, the default), which
         other programs on a shared machine do not inflate; --clock wall measures elapsed time instead.
         Timed calls take the series and rotations of it in turn (at least 4, and enough to hold
         --timing-values values): compressing or decompressing the same data over and over lets the CPU's
         branch predictor learn its branches, which a user handling data once never gets. (A branchy rANS
         decoder read 3.6 GB/s on one stream decoded over and over, 2.3 GB/s on streams it had not just
         decoded; on a series of 7,588 values it still read 2.7 GB/s with 16 rotations in turn, and 1.8 from
         32 on. tsquash's auto encoder: 1.09 GB/s on the decimal series over and over, 0.94 in turn.) Sizes
         are those of the series itself.

and every decompressed array is checked bit for bit against the input. Results go to
benchmarks/results/lossless-<machine>.csv (long format) and .md (tables plus a "targets" section).
"""
from __future__ import annotations

# Peers that can use threads are pinned to one before they are imported.
import os

for _var in ("BLOSC_NTHREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import csv
import datetime as _dt
import fnmatch
import functools
import importlib.metadata
import itertools
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from _machine import cpu_features, cpu_model, machine_name, ncpu, pinning

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS = REPO.parent / "shared" / "datasets"
DEFAULT_OUT = REPO / "benchmarks" / "results"

TSQUASH_CODECS = ("gorilla", "chimp", "chimp128", "tsxor", "fpc", "alp", "auto")

# Chimp128 payload bits per value reported for these series in the literature (header excluded).
CHIMP128_REFERENCE = {
    "city_temperature": 20.40,
    "stocks_usa": 13.98,
    "air_pressure": 34.43,
    "basel_temp": 29.15,
    "bird_migration": 31.26,
}
CHIMP128_TOLERANCE = 0.01
# Encode speed of the original TSXor implementation, a published figure measured on this machine class.
TSXOR_ORIGINAL_ENCODE_MB_S = 22.0
TSXOR_TARGET_FACTOR = 3.0
XOR_VS_ZSTD_ENCODE = 2.0  # gorilla / chimp compress MB/s >= this x zstd-3
XOR_VS_ZSTD_DECODE = 0.8  # gorilla / chimp decompress MB/s >= this x zstd-3
# Issue 6 (the block codecs): auto no larger than the best of these on every series; speed on decimal data.
AUTO_SIZE_PEERS = ("pcodec-8", "pcodec-12", "zstd-19", "alp")
AUTO_AVERAGE_BELOW = 23.8  # bits/value, zstd-19's value-weighted average over the issue's wider suite
DECIMAL_SERIES = ("city_temperature", "stocks_usa", "stocks_de", "dew_point_temp")
DECODE_TARGET_MB_S = 3000.0
ENCODE_TARGET_MB_S = 1000.0
MIN_TIMED_SECONDS = 0.02
# Values per series that timing takes in turn (rotations of short series): more than a CPU's branch predictor
# learns (a decoder still had part of a series of 7,588 values learnt at 16 rotations, 121,000 values).
DEFAULT_TIMING_VALUES = 1 << 19


@dataclass
class Method:
    name: str
    compress: Callable[[np.ndarray], bytes]
    decompress: Callable[[bytes], np.ndarray]
    description: str
    max_runs: int | None = None  # slow methods are timed fewer times


@dataclass
class Result:
    series: str
    n: int
    method: str
    nbytes: int
    compress_s: float
    decompress_s: float
    exact: bool
    payload_bytes: int | None = None  # tsquash only: the stream minus its header

    @property
    def bits_per_value(self) -> float:
        return self.nbytes * 8 / self.n

    @property
    def compress_mb_s(self) -> float:
        return self.n * 8 / 1e6 / self.compress_s

    @property
    def decompress_mb_s(self) -> float:
        return self.n * 8 / 1e6 / self.decompress_s


@dataclass
class Run:
    machine: str
    results: list[Result] = field(default_factory=list)
    series_n: dict[str, int] = field(default_factory=dict)
    load_before: float = 0.0


# ---- methods ------------------------------------------------------------------------------------------


def _as_f64(buf) -> np.ndarray:
    return np.frombuffer(buf, dtype=np.float64)


def build_methods() -> list[Method]:
    import blosc2
    import fpzip
    import pcodec
    import tsquash
    import zstandard
    from pcodec import standalone as pco

    blosc2.set_nthreads(1)
    methods = []
    for codec in TSQUASH_CODECS:
        methods.append(Method(
            codec,
            lambda x, c=codec: tsquash.encode(x, c),
            tsquash.decode,
            f"tsquash {codec} (default parameters), stream header included",
        ))
    for level in (pcodec.DEFAULT_COMPRESSION_LEVEL, 12):
        cfg = pcodec.ChunkConfig(compression_level=level)
        methods.append(Method(
            f"pcodec-{level}",
            lambda x, cfg=cfg: pco.simple_compress(x, cfg),
            pco.simple_decompress,
            f"pcodec standalone, compression_level={level}"
            + (" (its default)" if level == pcodec.DEFAULT_COMPRESSION_LEVEL else " (max)"),
            max_runs=None if level == pcodec.DEFAULT_COMPRESSION_LEVEL else 3,
        ))
    dctx = zstandard.ZstdDecompressor()
    for level in (3, 19):
        cctx = zstandard.ZstdCompressor(level=level, threads=0)
        methods.append(Method(
            f"zstd-{level}",
            lambda x, cctx=cctx: cctx.compress(x),
            lambda b: _as_f64(dctx.decompress(b)),
            f"zstandard level {level} on the raw little-endian bytes",
            max_runs=None if level < 10 else 2,
        ))
    cparams = blosc2.CParams(codec=blosc2.Codec.ZSTD, clevel=5, filters=[blosc2.Filter.SHUFFLE], typesize=8,
                             nthreads=1)
    dparams = blosc2.DParams(nthreads=1)
    methods.append(Method(
        "blosc2",
        lambda x: blosc2.compress2(x, cparams=cparams),
        lambda b: _as_f64(blosc2.decompress2(b, dparams=dparams)),
        "blosc2 compress2: zstd clevel 5, byte shuffle, typesize 8, nthreads 1",
    ))
    methods.append(Method(
        "fpzip",
        lambda x: fpzip.compress(x, precision=0, order="C"),
        lambda b: fpzip.decompress(b, order="C").reshape(-1),
        "fpzip precision=0 (lossless)",
    ))
    return methods


# ---- data ---------------------------------------------------------------------------------------------


def series_name(path: Path) -> str:
    return path.parent.name if path.stem == "value" else f"{path.parent.name}/{path.stem}"


@dataclass(frozen=True)
class Source:
    """Where a series comes from: a raw float64 file, one column of a CSV, or an array of an .npz."""
    path: Path
    column: int | None = None  # CSV column
    key: str | None = None     # .npz array (flattened in C order)

    def load(self) -> np.ndarray:
        if self.path.suffix == ".f64":
            return np.fromfile(self.path, dtype="<f8")
        if self.key is not None:
            with np.load(self.path) as z:
                return np.array(z[self.key], dtype="<f8", order="C").ravel()
        return _csv_columns(self.path)[self.column].copy()  # the parsed columns are kept for the next call


@functools.lru_cache(maxsize=None)
def _csv_columns(path: Path) -> list[np.ndarray]:
    # Headerless numeric CSV (plain or gzipped, CRLF or LF lines), one float64 array per column; parsed once
    # (finding the series reads it already).
    import pandas as pd

    table = pd.read_csv(path, header=None, dtype="float64")
    return [np.array(table[c].to_numpy(dtype="<f8"), order="C") for c in table.columns]


def _is_row_index(col: np.ndarray) -> bool:
    return bool(np.array_equal(col, np.arange(col.size, dtype=col.dtype)))


def find_series(root: Path) -> dict[str, Source]:
    """Every series under root: <name>/<column>.f64 files; in a <name> without them, the data columns of its
    headerless *.csv[.gz] files (a leading column that only counts rows is an index, not a series) and the
    arrays of its *.npz files."""
    found: dict[str, Source] = {}
    for p in sorted(root.glob("*/*.f64")):
        found[series_name(p)] = Source(p)
    raw = {p.parent for p in root.glob("*/*.f64")}
    others = [p for p in sorted(list(root.glob("*/*.csv")) + list(root.glob("*/*.csv.gz")) + list(root.glob("*/*.npz")))
              if p.parent not in raw]
    for p in (q for q in others if q.suffix != ".npz"):
        cols = _csv_columns(p)
        data = [c for c in range(len(cols)) if not (c == 0 and len(cols) > 1 and _is_row_index(cols[c]))]
        for c in data:
            found[p.parent.name if len(data) == 1 else f"{p.parent.name}/col{c}"] = Source(p, column=c)
    for p in (q for q in others if q.suffix == ".npz"):
        with np.load(p) as z:
            keys = [k for k in z.files if np.issubdtype(z[k].dtype, np.number) and z[k].size > 0]
        for k in keys:
            found[p.parent.name if len(keys) == 1 else f"{p.parent.name}/{k}"] = Source(p, key=k)
    return dict(sorted(found.items()))


def select(names, patterns):
    if not patterns:
        return list(names)
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    if unknown:
        raise SystemExit(f"no match for {unknown}; known: {', '.join(names)}")
    return chosen


# ---- timing -------------------------------------------------------------------------------------------


CLOCKS = {
    # CPU time of this process (user + system, all threads): what the work costs, unaffected by other
    # programs taking turns on a shared machine. Multi-threaded work would add up, not hide, here.
    "cpu": time.process_time,
    "wall": time.perf_counter,
}


@dataclass
class _Timing:
    fn: Callable[[], object]
    runs: int
    reps: int = 1
    times: list[float] = field(default_factory=list)

    def warm_up(self, clock):
        """First call: warms caches and allocators and sets how often a run repeats the call (calls shorter
        than MIN_TIMED_SECONDS are repeated). It is thrown away unless it took over 0.5 s, where a
        warm-up changes nothing and it counts as the first run."""
        t0 = clock()
        result = self.fn()
        first = clock() - t0
        if first > 0.5:
            self.times.append(first)
        self.reps = max(1, int(MIN_TIMED_SECONDS / max(first, 1e-6)))
        return result

    def run_once(self, clock):
        if len(self.times) >= self.runs:
            return
        t0 = clock()
        for _ in range(self.reps):
            self.fn()
        self.times.append((clock() - t0) / self.reps)


def bit_exact(x: np.ndarray, y) -> bool:
    y = np.asarray(y)
    return y.dtype == x.dtype and y.shape == x.shape and bool(np.array_equal(y.view(np.uint64), x.view(np.uint64)))


MIN_TIMED_INPUTS = 4


def timed_input_count(n: int, values: int) -> int:
    """How many inputs (the series and rotations of it) a series of n values is timed over: 1 (the series
    itself) when values is 0, else at least MIN_TIMED_INPUTS and enough to hold `values` values."""
    if values <= 0 or n == 0:
        return 1
    return max(MIN_TIMED_INPUTS, -(-values // n))


def rotations(x: np.ndarray, count: int) -> list[np.ndarray]:
    """The series rotated by `count` - 1 different amounts (not multiples of a block), for timing methods
    on data whose branches the CPU has not just learnt."""
    return [np.ascontiguousarray(np.roll(x, (k * x.size) // count + k)) for k in range(1, count)]


def measure_series(methods: list[Method], name: str, x: np.ndarray, runs: int, clock,
                   inputs: int = 1) -> list[Result]:
    """Every method on one series. Runs are interleaved (method A, B, C, then A, B, C again...) so a burst
    of background work slows one run of each method rather than every run of one. Each timed call takes the
    next of `inputs` inputs (the series and rotations of it) in turn: compression the next array,
    decompression the next stream. The size reported is the series' own stream's."""
    import tsquash

    others = rotations(x, inputs) if inputs > 1 else []
    plans = []
    for m in methods:
        n_runs = min(runs, m.max_runs) if m.max_runs else runs
        # Both cycles start at the series itself, which the warm-up calls get.
        arrays = itertools.cycle([x] + others)
        comp = _Timing(lambda m=m, arrays=arrays: m.compress(next(arrays)), n_runs)
        blob = bytes(comp.warm_up(clock))
        blobs = [blob] + [bytes(m.compress(v)) for v in others]
        exact = all(bit_exact(v, m.decompress(b)) for v, b in zip(others, blobs[1:]))
        streams = itertools.cycle(blobs)
        dec = _Timing(lambda m=m, streams=streams: m.decompress(next(streams)), n_runs)
        exact = bit_exact(x, dec.warm_up(clock)) and exact
        plans.append((m, blob, exact, comp, dec))
    for _ in range(runs):
        for _, _, _, comp, dec in plans:
            comp.run_once(clock)
            dec.run_once(clock)
    return [
        Result(name, x.size, m.name, len(blob), statistics.median(comp.times), statistics.median(dec.times), exact,
               tsquash.info(blob)["payload_size"] if m.name in TSQUASH_CODECS else None)
        for m, blob, exact, comp, dec in plans
    ]


# ---- machine description ------------------------------------------------------------------------------


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("tsquash", "numpy", "pcodec", "zstandard", "blosc2", "fpzip"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import zstandard

        out["libzstd"] = ".".join(map(str, zstandard.ZSTD_VERSION))
    except ImportError:
        pass
    try:
        import blosc2

        out["c-blosc2"] = str(blosc2.blosclib_version).split()[0]
    except (ImportError, AttributeError):
        pass
    return out


# ---- reports ------------------------------------------------------------------------------------------


def write_csv(run: Run, path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "n", "method", "bits_per_value", "compress_mb_s", "decompress_mb_s"])
        for r in run.results:
            w.writerow([r.series, r.n, r.method, f"{r.bits_per_value:.4f}", f"{r.compress_mb_s:.2f}",
                        f"{r.decompress_mb_s:.2f}"])


def _table(header: list[str], rows: list[list[str]], align_left: int = 1) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(":---" if i < align_left else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _by(run: Run):
    return {(r.series, r.method): r for r in run.results}


def _aggregate(run: Run, method: str, series: list[str]):
    rs = [r for r in run.results if r.method == method and r.series in series]
    if not rs:
        return None
    n = sum(r.n for r in rs)
    return {
        "bits": sum(r.nbytes for r in rs) * 8 / n,
        "compress": n * 8 / 1e6 / sum(r.compress_s for r in rs),
        "decompress": n * 8 / 1e6 / sum(r.decompress_s for r in rs),
    }


def _ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def targets_section(run: Run, series: list[str], methods: list[str]) -> list[str]:
    by = _by(run)
    out = ["## Targets", ""]

    out += ["### Chimp128 payload size against the published figures", "",
            f"Payload bits per value (the {CHIMP128_TOLERANCE:.0%} tolerance is on the stream minus its "
            "header, which is what the paper counts).", ""]
    rows = []
    for name, ref in CHIMP128_REFERENCE.items():
        r = by.get((name, "chimp128"))
        if r is None:
            rows.append([name, "not run", f"{ref:.2f}", "", ""])
            continue
        got = r.payload_bytes * 8 / r.n
        rel = got / ref - 1
        rows.append([name, f"{got:.2f}", f"{ref:.2f}", f"{rel:+.2%}", _ok(abs(rel) <= CHIMP128_TOLERANCE)])
    out += _table(["series", "chimp128 payload bits/value", "reference", "difference", "within 1%"], rows)

    out += ["", "### Gorilla and Chimp speed against zstd level 3", "",
            f"Targets: compress >= {XOR_VS_ZSTD_ENCODE:g}x zstd-3's MB/s, decompress >= "
            f"{XOR_VS_ZSTD_DECODE:g}x zstd-3's MB/s. `all series` divides total bytes by total time.", ""]
    xor = [m for m in ("gorilla", "chimp") if m in methods]
    if "zstd-3" not in methods or not xor:
        out += ["(not measured: needs zstd-3 and gorilla or chimp in --methods)"]
    else:
        header = ["series"]
        for m in xor:
            header += [f"{m} compress / zstd-3", f"{m} decompress / zstd-3"]
        rows, fails = [], []

        def ratios(label, get):
            z = get("zstd-3")
            row = [label]
            for m in xor:
                r = get(m)
                ce, de = r[0] / z[0], r[1] / z[1]
                okc, okd = ce >= XOR_VS_ZSTD_ENCODE, de >= XOR_VS_ZSTD_DECODE
                row += [f"{ce:.2f}x {_ok(okc)}", f"{de:.2f}x {_ok(okd)}"]
                if not okc:
                    fails.append(f"{m} compress on {label}")
                if not okd:
                    fails.append(f"{m} decompress on {label}")
            rows.append(row)

        def agg(m):
            a = _aggregate(run, m, series)
            return a["compress"], a["decompress"]

        ratios("**all series**", agg)
        for s in series:
            ratios(s, lambda m, s=s: (by[(s, m)].compress_mb_s, by[(s, m)].decompress_mb_s))
        out += _table(header, rows)
        out += ["", f"{len(fails)} of {len(rows) * len(xor) * 2} checks fail."]

    out += ["", "### TSXor encode speed", ""]
    target = TSXOR_TARGET_FACTOR * TSXOR_ORIGINAL_ENCODE_MB_S
    if "tsxor" not in methods:
        out += ["(not measured: tsxor not in --methods)"]
    else:
        a = _aggregate(run, "tsxor", series)
        slowest = min((by[(s, "tsxor")] for s in series), key=lambda r: r.compress_mb_s)
        below = [s for s in series if by[(s, "tsxor")].compress_mb_s < target]
        out += [
            f"The original TSXor implementation encodes at {TSXOR_ORIGINAL_ENCODE_MB_S:g} MB/s, a published "
            f"figure measured on this machine class (not re-measured here). Target: "
            f"{TSXOR_TARGET_FACTOR:g}x that, {target:g} MB/s.",
            "",
            *_table(["measure", "tsxor compress MB/s", f">= {target:g} MB/s"], [
                ["all series (total bytes / total time)", f"{a['compress']:.1f}", _ok(a["compress"] >= target)],
                [f"slowest series ({slowest.series})", f"{slowest.compress_mb_s:.1f}",
                 _ok(slowest.compress_mb_s >= target)],
            ]),
            "",
            f"{len(below)} of {len(series)} series below the target"
            + (f": {', '.join(below)}." if below else "."),
        ]
    out += [""] + block_codec_targets(run, series, methods)
    return out


def block_codec_targets(run: Run, series: list[str], methods: list[str]) -> list[str]:
    """Issue 6: auto's size against pcodec-8, zstd-19 and alp on every series; alp/auto speed on decimal data;
    auto's encode speed against zstd-3 on every series."""
    by = _by(run)
    out = ["### Block codecs (alp, auto): size", ""]
    peers = [m for m in AUTO_SIZE_PEERS if m in methods]
    if "auto" not in methods or not peers:
        return out + ["(not measured: needs auto and at least one of " + ", ".join(AUTO_SIZE_PEERS) + ")"]
    out += [f"Target: `auto` takes no more bits than the best of {', '.join(peers)} on every series, and its "
            f"value-weighted average is below {AUTO_AVERAGE_BELOW:g} bits/value.", ""]
    rows, fails = [], []
    for s in series:
        best_name = min(peers, key=lambda m: by[(s, m)].bits_per_value)
        best = by[(s, best_name)].bits_per_value
        got = by[(s, "auto")].bits_per_value
        ok = got <= best
        fails += [] if ok else [s]
        rows.append([s, f"{got:.2f}", f"{best:.2f} ({best_name})", f"{got / best - 1:+.1%}", _ok(ok)])
    avg = _aggregate(run, "auto", series)["bits"]
    rows.append(["*weighted average*", f"{avg:.2f}", "", "", _ok(avg < AUTO_AVERAGE_BELOW)])
    out += _table(["series", "auto bits/value", "best peer", "auto vs best", "auto <= best"], rows)
    out += ["", f"{len(fails)} of {len(series)} series above the best peer" + (f": {', '.join(fails)}." if fails
                                                                              else ".")]
    out += ["", "### Block codecs: speed", ""]
    dec = [s for s in DECIMAL_SERIES if s in series]
    if not dec:
        return out + ["(not measured: none of the decimal series " + ", ".join(DECIMAL_SERIES) + " was run)"]
    out += [f"Targets on decimal data ({', '.join(dec)}): decompress >= {DECODE_TARGET_MB_S:g} MB/s and compress "
            f">= {ENCODE_TARGET_MB_S:g} MB/s, single-threaded (total bytes / total time over these series).", ""]
    rows = []
    for m in ("alp", "auto"):
        if m not in methods:
            continue
        a = _aggregate(run, m, dec)
        rows.append([m, f"{a['compress']:.0f}", _ok(a["compress"] >= ENCODE_TARGET_MB_S), f"{a['decompress']:.0f}",
                     _ok(a["decompress"] >= DECODE_TARGET_MB_S)])
    out += _table(["method", "compress MB/s", f">= {ENCODE_TARGET_MB_S:g}", "decompress MB/s",
                   f">= {DECODE_TARGET_MB_S:g}"], rows)
    if "zstd-3" in methods:
        slow = [s for s in series if by[(s, "auto")].compress_mb_s < by[(s, "zstd-3")].compress_mb_s]
        out += ["", f"`auto` compresses slower than zstd-3 on {len(slow)} of {len(series)} series"
                + (f": {', '.join(slow)}." if slow else ".")]
    return out


def write_markdown(run: Run, path: Path, methods: list[Method], series: list[str], args, elapsed: float) -> None:
    by = _by(run)
    names = [m.name for m in methods]
    cmd = shlex.join(["python", "benchmarks/python/lossless.py", *sys.argv[1:]])
    total_n = sum(run.series_n[s] for s in series)
    caps = [f"{m.name} at most {m.max_runs}" for m in methods if m.max_runs and m.max_runs < args.runs]
    capped = f" ({', '.join(caps)}: they are slow)" if caps else ""
    lines = [
        f"# Lossless float compression: {run.machine}",
        "",
        f"- date: {_dt.date.today().isoformat()}",
        f"- CPU: {cpu_model()} ({cpu_features()}), {ncpu()} cores available"
        f"{' (' + pinning() + ')' if pinning() else ''}, every method single-threaded",
        f"- OS: {platform.platform()}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        f"- command: `{cmd}` ({elapsed:.0f} s)",
        f"- 1-minute load average before the run: {run.load_before:.2f} (near 0 on a quiet machine; other work on "
        "the cores slows every method)",
        f"- data: {len(series)} series, {total_n:,} float64 values, from `../shared/datasets`: every `*/*.f64`, the"
        " data columns of every `*/*.csv.gz` and the arrays of every `*/*.npz` (flattened)",
        f"- timing: {'process CPU time' if args.clock == 'cpu' else 'wall-clock time'}, median of {args.runs} "
        f"runs{capped}, interleaved across methods, after a warm-up call; MB/s of raw input (8 bytes a value)",
        f"- inputs: timed calls take each series and rotations of it in turn (at least {MIN_TIMED_INPUTS}, and enough "
        f"to hold {args.timing_values:,} values), so that no method is timed on data whose branches the CPU has "
        "learnt; sizes are the series' own"
        if args.timing_values > 0 else "- inputs: each series itself, over and over",
        "- size: bits per value of everything needed to decode (stream or frame headers included)",
        "- every method's output was checked bit for bit against the input: "
        + ("all exact." if all(r.exact for r in run.results) else "**MISMATCHES, see below**."),
        "",
        "Methods:",
        "",
        *[f"- `{m.name}`: {m.description}" for m in methods],
        "",
        "## Summary over all series",
        "",
        "Bits per value: total bytes x 8 / total values. Speeds: total raw bytes / total median time.",
        "",
        *_table(["method", "bits/value", "ratio", "compress MB/s", "decompress MB/s"], [
            [m.name, f"{a['bits']:.2f}", f"{64 / a['bits']:.2f}", f"{a['compress']:.1f}", f"{a['decompress']:.1f}"]
            for m in methods for a in [_aggregate(run, m.name, series)]
        ]),
        "",
        "## Bits per value (lower is better)",
        "",
    ]

    def table(metric: str, fmt: str, agg_key: str, agg_label: str, best=min) -> list[str]:
        rows = []
        for s in series:
            vals = [getattr(by[(s, m)], metric) for m in names]
            top = best(vals)
            rows.append([s] + [("**" + format(v, fmt) + "**") if v == top else format(v, fmt) for v in vals])
        aggs = [_aggregate(run, m, series)[agg_key] for m in names]
        top = best(aggs)
        rows.append([f"*{agg_label}*"] + [("**" + format(v, fmt) + "**") if v == top else format(v, fmt)
                                           for v in aggs])
        return _table(["series"] + names, rows)

    lines += table("bits_per_value", ".2f", "bits", "weighted average (total bits / total values)")
    lines += ["", "## Compress speed, MB/s of raw input (higher is better)", ""]
    lines += table("compress_mb_s", ".1f", "compress", "all series (total bytes / total time)", best=max)
    lines += ["", "## Decompress speed, MB/s of raw input (higher is better)", ""]
    lines += table("decompress_mb_s", ".1f", "decompress", "all series (total bytes / total time)", best=max)
    bad = [r for r in run.results if not r.exact]
    if bad:
        lines += ["", "## Bit-exactness failures", ""] + [f"- {r.method} on {r.series}" for r in bad]
    lines += [""] + targets_section(run, series, names)
    lines += ["", "Totals move by 5-10% between runs on a shared 2-vCPU virtual machine, single short series by "
              "more; regenerate with the command above rather than comparing numbers from different days.", ""]
    path.write_text("\n".join(lines))


# ---- main ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--series", nargs="+", metavar="NAME", help="series names or glob patterns (default: all)")
    p.add_argument("--methods", nargs="+", metavar="NAME", help="methods to run (default: all)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement; the median is kept")
    p.add_argument("--timing-values", type=int, default=DEFAULT_TIMING_VALUES, metavar="N",
                   help="timed calls take each series and rotations of it in turn (at least "
                        f"{MIN_TIMED_INPUTS}, and enough to hold N values), so that no method is timed on "
                        "data whose branches the CPU has learnt; 0 times the series itself over and over")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                   help="cpu: process CPU time (default, robust on shared machines); wall: elapsed time")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the .csv and .md")
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, help="directory of <name>/<column>.f64, <name>/*.csv[.gz], <name>/*.npz")
    p.add_argument("--machine", default=None, help="machine name in the output file names")
    p.add_argument("--list", action="store_true", help="list series and methods, then exit")
    p.add_argument("--print-machine", action="store_true", help="print the machine name, then exit")
    args = p.parse_args(argv)

    if args.print_machine:
        print(machine_name())
        return 0
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.timing_values < 0:
        p.error("--timing-values must not be negative")
    available = find_series(args.datasets)
    if not available:
        p.error(f"no series under {args.datasets} (pass --datasets DIR)")
    methods = build_methods()
    if args.list:
        print("series: " + " ".join(available))
        print("methods: " + " ".join(m.name for m in methods))
        return 0
    series = select(list(available), args.series)
    if args.methods:
        known = {m.name for m in methods}
        if unknown := [m for m in args.methods if m not in known]:
            p.error(f"unknown method(s) {unknown}; known: {', '.join(m.name for m in methods)}")
        methods = [m for m in methods if m.name in args.methods]

    run = Run(args.machine or machine_name(), load_before=_load())
    t_start = time.perf_counter()
    for s in series:
        x = available[s].load()
        run.series_n[s] = x.size
        line = []
        for r in measure_series(methods, s, x, args.runs, CLOCKS[args.clock],
                                timed_input_count(x.size, args.timing_values)):
            run.results.append(r)
            line.append(f"{r.method} {r.bits_per_value:.2f}" + ("" if r.exact else " NOT EXACT"))
        print(f"{s:24s} n={x.size:7d}  " + "  ".join(line), flush=True)
    elapsed = time.perf_counter() - t_start

    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / f"lossless-{run.machine}.csv"
    md_path = args.out / f"lossless-{run.machine}.md"
    write_csv(run, csv_path)
    write_markdown(run, md_path, methods, series, args, elapsed)
    print(f"wrote {csv_path} and {md_path} ({elapsed:.0f} s)")
    return 0 if all(r.exact for r in run.results) else 1


if __name__ == "__main__":
    sys.exit(main())
