"""benchmarks/python/auto_bytes.py stays runnable and its comparison tells moved bytes from unmoved ones."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "python"))
import auto_bytes  # noqa: E402


def one_series(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    (tmp_path / "walk").mkdir()
    (20 + np.cumsum(rng.normal(scale=0.2, size=3000))).round(2).astype("<f8").tofile(tmp_path / "walk" / "value.f64")
    return tmp_path


def test_inputs_are_the_same_every_time_and_of_every_kind(tmp_path):
    datasets = one_series(tmp_path)
    first = auto_bytes.check_inputs(datasets, mixes=5)
    second = auto_bytes.check_inputs(datasets, mixes=5)
    assert list(first) == list(second)
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert {auto_bytes.group_of(k) for k in first} == {
        "series", "mix f64", "mix f32", "mix i64", "rivalry f64", "rivalry f32"}
    assert first["mix/000.f32"].dtype == np.float32 and first["mix/000.i64"].dtype == np.int64


def test_an_unchanged_encoder_compares_equal_and_a_moved_size_shows(tmp_path, capsys):
    datasets = one_series(tmp_path)
    table = tmp_path / "before.tsv"
    auto_bytes.main(["--datasets", str(datasets), "--mixes", "3", "--out", str(table)])
    auto_bytes.main(["--datasets", str(datasets), "--mixes", "3", "--compare", str(table)])
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert rows and all(r[4].strip() == "+0.000%" and r[5].strip() == "0" for r in rows)

    before = auto_bytes.read_table(table)
    name = "mix/001.f64"
    size, digest = before[name]
    before[name] = (size - 10, "0" * 16)  # as if the encoder now wrote 10 bytes more there
    after = auto_bytes.read_table(table)
    row = next(r for r in auto_bytes.compare(before, after)[2:] if r.startswith("| mix f64 "))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[5] == "1" and cells[7].startswith("+") and name in cells[7]


def test_peers_lists_the_inputs_furthest_above_the_smaller_peer(tmp_path, capsys):
    datasets = one_series(tmp_path)
    auto_bytes.main(["--datasets", str(datasets), "--mixes", "3", "--peers", "4"])
    out = capsys.readouterr().out.splitlines()
    inputs = auto_bytes.check_inputs(datasets, mixes=3)
    assert out[0].endswith(f"of {len(inputs)} inputs; the 4 furthest:")
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out[4:]]
    assert len(rows) == 4
    ratios = [float(r[5]) for r in rows]
    assert ratios == sorted(ratios, reverse=True)
    for name, _, ours, peer, theirs, ratio in rows:
        assert peer in ("pcodec-8", "zstd-19")
        sizes = auto_bytes.peer_sizes(inputs[name])
        assert int(theirs.replace(",", "")) == min(sizes.values())
        assert abs(float(ratio) - int(ours.replace(",", "")) / min(sizes.values())) < 1e-3
