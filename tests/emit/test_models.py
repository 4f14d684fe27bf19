"""Whole models: graphs with every merge, channels_first specs, and every valid fixture, both directions."""

from __future__ import annotations

from pathlib import Path

import pytest

from specbridge.crosscheck import TORCH_TO_KERAS

from .specs import crosscheck, spec, why

HERE = Path(__file__).parent
FIXTURES = sorted((HERE.parent.parent / "fixtures" / "valid").glob("*.spec.*"))

CHANNELS_FIRST = {
    "convnet": (
        "{type: Conv2D, filters: 4, kernel_size: 3, strides: 2, padding: same}\n"
        "{type: BatchNormalization, axis: 1}\n"
        "{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}\n"
        "{type: MaxPooling2D, pool_size: 2, padding: same}\n"
        "{type: Flatten}\n{type: Dense, units: 3}", [3, 12, 10]),
    "transpose_upsample_crop": (
        "{type: Conv2DTranspose, filters: 3, kernel_size: 4, strides: 2, padding: same}\n"
        "{type: UpSampling2D, size: 2}\n{type: Cropping2D, cropping: [[1, 0], [0, 2]]}\n"
        "{type: ZeroPadding2D, padding: 1}\n{type: GlobalMaxPooling2D}", [2, 4, 5]),
    "conv1d_stack": (
        "{type: Conv1D, filters: 4, kernel_size: 3, padding: causal}\n{type: SeparableConv1D, filters: 3, kernel_size: 2, strides: 2, padding: same}\n"
        "{type: DepthwiseConv1D, kernel_size: 2}\n{type: GlobalAveragePooling1D}", [3, 11]),
    "concat_channels": ("{type: Conv2D, filters: 2, kernel_size: 1}\n{type: Softmax, axis: 1}", [3, 4, 4]),
}


def test_graph_with_every_merge():
    report = crosscheck((HERE / "graph_all_merges.spec.yaml").read_text())
    assert report.ok, why(report)


@pytest.mark.parametrize("case", sorted(CHANNELS_FIRST))
def test_channels_first_spec(case):
    layers, shape = CHANNELS_FIRST[case]
    report = crosscheck(spec(layers, shape, data_format="channels_first"))
    assert report.ok, f"{case}: {why(report)}"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture(path):
    report = crosscheck(path.read_text())
    assert report.ok, f"{path.name}: {why(report)}"


@pytest.mark.parametrize("path", FIXTURES[::4], ids=lambda p: p.name)
def test_fixture_torch_to_keras(path):
    report = crosscheck(path.read_text(), TORCH_TO_KERAS)
    assert report.ok, f"{path.name}: {why(report)}"


def test_a_planted_defect_is_seen(monkeypatch):
    """The comparison is not vacuous: GRU gates left in Keras order make the GRU layer diverge."""
    from specbridge.emit import weights

    def unordered(cell, rnn, layer, suffix):
        pairs = original(cell, rnn, layer, suffix)
        return [weights.Pair(p.keras, p.torch, lambda v: [a.T for a in v], p.to_keras) if i < 2 else p
                for i, p in enumerate(pairs)]

    original = weights.recurrent_pairs
    monkeypatch.setattr(weights, "recurrent_pairs", unordered)
    report = crosscheck(spec("{type: GRU, units: 4, name: enc}\n{type: Dense, units: 2}", [5, 3]))
    assert report.first_divergence == "enc" and report.layer("enc").max_abs_error > 1e-3
