"""``tsquash baler``: Baler's workflow (train / compress / decompress / plot, plus info) driven by a TOML
config. See docs/learned.md for the config keys.

    tsquash baler --config cfg.toml --input data.csv --output out/ --mode train

Files in the output folder: ``model/`` (the saved Compressor), ``compressed.tsqc``, ``decompressed.csv`` or
``.npz``, ``plots/``, ``info.json`` (sizes and ratios with and without the model) and ``evaluation.json``.
"""
from __future__ import annotations

import json
import numbers
from pathlib import Path

from .compressor import LEARNED, CompressedData, Compressor
from .errors import ConfigError
from .learned_inputs import read_input, write_output

MODES = ("train", "compress", "decompress", "plot", "info")
COMPRESSED_FILE = "compressed.tsqc"
MODEL_DIR = "model"

_NUM = (numbers.Real,)
# key -> (accepted types, description). Names follow Baler's config where it has one.
CONFIG_KEYS = {
    "model_name": (str, "method: autoencoder, pca, quantise, a lossless codec or a filter (required)"),
    "model_type": (str, "autoencoder architecture: dense or conv"),
    "latent_space_size": (int, "latent dimension (learned methods)"),
    "compression_ratio": (_NUM, "latent = number of features / compression_ratio (instead of latent_space_size)"),
    "layers": (list, "hidden layer sizes of the dense autoencoder"),
    "activation": (str, "autoencoder activation"),
    "epochs": (int, "training epochs"),
    "lr": (_NUM, "learning rate"),
    "batch_size": (int, "training batch size"),
    "early_stopping": (bool, "stop when the validation loss stops improving"),
    "patience": (int, "epochs without improvement before early stopping / learning-rate reduction"),
    "lr_scheduler": (bool, "reduce the learning rate on plateaus"),
    "test_size": (_NUM, "fraction of the training data held out for validation"),
    "normalisation": (str, "minmax, zscore or none"),
    "seed": (int, "random seed (training is deterministic for a seed)"),
    "threads": (int, "training threads"),
    "max_error": (_NUM, "absolute bound on every decompressed value"),
    "max_error_relative": (_NUM, "bound as a fraction of each column's range"),
    "input_columns": (list, "columns (variables, branches) to compress"),
    "key": (str, "HDF5 dataset, ROOT tree or npz array to read"),
    "index_column": (str, "CSV column holding the index (times)"),
    "plot_columns": (list, "variables to plot (default: all, at most 16)"),
    "plot_formats": (list, "plot file formats (default png and pdf)"),
    "params": (dict, "further method parameters, e.g. {deviation = 0.1} for sdt"),
}
REQUIRED = ("model_name",)


