"""Compressor: every method round trips shapes, dtypes, index and columns; error bounds hold on every value of
real data; save/load is identical; corrupted compressed and model files raise clear errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings, strategies as st

import tsquash
from tsquash import CompressedData, Compressor, CorruptStreamError, ModelMismatchError
from tsquash.compressor import FILTERS, METHODS

from conftest import DATASETS_DIR

LOSSLESS = ("raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc", "alp", "auto")
BOUNDED = {"quantise": {"max_error": 0.05}, "pca": {"latent": 2, "max_error": 0.05},
           "sdt": {"max_error": 0.05}, "deadband": {"max_error": 0.05}, "hysteresis": {"max_error": 0.05}}


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = np.cumsum(rng.normal(size=n))
    df = pd.DataFrame({
        "a": base + 0.1 * rng.normal(size=n),
        "b": (2 * base + np.sin(t / 7)).astype(np.float32),
        "count": rng.integers(-50, 50, size=n).astype(np.int32),
        "c": np.round(np.sin(t / 5), 3),
    }, index=pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Zurich", name="when"))
    return df


def _methods():
    return [(m, {}) for m in LOSSLESS] + list(BOUNDED.items())


def test_every_method_is_covered():
    assert set(METHODS) == set(LOSSLESS) | set(BOUNDED) | {"autoencoder"}


@pytest.mark.parametrize("method,params", _methods(), ids=lambda v: v if isinstance(v, str) else "")
def test_dataframe_round_trip_keeps_index_columns_dtypes(method, params):
    df = _frame()
    c = Compressor(method, **params).train(df)
    blob = c.compress(df)
    back = c.decompress(CompressedData(bytes(blob)))
    assert list(back.columns) == list(df.columns)
    assert list(back.dtypes) == list(df.dtypes)
    pd.testing.assert_index_equal(back.index, df.index)
    assert blob.needs_model == (method == "pca")
    diff = np.abs(back.to_numpy(np.float64) - df.to_numpy(np.float64))
    if method in LOSSLESS:
        pd.testing.assert_frame_equal(back, df)
    else:
        # the integer column is rounded, so its error is within the bound or the value is exact
        assert diff.max() <= 0.05 * (1 + 1e-12)


@pytest.mark.parametrize("method,params", _methods(), ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("shape", [(200,), (200, 3), (12, 6, 5)])
def test_array_round_trip_keeps_shape_and_dtype(method, params, shape):
    rng = np.random.default_rng(1)
    x = np.cumsum(rng.normal(size=shape), axis=0).astype(np.float32)
    c = Compressor(method, **params).train(x)
    back = c.decompress(c.compress(x))
    assert back.shape == x.shape and back.dtype == x.dtype
    if method in LOSSLESS:
        assert np.array_equal(back.view(np.uint32), x.view(np.uint32))
    else:
        assert np.abs(back.astype(np.float64) - x).max() <= 0.05 * (1 + 1e-6)


def test_series_round_trip():
    s = pd.Series(np.linspace(0, 1, 50), name="level", index=pd.RangeIndex(10, 110, 2))
    c = Compressor("quantise", max_error=1e-3)
    back = c.decompress(c.compress(s))
    assert isinstance(back, pd.Series) and back.name == "level"
    pd.testing.assert_index_equal(back.index, s.index)
    assert np.abs(back - s).max() <= 1e-3


def _etth1():
    path = DATASETS_DIR / "etth1" / "ETTh1.csv"
    if not path.exists():
        pytest.skip("shared datasets not present")
    return pd.read_csv(path, parse_dates=["date"], index_col="date")


def _cfd():
    path = DATASETS_DIR / "cfd_baler" / "CFD_animation.npz"
    if not path.exists():
        pytest.skip("shared datasets not present")
    with np.load(path) as f:
        return f["data"]


@pytest.mark.parametrize("rel", [1e-2, 1e-3, 1e-4])
def test_pca_error_bound_on_every_value_of_etth1(rel):
    df = _etth1()
    train = df.iloc[:3000]
    c = Compressor("pca", latent=3, max_error_relative=rel).train(train)
    back = c.decompress(c.compress(df))  # a model trained on a sample compresses the whole series
    x, y = df.to_numpy(), back.to_numpy()
    eps = rel * (x.max(axis=0) - x.min(axis=0))
    assert (np.abs(y - x) <= eps).all()


@pytest.mark.parametrize("eps", [1e-3, 1e-4, 1e-5])
def test_pca_and_quantise_error_bound_on_cfd_frames(eps):
    x = _cfd()
    for method, params in (("pca", {"latent": 6}), ("quantise", {})):
        c = Compressor(method, max_error=eps, **params).train(x[:30])
        back = c.decompress(c.compress(x))
        assert back.shape == x.shape
        assert np.abs(back - x).max() <= eps


def test_bound_holds_for_zeros_float32_and_integers():
    x = np.zeros((100, 3))
    x[::7, 0] = 1e-9
    x[:, 1] = np.arange(100) % 3
    x[:, 2] = np.float32(np.linspace(-1, 1, 100))
    for method in ("quantise", "pca"):
        c = Compressor(method, max_error=1e-6).train(x)
        back = c.decompress(c.compress(x))
        assert (np.abs(back - x) <= 1e-6).all()
    x32 = x.astype(np.float32)
    c = Compressor("quantise", max_error=1e-7)
    back = c.decompress(c.compress(x32))
    assert back.dtype == np.float32 and (np.abs(back.astype(np.float64) - x32) <= 1e-7).all()


def test_non_finite_values_pass_through_exactly_with_a_bound():
    x = np.linspace(0, 1, 60).reshape(20, 3)
    x[3, 1] = np.nan
    x[5, 0] = np.inf
    x[7, 2] = -np.inf
    for method in ("quantise", "pca"):
        c = Compressor(method, max_error=1e-3, **({"latent": 1} if method == "pca" else {})).train(x)
        back = c.decompress(c.compress(x))
        assert np.isnan(back[3, 1]) and back[5, 0] == np.inf and back[7, 2] == -np.inf
        ok = np.isfinite(x)
        assert (np.abs(back[ok] - x[ok]) <= 1e-3).all()


def test_unbounded_learned_method_refuses_nan():
    x = np.linspace(0, 1, 60).reshape(20, 3)
    c = Compressor("pca", latent=1).train(x)
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        c.compress(x)


def test_latent_and_residuals_are_coded_small():
    # a rank-1 table: PCA with one component leaves almost nothing to correct
    t = np.linspace(0, 20, 5000)
    x = np.outer(np.sin(t), [1.0, 2.0, -0.5, 3.0]) + 10
    c = Compressor("pca", latent=1, max_error=1e-3).train(x)
    blob = c.compress(x)
    assert blob.ratio(x) > 20
    assert blob.ratio(x, model_bytes=c.model_nbytes) < blob.ratio(x)


def test_save_load_gives_identical_output(tmp_path):
    df = _frame()
    c = Compressor("pca", latent=2, max_error_relative=1e-3).train(df)
    blob = c.compress(df)
    c.save(tmp_path / "m")
    c2 = Compressor.load(tmp_path / "m")
    assert bytes(c2.compress(df)) == bytes(blob)
    pd.testing.assert_frame_equal(c2.decompress(blob), c.decompress(blob))
    blob.save(tmp_path / "x.tsqc")
    assert bytes(CompressedData.load(tmp_path / "x.tsqc")) == bytes(blob)


def test_wrong_model_is_detected():
    df = _frame()
    a = Compressor("pca", latent=2).train(df)
    b = Compressor("pca", latent=2).train(df.iloc[:100])
    with pytest.raises(ModelMismatchError, match="model"):
        b.decompress(a.compress(df))
    with pytest.raises(RuntimeError, match="not trained"):
        Compressor("pca").decompress(a.compress(df))


def test_model_free_data_decodes_with_a_fresh_compressor():
    df = _frame()
    blob = Compressor("sdt", deviation=0.01).compress(df)
    params = blob.header["params"]
    back = Compressor("sdt", **params).decompress(blob)
    assert np.abs(back.to_numpy(float) - df.to_numpy(float)).max() <= 0.01 * (1 + 1e-9)


@pytest.mark.parametrize("method,params", [("pca", {"latent": 2, "max_error": 0.01}), ("quantise", {"max_error": 0.01}),
                                          ("chimp128", {}), ("sdt", {"deviation": 0.01})])
def test_every_single_byte_corruption_raises(method, params):
    df = _frame(40)
    c = Compressor(method, **params).train(df)
    blob = bytearray(bytes(c.compress(df)))
    for i in range(0, len(blob), max(1, len(blob) // 150)):
        bad = bytearray(blob)
        bad[i] ^= 0x5A
        with pytest.raises(CorruptStreamError):
            c.decompress(bytes(bad))
    for n in (0, 5, 15, len(blob) // 2, len(blob) - 1):
        with pytest.raises(CorruptStreamError):
            c.decompress(bytes(blob[:n]))


_FUZZ_C = Compressor("quantise", max_error=0.01)
_FUZZ_X = _frame(30)
_FUZZ_BLOB = bytes(_FUZZ_C.compress(_FUZZ_X))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_FUZZ_BLOB) - 1), st.integers(1, 255)), min_size=1, max_size=4),
       st.integers(0, len(_FUZZ_BLOB)))
def test_fuzzed_bytes_never_decode_silently(flips, cut):
    bad = bytearray(_FUZZ_BLOB)
    for pos, xor in flips:
        bad[pos] ^= xor
    bad = bytes(bad[:cut])
    assume(bad != _FUZZ_BLOB)  # flips that cancel out leave the data intact
    with pytest.raises(CorruptStreamError):
        _FUZZ_C.decompress(bad)


def test_corrupted_model_files_raise(tmp_path):
    df = _frame()
    c = Compressor("pca", latent=2).train(df)
    d = c.save(tmp_path / "m")
    model = d / "model.tsqm"
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 1
    model.write_bytes(bytes(raw))
    with pytest.raises(CorruptStreamError, match="model"):
        Compressor.load(d)
    (d / "compressor.json").write_text("{not json")
    with pytest.raises(CorruptStreamError, match="compressor"):
        Compressor.load(d)
    with pytest.raises(FileNotFoundError, match="no saved compressor"):
        Compressor.load(tmp_path / "nothing")


def test_pca_model_bytes_round_trip_and_reject_corruption():
    from tsquash.models import PCAModel

    x = np.random.default_rng(0).normal(size=(50, 6))
    m = PCAModel((6,), latent=3)
    m.fit(x)
    m2 = PCAModel.from_bytes(m.to_bytes())
    assert np.array_equal(m2.decode(m2.encode(x)), m.decode(m.encode(x)))
    b = bytearray(m.to_bytes())
    b[20] ^= 4
    with pytest.raises(CorruptStreamError):
        PCAModel.from_bytes(bytes(b))


def test_pca_model_keeps_a_float32_mean_and_reads_an_older_float64_one():
    from tsquash.learned_format import pack
    from tsquash.models import _PCA_MAGIC, PCAModel

    x = np.random.default_rng(1).normal(size=(40, 5)) + 3.0
    m = PCAModel((5,), latent=2)
    m.fit(x)
    assert m.mean.dtype == np.float32
    old = pack(_PCA_MAGIC, {"input_shape": [5], "latent": 2},
               {"mean": m.mean.astype("<f8").tobytes(), "components": m.components.astype("<f4").tobytes(),
                "singular_values": m.singular_values.astype("<f8").tobytes()})
    assert len(old) == len(m.to_bytes()) + 4 * 5
    m_old = PCAModel.from_bytes(old)
    assert np.array_equal(m_old.decode(m_old.encode(x)), m.decode(m.encode(x)))


def test_bad_parameters_are_clear():
    with pytest.raises(ValueError, match="unknown method"):
        Compressor("zip")
    with pytest.raises(TypeError, match="unexpected parameter"):
        Compressor("chimp128", window=3)
    with pytest.raises(ValueError, match="not both"):
        Compressor("pca", max_error=1, max_error_relative=0.1)
    with pytest.raises(ValueError, match="needs max_error"):
        Compressor("quantise")
    with pytest.raises(ValueError, match="positive"):
        Compressor("quantise", max_error=-1)
    with pytest.raises(ValueError, match="exactly one"):
        Compressor("sdt")
    with pytest.raises(TypeError, match="numeric"):
        Compressor("auto").compress(pd.DataFrame({"s": ["a", "b"]}))
    c = Compressor("pca", latent=2).train(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="trained on rows of shape"):
        c.compress(np.zeros((10, 4)))


def test_evaluate_returns_metrics_and_writes_plots(tmp_path):
    df = _frame()
    c = Compressor("pca", latent=2, max_error=0.01).train(df)
    m = c.evaluate(df, plots=tmp_path / "plots", formats=("png",))
    assert m["max_abs_error"] <= 0.01 and m["rmse"] <= m["max_abs_error"]
    assert m["ratio_with_model"] < m["ratio"]
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == sorted(f"variable_{c}.png" for c in df.columns)


def test_evaluate_frames_draws_a_frame_and_pdf(tmp_path):
    x = np.cumsum(np.random.default_rng(0).normal(size=(8, 5, 4)), axis=0)
    c = Compressor("pca", latent=2).train(x)
    c.evaluate(x, plots=tmp_path, formats=("png", "pdf"))
    assert {p.name for p in tmp_path.iterdir()} == {"variable_all_values.png", "variable_all_values.pdf",
                                                    "frame_0.png", "frame_0.pdf"}


def test_filters_store_fewer_points_than_rows():
    x = np.sin(np.linspace(0, 10, 1000))
    for method in FILTERS:
        c = Compressor(method, max_error=0.01)
        blob = c.compress(x)
        assert blob.nbytes < x.nbytes / (8 if method == "sdt" else 2)
        assert np.abs(c.decompress(blob) - x).max() <= 0.01 * (1 + 1e-9)


def test_top_level_exports():
    assert tsquash.Compressor is Compressor and issubclass(tsquash.ModelMismatchError, ValueError)


def test_envelope_matches_docs_format_md():
    """A reader written from docs/format.md section 6 (independent CRC-32C) parses a .tsqc file."""
    import json
    import struct

    from conftest import crc32c

    df = _frame(50)
    blob = bytes(Compressor("pca", latent=2, max_error=0.01).train(df).compress(df))
    magic, version, flags, reserved, hlen = struct.unpack_from("<4sBBHI", blob)
    assert (magic, version, flags, reserved) == (b"TSQC", 1, 1, 0)
    assert struct.unpack_from("<I", blob, len(blob) - 4)[0] == crc32c(blob[:-4])
    header = json.loads(blob[12:12 + hlen])
    assert 12 + hlen + sum(n for _, n in header["sections"]) + 4 == len(blob)
    names = [s for s, _ in header["sections"]]
    assert names == ["index", "latent", "corrections", "exception_positions", "exception_values"]
    assert header["layout"]["columns"] == list(df.columns) and header["method"] == "pca"
    pos = 12 + hlen
    for name, n in header["sections"]:
        assert tsquash.info(blob[pos:pos + n])["count"] >= 0  # every section is a tsquash stream
        pos += n


@pytest.mark.parametrize("index", [pd.Index([5, 3, 9, 1], name="id"), pd.Index([0.5, 1.5, 2.0, 7.25]),
                                   pd.Index(["a", "b", "c", "d"], name="key"),
                                   pd.date_range("2024-03-01", periods=4, freq="D").as_unit("s")])
@pytest.mark.parametrize("method", ["auto", "quantise"])
def test_other_indexes_and_integer_column_names(index, method):
    df = pd.DataFrame({0: [1.0, 2.5, 3.0, 4.0], 7: np.array([1, 2, 3, 4], dtype=np.int16)}, index=index)
    c = Compressor(method, **({"max_error": 0.01} if method == "quantise" else {}))
    back = c.decompress(c.compress(df))
    pd.testing.assert_index_equal(back.index, df.index)
    assert list(back.columns) == [0, 7] and list(back.dtypes) == list(df.dtypes)
    assert np.array_equal(back[7].to_numpy(), df[7].to_numpy())


def test_quantise_stores_exactly_when_that_is_smaller():
    # three-decimal data at a bound far below its resolution: the grid costs more than the digits
    x = np.round(np.cumsum(np.random.default_rng(5).normal(size=(3000, 2)), axis=0), 3)
    c = Compressor("quantise", max_error=1e-7)
    blob = c.compress(x)
    assert blob.header["stored_as"] == "auto"
    assert np.array_equal(c.decompress(blob), x)
    assert "stored_as" not in Compressor("quantise", max_error=0.1).compress(x).header
