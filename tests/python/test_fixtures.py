"""Frozen fixtures (tests/fixtures/<codec>/<name>.tsq with the values in <name>.npy) written once by
tests/fixtures/make_fixtures.py and kept forever: every tsquash must decode them to the same bits (format
compatibility) and encode the same values to the same bytes (encoder stability). `auto` is the exception
to the second rule: it searches for the smallest stream and may find a smaller one as it learns new block
methods, so its fixtures must re-encode to a stream that is no larger and decodes to the same bits."""
from __future__ import annotations

import numpy as np
import pytest

import tsquash
from conftest import CODEC_DTYPES, FIXTURES_DIR, assert_bits_equal

FIXTURES = sorted(FIXTURES_DIR.glob("*/*.tsq"))
FIXTURE_IDS = [f"{p.parent.name}/{p.stem}" for p in FIXTURES]


def test_fixtures_cover_every_codec_and_dtype():
    assert FIXTURES, f"no fixtures under {FIXTURES_DIR}"
    have = {(p.parent.name, tsquash.info(p.read_bytes())["dtype"]) for p in FIXTURES}
    assert set(CODEC_DTYPES) <= have, f"missing fixtures for {sorted(set(CODEC_DTYPES) - have)}"
    with_params = {p.parent.name for p in FIXTURES if p.parent.name in ("tsxor", "fpc")
                   and tsquash.info(p.read_bytes())["params"] != tsquash.codecs.get(p.parent.name).params}
    assert with_params == {"tsxor", "fpc"}, "fixtures with non-default parameters are missing"


def test_every_fixture_has_its_values():
    for p in FIXTURES:
        assert p.with_suffix(".npy").is_file(), p
    for p in FIXTURES_DIR.glob("*/*.npy"):
        assert p.with_suffix(".tsq").is_file(), p


def test_fixtures_stay_small():
    total = sum(p.stat().st_size for p in FIXTURES_DIR.rglob("*") if p.is_file())
    assert total < 280_000, f"tests/fixtures holds {total} bytes"


@pytest.mark.parametrize("path", FIXTURES, ids=FIXTURE_IDS)
def test_fixture_decodes_to_its_values(path):
    blob = path.read_bytes()
    expected = np.load(path.with_suffix(".npy"), allow_pickle=False)
    meta = tsquash.info(blob)
    assert meta["codec"] == path.parent.name
    assert meta["format_version"] == 1
    assert meta["dtype"] == expected.dtype.name
    assert meta["count"] == expected.size
    assert_bits_equal(tsquash.decode(blob), expected)
    dec = tsquash.StreamDecoder(blob)
    pieces = [dec.read(17) for _ in range(0, expected.size, 17)]
    got = np.concatenate(pieces) if pieces else np.empty(0, dtype=expected.dtype)
    assert_bits_equal(got, expected)


@pytest.mark.parametrize("path", FIXTURES, ids=FIXTURE_IDS)
def test_encoding_the_values_reproduces_the_fixture(path):
    blob = path.read_bytes()
    expected = np.load(path.with_suffix(".npy"), allow_pickle=False)
    meta = tsquash.info(blob)
    again = tsquash.encode(expected, meta["codec"], **meta["params"])
    if meta["codec"] == "auto":
        assert len(again) <= len(blob), (f"auto/{path.stem}: encoder output grew "
                                         f"({len(again)} bytes now, {len(blob)} in the fixture)")
        assert_bits_equal(tsquash.decode(again), expected)
        blob = again  # the streaming encoder must still agree with the one-shot one
    else:
        assert again == blob, (f"{path.parent.name}/{path.stem}: encoder output changed "
                               f"({len(again)} bytes now, {len(blob)} in the fixture)")
    enc = tsquash.StreamEncoder(meta["codec"], dtype=meta["dtype"], **meta["params"])
    enc.push(expected)
    assert enc.finish() == blob


def test_fixture_special_values_are_present():
    # The fixtures are meant to pin the hard cases; make sure the generator really put them in.
    x = np.load(FIXTURES_DIR / "gorilla" / "float64.npy")
    u = x.view(np.uint64)
    assert {0x7FF0000000000001, 0xFFF8000000000000, 0x8000000000000000, 0x7FF0000000000000,
            0x0000000000000001} <= set(u.tolist())
    x32 = np.load(FIXTURES_DIR / "chimp" / "float32.npy")
    assert {0x7F800001, 0x80000000, 0xFF800000, 0x00000001} <= set(x32.view(np.uint32).tolist())
