"""tsquash.wavelet_downsample's methods as plug-ins of the equal-budget evaluation (downsample_eval.py):

    .venv/bin/python benchmarks/python/downsample_eval.py --extra wavelet_downsample_methods:make_methods

* "WaveletTopK (level rule)": tsquash.wavelet_downsample.WaveletTopK over the whole evaluation window, at the
  level level_for_budget picks (the harness's own "wavelet top-k" tries every level and keeps the best);
* "learned": tsquash.wavelet_downsample.LearnedDownsampler with windows of 4096 samples (one per evaluation
  window), one model per budget share, its level level_for_budget(budget) + TSQ_LEARNED_DEEPER, at most 10:
  a small approximation band, so that the model rather than the level decides which bands are kept. It trains on
  windows of the harness's TRAIN series (whole series, a window every TSQ_LEARNED_STRIDE samples, at most
  TSQ_LEARNED_MAX_WINDOWS of them); no held-out series is seen. Every stored number is counted: the
  approximation, one per predicted coefficient, two per explicit one, and the window header (m, r, checksum).

Environment knobs: TSQ_LEARNED_EPOCHS (20), TSQ_LEARNED_STRIDE (1024), TSQ_LEARNED_MAX_WINDOWS (1024),
TSQ_LEARNED_DEEPER (4), TSQ_LEARNED_LR (3e-3), TSQ_LEARNED_SEED (0).
"""
from __future__ import annotations

import os
import time

from downsample_eval import TRAIN, load_series
from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK, level_for_budget

BUDGETS = (0.01, 0.05, 0.10, 0.20)
WINDOW = 4096
MAX_LEVEL = 10  # the deepest level the scorer takes


def _nearest(share: float) -> float:
    return min(BUDGETS, key=lambda b: abs(b - share))


class TopKLevelRule:
    name = "WaveletTopK (level rule)"

    def fit(self, train_windows):
        pass

    def compress(self, window, budget):
        res = WaveletTopK("db4").downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


class Learned:
    name = "learned"

    def __init__(self):
        self.models = {}
        env = os.environ.get
        self.epochs = int(env("TSQ_LEARNED_EPOCHS", 20))
        self.stride = int(env("TSQ_LEARNED_STRIDE", 1024))
        self.max_windows = int(env("TSQ_LEARNED_MAX_WINDOWS", 1024))
        self.deeper = int(env("TSQ_LEARNED_DEEPER", 4))
        self.seed = int(env("TSQ_LEARNED_SEED", 0))
        self.lr = float(env("TSQ_LEARNED_LR", 3e-3))
        self.notes = []

    def fit(self, train_windows):
        series = [load_series(name) for name in TRAIN]
        for b in BUDGETS:
            level = min(MAX_LEVEL, level_for_budget(b, WINDOW) + self.deeper)
            la = WINDOW >> level
            keep = max(1e-3, (b * WINDOW - la) / 2 / (WINDOW - la))
            t = time.perf_counter()
            m = LearnedDownsampler.train(series, level=level, keep=keep, epochs=self.epochs, window=WINDOW,
                                         stride=self.stride, max_windows=self.max_windows, progress=False,
                                         seed=self.seed, threads=1, lr=self.lr)
            self.models[b] = m
            h = m.history
            self.notes.append(f"{b:.0%}: level {level}, {time.perf_counter() - t:.0f} s, detail energy missed by "
                              f"the predicted top {keep:.1%}: {h['loss'][-1]:.4f} (by the largest magnitudes: "
                              f"{h['magnitude_loss'][-1]:.4f})")
            print("learned", self.notes[-1], flush=True)

    def compress(self, window, budget):
        m = self.models[_nearest(budget / len(window))]
        res = m.downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


def make_methods():
    return [TopKLevelRule(), Learned()]
