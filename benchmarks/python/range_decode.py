#!/usr/bin/env python3
"""What reading 1024 values out of a stream costs against decoding all of it, per codec.

    .venv/bin/python benchmarks/python/range_decode.py                      # a few shared series, best of 20
    .venv/bin/python benchmarks/python/range_decode.py --series 'etth1/*' --runs 50 --out benchmarks/results

For each series and codec the stream is decoded whole, and `tsquash.decode(blob, start=s, stop=s + 1024)` is
called at 16 starts spread over the series (none on a block boundary: each range spans two blocks). `range
us` is the mean time of one such call and `x whole` how many times faster it is than a whole decode; `seek us`
is the same read through one `StreamDecoder` made beforehand (`seek(s)`, then `read(1024)`, the starts in
a shuffled order), which verifies the checksum and reads the shared sections once. `alp`
and `auto` decode only the blocks that hold the range, plus the stream's checksum and shared sections;
`chimp128` and `gorilla` are sequential and decode everything before the range too (on average half the
series). Times are the best of --runs rounds, CPU time of this thread; every range is checked bit for bit
against the whole decode.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lossless import DEFAULT_DATASETS, find_series, select  # noqa: E402  (the same series, found the same way)

from _machine import cpu_features, cpu_model, machine_name, pinning  # noqa: E402
import tsquash  # noqa: E402

SERIES = ("city_temperature", "nyc29_lon", "shapes_all", "etth1/OT")
CODECS = ("auto", "alp", "chimp128", "gorilla")
RANGE = 1024
STARTS = 16


def best(fn, runs: int) -> float:
    fn()
    t = float("inf")
    for _ in range(runs):
        t0 = time.thread_time()
        fn()
        t = min(t, time.thread_time() - t0)
    return t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--series", nargs="+", default=list(SERIES), help="names or glob patterns")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--out", type=Path, help="also write the table to DIR/range-decode-<machine>.md")
    a = p.parse_args()
    available = find_series(a.datasets)
    data = {name: available[name].load() for name in select(list(available), a.series)}
    held = f"; {pinning()}" if pinning() else ""
    lines = [f"{cpu_model()} ({cpu_features()}){held}; load average {os.getloadavg()[0]:.2f}; best of {a.runs}; "
             f"ranges of {RANGE} values at {STARTS} starts",
             "",
             "| series | values | codec | whole decode ms | range us | x whole | seek us |",
             "|:---|---:|:---|---:|---:|---:|---:|"]
    print("\n".join(lines))
    for name, x in data.items():
        if x.size < 2 * RANGE:
            continue
        # Spread over the series, 100 values past a block boundary so that every range spans two blocks.
        starts = [min(int(k * (x.size - RANGE - 100) / (STARTS - 1)) // 1024 * 1024 + 100, x.size - RANGE)
                  for k in range(STARTS)]
        for codec in CODECS:
            blob = tsquash.encode(x, codec)
            whole = tsquash.decode(blob)
            assert np.array_equal(whole.view(np.uint64), x.view(np.uint64))
            for s in starts:
                part = tsquash.decode(blob, start=s, stop=s + RANGE)
                assert np.array_equal(part.view(np.uint64), x[s:s + RANGE].view(np.uint64))
            t_whole = best(lambda: tsquash.decode(blob), a.runs)
            t_range = best(lambda: [tsquash.decode(blob, start=s, stop=s + RANGE) for s in starts], a.runs) / STARTS
            reader = tsquash.StreamDecoder(blob)
            shuffled = [starts[(7 * k) % STARTS] for k in range(STARTS)]  # back and forth over the series
            for s in shuffled:
                reader.seek(s)
                assert np.array_equal(reader.read(RANGE).view(np.uint64), x[s:s + RANGE].view(np.uint64))

            def seek_reads():
                for s in shuffled:
                    reader.seek(s)
                    reader.read(RANGE)
            t_seek = best(seek_reads, a.runs) / STARTS
            row = (f"| {name} | {x.size} | {codec} | {t_whole * 1e3:.2f} | {t_range * 1e6:.1f} | "
                   f"{t_whole / t_range:.1f} | {t_seek * 1e6:.1f} |")
            print(row, flush=True)
            lines.append(row)
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        path = a.out / f"range-decode-{machine_name()}.md"
        command = "taskset -c 0 .venv/bin/python benchmarks/python/range_decode.py " + " ".join(
            arg for arg in sys.argv[1:] if not arg.startswith("--out") and arg != str(a.out))
        path.write_text("# Reading part of a stream\n\n"
                        f"Command: `{command.strip()}`\n\n"
                        + __doc__.split("\n\n", 2)[2].strip() + "\n\n" + "\n".join(lines) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
