"""``tsquash bench``: compression speed, decompression speed and ratio of codecs on real series, printed as
the three markdown tables of TSXor's README (one row per series, one column per codec, best in bold).

Speeds are MB/s of raw input (8 bytes per float64 value, 10**6 bytes per MB), the median of ``runs`` timed
single-threaded runs (time.perf_counter) after one untimed run; the ratio counts every byte of the stream,
header included. Every decode is compared bit for bit with the input.
"""
from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _core

DISPLAY = {"raw": "Raw", "gorilla": "Gorilla", "chimp": "Chimp", "chimp128": "Chimp128", "tsxor": "TSXor",
           "fpc": "FPC", "alp": "ALP", "auto": "auto"}


@dataclass
class Series:
    name: str
    values: np.ndarray
    source: str


@dataclass
class Result:
    series: str
    codec: str
    n_values: int
    raw_bytes: int
    compressed_bytes: int
    encode_s: float
    decode_s: float
    exact: bool

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.compressed_bytes

    @property
    def encode_mb_s(self) -> float:
        return self.raw_bytes / 1e6 / self.encode_s if self.encode_s > 0 else float("inf")

    @property
    def decode_mb_s(self) -> float:
        return self.raw_bytes / 1e6 / self.decode_s if self.decode_s > 0 else float("inf")


def parse_codecs(text: str) -> list[tuple[str, str, dict]]:
    """"gorilla,tsxor:window=64,fpc:table_log2=20" -> [(label, name, params), ...]; labels are what the
    tables show (TSXor, TSXor(window=64), ...)."""
    from .cli import UsageError

    specs = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, *assignments = item.split(":")
        params = {}
        for a in assignments:
            key, sep, value = a.partition("=")
            try:
                params[key.strip()] = int(value, 0)
            except ValueError:
                raise UsageError(f"--codecs {item}: expected KEY=INTEGER after ':', got {a!r}") from None
            if not sep:
                raise UsageError(f"--codecs {item}: expected KEY=INTEGER after ':', got {a!r}")
        label = DISPLAY.get(name, name)
        if params:
            label += "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"
        specs.append((label, name, params))
    if not specs:
        raise UsageError("--codecs names no codec")
    labels = [s[0] for s in specs]
    if len(set(labels)) != len(labels):
        raise UsageError("--codecs names the same codec twice")
    return specs


def _f64_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root) if root in path.parents else Path(path.name)
    parts = list(rel.with_suffix("").parts)
    if len(parts) >= 2 and parts[-1] == "value":  # dataset/value.f64 -> dataset
        parts = parts[:-1]
    return "/".join(parts) or path.stem


def _load_f64(path: Path) -> np.ndarray:
    size = path.stat().st_size
    if size % 8:
        raise ValueError(f"{path}: {size} bytes is not a whole number of float64 values")
    return np.fromfile(path, dtype="<f8").astype(np.float64)


def find_series(paths) -> list[Series]:
    """Every *.f64 under the given folders (sorted), plus .f64, .csv and .bin files given directly (each value
    column of a table is a series)."""
    from .csvio import read_any

    found: list[Series] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*.f64")):
                found.append(Series(_f64_name(f, p), _load_f64(f), str(f)))
        elif p.is_file():
            suffix = p.suffix.lower()
            if suffix == ".f64":
                found.append(Series(p.stem if p.stem != "value" else p.parent.name or p.stem, _load_f64(p), str(p)))
            elif suffix in (".csv", ".bin"):
                table = read_any(p)
                cols = {k: v for k, v in table.value_columns.items() if np.asarray(v).dtype == np.float64}
                for k, v in cols.items():
                    name = p.stem if len(cols) == 1 else f"{p.stem}:{k}"
                    found.append(Series(name, np.ascontiguousarray(v), str(p)))
            else:
                raise ValueError(f"{p}: bench reads .f64, .csv and .bin files (or folders holding *.f64)")
        else:
            raise FileNotFoundError(2, "No such file or directory", str(p))
    if not found:
        raise ValueError(f"no *.f64 files under {', '.join(map(str, paths))}")
    return found


def measure(values: np.ndarray, codec: str, params: dict, runs: int) -> tuple[int, float, float, bool]:
    """(compressed size, median encode seconds, median decode seconds, bit-exact)."""
    blob = _core.encode(values, codec, params)  # untimed: warms caches and gives the bytes to check
    back = _core.decode(blob)
    exact = back.dtype == values.dtype and np.array_equal(back.view(np.uint64), values.view(np.uint64))
    enc, dec = [], []
    clock = time.perf_counter
    for _ in range(runs):
        t0 = clock()
        _core.encode(values, codec, params)
        t1 = clock()
        _core.decode(blob)
        t2 = clock()
        enc.append(t1 - t0)
        dec.append(t2 - t1)
    return len(blob), statistics.median(enc), statistics.median(dec), exact


