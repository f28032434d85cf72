"""The ``tsquash`` command (also ``python -m tsquash``).

    tsquash csv2bin data.csv [data.bin]
    tsquash compress data.csv out.tsq --codec tsxor --param window=64 --time-codec gorilla
    tsquash decompress out.tsq back.csv
    tsquash info out.tsq
    tsquash codecs
    tsquash bench ../shared/datasets --codecs gorilla,chimp,chimp128,tsxor,fpc
    tsquash filter-csv export.csv out.csv --fields cpu usage_idle 0.5 60000 --tags host --method sdt
    tsquash influx-proxy 127.0.0.1 8087 http://127.0.0.1:8086 --fields cpu usage_idle 0.5 60000 --tags host

docs/cli.md has the details (docs/influx-proxy.md for filter-csv and influx-proxy). Errors are one line on stderr: exit status 2 for bad usage (unknown codec or
parameter, missing arguments), 1 for everything that goes wrong with the data or the files.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile

import numpy as np

PROG = "tsquash"


class UsageError(Exception):
    """Bad command-line usage: exit status 2."""


def _parse_params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key.strip()] = int(value, 0)
        except ValueError:
            raise UsageError(f"--param {key.strip()}: {value!r} is not an integer") from None
    return params


def _check_codec(name: str, params: dict, what: str = "--codec") -> None:
    from . import codecs

    if name not in codecs.ALL:
        raise UsageError(f"{what}: unknown codec {name!r} (known: {', '.join(codecs.ALL)})")
    try:
        codecs.get(name, **params)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{what} {name}: {exc}") from None


@contextlib.contextmanager
def _output(path: str, binary: bool):
    """A file that appears under ``path`` only when the block succeeds ("-" is stdout)."""
    if path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tsquash-", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": "", "encoding": "utf-8"})) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _is_single_stream(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"TSQS"


# ----------------------------------------------------------------------------------------------- commands


def cmd_csv2bin(args) -> int:
    from .csvio import read_csv, write_bin

    out = args.output or os.path.splitext(args.input)[0] + ".bin"
    table = read_csv(args.input, delimiter=args.delimiter, header=args.header)
    with _output(out, binary=True) as f:
        notes = write_bin(f, table)
    for note in notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(f"{args.input} -> {out}: {table.rows} rows x {len(table)} columns of float64")
    return 0


def _to_float32(table, name: str) -> None:
    """Store a float64 column as float32 when that keeps every number: either each value is a float32
    already (a float32 printed as a double; written back the same way) or each decimal text reads back
    from the float32's shortest text (written back that way)."""
    arr = table[name]
    f32 = arr.astype(np.float32)
    nan = np.isnan(arr)
    if np.array_equal(f32.astype(np.float64), arr, equal_nan=True):
        table[name] = f32
        table.columns_info[name].print_double = True
        return
    with np.errstate(invalid="ignore"):
        ok = (f32.astype(str).astype(np.float64) == arr) | nan
    if ok.all():
        table[name] = f32
        table.columns_info[name].print_double = False
        return
    i = int(np.argmin(ok))
    lines = getattr(table, "source_lines", None)
    where = f"line {lines[i]}" if lines is not None and len(lines) > i else f"row {i + 1}"
    raise ValueError(f"{where}, column {name!r}: {arr[i]!r} does not survive float32 "
                     f"(it would read back as {float(f32[i])!r}); use --dtype float64")


def cmd_compress(args) -> int:
    from .csvio import read_any
    from .table import table_info, write_table

    params = _parse_params(args.param)
    _check_codec(args.codec, params)
    _check_codec(args.time_codec, {}, "--time-codec")
    table = read_any(args.input, time=not args.no_time, delimiter=args.delimiter, header=args.header)
    if args.dtype == "float32":
        for name in list(table.value_columns):
            _to_float32(table, name)
    with _output(args.output, binary=True) as f:
        size = write_table(f, table, codec=args.codec, time_codec=args.time_codec, **params)
    if not args.quiet and args.output != "-":
        src = os.path.getsize(args.input)
        raw = sum(np.asarray(v).nbytes for v in table.values())
        print(f"{args.input} -> {args.output}: {len(table)} columns x {table.rows} rows, "
              f"{_human(src)} file / {_human(raw)} in memory -> {_human(size)} "
              f"(ratio {raw / size:.2f} vs. memory, {src / size:.2f} vs. file)")
        if args.verbose:
            _print_info(args.output, table_info(args.output))
    return 0


