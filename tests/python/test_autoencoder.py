"""tsquash.autoencoder: the LibTorch autoencoder through Python. Every model here is tiny (a few thousand
parameters, a few hundred samples), so the whole file trains for a few seconds."""
import pickle
import sys
import threading
import time

import numpy as np
import pytest

import tsquash
from tsquash.autoencoder import AutoEncoder, NotTrainedError


def low_rank(n=512, width=8, rank=2, seed=0):
    """Samples on a rank-`rank` subspace, scaled to unit variance: a latent of `rank` can reconstruct them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, width))
    return (x / x.std()).astype(np.float32)


def small(width=8, **kw):
    kw.setdefault("layers", (16,))
    kw.setdefault("latent", 2)
    kw.setdefault("threads", 1)
    return AutoEncoder((width,), **kw)


@pytest.fixture(scope="module")
def trained():
    x = low_rank()
    ae = small(seed=0)
    history = ae.fit(x, epochs=30, batch_size=64, lr=1e-2)
    return ae, x, history


def test_tiny_model_learns_low_rank_data(trained):
    ae, x, h = trained
    mse = float(np.mean((ae.reconstruct(x) - x) ** 2))
    assert mse < 0.01, mse  # the data has unit variance: this is 99% of it explained
    assert h["epochs_run"] == len(h["loss"]) == len(h["val_loss"]) == len(h["lr"])
    assert min(h["val_loss"]) < 0.2 * h["loss"][0]
    # the kept weights are those of the best validated epoch (improvements count from a 1e-4 relative step),
    # and training went on improving past its first epoch
    best, expected = np.inf, 0
    for epoch, v in enumerate(h["val_loss"], 1):
        if v < best * (1 - 1e-4):
            best, expected = v, epoch
    assert h["best_epoch"] == expected > 5, (h["best_epoch"], h["val_loss"])
    assert h["val_loss"][h["best_epoch"] - 1] <= min(h["val_loss"]) * (1 + 1e-4)
    assert h["seconds"] > 0 and h["stopped"] is False


def test_shapes_and_dtypes(trained):
    ae, x, _ = trained
    z = ae.encode(x)
    assert z.dtype == np.float32 and z.shape == (len(x), 2)
    y = ae.decode(z)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert ae.latent_dim == 2 and ae.input_shape == (8,) and ae.kind == "dense"
    assert ae.n_parameters == 2 * (8 * 16 + 16 * 2) + (16 + 2) + (16 + 8)
    # float64, int and non-contiguous inputs are converted
    np.testing.assert_array_equal(ae.encode(x.astype(np.float64)), z)
    np.testing.assert_array_equal(ae.encode(np.asfortranarray(x)), z)
    assert ae.encode(np.ones((3, 8), dtype=np.int64)).shape == (3, 2)


def test_same_seed_same_model_and_different_seed_differs():
    x = low_rank(n=200, seed=3)
    runs = []
    for seed in (7, 7, 8):
        ae = small(seed=seed)
        h = ae.fit(x, epochs=5, batch_size=32)
        runs.append((h["loss"], ae.encode(x), ae.to_bytes()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]
    assert runs[0][2] != runs[2][2]


def test_bytes_round_trip_gives_identical_outputs(trained):
    ae, x, _ = trained
    blob = ae.to_bytes()
    back = AutoEncoder.from_bytes(blob, threads=1)
    assert back.trained and back.input_shape == ae.input_shape and back.layers == (16,)
    np.testing.assert_array_equal(back.encode(x), ae.encode(x))
    np.testing.assert_array_equal(back.reconstruct(x), ae.reconstruct(x))
    assert back.to_bytes() == blob
    assert AutoEncoder.from_bytes(memoryview(blob)).to_bytes() == blob
    again = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(again.reconstruct(x), ae.reconstruct(x))


def test_conv_autoencoder_shapes():
    rng = np.random.default_rng(1)
    frames = rng.normal(size=(16, 10, 7)).astype(np.float32)  # odd sizes need output padding on the way back
    ae = AutoEncoder((10, 7), kind="conv", channels=(2, 3), layers=(8,), latent=3, threads=1)
    h = ae.fit(frames, epochs=3, batch_size=8, val_fraction=0.25)
    assert h["epochs_run"] == 3
    z = ae.encode(frames)
    assert z.shape == (16, 3)
    assert ae.decode(z).shape == (16, 10, 7)
    back = AutoEncoder.from_bytes(ae.to_bytes())
    assert back.kind == "conv" and back.input_shape == (10, 7) and back.channels == (2, 3)
    np.testing.assert_array_equal(back.reconstruct(frames), ae.reconstruct(frames))
    with pytest.raises(ValueError, match=r"\(n, 10, 7\)"):
        ae.encode(frames.reshape(16, 70))


def test_conv_autoencoder_learns_smooth_frames():
    # Frames that are a shifted smooth bump: one latent value describes each, so reconstruction must improve.
    yy, xx = np.mgrid[0:12, 0:12]
    frames = np.stack([np.exp(-((xx - c) ** 2 + (yy - 6) ** 2) / 8.0) for c in np.linspace(2, 10, 48)])
    frames = frames.astype(np.float32)
    ae = AutoEncoder((12, 12), kind="conv", channels=(4, 8), layers=(16,), latent=2, seed=2, threads=1)
    h = ae.fit(frames, epochs=40, batch_size=8, lr=3e-3, val_fraction=0)
    assert min(h["val_loss"]) < 0.5 * h["loss"][0]


def test_untrained_model_refuses_to_encode():
    ae = small()
    assert not ae.trained
    with pytest.raises(NotTrainedError):
        ae.encode(low_rank(n=4))
    with pytest.raises(NotTrainedError):
        ae.decode(np.zeros((4, 2), np.float32))
    assert issubclass(NotTrainedError, ValueError)
    # an untrained model still saves and loads (architecture and initial weights) and stays untrained
    assert not AutoEncoder.from_bytes(ae.to_bytes()).trained


def test_bad_inputs_raise_typed_errors(trained):
    ae, x, _ = trained
    with pytest.raises(ValueError, match="expected shape"):
        ae.encode(x[:, :5])
    with pytest.raises(ValueError, match="expected shape"):
        ae.encode(x[0])
    with pytest.raises(ValueError, match="empty"):
        ae.encode(np.zeros((0, 8), np.float32))
    bad = x.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*\(3, 4\)"):
        ae.encode(bad)
    with pytest.raises(ValueError, match="NaN"):
        small().fit(bad, epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        ae.encode(np.full((2, 8), 1e300))  # beyond float32
    with pytest.raises(TypeError):
        ae.encode(x.astype(np.complex64))
    with pytest.raises(TypeError):
        ae.encode(np.array([["a"] * 8]))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        ae.decode(np.zeros((3, 5), np.float32))


@pytest.mark.parametrize("kwargs, err", [
    (dict(kind="lstm"), ValueError),
    (dict(activation="swish"), ValueError),
    (dict(latent=0), ValueError),
    (dict(layers=(16, -1)), ValueError),
    (dict(layers="16"), TypeError),
    (dict(seed=-1), ValueError),
    (dict(threads=0), ValueError),
])
def test_bad_constructor_arguments(kwargs, err):
    with pytest.raises(err):
        small(**kwargs)


def test_bad_shapes_for_kind():
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        AutoEncoder((8,), kind="conv")
    with pytest.raises(ValueError, match=r"n_features"):
        AutoEncoder((8, 8))


@pytest.mark.parametrize("kwargs", [
    dict(epochs=0), dict(batch_size=0), dict(lr=0.0), dict(lr=float("nan")), dict(val_fraction=1.0),
    dict(patience=-1), dict(lr_schedule="step"),
])
def test_bad_fit_arguments(kwargs):
    with pytest.raises(ValueError):
        small().fit(low_rank(n=16), **kwargs)


def test_corrupted_and_truncated_model_bytes(trained):
    blob = trained[0].to_bytes()
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x01
    for bad in (bytes(flipped), blob[:-1], blob[:20], b"", b"TSQM", b"not a model at all"):
        with pytest.raises(tsquash.CorruptStreamError):
            AutoEncoder.from_bytes(bad)
    with pytest.raises(TypeError):
        AutoEncoder.from_bytes("TSQM")


def test_lr_schedules():
    x = low_rank(n=64)
    h = small().fit(x, epochs=6, lr=1e-2, lr_schedule="cosine", patience=0)
    assert h["lr"][0] == 1e-2 and all(b < a for a, b in zip(h["lr"], h["lr"][1:]))
    h = small().fit(x, epochs=6, lr=1e-2, lr_schedule="constant", patience=0)
    assert h["lr"] == [1e-2] * 6
    # lr too small to improve anything: the plateau schedule halves it, then patience stops the run
    h = small().fit(x, epochs=200, lr=1e-9, patience=8)
    assert h["epochs_run"] < 200 and h["lr"][-1] < 1e-9


def test_progress_callback_sees_every_epoch_and_can_stop():
    x = low_rank(n=64)
    seen = []

    def cb(epoch, loss, val_loss, lr):
        seen.append((epoch, loss, val_loss, lr))
        return epoch < 4

    h = small().fit(x, epochs=50, progress=cb)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert h["epochs_run"] == 4 and h["stopped"] is True
    assert [s[1] for s in seen] == h["loss"] and [s[2] for s in seen] == h["val_loss"]
    # None (or any value other than False) keeps going
    h = small().fit(x, epochs=3, progress=lambda *a: None)
    assert h["epochs_run"] == 3


def test_exception_in_callback_stops_training_and_keeps_the_model():
    x = low_rank(n=64)
    ae = small()

    def interrupt(epoch, *rest):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ae.fit(x, epochs=50, progress=interrupt)
    assert ae.trained
    assert ae.reconstruct(x).shape == x.shape


def test_progress_bar(capsys):
    h = small().fit(low_rank(n=64), epochs=3, progress=True)
    assert h["epochs_run"] == 3
    err = capsys.readouterr().err
    assert "3/3" in err and "epoch" in err
    with pytest.raises(TypeError):
        small().fit(low_rank(n=64), epochs=1, progress="yes")


def test_gil_is_released_while_training():
    """Training runs in a thread while the main thread counts, sleeping (and so releasing the GIL) after
    each step. The switch interval is raised so a thread holding the GIL is never asked to give it up: if the
    epochs ran with the GIL held, the counter could not move between one callback's exit and the next
    one's entry."""
    x = low_rank(n=512, width=32, seed=5)
    ae = AutoEncoder((32,), layers=(64, 32), latent=4, threads=1)
    counter = 0
    marks = []

    def cb(epoch, *rest):
        marks.append(counter)  # on entry
        marks.append(counter)  # on exit

    t = threading.Thread(target=ae.fit, args=(x,), kwargs=dict(epochs=6, batch_size=16, patience=0, progress=cb))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        t.start()
        while t.is_alive():
            counter += 1
            time.sleep(0.0005)
        t.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(marks) == 12
    between = [marks[i + 1] - marks[i] for i in range(1, len(marks) - 1, 2)]  # exit(e) -> entry(e + 1)
    assert max(between) > 0, between


