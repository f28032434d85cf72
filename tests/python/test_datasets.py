"""Every shared real-data series round trips bit-exactly with every codec, as float64 and as float32."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import FLOAT_CODECS, PARAM_CHOICES, assert_bits_equal


@pytest.mark.parametrize("codec", FLOAT_CODECS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_shared_series_round_trip(dataset_arrays, codec, dtype):
    for name, series in dataset_arrays.items():
        x = series.astype(dtype)
        blob = tsquash.encode(x, codec)
        y = tsquash.decode(blob)
        try:
            assert_bits_equal(y, x)
        except AssertionError as e:
            raise AssertionError(f"{name} ({codec}, {dtype}): {e}") from None
        assert tsquash.info(blob)["count"] == x.size


@pytest.mark.parametrize("codec,params", [(c, p) for c in ("tsxor", "fpc") for p in PARAM_CHOICES[c]],
                         ids=lambda v: str(v))
def test_shared_series_parameters(dataset_arrays, codec, params):
    # Every parameter choice on a slice of each series (the default is covered in full above).
    for name, series in dataset_arrays.items():
        for dtype in ("float64", "float32"):
            x = series[:20000].astype(dtype)
            y = tsquash.decode(tsquash.encode(x, codec, **params))
            try:
                assert_bits_equal(y, x)
            except AssertionError as e:
                raise AssertionError(f"{name} ({codec} {params}, {dtype}): {e}") from None


def test_shared_series_are_what_the_tests_expect(dataset_arrays):
    # The other data tests mean something only if the files really are float64 series of some length.
    assert len(dataset_arrays) >= 15
    for name, x in dataset_arrays.items():
        assert x.dtype == np.float64 and x.size > 1000, name
