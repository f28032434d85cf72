"""tsquash.wavelet_downsample's methods as plug-ins of the equal-budget evaluation (downsample_eval.py):

    .venv/bin/python benchmarks/python/downsample_eval.py --extra wavelet_downsample_methods:make_methods

* "WaveletTopK (level rule)": tsquash.wavelet_downsample.WaveletTopK over the whole evaluation window, at the
  level level_for_budget picks (the harness's own "wavelet top-k" tries every level and keeps the best);
* "top-k, level per window": tsquash.multilevel_downsample.MultiLevelDownsampler without models: top-k at the
  best level per window, paying one stored number per window for the level (the learned method's fallback);
* "learned": MultiLevelDownsampler with one LearnedDownsampler per level in LEVELS (windows of 4096, one per
  evaluation window): per window the best of top-k at every level and each model, one number for the choice.
  The same models serve every budget.

Data. The models train on the FIT series (the harness's TRAIN series minus VALIDATION): a window every
TSQ_LEARNED_STRIDE samples, at most TSQ_LEARNED_MAX_WINDOWS of them. LEVELS and the m1 grid were chosen on
windows of the VALIDATION series (learned_downsample_validation.py), never on the held-out series. Every stored
number is counted: the choice, the approximation, one per predicted coefficient, two per explicit one, and
the learned window header (m1, m2, r, checksum).

Trained models are cached under TSQ_LEARNED_CACHE (default: the temp folder), keyed by their settings;
training is deterministic, so a cache miss retrains the same model. Environment knobs: TSQ_LEARNED_EPOCHS
(20), TSQ_LEARNED_STRIDE (1024), TSQ_LEARNED_MAX_WINDOWS (1024), TSQ_LEARNED_LR (3e-3), TSQ_LEARNED_SEED (0),
TSQ_LEARNED_KEEP (0.1: the second pass trains with up to twice that share of values known, which covers the
first-pass counts of budgets up to 20 %).
"""
from __future__ import annotations

import os
import tempfile
import time
import zlib
from pathlib import Path

from downsample_eval import TRAIN, load_series
from tsquash.multilevel_downsample import MultiLevelDownsampler
from tsquash.wavelet_downsample import LearnedDownsampler, WaveletTopK

WINDOW = 4096
WAVELET = "db4"
VALIDATION = ("dew_point_temp/value.f64", "pm10_dust/value.f64", "etth1/LULL.f64", "exchange_rate/c5.f64")
FIT = tuple(name for name in TRAIN if name not in VALIDATION)
CANDIDATE_LEVELS = (4, 5, 6, 7, 8, 9, 10)  # 10: the deepest level the scorer takes
LEVELS = (4, 5, 6, 7, 8, 9, 10)  # chosen on VALIDATION by learned_downsample_validation.py


def _settings():
    env = os.environ.get
    return dict(epochs=int(env("TSQ_LEARNED_EPOCHS", 20)), stride=int(env("TSQ_LEARNED_STRIDE", 1024)),
                max_windows=int(env("TSQ_LEARNED_MAX_WINDOWS", 1024)), lr=float(env("TSQ_LEARNED_LR", 3e-3)),
                seed=int(env("TSQ_LEARNED_SEED", 0)), keep=float(env("TSQ_LEARNED_KEEP", 0.1)))


def trained_model(level: int, notes: list | None = None) -> LearnedDownsampler:
    """The model of one level, from the cache or trained on the FIT series (and cached)."""
    cfg = _settings()
    fit_id = zlib.crc32("\n".join(FIT).encode())
    key = "-".join(f"{k}{v}" for k, v in sorted(cfg.items()))
    cache = Path(os.environ.get("TSQ_LEARNED_CACHE", Path(tempfile.gettempdir()) / "tsquash-learned-models"))
    path = cache / f"{WAVELET}-w{WINDOW}-L{level}-{key}-fit{fit_id:08x}.tsql"
    if path.exists():
        return LearnedDownsampler.load(path, threads=1)
    t = time.perf_counter()
    m = LearnedDownsampler.train([load_series(n) for n in FIT], wavelet=WAVELET, level=level, window=WINDOW,
                                 progress=False, threads=1, **cfg)
    cache.mkdir(parents=True, exist_ok=True)
    m.save(path)
    h = m.history
    line = (f"level {level}: trained in {time.perf_counter() - t:.0f} s; detail energy missed by the predicted "
            f"top {cfg['keep']:.0%}: {h['loss'][-1]:.4f} (by the largest magnitudes: {h['magnitude_loss'][-1]:.4f})")
    print("learned", line, flush=True)
    if notes is not None:
        notes.append(line)
    return m


class TopKLevelRule:
    name = "WaveletTopK (level rule)"

    def fit(self, train_windows):
        pass

    def compress(self, window, budget):
        res = WaveletTopK(WAVELET).downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


class MultiLevel:
    def __init__(self, name: str, levels):
        self.name = name
        self.levels = tuple(levels)
        self.ds = None
        self.notes = []

    def fit(self, train_windows):
        models = [trained_model(lv, self.notes) for lv in self.levels]
        self.ds = MultiLevelDownsampler(models, window=WINDOW, wavelet=WAVELET)

    def compress(self, window, budget):
        res = self.ds.downsample(window, budget=budget / len(window))
        return res.n_stored, res.reconstruct()


def make_methods():
    return [TopKLevelRule(), MultiLevel("top-k, level per window", ()), MultiLevel("learned", LEVELS)]
