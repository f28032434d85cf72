"""The ``.tsq`` accessor on pandas DataFrames and Series.

``import tsquash`` never imports pandas. The accessor is registered when pandas is (or already was)
imported by the user: :func:`install` puts a small import hook in ``sys.meta_path`` that runs
:func:`register` right after ``import pandas`` finishes, then removes itself.

    >>> import pandas as pd, numpy as np, tsquash
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="1min", tz="Europe/Paris", name="time")
    >>> df = pd.DataFrame({"a": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2]}, index=idx)
    >>> kept = df.tsq.deadband(deadband=1.0)          # {column: DataFrame of the kept rows}
    >>> kept["a"].index.tz is not None, kept["a"]["a"].tolist()
    (True, [0.0, 5.0, 5.2])

Each method filters every column (or ``columns=[...]``) independently and returns a dict
``{column: DataFrame}``: the kept points of that column, indexed by their times (the index's name, time zone
and unit are kept) with the column under its own name. A dict rather than one frame because each column
keeps different times. NaN values (missing data) are skipped by default (``dropna=True``); the error bound
then covers the non-missing points. ``flush=True`` (the default) appends the held last point. The input is
never modified. On a Series the methods return a Series.

``downsample(n_out, method="minmaxlttb")`` picks rows for plotting with a point selector of
:mod:`tsquash.downsample` and returns those rows (index, name and time zone kept). x is the index when it
is a DatetimeIndex, TimedeltaIndex or numeric non-default index (it must be sorted), or ``x="col"`` names a
time column; otherwise the rows are taken as equally spaced. On a DataFrame, ``column="c"`` selects by one
column and returns those rows of every column; without it each numeric column is downsampled on its own and
the union of the chosen rows is returned (so a frame of k columns can return up to k * n_out rows: every
column keeps its own extremes). A row chosen twice (M4 and MinMax can pick one point for two roles) appears
once.

    >>> df = pd.DataFrame({"a": np.sin(np.arange(10_000) / 50)},
    ...                   index=pd.date_range("2024-01-01", periods=10_000, freq="1s"))
    >>> small = df.tsq.downsample(n_out=100, method="lttb")
    >>> len(small), small.index[0] == df.index[0], small.index[-1] == df.index[-1]
    (100, True, True)
"""
from __future__ import annotations

import importlib.abc
import sys

import numpy as np

from .filters import DeadbandFilter, HysteresisFilter, SdtFilter

_registered = False


def _filter_series(s, make, flush: bool, dropna: bool):
    import pandas as pd

    if dropna:
        s = s[s.notna()]
    f = make()
    out = f.filter_points(s)
    if not flush:
        return out
    extra = f.flush()
    if not extra:
        return out
    times = [t for t, _ in extra]
    if isinstance(out.index, pd.DatetimeIndex):
        idx = pd.DatetimeIndex(times, name=out.index.name)  # tz-aware Timestamps keep their zone
        if hasattr(idx, "as_unit"):
            idx = idx.as_unit(out.index.unit)
    else:
        idx = pd.Index(np.asarray(times, dtype=out.index.dtype), name=out.index.name)
    return pd.concat([out, pd.Series([v for _, v in extra], index=idx, name=s.name)])


class _Methods:
    """sdt / deadband / hysteresis over one Series (_one) or every column (_all)."""

    def _apply(self, make, flush, dropna, columns):
        raise NotImplementedError

    def sdt(self, deviation, max_interval=None, *, compat: bool = False, flush: bool = True, dropna: bool = True,
            columns=None):
        """Swinging door trending per column: kept points whose linear interpolation is within
        +-deviation of every (non-missing) input point. See :class:`tsquash.SdtFilter`."""
        SdtFilter(deviation, max_interval, compat=compat)  # parameter errors before any work
        return self._apply(lambda: SdtFilter(deviation, max_interval, compat=compat), flush, dropna, columns)

    def deadband(self, deadband, max_interval=None, *, flush: bool = True, dropna: bool = True, columns=None):
        """Deadband per column: kept points whose step reconstruction is within +-deadband of every input
        point. See :class:`tsquash.DeadbandFilter`."""
        DeadbandFilter(deadband, max_interval)
        return self._apply(lambda: DeadbandFilter(deadband, max_interval), flush, dropna, columns)

    def hysteresis(self, hysteresis, max_interval=None, *, flush: bool = True, dropna: bool = True, columns=None):
        """Hysteresis per column: kept points whose step reconstruction is within +-hysteresis of every
        input point. See :class:`tsquash.HysteresisFilter`."""
        HysteresisFilter(hysteresis, max_interval)
        return self._apply(lambda: HysteresisFilter(hysteresis, max_interval), flush, dropna, columns)


