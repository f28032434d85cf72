"""benchmarks/python/downsample_eval.py stays runnable and honest: no method stores more numbers than its
budget, point selectors reconstruct their kept points exactly, a plugged-in method is scored alongside, and a
tiny run on generated series writes the CSV and markdown. (No timing is asserted.)"""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "benchmarks" / "python"


@pytest.fixture(scope="module")
def harness():
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location("downsample_eval_bench", SCRIPTS / "downsample_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
    sys.path.remove(str(SCRIPTS))


def windows(n_windows=3, n=1024, seed=0):
    rng = np.random.default_rng(seed)
    return [np.cumsum(rng.normal(size=n)) + 10 * np.sin(np.arange(n) / 40) for _ in range(n_windows)]


def test_point_selectors_fill_but_never_exceed_the_budget(harness):
    for m in harness.builtin_methods():
        if not isinstance(m, harness.PointSelectorMethod):
            continue
        for w in windows():
            for budget in (10, 11, 51, 102, 205):
                stored, recon = m.compress(w, budget)
                assert stored <= budget and stored % 2 == 0
                assert stored >= budget - 2 * max(4, m.multiple) - 2, (m.name, budget, stored)
                pos = m.select(w, budget // 2)
                np.testing.assert_array_equal(recon[pos], w[pos])  # kept points are exact
                assert len(recon) == len(w) and np.all(np.isfinite(recon))


class Mean:
    """A trivial method for the plug-in path: one stored number, the window's mean."""
    name = "mean"

    def __init__(self):
        self.fitted = 0

    def fit(self, train_windows):
        self.fitted = len(train_windows)

    def compress(self, window, budget):
        return 1, np.full(len(window), window.mean())


def test_evaluate_scores_every_method_and_budget(harness, tmp_path):
    extra = Mean()
    methods = harness.builtin_methods() + [extra]
    train = {"train_a": windows(2, seed=1)}
    held = {"held_a": windows(2, seed=2), "held_b": windows(1, seed=3)}
    ev = harness.evaluate(methods, train, held)
    assert extra.fitted == 2
    assert len(ev.scores) == 3 * len(harness.BUDGETS) * len(methods)
    summ = harness.summary(ev)
    for b in harness.BUDGETS:
        # every selector beats storing the mean once it may keep a few dozen points
        if b >= 0.05:
            assert summ[(b, "LTTB")][0] < summ[(b, "mean")][0]
    for s in ev.scores:
        w = held[s.series][s.window]
        assert s.rmse <= s.max_err + 1e-12
        assert s.nrmse == pytest.approx(s.rmse / np.std(w))
    md = harness.markdown(ev, "test-machine", 2, 3)
    assert "| 5% |" in md and "mean" in md and "held_b" in md


def test_a_tiny_run_writes_results(harness, tmp_path):
    root = tmp_path / "datasets"
    for rel in (harness.HELD_OUT[0], harness.HELD_OUT[1], harness.TRAIN[0]):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        windows(1, n=harness.WINDOW * 2 + 7, seed=len(rel))[0].astype("<f8").tofile(path)
    harness.main(["--datasets", str(root), "--out", str(tmp_path / "out"), "--machine", "tiny"])
    rows = list(csv.DictReader(open(tmp_path / "out" / "downsample-eval-tiny.csv")))
    assert {r["series"] for r in rows} == {harness.HELD_OUT[0], harness.HELD_OUT[1]}
    assert all(int(r["stored"]) <= int(r["allowed"]) for r in rows)
    assert (tmp_path / "out" / "downsample-eval-tiny.md").read_text().startswith("# Downsampling")