def cmd_decompress(args) -> int:
    from . import api
    from .csvio import write_bin, write_csv
    from .table import Table, read_table

    if _is_single_stream(args.input):
        with open(args.input, "rb") as f:
            table = Table({"value": api.decode(f.read())}, header=True)
    else:
        wanted = None
        if args.columns:
            wanted = [c for c in args.columns.split(",") if c]
        table = read_table(args.input, columns=wanted)
    if args.output.lower().endswith(".bin"):
        with _output(args.output, binary=True) as f:
            notes = write_bin(f, table)
        for note in notes:
            print(f"{PROG}: note: {note}", file=sys.stderr)
    else:
        with _output(args.output, binary=False) as f:
            write_csv(f, table, header=args.header, delimiter=args.delimiter)
    if not args.quiet and args.output != "-":
        print(f"{args.input} -> {args.output}: {len(table)} columns x {table.rows} rows")
    return 0


def _type_name(c) -> str:
    if c.kind == "datetime":
        return f"datetime64[{c.unit}]" + (" UTC" if c.utc else "")
    if c.print_double:
        return f"{c.dtype} (as double)"
    return c.dtype or c.kind


def _print_info(path: str, meta: dict) -> None:
    cols = meta["columns"]
    raw_total = 0
    rows = []
    for c in cols:
        itemsize = 4 if c.dtype == "float32" else 8
        raw = c.count * itemsize
        raw_total += raw
        params = ",".join(f"{k}={v}" for k, v in c.params.items()) or "-"
        ratio = f"{raw / c.stream_bytes:.2f}" if c.stream_bytes else "-"
        bits = f"{8 * c.stream_bytes / c.count:.2f}" if c.count else "-"
        rows.append([c.name, c.role, _type_name(c), c.codec, params, str(c.stream_bytes), str(raw), ratio, bits])
    print(f"{path}: tsquash table (format {meta['version']}), {len(cols)} columns x {meta['rows']} rows, "
          f"{meta['file_bytes']} bytes, time column: {meta['time'] or 'none'}, "
          f"CSV header row: {'yes' if meta['header'] else 'no'}")
    head = ["column", "role", "type", "codec", "params", "bytes", "raw bytes", "ratio", "bits/value"]
    overhead = meta["file_bytes"] - sum(c.stream_bytes for c in cols)
    total_ratio = f"{raw_total / meta['file_bytes']:.2f}" if meta["file_bytes"] else "-"
    values = meta["rows"] * len(cols)
    total_bits = f"{8 * meta['file_bytes'] / values:.2f}" if values else "-"
    rows.append(["(directory)", "", "", "", "", str(overhead), "", "", ""])
    rows.append(["total", "", "", "", "", str(meta["file_bytes"]), str(raw_total), total_ratio, total_bits])
    _print_grid(head, rows, right={5, 6, 7, 8})


def _print_grid(head: list[str], rows: list[list[str]], right=frozenset()) -> None:
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]

    def fmt(r):
        return "  ".join(str(v).rjust(w) if i in right else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths)))

    print(fmt(head).rstrip())
    for r in rows:
        print(fmt(r).rstrip())


def cmd_info(args) -> int:
    from . import api
    from .table import table_info

    if _is_single_stream(args.input):
        with open(args.input, "rb") as f:
            meta = api.info(f.read())
        if args.json:
            print(json.dumps({"kind": "stream", **meta}, indent=2))
        else:
            itemsize = np.dtype(meta["dtype"]).itemsize
            size = meta["header_size"] + meta["payload_size"]
            raw = meta["count"] * itemsize
            params = ",".join(f"{k}={v}" for k, v in meta["params"].items()) or "-"
            print(f"{args.input}: tsquash stream (format {meta['format_version']}), codec {meta['codec']} "
                  f"({params}), {meta['count']} x {meta['dtype']}, {size} bytes "
                  f"(header {meta['header_size']}), ratio {raw / size:.2f}")
        return 0
    meta = table_info(args.input)
    if args.json:
        doc = {"kind": "table", **meta, "columns": [
            {k: v for k, v in vars(c).items()} for c in meta["columns"]]}
        print(json.dumps(doc, indent=2))
    else:
        _print_info(args.input, meta)
    return 0


def cmd_codecs(args) -> int:
    from . import api

    specs = api.available_codecs()
    if args.json:
        print(json.dumps(specs, indent=2))
        return 0
    rows = []
    for s in specs:
        params = "; ".join(f"{p['name']}={p['default']} ({p['min']}..{p['max']}): {p['help']}" for p in s["params"])
        rows.append([s["name"], ",".join(s["dtypes"]), params or "-", s["summary"]])
    _print_grid(["codec", "dtypes", "params (default, range)", "summary"], rows)
    return 0


