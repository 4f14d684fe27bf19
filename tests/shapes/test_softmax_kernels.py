"""A softmax over one axis of a tensor of more than 5 axes: TensorFlow's standard kernels run it, its oneDNN kernels
(on by default on CPUs with AVX-512 or AMX) abort the call, PyTorch runs it. Both kernels are run here, each in a
fresh process, whatever this process's setting; specbridge's verdict is one error on every machine."""

from __future__ import annotations

import json

import pytest
from _keras_multi import run_on_kernel

from specbridge.check import check_text
from specbridge.diagnostics import codes

CASES = [
    # (layer, input shape without the batch, self-attention, the shape its softmax normalizes, batch included)
    ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4, "attention_axes": [1]}, (4, 5, 6, 8), True,
     (None, 5, 6, 2, 4, 4)),
    ({"type": "Attention"}, (2, 3, 4, 5, 8), True, (None, 2, 3, 4, 5, 5)),
    ({"type": "Softmax"}, (2, 2, 3, 4, 5), False, (None, 2, 2, 3, 4, 5)),
    ({"type": "Dense", "units": 3, "activation": "softmax"}, (2, 2, 3, 4, 5), False, (None, 2, 2, 3, 4, 3)),
    ({"type": "Activation", "activation": "softmax"}, (2, 2, 3, 4, 5, 6), False, (None, 2, 2, 3, 4, 5, 6)),
]


def checked(layer: dict, shape: tuple, self_attention: bool):
    spec = {"specbridge": 1, "name": "kernels", "inputs": [{"name": "x", "shape": list(shape)}],
            "layers": [{**layer, "name": "l", "inputs": ["x", "x"] if self_attention else ["x"]}], "outputs": ["l"]}
    return check_text(json.dumps(spec), "kernels.json")


@pytest.mark.keras
@pytest.mark.parametrize(("layer", "shape", "self_attention", "normalized"), CASES,
                         ids=[c[0]["type"] for c in CASES])
def test_kernel_dependent_softmax_is_an_error_on_every_cpu(layer, shape, self_attention, normalized):
    torch = pytest.importorskip("torch")
    plain = run_on_kernel(layer, shape, onednn="0", self_attention=self_attention)
    assert plain.startswith("ran"), plain
    onednn = run_on_kernel(layer, shape, onednn="1", self_attention=self_attention)
    assert onednn.startswith("refused") and "Input dims must be <= 5" in onednn, onednn
    assert torch.softmax(torch.ones(2, *normalized[1:]), dim=-1).shape[1:] == normalized[1:]  # PyTorch runs it
    result = checked(layer, shape, self_attention)
    assert [(d.code, d.layer) for d in result.errors] == [(codes.INVALID_ARGUMENT.code, "l")]
    message = result.errors[0].message
    for claim in ("standard kernels run it", "oneDNN", "TF_ENABLE_ONEDNN_OPTS", "PyTorch runs it",
                  f"{len(normalized)} axes", str(normalized).replace("None", "None")):
        assert claim in message, message


@pytest.mark.parametrize(("layer", "shape"), [
    ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4, "attention_axes": [1]}, (5, 6, 8)),  # scores: 5
    ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4, "attention_axes": [1, 2]}, (4, 5, 6, 8)),
    ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4}, (4, 5, 6, 8)),  # over 3 axes: logsumexp
    ({"type": "Softmax"}, (2, 3, 4, 5)),
    ({"type": "ops.log_softmax"}, (2, 2, 3, 4, 5)),
], ids=["mha-scores-5", "mha-2-axes", "mha-default-axes", "softmax-5", "log-softmax-6"])
def test_what_every_kernel_runs_is_accepted(layer, shape):
    """Scores of 5 axes, softmax over several axes (Keras computes exp(x - logsumexp(x))) and log_softmax run on
    every kernel (tests/shapes/test_attention.py sweeps them against Keras)."""
    result = checked(layer, shape, layer["type"] == "MultiHeadAttention")
    assert result.ok, [d.message for d in result.diagnostics]