def _downsample_positions(values, x, n_out, method, nan_aware, n_threads, **kw):
    from .downsample import get_downsampler

    sel = get_downsampler(method, nan_aware=nan_aware)
    if x is None:
        return sel.downsample(values, n_out=n_out, n_threads=n_threads, **kw)
    return sel.downsample(x, values, n_out=n_out, n_threads=n_threads, **kw)


def _x_of(obj, x):
    """The x values of a Series/DataFrame: a named column, the index when it carries positions, or None."""
    import pandas as pd

    if x is not None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError("x= names a column; on a Series the index is x")
        if x not in obj.columns:
            raise KeyError(f"no such column: {x!r}")
        return obj[x]
    idx = obj.index
    if isinstance(idx, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        return idx
    if isinstance(idx, pd.RangeIndex) and idx.step == 1:
        return None
    if pd.api.types.is_numeric_dtype(idx.dtype) and not pd.api.types.is_bool_dtype(idx.dtype):
        return idx.to_numpy()
    return None


class TsqFrameAccessor(_Methods):
    """``df.tsq``: tsquash filters applied to each column of a DataFrame indexed by time."""

    def __init__(self, df):
        self._df = df

    def _apply(self, make, flush, dropna, columns):
        import pandas as pd

        df = self._df
        cols = list(df.columns) if columns is None else list(columns)
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise KeyError(f"no such columns: {missing}")
        result = {}
        for c in cols:
            s = df[c]
            if isinstance(s, pd.DataFrame):
                raise ValueError(f"column label {c!r} is not unique")
            out = _filter_series(s, make, flush, dropna)
            result[c] = out.to_frame(name=c)
        return result


    def downsample(self, n_out: int = 1000, method="minmaxlttb", *, column=None, x=None, nan_aware: bool = False,
                   n_threads: int | None = 1, **kw):
        """The rows a point selector keeps for plotting (see the module docstring): by ``column`` if given,
        else the union over every numeric column. ``method``: 'minmaxlttb', 'lttb', 'm4', 'minmax',
        'everynth' (or a :class:`tsquash.downsample.PointSelector`); extra keywords such as
        ``minmax_ratio`` go to it."""
        import pandas as pd

        df = self._df
        xs = _x_of(df, x)
        if column is not None:
            if column not in df.columns:
                raise KeyError(f"no such column: {column!r}")
            cols = [column]
        else:
            cols = [c for c in df.columns if c != x and pd.api.types.is_numeric_dtype(df[c].dtype)
                    and not pd.api.types.is_bool_dtype(df[c].dtype)]
            if not cols:
                raise ValueError("the DataFrame has no numeric column to downsample")
        keep = [_downsample_positions(df[c], xs, n_out, method, nan_aware, n_threads, **kw) for c in cols]
        rows = np.unique(np.concatenate(keep))  # M4/MinMax may pick a row twice; a frame lists it once
        return df.iloc[rows]


class TsqSeriesAccessor(_Methods):
    """``series.tsq``: tsquash filters applied to a Series indexed by time; methods return a Series."""

    def __init__(self, s):
        self._s = s

    def _apply(self, make, flush, dropna, columns):
        if columns is not None:
            raise TypeError("columns= applies to DataFrames only")
        return _filter_series(self._s, make, flush, dropna)

    def downsample(self, n_out: int = 1000, method="minmaxlttb", *, nan_aware: bool = False,
                   n_threads: int | None = 1, **kw):
        """The points a point selector keeps for plotting, as a Series with their index (see the module
        docstring for how x is chosen)."""
        s = self._s
        return s.iloc[np.unique(_downsample_positions(s, _x_of(s, None), n_out, method, nan_aware, n_threads, **kw))]


def register() -> None:
    """Register ``.tsq`` on DataFrame and Series (idempotent). Needs pandas to be importable."""
    global _registered
    if _registered:
        return
    import pandas as pd

    pd.api.extensions.register_dataframe_accessor("tsq")(TsqFrameAccessor)
    pd.api.extensions.register_series_accessor("tsq")(TsqSeriesAccessor)
    _registered = True


class _Loader(importlib.abc.Loader):
    """Wraps pandas' own loader: runs it, then registers the accessor."""

    def __init__(self, inner, hook):
        self._inner = inner
        self._hook = hook

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        self._hook.remove()
        register()

    def __getattr__(self, name):  # get_resource_reader, is_package, ... of the real loader
        return getattr(self._inner, name)


class _PandasHook(importlib.abc.MetaPathFinder):
    """Finds pandas with the other finders and wraps its loader; does nothing for any other module."""

    def __init__(self):
        self._busy = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "pandas" or self._busy:
            return None
        self._busy = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy = False
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader, self)
        return spec

    def remove(self):
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def install() -> None:
    """Register now if pandas is already imported, else when it is."""
    if "pandas" in sys.modules and hasattr(sys.modules["pandas"], "api"):
        register()
        return
    if not any(isinstance(f, _PandasHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _PandasHook())
