"""tsquash demo (``make demo``): compress the bundled, simulated sample series with every lossless codec,
then take two of them through the command line (CSV -> .tsq -> CSV) and check that nothing changed.

Everything is generated here (tsquash.samples); nothing is downloaded. Runs in a few seconds.
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tsquash
from tsquash import cli, csvio, samples

CODECS = ["raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"]
RUNS = 3


def timed(fn, *args):
    """(result, median seconds over RUNS calls)."""
    times = []
    result = None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a.view(np.uint8), b.view(np.uint8)))


def codec_table(data: dict) -> bool:
    print(f"{'sample':22s} {'codec':9s} {'ratio':>7s} {'bits/value':>10s} {'enc MB/s':>9s} {'dec MB/s':>9s}")
    print("-" * 71)
    ok = True
    for name, sample in data.items():
        x = sample.values
        rows = []
        for codec in CODECS:
            blob, enc_s = timed(tsquash.encode, x, codec)
            back, dec_s = timed(tsquash.decode, blob)
            exact = same_bits(back, x)
            ok &= exact
            rows.append((codec, x.nbytes / len(blob), 8 * len(blob) / x.size, x.nbytes / 1e6 / enc_s,
                         x.nbytes / 1e6 / dec_s, exact))
        best = max(r[1] for r in rows)
        for codec, ratio, bits, enc, dec, exact in rows:
            mark = " <- best" if ratio == best else ""
            if not exact:
                mark += "  NOT BIT-EXACT"
            print(f"{name:22s} {codec:9s} {ratio:7.2f} {bits:10.2f} {enc:9.0f} {dec:9.0f}{mark}")
        t_blob = tsquash.encode(sample.time, "gorilla")
        ok &= same_bits(tsquash.decode(t_blob), sample.time)
        print(f"{'':22s} timestamps ({sample.time_unit}, gorilla delta-of-delta): "
              f"{8 * len(t_blob) / sample.time.size:.2f} bits/value, ratio {sample.time.nbytes / len(t_blob):.1f}")
        print()
    return ok


def run_cli(*argv: str) -> str:
    """Run the tsquash command in-process (the same code as the console script); return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(list(argv))
    if status != 0:
        raise SystemExit(f"tsquash {' '.join(argv)} failed with status {status}")
    return out.getvalue()


def cli_round_trip(sample, folder: Path, codec: str, *extra: str) -> bool:
    """CSV -> .tsq -> CSV through the command line; the CSV text and the numbers must come back unchanged."""
    src = folder / f"{sample.name}.csv"
    tsq = folder / f"{sample.name}.tsq"
    back = folder / f"{sample.name}.back.csv"
    csvio.write_csv(src, sample.columns(datetimes=True))
    print(f"$ tsquash compress {src.name} {tsq.name} --codec {codec} {' '.join(extra)}".rstrip())
    print(run_cli("compress", str(src), str(tsq), "--codec", codec, *extra), end="")
    print(f"$ tsquash info {tsq.name}")
    print(run_cli("info", str(tsq)), end="")
    print(f"$ tsquash decompress {tsq.name} {back.name}")
    print(run_cli("decompress", str(tsq), str(back)), end="")
    same_text = src.read_bytes() == back.read_bytes()
    table = tsquash.read_table(tsq)
    values = table[sample.value_name].astype(np.float64)  # float32 columns widen exactly
    same_values = same_bits(values, sample.values)
    same_time = same_bits(table["time"].view(np.int64), sample.time)
    print(f"CSV text identical: {same_text}; values bit-exact: {same_values}; timestamps exact: {same_time}\n")
    return same_text and same_values and same_time


def main() -> int:
    start = time.perf_counter()
    print(f"tsquash {tsquash.__version__}: lossless codecs on simulated sample data "
          f"({samples.DEFAULT_N} values each, median of {RUNS} runs, one thread)\n")
    data = {}
    for name in samples.names():
        data[name] = samples.load(name)
        print(f"  {name:22s} {data[name].description}")
    print()
    ok = codec_table(data)

    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="tsquash-demo-") as tmp:
        os.chdir(tmp)  # short file names in the commands' output
        try:
            folder = Path(".")
            ok &= cli_round_trip(data["building_temperature"], folder, "tsxor", "--param", "window=64")
            # The meter's values are float32s printed as doubles: stored as float32 they take half the room
            # and the same text comes back.
            ok &= cli_round_trip(data["power_load"], folder, "tsxor", "--dtype", "float32")
        finally:
            os.chdir(here)

    elapsed = time.perf_counter() - start
    print(f"{'all round trips exact' if ok else 'SOME ROUND TRIPS FAILED'} ({elapsed:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