def test_ctrl_c_stops_training_between_epochs():
    """Ctrl-C while LibTorch trains (no Python callback at all) stops at the end of the epoch."""
    import _thread
    import signal

    ae = small()
    # A shell starts background jobs with SIGINT ignored, and then interrupt_main does nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ae.fit(low_rank(n=64), epochs=1_000_000, patience=0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert ae.trained


def test_model_bytes_follow_docs_format():
    """A reader written from docs/format.md section 5 parses the header, the parameters and the checksum."""
    import struct

    from tsquash.table import crc32c

    ae = AutoEncoder((6, 5), kind="conv", channels=(2,), layers=(4,), latent=3, activation="elu")
    b = ae.to_bytes()
    assert b[:4] == b"TSQM" and b[4] == 1 and b[5] == 2 and b[6] == 4 and b[7] == 0
    pos = 8
    lists = []
    for _ in range(3):
        k = b[pos]
        lists.append(struct.unpack_from(f"<{k}I", b, pos + 1))
        pos += 1 + 4 * k
    assert lists == [(6, 5), (4,), (2,)]
    latent, count = struct.unpack_from("<2I", b, pos)
    pos += 8
    # conv 1->2 and transposed 2->1, flatten 2*3*3 = 18 -> 4 -> 3 and back
    assert latent == 3 and count == ae.n_parameters == (2 * 9 + 2) + (2 * 9 + 1) + 2 * (18 * 4 + 4 * 3) + 4 + 3 + 4 + 18
    params = np.frombuffer(b, "<f4", count, pos)
    assert np.isfinite(params).all()
    assert pos + 4 * count + 4 == len(b)
    assert struct.unpack_from("<I", b, len(b) - 4)[0] == crc32c(b[:-4])


