#!/usr/bin/env python3
"""What `auto` writes for a fixed set of check inputs, to tell whether an encoder change moves any bytes.

    .venv/bin/python benchmarks/python/auto_bytes.py --out /tmp/before.tsv     # before the change
    .venv/bin/python benchmarks/python/auto_bytes.py --compare /tmp/before.tsv # after it (rebuilt)
    .venv/bin/python benchmarks/python/auto_bytes.py --peers 25                # where peers beat auto

The inputs: every series of `../shared/datasets` (as lossless.py finds them), and mixes of segments made from
a fixed seed: slices of those series, decimal and float32 random walks, a few levels drawn at random, runs,
noise, integers and periodic patterns, in float64 (some also as float32 and as int64), and mixes where
dictionary-friendly levels, decimals and float32 values alternate (the blocks of another kind then compete
with the base methods). Speed changes are meant to leave every size alone; a change of method or estimate
shows here as the sizes that moved, in total per group and at worst per input. `--peers N` compares the
same inputs with pcodec (default level) and zstd-19 instead and lists the N where `auto` is furthest above
the smaller of them: the mixes hold shapes the shared series do not.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lossless import DEFAULT_DATASETS, find_series  # noqa: E402

import tsquash  # noqa: E402


def segment(rng: np.random.Generator, kind: int, n: int, real: list[np.ndarray]) -> np.ndarray:
    if kind == 0 and real:
        x = real[rng.integers(len(real))]
        s = int(rng.integers(0, max(1, x.size - n)))
        return x[s:s + n].astype(np.float64)
    if kind <= 1:
        return np.round(np.cumsum(rng.normal(0, 1, n)) + rng.normal(0, 100), int(rng.integers(0, 5)))
    if kind == 2:
        return np.cumsum(rng.normal(0, 1, n)).astype(np.float32).astype(np.float64)
    if kind == 3:
        levels = rng.normal(0, 1000, int(rng.integers(2, 12)))
        return levels[rng.integers(0, levels.size, n)]
    if kind == 4:
        values = np.round(rng.normal(0, 50, n // 8 + 1), 2)
        return np.repeat(values, rng.integers(1, 16, values.size))[:n]
    if kind == 5:
        return rng.normal(0, 1, n)
    if kind == 6:
        return np.cumsum(rng.integers(-3, 4, n)).astype(np.float64) + 1e6
    if kind == 7:
        period = int(rng.integers(8, 200))
        shape = np.round(rng.normal(0, 10, period), 3)
        return np.tile(shape, n // period + 1)[:n] + np.round(rng.normal(0, 0.01, n), 3) * (rng.random() < 0.5)
    return np.round(rng.normal(0, 1, n) * 10.0 ** rng.integers(-3, 6), int(rng.integers(0, 6)))


def rivalry_segment(rng: np.random.Generator, levels: np.ndarray, n: int) -> np.ndarray:
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return levels[rng.integers(0, levels.size, n)]
    if kind == 1:
        return np.round(np.cumsum(rng.normal(0, 0.3, n)), int(rng.integers(1, 4)))
    if kind == 2:
        return np.cumsum(rng.normal(0, 1, n)).astype(np.float32).astype(np.float64)
    return levels[rng.integers(0, levels.size, n)].astype(np.float32).astype(np.float64)


def check_inputs(datasets: Path, mixes: int, seed: int = 2026) -> dict[str, np.ndarray]:
    series = {name: np.ascontiguousarray(src.load(), dtype=np.float64) for name, src in find_series(datasets).items()}
    real = [x for x in series.values() if x.size]
    inputs: dict[str, np.ndarray] = {f"series/{name}": x for name, x in series.items()}
    rng = np.random.default_rng(seed)
    for i in range(mixes):
        parts = [segment(rng, int(rng.integers(0, 9)),
                         int(rng.choice([300, 1024, 2500, 6000, 20000]) * rng.uniform(0.5, 1.5)), real)
                 for _ in range(int(rng.integers(2, 8)))]
        x = np.concatenate(parts)
        inputs[f"mix/{i:03d}.f64"] = x
        if i % 3 == 0:
            inputs[f"mix/{i:03d}.f32"] = x.astype(np.float32)
        if i % 4 == 0:
            inputs[f"mix/{i:03d}.i64"] = np.clip(np.nan_to_num(x * 100), -2.0**62, 2.0**62).astype(np.int64)
    for i in range(max(1, mixes * 2 // 5)):
        levels = np.round(rng.normal(0, 100, int(rng.integers(50, 3000))), int(rng.integers(2, 9)))
        x = np.concatenate([rivalry_segment(rng, levels, int(rng.integers(300, 9000)))
                            for _ in range(int(rng.integers(3, 12)))])
        inputs[f"rivalry/{i:03d}.f64"] = x
        if i % 2 == 0:
            inputs[f"rivalry/{i:03d}.f32"] = x.astype(np.float32)
    return inputs


def group_of(name: str) -> str:
    kind, _, rest = name.partition("/")
    return kind if kind == "series" else f"{kind} {rest.rsplit('.', 1)[-1]}"


def measure(inputs: dict[str, np.ndarray]) -> dict[str, tuple[int, str]]:
    out = {}
    for name, x in inputs.items():
        blob = tsquash.encode(x, "auto")
        out[name] = (len(blob), hashlib.sha256(blob).hexdigest()[:16])
    return out


def read_table(path: Path) -> dict[str, tuple[int, str]]:
    table = {}
    for line in path.read_text().splitlines():
        name, size, digest = line.split("\t")
        table[name] = (int(size), digest)
    return table


def compare(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    if set(before) != set(after):
        raise SystemExit("the two tables are of different inputs (another --mixes, seed or datasets?)")
    groups: dict[str, list[str]] = {}
    for name in before:
        groups.setdefault(group_of(name), []).append(name)
    lines = ["| inputs | count | bytes before | bytes after | change | changed | largest gain | largest loss |",
             "|:---|---:|---:|---:|---:|---:|:---|:---|"]
    for group, names in sorted(groups.items()):
        b = sum(before[n][0] for n in names)
        a = sum(after[n][0] for n in names)
        moved = [n for n in names if before[n][1] != after[n][1]]
        ratios = sorted((after[n][0] / before[n][0] - 1, n) for n in names)
        lo, hi = ratios[0], ratios[-1]
        lines.append(f"| {group} | {len(names)} | {b:,} | {a:,} | {(a / b - 1) * 100:+.3f}% | {len(moved)} | "
                     f"{lo[0] * 100:+.2f}% {lo[1]} | {hi[0] * 100:+.2f}% {hi[1]} |")
    return lines


def peer_sizes(x: np.ndarray) -> dict[str, int]:
    """Bytes of x from pcodec at its default level and from zstd-19 on the raw bytes."""
    import zstandard
    from pcodec import ChunkConfig, standalone

    return {"pcodec-8": len(standalone.simple_compress(x, ChunkConfig())),
            "zstd-19": len(zstandard.ZstdCompressor(level=19).compress(x.tobytes()))}


def against_peers(inputs: dict[str, np.ndarray], most: int) -> list[str]:
    rows = []
    for name, x in inputs.items():
        ours = len(tsquash.encode(x, "auto"))
        peers = peer_sizes(x)
        best = min(peers, key=peers.get)
        rows.append((ours / peers[best], name, x.size, ours, best, peers[best]))
    rows.sort(reverse=True)
    above = sum(r[0] > 1 for r in rows)
    lines = [f"`auto` above the smaller of pcodec-8 and zstd-19 on {above} of {len(rows)} inputs; "
             f"the {min(most, len(rows))} furthest:", "",
             "| input | values | auto bytes | best peer | its bytes | auto / peer |",
             "|:---|---:|---:|:---|---:|---:|"]
    lines += [f"| {name} | {n:,} | {ours:,} | {peer} | {theirs:,} | {ratio:.3f} |"
              for ratio, name, n, ours, peer, theirs in rows[:most]]
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    p.add_argument("--mixes", type=int, default=150, help="random mixes (and 2/5 as many rivalry mixes)")
    p.add_argument("--out", type=Path, help="write each input's size and digest here (tab-separated)")
    p.add_argument("--compare", type=Path, help="a table written by --out before the change")
    p.add_argument("--peers", type=int, metavar="N", help="list the N inputs where auto is furthest above "
                   "the smaller of pcodec-8 and zstd-19")
    a = p.parse_args(argv)
    if not a.out and not a.compare and a.peers is None:
        p.error("give --out, --compare, --peers or several")
    inputs = check_inputs(a.datasets, a.mixes)
    if a.peers is not None:
        print("\n".join(against_peers(inputs, a.peers)))
        if not a.out and not a.compare:
            return
    after = measure(inputs)
    if a.out:
        a.out.write_text("".join(f"{name}\t{size}\t{digest}\n" for name, (size, digest) in after.items()))
    if a.compare:
        print("\n".join(compare(read_table(a.compare), after)))


if __name__ == "__main__":
    main()