def load_config(path) -> dict:
    """Read and check a TOML config; ConfigError names the file and the offending key."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: config file not found") from None
    try:
        cfg = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return check_config(cfg, str(path))


def check_config(cfg: dict, where: str = "config") -> dict:
    for key in cfg:
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; known keys: {', '.join(CONFIG_KEYS)}")
    for key in REQUIRED:
        if key not in cfg:
            raise ConfigError(f"{where}: missing required key {key!r}")
    for key, value in cfg.items():
        types, _ = CONFIG_KEYS[key]
        ok = isinstance(value, types) and not (isinstance(value, bool) and types is not bool)
        if not ok:
            want = "number" if types is _NUM else getattr(types, "__name__", str(types))
            raise ConfigError(f"{where}: key {key!r} must be a {want}, got {type(value).__name__} {value!r}")
    for key in ("input_columns", "plot_columns", "plot_formats", "layers"):
        if key in cfg:
            item = int if key == "layers" else str
            if not all(isinstance(v, item) and not isinstance(v, bool) for v in cfg[key]):
                raise ConfigError(f"{where}: key {key!r} must be a list of {item.__name__}s")
    if "latent_space_size" in cfg and "compression_ratio" in cfg:
        raise ConfigError(f"{where}: give latent_space_size or compression_ratio, not both")
    return cfg


def build_compressor(cfg: dict, data, where: str = "config") -> Compressor:
    """The Compressor a config describes, sized for ``data`` (compression_ratio needs the feature count)."""
    method = cfg["model_name"]
    params = dict(cfg.get("params", {}))
    for key in ("max_error", "max_error_relative"):
        if key in cfg:
            params[key] = cfg[key]
    if method in LEARNED:
        shape = getattr(data, "shape", None)
        n_features = 1
        for s in shape[1:]:
            n_features *= int(s)
        if "compression_ratio" in cfg:
            params["latent"] = max(1, round(n_features / cfg["compression_ratio"]))
        elif "latent_space_size" in cfg:
            params["latent"] = cfg["latent_space_size"]
        if "normalisation" in cfg:
            params["normalisation"] = cfg["normalisation"]
        if method == "autoencoder":
            for key, name in (("model_type", "kind"), ("activation", "activation"), ("seed", "seed"),
                              ("threads", "threads")):
                if key in cfg:
                    params[name] = cfg[key]
            if "layers" in cfg:
                params["layers"] = tuple(cfg["layers"])
        for key, name in (("epochs", "epochs"), ("lr", "lr"), ("batch_size", "batch_size"),
                          ("patience", "patience"), ("test_size", "val_fraction")):
            if key in cfg:
                params[name] = cfg[key]
        if cfg.get("early_stopping") is False:
            params["patience"] = 0  # the autoencoder's "never stop early"
        if cfg.get("lr_scheduler") is False:
            params["lr_schedule"] = "constant"
    try:
        return Compressor(method, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def add_parser(sub) -> None:
    s = sub.add_parser("baler", help="Baler's workflow: train / compress / decompress / plot / info from a config",
                       description="Train a compressor on a file, compress larger files with it, decompress, plot "
                       "the reconstruction quality and report sizes; configured by a TOML file "
                       "(docs/learned.md).")
    s.add_argument("--config", required=True, help="TOML config (model_name, latent_space_size, epochs, ...)")
    s.add_argument("--input", required=True, help="data file (.csv, .h5, .root, .npz) or, for decompress and "
                   "info, a compressed .tsqc file")
    s.add_argument("--output", required=True, help="output folder (created if needed)")
    s.add_argument("--mode", required=True, choices=MODES)
    s.add_argument("--progress", action="store_true", help="show a training progress bar")
    s.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    s.set_defaults(func=cmd_baler)


def _read(cfg, path):
    return read_input(path, columns=cfg.get("input_columns"), key=cfg.get("key"),
                      index_column=cfg.get("index_column"))


def _compressor_for(cfg, out: Path, data, where: str) -> Compressor:
    if (out / MODEL_DIR).exists():
        return Compressor.load(out / MODEL_DIR)
    if cfg["model_name"] in LEARNED:
        raise FileNotFoundError(f"{out / MODEL_DIR}: no trained model; run --mode train first")
    return build_compressor(cfg, data, where)


def _info(blob: CompressedData, model_nbytes: int) -> dict:
    original = blob.original_nbytes
    return {"method": blob.method, "shape": list(blob.layout.shape), "original_bytes": original,
            "compressed_bytes": blob.nbytes, "model_bytes": model_nbytes if blob.needs_model else 0,
            "needs_model": blob.needs_model,
            "ratio": original / blob.nbytes,
            "ratio_with_model": original / (blob.nbytes + (model_nbytes if blob.needs_model else 0)),
            "max_error": blob.header.get("params", {}).get("max_error"),
            "max_error_relative": blob.header.get("params", {}).get("max_error_relative")}


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, default=float) + "\n")


def cmd_baler(args) -> int:
    cfg = load_config(args.config)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if args.quiet else print
    where = str(args.config)

    if args.mode == "train":
        data = _read(cfg, args.input)
        c = build_compressor(cfg, data, where)
        c.train(data, progress=True) if args.progress and c.needs_model else c.train(data)
        c.save(out / MODEL_DIR)
        blob = c.compress(data)
        blob.save(out / COMPRESSED_FILE)
        info = _info(blob, c.model_nbytes)
        info["training"] = {k: v for k, v in (c.history or {}).items() if not isinstance(v, list)}
        _write_json(out / "info.json", info)
        say(f"trained {c.method}: model {c.model_nbytes} bytes in {out / MODEL_DIR}; training data compressed "
            f"{info['ratio']:.2f}x ({info['ratio_with_model']:.2f}x with the model) -> {out / COMPRESSED_FILE}")
        return 0

    if args.mode == "compress":
        data = _read(cfg, args.input)
        c = _compressor_for(cfg, out, data, where)
        blob = c.compress(data)
        blob.save(out / COMPRESSED_FILE)
        info = _info(blob, c.model_nbytes)
        _write_json(out / "info.json", info)
        say(f"{blob.nbytes} bytes ({info['ratio']:.2f}x; {info['ratio_with_model']:.2f}x with the model) -> "
            f"{out / COMPRESSED_FILE}")
        return 0

    if args.mode == "decompress":
        blob = CompressedData.load(args.input)
        if blob.needs_model:
            c = Compressor.load(out / MODEL_DIR)
        else:
            c = Compressor(blob.method, **blob.header.get("params", {}))
        path = write_output(out / "decompressed", c.decompress(blob))
        say(f"decompressed {blob.layout.shape} -> {path}")
        return 0

    if args.mode == "plot":
        data = _read(cfg, args.input)
        c = _compressor_for(cfg, out, data, where)
        metrics = c.evaluate(data, plots=out / "plots", columns=cfg.get("plot_columns"),
                             formats=tuple(cfg.get("plot_formats", ("png", "pdf"))))
        _write_json(out / "evaluation.json", metrics)
        say(f"max |error| {metrics['max_abs_error']:.6g}, RMSE {metrics['rmse']:.6g}, ratio {metrics['ratio']:.2f}x "
            f"({metrics['ratio_with_model']:.2f}x with the model); {len(metrics['plots'])} plot files in "
            f"{out / 'plots'}")
        return 0

    # info: the compressed file given as input, or the one in the output folder
    path = Path(args.input) if Path(args.input).suffix == ".tsqc" else out / COMPRESSED_FILE
    blob = CompressedData.load(path)
    model = out / MODEL_DIR / "model.tsqm"
    model_nbytes = model.stat().st_size if blob.needs_model and model.exists() else 0
    info = _info(blob, model_nbytes)
    _write_json(out / "info.json", info)
    if not args.quiet:
        for k, v in info.items():
            print(f"{k:>20}: {v:.4g}" if isinstance(v, float) else f"{k:>20}: {v}")
    return 0
