"""Readers for Baler's inputs: CSV, HDF5, ROOT TTrees and npz; missing columns and unreadable files."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsquash import Compressor
from tsquash.learned_inputs import read_input

from conftest import DATASETS_DIR


@pytest.fixture
def table():
    rng = np.random.default_rng(3)
    return pd.DataFrame({"px": rng.normal(size=200), "py": rng.normal(size=200),
                         "n": rng.integers(0, 9, size=200).astype(np.int32)})


def test_csv_with_a_date_column_becomes_the_index(tmp_path, table):
    df = table.copy()
    df.insert(0, "time", pd.date_range("2024-01-01", periods=200, freq="min").astype(str))
    df.to_csv(tmp_path / "x.csv", index=False)
    got = read_input(tmp_path / "x.csv")
    assert isinstance(got.index, pd.DatetimeIndex) and list(got.columns) == ["px", "py", "n"]
    assert np.array_equal(got["px"].to_numpy(), table["px"].to_numpy())


def test_hdf5_datasets_plain_and_compound(tmp_path, table):
    h5py = pytest.importorskip("h5py")
    frames = np.random.default_rng(0).normal(size=(4, 6, 5))
    rec = table.to_records(index=False)
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["grp/frames"] = frames
        f["table"] = rec
    assert np.array_equal(read_input(tmp_path / "x.h5", key="grp/frames"), frames)
    got = read_input(tmp_path / "x.h5", key="table", columns=["py", "n"])
    assert list(got.columns) == ["py", "n"] and got["n"].dtype == np.int32
    with pytest.raises(ValueError, match="say which one"):
        read_input(tmp_path / "x.h5")
    with pytest.raises(ValueError, match="no dataset 'nope'"):
        read_input(tmp_path / "x.h5", key="nope")


def test_root_ttree_flat_branches(tmp_path, table):
    uproot = pytest.importorskip("uproot")
    with uproot.recreate(tmp_path / "x.root") as f:
        tree = f.mktree("events", {"px": np.float64, "py": np.float32, "n": np.int32})
        tree.extend({"px": table["px"].to_numpy(), "py": table["py"].to_numpy(np.float32),
                     "n": table["n"].to_numpy()})
    got = read_input(tmp_path / "x.root", columns=["px", "py"])
    assert got.shape == (200, 2) and got["py"].dtype == np.float32
    assert np.array_equal(got["px"].to_numpy(), table["px"].to_numpy())
    c = Compressor("quantise", max_error=1e-4)
    back = c.decompress(c.compress(got))
    assert (np.abs(back.to_numpy(float) - got.to_numpy(float)) <= 1e-4).all()


@pytest.mark.parametrize("name", ["uproot-Zmumu.root", "uproot-HZZ-lzma.root"])
def test_root_files_from_scikit_hep_testdata(name):
    # Real ROOT files written by ROOT itself (zlib and lzma baskets, int32/float32/float64/bool and jagged
    # branches): the flat numeric branches come back as columns and compress within the bound.
    uproot = pytest.importorskip("uproot")
    skhep_testdata = pytest.importorskip("skhep_testdata")
    path = skhep_testdata.data_path(name)
    with uproot.open(path) as f:
        tree = f[[k for k, c in f.classnames().items() if c == "TTree"][0]]
        expected = {k: tree[k].array(library="np") for k in tree.keys()
                    if getattr(tree[k].interpretation, "inner_shape", None) == ()
                    and tree[k].interpretation.from_dtype.kind in "biuf"}
    got = read_input(path)
    assert sorted(got.columns) == sorted(expected) and len(got) == tree.num_entries > 1000
    for k, v in expected.items():
        assert np.array_equal(got[k].to_numpy(), v) and got[k].dtype == v.dtype.newbyteorder("=")
    num = got.select_dtypes("number")
    eps = 1e-3 * (num.max() - num.min()).to_numpy(float)
    c = Compressor("quantise", max_error_relative=1e-3)
    back = c.decompress(c.compress(got))
    assert list(back.dtypes) == list(got.dtypes)
    assert (np.abs(back[num.columns].to_numpy(float) - num.to_numpy(float)) <= eps + 1e-12).all()
    assert back.drop(columns=num.columns).equals(got.drop(columns=num.columns))
    with pytest.raises(KeyError, match="no column"):
        read_input(path, columns=["no_such_branch"])


def test_npz_and_cfd_frames(tmp_path):
    x = np.arange(24.0).reshape(2, 3, 4)
    np.savez(tmp_path / "x.npz", data=x, names=np.array(["a"]))
    assert np.array_equal(read_input(tmp_path / "x.npz"), x)
    cfd = DATASETS_DIR / "cfd_baler" / "CFD_animation.npz"
    if cfd.exists():
        assert read_input(cfd).shape == (60, 50, 50)


def test_errors_name_the_file_and_what_is_wrong(tmp_path, table):
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(KeyError, match=r"no column\(s\) \['pz'\]; available"):
        read_input(tmp_path / "t.csv", columns=["px", "pz"])
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_input(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="unknown input type"):
        read_input(tmp_path / "t.parquet")
    for name in ("bad.h5", "bad.root", "bad.npz"):
        (tmp_path / name).write_bytes(b"this is not that format at all" * 10)
        with pytest.raises(ValueError, match="not a readable"):
            read_input(tmp_path / name)
    (tmp_path / "words.csv").write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(ValueError, match="not numeric"):
        read_input(tmp_path / "words.csv", index_column="a")
