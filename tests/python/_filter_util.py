"""Helpers for the filter tests: independent bound checks and the real series (shared datasets)."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from conftest import DATASETS_DIR, dataset_paths, load_series

EPS = np.finfo(np.float64).eps
# Slack for floating-point rounding in the SDT bound, relative to the magnitudes involved:
#   |v_i - linear(t_i)| <= d + SLACK * (d + |v_i| + |v_a| + |v_b|) + 64 * 2**-1074 * span
# (int64 / datetime times), where (t_a, v_a), (t_b, v_b) are the output points around t_i; the last
# term is the underflow floor of the slopes (subnormal values) over the segments next to t_a. Float times add
# SLACK * |v_b - v_a| * (|t_a| + |t_b|) / (t_b - t_a), as their differences round.
SLACK = 64 * EPS
TINY = 64 * np.finfo(np.float64).smallest_subnormal


def linear_reference(tk, vk, tq):
    """Linear interpolation in long double (independent of tsquash.reconstruct), plus the segment ends."""
    tk_l = np.asarray(tk).astype(np.longdouble)
    tq_l = np.asarray(tq).astype(np.longdouble)
    vk_l = np.asarray(vk, dtype=np.float64).astype(np.longdouble)
    j = np.searchsorted(np.asarray(tk), np.asarray(tq), side="right") - 1
    assert (j >= 0).all(), "input point before the first output point"
    exact = np.asarray(tk)[j] == np.asarray(tq)
    k = np.minimum(j + 1, len(tk) - 1)
    span = tk_l[k] - tk_l[j]
    span[span == 0] = 1
    frac = (tq_l - tk_l[j]) / span
    r = np.where(exact, vk_l[j], vk_l[j] + (vk_l[k] - vk_l[j]) * frac)
    va = np.asarray(vk, dtype=np.float64)[j]
    vb = np.where(exact, va, np.asarray(vk, dtype=np.float64)[k])
    return r, va, vb, j, k, exact


def sdt_excess(t, v, out_t, out_v, d, float_times=False):
    """max over input points (up to the last output) of (|v - linear| - d) / slack; <= 1 means the bound
    holds. Returns (ratio, worst index, error there)."""
    t = np.asarray(t)
    v = np.asarray(v, dtype=np.float64)
    out_t = np.asarray(out_t)
    keep = t <= out_t[-1]
    t, v = t[keep], v[keep]
    r, va, vb, j, k, exact = linear_reference(out_t, out_v, t)
    err = np.abs(v.astype(np.longdouble) - r).astype(np.float64)
    # The time span of the segments on both sides of the point's segment start (an emitted value carries
    # the slope rounding of the segment that ends at it).
    h = np.maximum(j - 1, 0)
    span_t = (out_t.astype(np.float64)[k] - out_t.astype(np.float64)[h]) if out_t.dtype.kind == "f" else \
        (out_t[k].view(np.uint64) - out_t[h].view(np.uint64)).astype(np.float64)
    with np.errstate(over="ignore"):
        slack = SLACK * (d + np.abs(v) + np.abs(va) + np.abs(vb)) + TINY * span_t
    if float_times:
        tk = out_t.astype(np.float64)
        span = np.where(exact, 1.0, tk[k] - tk[j])
        with np.errstate(over="ignore"):
            slack = slack + SLACK * np.where(exact, 0.0, np.abs(vb - va) * (np.abs(tk[j]) + np.abs(tk[k])) / span)
    slack = slack + np.finfo(np.float64).smallest_subnormal
    ratio = (err - d) / slack
    i = int(np.argmax(ratio))
    return float(ratio[i]), i, float(err[i])


def step_excess(t, v, out_t, out_v, d):
    """max |v_i - held value| - d over the input points (as computed in double); <= 0 means it holds."""
    j = np.searchsorted(np.asarray(out_t), np.asarray(t), side="right") - 1
    assert (j >= 0).all()
    err = np.abs(np.asarray(v, dtype=np.float64) - np.asarray(out_v)[j])
    return float((err - d).max())


def real_series() -> dict[str, np.ndarray]:
    """Every series of ../shared/datasets: the .f64 files, the two index,value CSVs and the CFD frames."""
    out = {f"{p.parent.name}/{p.stem}": load_series(p) for p in dataset_paths()}
    for name, rel in (("ucr_facefour", "ucr_facefour/FaceFour.csv.gz"), ("btcusd", "btcusd/BTCUSD.csv.gz")):
        path = Path(DATASETS_DIR) / rel
        if path.exists():
            with gzip.open(path, "rt") as fh:
                out[name] = np.loadtxt(fh, delimiter=",", usecols=1, dtype=np.float64)
    cfd = Path(DATASETS_DIR) / "cfd_baler" / "CFD_animation.npz"
    if cfd.exists():
        with np.load(cfd) as z:
            out["cfd_baler"] = np.asarray(z[z.files[0]], dtype=np.float64).ravel()
    return out