def cmd_bench(args) -> int:
    from . import bench

    specs = bench.parse_codecs(args.codecs)
    for label, name, params in specs:
        _check_codec(name, params, f"--codecs {label}:")
    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    return bench.run(args.paths, specs, runs=args.runs, csv_path=args.csv)


def _field_specs(args):
    from ._influx import parse_field_specs

    try:
        specs = parse_field_specs(args.fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not specs:
        raise UsageError("give at least one --fields measurement field threshold max_interval_ms")
    return specs


def cmd_filter_csv(args) -> int:
    from .influx_csv import filter_csv

    specs = _field_specs(args)
    report = filter_csv(args.input, args.output, specs, tags=args.tags, method=args.method,
                        lastvalue=args.lastvalue, time_unit=args.time_unit)
    if not args.quiet:
        share = f" ({100.0 * report.points_out / report.points_in:.1f}%)" if report.points_in else ""
        print(f"{args.input} -> {args.output}: {report.format} CSV, {report.rows_in} rows in, "
              f"{report.rows_out} rows out; {report.points_in} points of {report.series} filtered series "
              f"-> {report.points_out}{share}")
    return 0


def cmd_influx_proxy(args) -> int:
    import logging

    try:
        from . import influx_proxy
    except ImportError as exc:
        print(f"{PROG} influx-proxy: error: {exc}", file=sys.stderr)
        return 1
    specs = _field_specs(args)
    if not args.server_url.startswith(("http://", "https://")):
        raise UsageError(f"server_url must start with http:// or https://, got {args.server_url!r}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"port {args.port} is not a TCP port")
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = influx_proxy.ProxyConfig(
        upstream=args.server_url, fields=specs, tags=args.tags, method=args.method, lastvalue=args.lastvalue,
        state_file=args.state_file, state_interval=args.state_interval, timeout=args.timeout,
        max_body_size=args.max_body_size)

    def ready(port):
        print(f"{PROG} influx-proxy: listening on http://{args.host}:{port} -> {args.server_url}",
              file=sys.stderr, flush=True)

    influx_proxy.run(config, args.host, args.port, ready)
    return 0


# ----------------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog=PROG, description="Lossless time-series compression (Gorilla, Chimp, "
                                "Chimp128, TSXor, FPC) for CSV and TSXor .bin files.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def csv_options(sp, header_help):
        sp.add_argument("--delimiter", default=",", help="CSV field delimiter (default ',')")
        sp.add_argument("--header", action=argparse.BooleanOptionalAction, default=None, help=header_help)

    def quiet(sp):
        sp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")

    s = sub.add_parser("csv2bin", help="CSV -> TSXor .bin (u64 rows, u64 columns, row-major float64)",
                       description="Convert a CSV (first column timestamps, the rest values) into TSXor's .bin.")
    s.add_argument("input")
    s.add_argument("output", nargs="?", help="default: the input's name with .bin")
    csv_options(s, "the first row is (not) a header; default: detect")
    quiet(s)
    s.set_defaults(func=cmd_csv2bin)

    s = sub.add_parser("compress", help="CSV or .bin -> .tsq table",
                       description="Compress a CSV or TSXor .bin file into a .tsq table: one stream per column.")
    s.add_argument("input", help="a .csv file, or a TSXor .bin file (by its suffix)")
    s.add_argument("output", help=".tsq file to write ('-' for stdout)")
    s.add_argument("--codec", default="chimp128", help="codec for the value columns (default chimp128; "
                   "see 'tsquash codecs')")
    s.add_argument("--param", action="append", metavar="KEY=VALUE", help="codec parameter, e.g. window=64 "
                   "(repeat for several)")
    s.add_argument("--time-codec", default="gorilla", help="codec for the time column (default gorilla: "
                   "delta-of-delta for integer and datetime timestamps)")
    s.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="store values as float32 (refused unless every number survives it)")
    s.add_argument("--no-time", action="store_true", help="the first column is a value, not timestamps")
    s.add_argument("-v", "--verbose", action="store_true", help="print the table's columns afterwards")
    csv_options(s, "the first row is (not) a header; default: detect")
    quiet(s)
    s.set_defaults(func=cmd_compress)

    s = sub.add_parser("decompress", help=".tsq -> CSV (or .bin)",
                       description="Decompress a .tsq table (or a single tsquash stream) to CSV, or to TSXor's "
                       ".bin when the output ends in .bin.")
    s.add_argument("input")
    s.add_argument("output", help=".csv or .bin file to write ('-' for CSV on stdout)")
    s.add_argument("--columns", help="comma-separated columns to write (default: all)")
    csv_options(s, "write (no) header row; default: as the source CSV had")
    quiet(s)
    s.set_defaults(func=cmd_decompress)

    s = sub.add_parser("info", help="columns, codecs, sizes and ratios of a .tsq file",
                       description="Describe a .tsq table or a single tsquash stream without decoding it.")
    s.add_argument("input")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("codecs", help="list codecs and their parameters")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_codecs)

    s = sub.add_parser("bench", help="compression speed, decompression speed and ratio per codec",
                       description="Benchmark codecs on every *.f64 under the given folders (and on .f64, .csv "
                       "and .bin files named directly); prints markdown tables like TSXor's README.")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--codecs", default="gorilla,chimp,chimp128,tsxor,fpc",
                   help="comma-separated codecs, each optionally with parameters: tsxor:window=64 "
                   "(default: gorilla,chimp,chimp128,tsxor,fpc)")
    s.add_argument("--runs", type=int, default=5, help="timed runs per codec and series; the median is "
                   "reported (default 5)")
    s.add_argument("--csv", metavar="OUT.csv", help="also write the raw numbers to this CSV file")
    s.set_defaults(func=cmd_bench)

    def filter_options(sp, lastvalue_help):
        sp.add_argument("--fields", nargs=4, action="append", default=[],
                        metavar=("measurement", "field", "threshold", "max_interval_ms"),
                        help="filter this field of this measurement: threshold is the SDT compression deviation, "
                        "the deadband or the hysteresis; max_interval_ms forces a point out at least that often "
                        "('none' for no limit). Repeat for more fields.")
        sp.add_argument("--tags", nargs="+", default=[], metavar="TAG",
                        help="tag keys whose values split a field into independently filtered series")
        sp.add_argument("--method", choices=("sdt", "deadband", "hysteresis"), default="sdt",
                        help="filter algorithm (default sdt)")
        sp.add_argument("--lastvalue", action="store_true", help=lastvalue_help)

    s = sub.add_parser("filter-csv", help="filter InfluxDB CSV exports (annotated 2.x, 1.x, plain time,value)",
                       description="Filter the configured fields of an InfluxDB CSV export with SDT, deadband or "
                       "hysteresis and write the result in the same format (docs/influx-proxy.md).")
    s.add_argument("input", help="CSV export: 2.x annotated CSV, 1.x 'influx -format csv', or plain time,value")
    s.add_argument("output", help="CSV file to write")
    filter_options(s, "also write each series' last point (the one a filter holds back)")
    s.add_argument("--time-unit", choices=("ns", "us", "ms", "s"), default=None,
                   help="unit of numeric times (default: ns for InfluxDB exports, ms for plain CSVs)")
    quiet(s)
    s.set_defaults(func=cmd_filter_csv)

    s = sub.add_parser("influx-proxy", help="InfluxDB write proxy that filters configured fields",
                       description="Accept InfluxDB line protocol on /write and /api/v2/write, filter the "
                       "configured fields and forward everything to the InfluxDB server at server_url "
                       "(docs/influx-proxy.md). Stops cleanly on SIGINT/SIGTERM.")
    s.add_argument("host", help="address to listen on, e.g. 127.0.0.1")
    s.add_argument("port", type=int, help="TCP port to listen on (0: any free port)")
    s.add_argument("server_url", help="InfluxDB server, e.g. http://127.0.0.1:8086")
    filter_options(s, "on shutdown, forward the point each filter still holds back")
    s.add_argument("--state-file", help="keep the filter state here: restored at start, written atomically "
                   "every --state-interval seconds and at shutdown")
    s.add_argument("--state-interval", type=float, default=10.0, help="seconds between state saves (default 10; "
                   "0: only at shutdown)")
    s.add_argument("--timeout", type=float, default=30.0, help="upstream request timeout in seconds (default 30)")
    s.add_argument("--max-body-size", type=int, default=64 * 1024 * 1024,
                   help="largest request body in bytes after gzip decompression (default 64 MiB)")
    s.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    s.set_defaults(func=cmd_influx_proxy)

    from . import baler_cli

    baler_cli.add_parser(sub)
    return p


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 bad usage)."""
    from ._core import CorruptStreamError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage (or --help / --version)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except CorruptStreamError as exc:
        print(f"{PROG} {args.command}: error: {getattr(args, 'input', '')}: corrupted or not a tsquash file: {exc}",
              file=sys.stderr)
        return 1
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            with contextlib.suppress(OSError):  # the reader went away (| head): not an error
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        what = f"{exc.strerror}: {exc.filename}" if exc.filename and exc.strerror else str(exc)
        print(f"{PROG} {args.command}: error: {what}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"{PROG} {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
