"""Readers for the inputs Baler takes: CSV, HDF5 (h5py), ROOT TTrees (uproot) and npz. Each returns a pandas
DataFrame (tables: CSV, ROOT, HDF5 compound datasets) or a numpy array (npz, plain HDF5 datasets: 2-D tables or
3-D frames). h5py and uproot are imported only when such a file is read.

Errors name the file and what is wrong: a missing file (FileNotFoundError), an unreadable or wrong-format file,
a missing dataset / tree / array (ValueError listing what is there), missing columns (KeyError listing the
available ones)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

SUFFIXES = {".csv": "csv", ".txt": "csv", ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5", ".root": "root",
            ".npz": "npz", ".npy": "npy"}


def read_input(path, *, columns=None, key: str | None = None, index_column: str | None = None):
    """Read ``path`` by its suffix. ``columns``: the variables to keep (tables) ; ``key``: the HDF5 dataset,
    ROOT tree or npz array (default: the only one, or 'data'); ``index_column``: a CSV column to use as index
    (parsed as datetimes when it is not numeric; by default a non-numeric first column is used so)."""
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown input type {path.suffix!r}; expected one of {sorted(SUFFIXES)}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    data = {"csv": _read_csv, "hdf5": _read_hdf5, "root": _read_root, "npz": _read_npz, "npy": _read_npy}[fmt](
        path, key=key, index_column=index_column)
    return select_columns(data, columns, path)


def select_columns(data, columns, path=""):
    if columns is None:
        return data
    columns = list(columns)
    if isinstance(data, np.ndarray):
        raise ValueError(f"{path}: input columns were given but the data is an unnamed {data.ndim}-D array")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(f"{path}: no column(s) {missing}; available: {list(map(str, data.columns))}")
    return data[columns]


def _read_csv(path: Path, *, key, index_column):
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
    if index_column is None and df.shape[1] > 1 and df.dtypes.iloc[0].kind not in "biuf":
        index_column = df.columns[0]
    if index_column is not None:
        if index_column not in df.columns:
            raise KeyError(f"{path}: no index column {index_column!r}; available: {list(map(str, df.columns))}")
        idx = df.pop(index_column)
        if idx.dtype.kind not in "biuf":
            try:
                idx = pd.to_datetime(idx)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}: index column {index_column!r} is neither numeric nor dates ({exc})") from None
        df.index = pd.Index(idx, name=index_column)
    bad = [c for c in df.columns if df[c].dtype.kind not in "biuf"]
    if bad:
        raise ValueError(f"{path}: column(s) {bad} are not numeric")
    return df


def _read_hdf5(path: Path, *, key, index_column):
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        names: list[str] = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        key = _pick(key, names, path, "dataset")
        ds = f[key]
        if ds.dtype.names:
            import pandas as pd

            arr = ds[()]
            return pd.DataFrame({n: arr[n] for n in ds.dtype.names})
        return np.asarray(ds[()])


def _read_root(path: Path, *, key, index_column):
    import pandas as pd
    import uproot

    try:
        f = uproot.open(path)
    except Exception as exc:  # uproot raises many types for foreign bytes
        raise ValueError(f"{path}: not a readable ROOT file ({type(exc).__name__}: {exc})") from None
    with f:
        trees = [k.split(";")[0] for k, cls in f.classnames().items() if cls == "TTree"]
        key = _pick(key, sorted(set(trees)), path, "TTree")
        tree = f[key]
        flat = [name for name, branch in tree.items()
                if np.dtype(getattr(branch.interpretation, "from_dtype", np.dtype("O"))).kind in "biuf"
                and getattr(branch.interpretation, "inner_shape", ()) == ()]
        if not flat:
            raise ValueError(f"{path}: TTree {key!r} has no flat numeric branches")
        arrays = tree.arrays(flat, library="np")
        return pd.DataFrame({name: np.asarray(arrays[name]).astype(arrays[name].dtype.newbyteorder("="))
                             for name in flat})


def _read_npz(path: Path, *, key, index_column):
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable npz file ({exc})") from None
    with f:
        key = _pick(key, list(f.files), path, "array", prefer="data")
        return np.asarray(f[key])


def _read_npy(path: Path, *, key, index_column):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable .npy file ({exc})") from None


def _pick(key, names: list[str], path: Path, what: str, prefer: str = "data") -> str:
    if key is not None:
        if key not in names:
            raise ValueError(f"{path}: no {what} {key!r}; the file has {names}")
        return key
    if len(names) == 1:
        return names[0]
    if prefer in names:
        return prefer
    raise ValueError(f"{path}: {len(names)} {what}s ({names}); say which one (config key 'key')")


def write_output(path, data) -> Path:
    """Write decompressed data: .csv for tables (index included), .npz ('data') for arrays."""
    path = Path(path)
    if isinstance(data, np.ndarray):
        path = path.with_suffix(".npz")
        np.savez(path, data=data)
    else:
        path = path.with_suffix(".csv")
        data.to_csv(path)
    return path