def test_module_example_runs():
    import doctest

    import tsquash.autoencoder

    result = doctest.testmod(tsquash.autoencoder)
    assert result.attempted >= 4 and result.failed == 0


def test_without_libtorch_the_error_says_so(monkeypatch):
    import tsquash as pkg

    monkeypatch.setitem(sys.modules, "tsquash._learned", None)
    monkeypatch.delattr(pkg, "_learned", raising=False)
    with pytest.raises(ImportError, match="without LibTorch"):
        AutoEncoder((3,))


def test_other_threads_wait_for_a_running_fit_without_deadlock():
    """Saving or encoding from another thread while fit runs waits for it (the model takes one call at a
    time) with the GIL released, so fit's callback can still take the GIL and finish. Were the GIL kept
    while waiting, this test would hang rather than fail: the waiting thread would never give it back."""
    x = low_rank(n=256)
    ae = small()
    ae.fit(x, epochs=1)
    started = threading.Event()
    results = {}

    def train():
        ae.fit(x, epochs=100, patience=0, progress=lambda epoch, *a: started.set())

    def use():
        started.wait()
        results["bytes"] = ae.to_bytes()
        results["z"] = ae.encode(x)

    threads = [threading.Thread(target=f, daemon=True) for f in (train, use)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "deadlock between fit and another call"
    assert AutoEncoder.from_bytes(results["bytes"]).trained and results["z"].shape == (256, 2)
