"""Compression at an error bound: points kept and bytes, SDT / deadband / hysteresis vs quantise-and-encode.

    .venv/bin/python benchmarks/python/filters_ratio.py

For every series (UCR FaceFour, BTCUSD and the shared float series ``../shared/datasets/*/*.f64``), with
regular integer times (one per sample), at error bounds eps = 0.5, 1, 2 and 5 % of the series' range:

* sdt: ``SdtFilter(eps)``, error measured against the linear interpolation of the kept points;
* deadband, hysteresis: ``DeadbandFilter(eps)``, ``HysteresisFilter(eps)``, error against the step
  (sample-and-hold) reconstruction;
* quantise: every point kept, values rounded to a grid of step 2 eps (error <= eps);
* lossless: every point, exact (for reference).

Bytes are what a user stores: the kept times encoded with tsquash's gorilla int64 (delta-of-delta) codec
plus the kept values with the smallest of tsquash's codecs (gorilla, chimp, chimp128, tsxor, fpc, raw; for
quantise also the integer grid indices with gorilla int64), stream headers included. ``max_err`` is the
largest |x - reconstruction| over every input point, measured, next to eps. Results go to
benchmarks/results/filters_ratio-<machine>.csv and .md.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import sys
from pathlib import Path

import numpy as np

import tsquash
from tsquash import DeadbandFilter, HysteresisFilter, SdtFilter, reconstruct

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from _machine import cpu_model, machine_name  # noqa: E402

PCTS = (0.5, 1.0, 2.0, 5.0)
VALUE_CODECS = ("gorilla", "chimp", "chimp128", "tsxor", "fpc", "raw")
METHODS = ("sdt", "deadband", "hysteresis", "quantise", "lossless")


def load_series(root: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, rel in (("FaceFour", "ucr_facefour/FaceFour.csv.gz"), ("BTCUSD", "btcusd/BTCUSD.csv.gz")):
        p = root / rel
        if p.exists():
            with gzip.open(p, "rt") as fh:
                out[name] = np.loadtxt(fh, delimiter=",", usecols=1, dtype=np.float64)
    for p in sorted(root.glob("*/*.f64")):
        out[f"{p.parent.name}/{p.stem}"] = np.fromfile(p, dtype="<f8").astype(np.float64)
    return out


def best_values(v: np.ndarray, codes: np.ndarray | None = None) -> tuple[int, str]:
    sizes = {c: len(tsquash.encode(v, c)) for c in VALUE_CODECS}
    if codes is not None:
        sizes["gorilla int64 (grid index)"] = len(tsquash.encode(codes, "gorilla"))
    codec = min(sizes, key=sizes.get)
    return sizes[codec], codec


def filtered(cls, eps, t, x):
    f = cls(eps)
    kt, kv = f.filter_arrays(t, x)
    tail = f.flush()
    if tail:
        kt = np.concatenate([kt, np.array([p[0] for p in tail], dtype=np.int64)])
        kv = np.concatenate([kv, np.array([p[1] for p in tail])])
    return kt, kv


def measure(name: str, x: np.ndarray, pct: float | None, method: str) -> dict:
    n = x.size
    t = np.arange(n, dtype=np.int64)
    rng = float(np.ptp(x))
    eps = rng * pct / 100 if pct is not None else 0.0
    codes = None
    if method in ("sdt", "deadband", "hysteresis"):
        cls = {"sdt": SdtFilter, "deadband": DeadbandFilter, "hysteresis": HysteresisFilter}[method]
        kt, kv = filtered(cls, eps, t, x)
        recon = reconstruct((kt, kv), t, method="linear" if method == "sdt" else "step")
        rec_name = "linear" if method == "sdt" else "step"
    elif method == "quantise":
        codes = np.round(x / (2 * eps)).astype(np.int64)
        kt, kv = t, codes * (2 * eps)
        recon, rec_name = kv, "grid value"
    else:
        kt, kv, recon, rec_name = t, x, x, "exact"
    err = float(np.max(np.abs(x - recon)))
    tb = len(tsquash.encode(kt, "gorilla"))
    vb, codec = best_values(kv, codes)
    return {
        "series": name, "n": n, "method": method, "pct_of_range": pct if pct is not None else 0.0,
        "eps": eps, "kept": int(kt.size), "kept_pct": round(100 * kt.size / n, 3),
        "time_bytes": tb, "value_bytes": vb, "total_bytes": tb + vb,
        "bits_per_input_point": round(8 * (tb + vb) / n, 3), "ratio_vs_raw": round(16 * n / (tb + vb), 2),
        "max_err": err, "max_err_over_eps": (err / eps) if eps > 0 else (0.0 if err == 0 else float("inf")),
        "value_codec": codec, "reconstruction": rec_name,
    }


def run(series: dict[str, np.ndarray]) -> list[dict]:
    rows = []
    for name, x in series.items():
        rows.append(measure(name, x, None, "lossless"))
        for pct in PCTS:
            for method in METHODS[:-1]:
                rows.append(measure(name, x, pct, method))
        print(f"{name}: done", flush=True)
    return rows


def fmt_bytes(b: int) -> str:
    return f"{b / 1024:.1f} KiB" if b >= 10240 else f"{b} B"


def write(rows: list[dict]) -> None:
    machine = machine_name()
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"filters_ratio-{machine}"
    with open(f"{stem}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    lines = [
        f"# Compression at an error bound: {machine}",
        "",
        f"CPU: {cpu_model()}; tsquash {tsquash.__version__}. Produced by `benchmarks/python/filters_ratio.py`. "
        "Regular integer times (one per sample). eps is the error bound, a percentage of the series' range. "
        "Bytes = kept times (gorilla int64 delta-of-delta) + kept values (smallest tsquash codec), stream headers "
        "included; raw = 16 bytes per input point (int64 time + float64 value). max err/eps is measured over "
        "every input point with the reconstruction each method promises: linear for SDT, step for deadband "
        "and hysteresis, the grid value for quantise.",
        "",
    ]
    by_series: dict[str, list[dict]] = {}
    for r in rows:
        by_series.setdefault(r["series"], []).append(r)

    def detail(name):
        rs = by_series[name]
        loss = next(r for r in rs if r["method"] == "lossless")
        out = [f"## {name} ({loss['n']:,} points; lossless {fmt_bytes(loss['total_bytes'])}, "
               f"{loss['value_codec']})", "",
               "| eps (% of range) | method | kept | kept % | bytes | ratio vs raw | max err / eps | value codec |",
               "|---:|---|---:|---:|---:|---:|---:|---|"]
        for r in rs:
            if r["method"] == "lossless":
                continue
            out.append(f"| {r['pct_of_range']:g} | {r['method']} | {r['kept']:,} | {r['kept_pct']:.2f} | "
                       f"{fmt_bytes(r['total_bytes'])} | {r['ratio_vs_raw']:.1f} | {r['max_err_over_eps']:.4f} | "
                       f"{r['value_codec']} |")
        return out + [""]

    for name in ("FaceFour", "BTCUSD"):
        if name in by_series:
            lines += detail(name)

    floats = [s for s in by_series if s not in ("FaceFour", "BTCUSD")]
    if floats:
        lines += [f"## The {len(floats)} shared float series, summed", "",
                  "| eps (% of range) | method | kept % | total bytes | ratio vs raw | worst max err / eps | "
                  "series where smallest |", "|---:|---|---:|---:|---:|---:|---:|"]
        n_total = sum(by_series[s][0]["n"] for s in floats)
        for pct in PCTS:
            winners = {}
            for s in floats:
                cand = [r for r in by_series[s] if r["pct_of_range"] == pct]
                best = min(cand, key=lambda r: r["total_bytes"])
                winners[best["method"]] = winners.get(best["method"], 0) + 1
            for method in METHODS[:-1]:
                rs = [r for s in floats for r in by_series[s] if r["method"] == method and r["pct_of_range"] == pct]
                kept = sum(r["kept"] for r in rs)
                total = sum(r["total_bytes"] for r in rs)
                worst = max(r["max_err_over_eps"] for r in rs)
                lines.append(f"| {pct:g} | {method} | {100 * kept / n_total:.2f} | {fmt_bytes(total)} | "
                             f"{16 * n_total / total:.1f} | {worst:.4f} | {winners.get(method, 0)} |")
        loss_total = sum(next(r for r in by_series[s] if r["method"] == "lossless")["total_bytes"] for s in floats)
        lines += ["", f"Lossless (every point, best codec per series): {fmt_bytes(loss_total)}, "
                      f"ratio {16 * n_total / loss_total:.1f}.", ""]
        lines += ["## Per series at eps = 1 % of the range (bytes)", "",
                  "| series | points | sdt | deadband | hysteresis | quantise | lossless |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for s in floats:
            rs = by_series[s]
            cell = {r["method"]: r for r in rs if r["pct_of_range"] in (1.0, 0.0)}
            lines.append(f"| {s} | {rs[0]['n']:,} | " + " | ".join(
                f"{fmt_bytes(cell[m]['total_bytes'])} ({cell[m]['kept_pct']:.1f} %)" if m != "lossless"
                else fmt_bytes(cell[m]["total_bytes"]) for m in METHODS) + " |")
    Path(f"{stem}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {stem}.csv and {stem}.md")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"), help="shared datasets folder")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    series = load_series(Path(args.datasets))
    if not series:
        raise SystemExit(f"no series found under {args.datasets}")
    rows = run(series)
    bad = [r for r in rows if r["method"] != "lossless" and r["max_err_over_eps"] > 1 + 1e-9]
    for r in bad:
        print(f"BOUND EXCEEDED: {r['series']} {r['method']} {r['pct_of_range']}%: {r['max_err_over_eps']}")
    if not args.no_write:
        write(rows)


if __name__ == "__main__":
    main()
