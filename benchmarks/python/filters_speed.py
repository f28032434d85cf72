"""Speed of the error-bounded filters: points per second, single thread.

    .venv/bin/python benchmarks/python/filters_speed.py            # 10 million points, 5 runs
    .venv/bin/python benchmarks/python/filters_speed.py --n 1000000 --runs 3

For deadband, hysteresis, SDT and pydbfilter-compatible SDT on a 10-million-point random walk:

* C++ loop: the kernel's batch loop called directly (``_core.<Filter>.run`` on preallocated arrays);
  with ``--bench-binary build/dev/bench_filters`` the Google Benchmark figures are added too.
* ``filterPoints`` on the (n, 2) float64 numpy array, and ``filter_arrays`` with int64 ns times: the
  Python batch API, everything included (checks, allocation, trimming).
* ``filter_point`` one point at a time, and pydbfilter's algorithms in plain Python
  (``pydbfilter_reference.py``), both on the first ``--ref-n`` points.
* tsdownsample's MinMaxLTTB (Rust, ``parallel=False``) down to as many points as SDT keeps, as a yardstick.

Times are CPU time of this process (median of --runs), which other programs on a shared machine do not
inflate; the thresholds keep a realistic share of the points (the "kept" column). Results go to
benchmarks/results/filters_speed-<machine>.csv and .md.
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

import tsquash
from tsquash import DeadbandFilter, HysteresisFilter, SdtFilter, _core

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from _machine import cpu_model, cpu_timed, machine_name  # noqa: E402
from pydbfilter_reference import RefDeadband, RefHysteresis, RefSdt  # noqa: E402

THRESHOLD = 2.0  # in units of the walk's step standard deviation

ALGOS = {
    # name: (tsquash factory, C++ kernel classes (int64 times, float64 times), plain-Python reference)
    "deadband": (lambda: DeadbandFilter(THRESHOLD), (_core.DeadbandI64, _core.DeadbandF64), RefDeadband),
    "hysteresis": (lambda: HysteresisFilter(THRESHOLD), (_core.HysteresisI64, _core.HysteresisF64), RefHysteresis),
    "sdt": (lambda: SdtFilter(THRESHOLD), (_core.SdtI64, _core.SdtF64), RefSdt),
    "sdt (compat)": (lambda: SdtFilter(THRESHOLD, compat=True), (None, _core.SdtCompatF64), RefSdt),
}


def make_data(n: int, seed: int = 42):
    rng = np.random.default_rng(seed)
    v = 100.0 + np.cumsum(rng.normal(size=n))
    t_s = 1.7e9 + np.arange(n, dtype=np.float64)
    t_ns = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 1_000_000_000
    return t_s, t_ns, v


def run(args):
    t_s, t_ns, v = make_data(args.n)
    arr = np.column_stack([t_s, v])  # the (n, 2) array filterPoints takes
    n = args.n
    rows = []

    def add(algo, path, points, seconds, kept, note=""):
        rows.append({"algorithm": algo, "path": path, "points": points, "cpu_seconds": round(seconds, 6),
                     "mpoints_per_s": round(points / seconds / 1e6, 3) if seconds > 0 else float("inf"),
                     "kept": kept, "note": note})
        print(f"{algo:14s} {path:38s} {points / seconds / 1e6:9.2f} M points/s  kept {kept}", flush=True)

    sdt_kept = None
    for algo, (factory, kernels, ref_cls) in ALGOS.items():
        compat = algo.endswith("(compat)")
        for kernel_cls, times, label in ((kernels[0], t_ns, "C++ loop, int64 ns times"),
                                         (kernels[1], t_s, "C++ loop, float64 times")):
            if kernel_cls is None:
                continue
            out_t = np.empty(n + 2, dtype=times.dtype)
            out_v = np.empty(n + 2)
            secs, k = cpu_timed(lambda: kernel_cls(THRESHOLD, None).run(times, v, out_t, out_v), args.runs)
            add(algo, label, n, secs, k)
        secs, out = cpu_timed(lambda: (lambda f: f.filterPoints(arr))(factory()), args.runs)
        add(algo, "filterPoints, (n, 2) float64 ndarray", n, secs, len(out))
        if algo == "sdt":
            sdt_kept = len(out)
        if not compat:
            secs, out = cpu_timed(lambda: (lambda f: f.filter_arrays(t_ns, v))(factory()), args.runs)
            add(algo, "filter_arrays, int64 ns times", n, secs, len(out[0]))
        m = min(args.ref_n, n)
        tl, vl = t_s[:m].tolist(), v[:m].tolist()

        def point_loop():
            f = factory()
            fp = f.filter_point
            k = 0
            for a, b in zip(tl, vl):
                k += len(fp(a, b))
            return k

        secs, k = cpu_timed(point_loop, max(1, args.runs // 2))
        add(algo, "filter_point, one call per point", m, secs, k)

        def ref_loop():
            f = ref_cls(THRESHOLD)
            fp = f.filterPoint
            k = 0
            for a, b in zip(tl, vl):
                k += len(fp(a, b))
            return k

        secs, k = cpu_timed(ref_loop, max(1, args.runs // 2))
        add(algo, "pydbfilter algorithm, plain Python", m, secs, k)

    try:
        from tsdownsample import MinMaxLTTBDownsampler

        ds = MinMaxLTTBDownsampler()
        secs, idx = cpu_timed(lambda: ds.downsample(t_s, v, n_out=sdt_kept, parallel=False), args.runs)
        add("MinMaxLTTB", "tsdownsample (Rust), parallel=False", n, secs, len(idx), "yardstick, no error bound")
    except ImportError:
        print("tsdownsample not installed: pip install tsdownsample", file=sys.stderr)

    gbench = []
    if args.bench_binary and Path(args.bench_binary).exists():
        res = subprocess.run([args.bench_binary, "--benchmark_format=json", "--benchmark_min_time=0.5",
                              "--benchmark_filter=/20/0/"], capture_output=True, text=True, check=True)
        for b in json.loads(res.stdout)["benchmarks"]:
            gbench.append({"name": b["name"], "mpoints_per_s": round(b["items_per_second"] / 1e6, 3),
                           "kept": round(b.get("kept", float("nan")), 4)})
    return rows, gbench


def write(rows, gbench, args):
    machine = machine_name()
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"filters_speed-{machine}"
    with open(f"{stem}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    by = {(r["algorithm"], r["path"]): r["mpoints_per_s"] for r in rows}
    lines = [
        f"# Filter speed: {machine}",
        "",
        f"CPU: {cpu_model()}; Python {platform.python_version()}, numpy {np.__version__}, tsquash "
        f"{tsquash.__version__}. Single thread, CPU time, median of {args.runs} runs. Input: a {args.n:,}-point "
        f"random walk (step sd 1), threshold {THRESHOLD}; per-point paths on the first {min(args.ref_n, args.n):,} "
        "points. Produced by `benchmarks/python/filters_speed.py`.",
        "",
        "| algorithm | path | M points/s | points | kept |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['algorithm']} | {r['path']} | {r['mpoints_per_s']:.1f} | {r['points']:,} | {r['kept']:,} |")
    lines += ["", "## Targets", ""]
    for algo, target in (("deadband", 100), ("sdt", 30)):
        best = max(by.get((algo, "C++ loop, int64 ns times"), 0), by.get((algo, "C++ loop, float64 times"), 0))
        lines.append(f"- {algo}, C++ loop: {best:.1f} M points/s (target >= {target}): "
                     f"{'met' if best >= target else 'NOT met'}")
    for algo in ALGOS:
        cpp = by.get((algo, "C++ loop, float64 times"))
        py = by.get((algo, "filterPoints, (n, 2) float64 ndarray"))
        if cpp and py:
            lines.append(f"- {algo}: filterPoints on the ndarray runs at {py / cpp:.2f}x the C++ loop "
                         f"(target: within 2x, i.e. >= 0.5): {'met' if py / cpp >= 0.5 else 'NOT met'}")
        ref = by.get((algo, "pydbfilter algorithm, plain Python"))
        if py and ref:
            lines.append(f"- {algo}: filterPoints is {py / ref:.0f}x the plain-Python pydbfilter algorithm")
    if gbench:
        lines += ["", "## Google Benchmark (benchmarks/cpp/bench_filters.cpp, -O3, threshold 2, no max interval, "
                      "wall time)", "",
                  "| benchmark | M points/s | kept fraction |", "|---|---:|---:|"]
        lines += [f"| {g['name']} | {g['mpoints_per_s']:.1f} | {g['kept']} |" for g in gbench]
    Path(f"{stem}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {stem}.csv and {stem}.md")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10_000_000, help="points in the array (default 10 million)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median)")
    p.add_argument("--ref-n", type=int, default=1_000_000, help="points for the per-point Python paths")
    p.add_argument("--bench-binary", default=str(ROOT / "build" / "dev" / "bench_filters"),
                   help="Google Benchmark binary to include (skipped when absent)")
    p.add_argument("--no-write", action="store_true", help="print only")
    args = p.parse_args(argv)
    rows, gbench = run(args)
    if not args.no_write:
        write(rows, gbench, args)


if __name__ == "__main__":
    main()
