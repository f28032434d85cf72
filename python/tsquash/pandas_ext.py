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


class TsqSeriesAccessor(_Methods):
    """``series.tsq``: tsquash filters applied to a Series indexed by time; methods return a Series."""

    def __init__(self, s):
        self._s = s

    def _apply(self, make, flush, dropna, columns):
        if columns is not None:
            raise TypeError("columns= applies to DataFrames only")
        return _filter_series(self._s, make, flush, dropna)


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
