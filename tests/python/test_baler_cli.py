"""tsquash baler: every mode end to end on small data, and clear errors for bad configs and inputs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tsquash.cli import main


def _write(tmp_path, text, name="cfg.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    base = np.cumsum(rng.normal(size=400))
    df = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=400, freq="h").astype(str),
                       "a": base, "b": 2 * base + rng.normal(size=400) * 0.1, "c": np.sin(np.arange(400) / 9)})
    p = tmp_path / "data.csv"
    df.to_csv(p, index=False)
    return p


def _run(cfg, inp, out, mode):
    return main(["baler", "--config", str(cfg), "--input", str(inp), "--output", str(out), "--mode", mode, "-q"])


def test_all_modes_end_to_end(tmp_path, csv, capsys):
    cfg = _write(tmp_path, 'model_name = "pca"\nlatent_space_size = 1\nmax_error_relative = 0.001\n'
                 'input_columns = ["a", "b", "c"]\nplot_formats = ["png"]\n')
    out = tmp_path / "out"
    assert _run(cfg, csv, out, "train") == 0
    assert (out / "model" / "model.tsqm").exists() and (out / "compressed.tsqc").exists()
    assert _run(cfg, csv, out, "compress") == 0
    info = json.loads((out / "info.json").read_text())
    assert info["ratio"] > info["ratio_with_model"] > 1 and info["needs_model"]
    assert _run(cfg, out / "compressed.tsqc", out, "decompress") == 0
    back = pd.read_csv(out / "decompressed.csv", index_col=0)
    orig = pd.read_csv(csv, index_col=0)
    eps = 0.001 * (orig.max() - orig.min())
    assert ((back - orig).abs() <= eps + 1e-12).all().all()
    assert _run(cfg, csv, out, "plot") == 0
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["variable_a.png", "variable_b.png", "variable_c.png"]
    assert json.loads((out / "evaluation.json").read_text())["max_abs_error"] <= eps.max()
    assert main(["baler", "--config", str(cfg), "--input", str(out / "compressed.tsqc"), "--output", str(out),
                 "--mode", "info"]) == 0
    assert "ratio_with_model" in capsys.readouterr().out


def test_model_free_method_compresses_without_training(tmp_path, csv):
    cfg = _write(tmp_path, 'model_name = "sdt"\nmax_error = 0.05\n')
    out = tmp_path / "o"
    assert _run(cfg, csv, out, "compress") == 0
    assert _run(cfg, out / "compressed.tsqc", out, "decompress") == 0
    assert (out / "decompressed.csv").exists()


def test_frames_npz(tmp_path):
    x = np.cumsum(np.random.default_rng(0).normal(size=(10, 6, 5)), axis=0)
    np.savez(tmp_path / "f.npz", data=x)
    cfg = _write(tmp_path, 'model_name = "pca"\ncompression_ratio = 10\nmax_error = 0.01\n')
    out = tmp_path / "o"
    for mode in ("train", "compress"):
        assert _run(cfg, tmp_path / "f.npz", out, mode) == 0
    assert _run(cfg, out / "compressed.tsqc", out, "decompress") == 0
    back = np.load(out / "decompressed.npz")["data"]
    assert back.shape == x.shape and np.abs(back - x).max() <= 0.01


@pytest.mark.parametrize("text,message", [
    ('model_name = "pca"\nlatnet_space_size = 3\n', "unknown key 'latnet_space_size'"),
    ('latent_space_size = 3\n', "missing required key 'model_name'"),
    ('model_name = "pca"\nepochs = "ten"\n', "key 'epochs' must be a int"),
    ('model_name = "pca"\nmax_error = true\n', "key 'max_error' must be a number"),
    ('model_name = "pca"\ninput_columns = [1, 2]\n', "'input_columns' must be a list of strs"),
    ('model_name = "zip"\n', "unknown method 'zip'"),
    ('model_name = "pca"\nlatent_space_size = 2\ncompression_ratio = 3\n', "not both"),
    ('model_name = [\n', "not valid TOML"),
])
def test_bad_configs_name_the_key(tmp_path, csv, capsys, text, message):
    cfg = _write(tmp_path, text)
    assert _run(cfg, csv, tmp_path / "o", "train") == 1
    err = capsys.readouterr().err
    assert message in err and "cfg.toml" in err


def test_missing_columns_files_and_models(tmp_path, csv, capsys):
    cfg = _write(tmp_path, 'model_name = "pca"\ninput_columns = ["a", "zz"]\n')
    assert _run(cfg, csv, tmp_path / "o", "train") == 1
    assert "no column(s) ['zz']" in capsys.readouterr().err
    cfg = _write(tmp_path, 'model_name = "pca"\n')
    assert _run(cfg, tmp_path / "nope.csv", tmp_path / "o", "train") == 1
    assert "nope.csv" in capsys.readouterr().err
    assert _run(cfg, csv, tmp_path / "o2", "compress") == 1
    assert "no trained model" in capsys.readouterr().err
    assert _run(tmp_path / "absent.toml", csv, tmp_path / "o", "train") == 1
    assert "absent.toml" in capsys.readouterr().err


def test_corrupted_compressed_file(tmp_path, csv, capsys):
    cfg = _write(tmp_path, 'model_name = "quantise"\nmax_error = 0.01\n')
    out = tmp_path / "o"
    assert _run(cfg, csv, out, "compress") == 0
    p = out / "compressed.tsqc"
    b = bytearray(p.read_bytes())
    b[-10] ^= 1
    p.write_bytes(bytes(b))
    assert _run(cfg, p, out, "decompress") == 1
    assert "checksum" in capsys.readouterr().err
