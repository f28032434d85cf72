"""tsquash.wavelet_downsample's methods as plug-ins of the equal-budget evaluation (downsample_eval.py):

    .venv/bin/python benchmarks/python/downsample_eval.py --extra wavelet_downsample_methods:make_methods

* "WaveletTopK (level rule)": tsquash.wavelet_downsample.WaveletTopK over the whole evaluation window, at the
  level level_for_budget picks (the harness's own "wavelet top-k" tries every level and keeps the best);
* "WaveletTopK, windows of 256": the same ranking per window of 256 samples at the learned model's level,
  the exact baseline of the learned scorer (same coefficients, magnitude ranking);
* "learned": tsquash.wavelet_downsample.LearnedDownsampler, one model per budget share trained on the
  harness's training windows (cut into windows of 256 samples), its level from level_for_budget and its keep
  share what the budget leaves for detail coefficients; the best scores over the evaluation window within
  the budget are kept.

Environment knobs: TSQ_LEARNED_EPOCHS (3), TSQ_LEARNED_MAX_WINDOWS (512), TSQ_LEARNED_PEAK_WEIGHT (0),
TSQ_LEARNED_SEED (0).
"""
from __future__ import annotations

import os
import time


from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK, level_for_budget

BUDGETS = (0.01, 0.05, 0.10, 0.20)
WINDOW = 256


def _nearest(share: float) -> float:
    return min(BUDGETS, key=lambda b: abs(b - share))


class TopKLevelRule:
    name = "WaveletTopK (level rule)"

    def fit(self, train_windows):
        pass

    def compress(self, window, budget):
        res = WaveletTopK("db4").downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


class TopKWindowed:
    name = "WaveletTopK, windows of 256"

    def fit(self, train_windows):
        pass

    def compress(self, window, budget):
        level = level_for_budget(_nearest(budget / len(window)), WINDOW)
        res = WaveletTopK("db4", level, window=WINDOW).downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


class Learned:
    name = "learned"

    def __init__(self):
        self.models = {}
        self.epochs = int(os.environ.get("TSQ_LEARNED_EPOCHS", 3))
        self.max_windows = int(os.environ.get("TSQ_LEARNED_MAX_WINDOWS", 512))
        self.peak_weight = float(os.environ.get("TSQ_LEARNED_PEAK_WEIGHT", 0))
        self.seed = int(os.environ.get("TSQ_LEARNED_SEED", 0))
        self.notes = []

    def fit(self, train_windows):
        for b in BUDGETS:
            level = level_for_budget(b, WINDOW)
            na = WINDOW >> level
            keep = max(1e-3, (b * WINDOW - na) / 2 / (WINDOW - na))
            t = time.perf_counter()
            m = LearnedDownsampler.train(list(train_windows), level=level, keep=keep, epochs=self.epochs,
                                         window=WINDOW, max_windows=self.max_windows, progress=False,
                                         seed=self.seed, threads=1, peak_weight=self.peak_weight)
            self.models[b] = m
            h = m.history
            self.notes.append(f"{b:.0%}: level {level}, {time.perf_counter() - t:.0f} s, lost detail energy "
                              f"{h['loss'][-1]:.5f} vs magnitude {h['magnitude_loss'][-1]:.5f} (last epoch)")
            print("learned", self.notes[-1], flush=True)

    def compress(self, window, budget):
        m = self.models[_nearest(budget / len(window))]
        res = m.downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


def make_methods():
    return [TopKLevelRule(), TopKWindowed(), Learned()]