def _fmt(x: float, ratio: bool = False) -> str:
    return f"{x:.2f}x" if ratio else f"{x:.2f}"


def markdown_tables(results: list[Result], series: list[str], labels: list[str]) -> str:
    """The three TSXor-style tables, with a last row over all series together."""
    by = {(r.series, r.codec): r for r in results}
    totals = {}
    for label in labels:
        rs = [by[(s, label)] for s in series]
        raw = sum(r.raw_bytes for r in rs)
        totals[label] = Result("all series", label, sum(r.n_values for r in rs), raw,
                               sum(r.compressed_bytes for r in rs), sum(r.encode_s for r in rs),
                               sum(r.decode_s for r in rs), all(r.exact for r in rs))
    out = []
    for title, metric, is_ratio in (("Compression speed (MB/s)", "encode_mb_s", False),
                                    ("Decompression speed (MB/s)", "decode_mb_s", False),
                                    ("Compression ratio", "ratio", True)):
        grid = []
        for name, row in [(s, [by[(s, l)] for l in labels]) for s in series] + [
                ("**all series**", [totals[l] for l in labels])]:
            texts = [_fmt(getattr(r, metric), is_ratio) for r in row]
            best = max(getattr(r, metric) for r in row)
            cells = []
            for r, text in zip(row, texts):
                bold = text == _fmt(best, is_ratio)
                if not r.exact:
                    text += " (NOT EXACT)"
                cells.append(f"**{text}**" if bold else text)
            grid.append([name] + cells)
        head = [""] + labels
        widths = [max(len(r[i]) for r in grid + [head]) for i in range(len(head))]
        out.append(f"### {title}\n")
        out.append("| " + " | ".join(h.center(w) for h, w in zip(head, widths)) + " |")
        out.append("|" + "|".join(":" + "-" * w + ":" for w in widths) + "|")
        for r in grid:
            out.append("| " + " | ".join((c.ljust(w) if i == 0 else c.center(w)) for i, (c, w) in
                                         enumerate(zip(r, widths))) + " |")
        out.append("")
    return "\n".join(out)


def write_results_csv(path, results: list[Result], specs) -> None:
    params = {label: ";".join(f"{k}={v}" for k, v in p.items()) for label, _, p in specs}
    names = {label: name for label, name, _ in specs}
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["series", "codec", "params", "n_values", "raw_bytes", "compressed_bytes", "ratio",
                    "bits_per_value", "encode_mb_s", "decode_mb_s", "encode_s", "decode_s", "bit_exact"])
        for r in results:
            w.writerow([r.series, names[r.codec], params[r.codec], r.n_values, r.raw_bytes, r.compressed_bytes,
                        f"{r.ratio:.6g}", f"{8 * r.compressed_bytes / r.n_values:.6g}" if r.n_values else "",
                        f"{r.encode_mb_s:.6g}", f"{r.decode_mb_s:.6g}", f"{r.encode_s:.6g}", f"{r.decode_s:.6g}",
                        int(r.exact)])


def run(paths, specs, runs: int = 5, csv_path=None, out=None) -> int:
    """Benchmark and print the tables; returns 1 (after printing) when a codec was not bit-exact."""
    out = out or sys.stdout
    series = find_series(paths)
    series = [s for s in series if s.values.size]
    names = [s.name for s in series]
    if len(set(names)) != len(names):  # two folders with the same layout: fall back to the source paths
        for s in series:
            s.name = os.path.splitext(s.source)[0]
    progress = sys.stderr.isatty()
    if progress:
        print(f"bench: {len(series)} series x {len(specs)} codecs, {runs} runs each", file=sys.stderr)
    results = []
    for s in series:
        if progress:
            print(f"  {s.name} ({s.values.size} values)", file=sys.stderr)
        for label, name, params in specs:
            size, enc, dec, exact = measure(s.values, name, params, runs)
            results.append(Result(s.name, label, s.values.size, s.values.nbytes, size, enc, dec, exact))
    print(f"{len(series)} series, {sum(x.values.size for x in series)} values; median of {runs} runs, "
          f"one thread, MB = 10^6 bytes of float64 input\n", file=out)
    print(markdown_tables(results, [s.name for s in series], [label for label, _, _ in specs]), file=out)
    if csv_path:
        write_results_csv(csv_path, results, specs)
    bad = [r for r in results if not r.exact]
    for r in bad:
        print(f"tsquash bench: error: {r.codec} did not decode {r.series} bit-exactly", file=sys.stderr)
    return 1 if bad else 0
