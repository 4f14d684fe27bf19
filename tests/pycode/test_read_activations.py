"""Activations in model code: every Keras activation by name and by reference (keras.activations.<name>), and the
PyTorch modules that compute one exactly. Each reading is checked against the real framework: the Keras name
resolves to the function the code names, and the PyTorch module computes the Keras function it is read as."""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.pycode import read_python
from specbridge.spec.base import KERAS_ACTIVATIONS

# nn constructor -> the spec activation it is read as (None: not one, its arguments differ from Keras's fixed ones).
TORCH_MODULES = {
    "nn.LogSigmoid()": "log_sigmoid", "nn.Tanhshrink()": "tanh_shrink", "nn.Softshrink()": "soft_shrink",
    "nn.Softshrink(0.5)": "soft_shrink", "nn.Hardshrink(lambd=0.5)": "hard_shrink", "nn.Hardtanh()": "hard_tanh",
    "nn.Hardtanh(-1.0, 1.0)": "hard_tanh", "nn.GELU()": "gelu", 'nn.GELU(approximate="tanh")': "gelu_approximate",
    "nn.Softplus()": "softplus", "nn.CELU()": "celu",
    "nn.Softshrink(0.3)": None, "nn.Hardshrink(1.0)": None, "nn.Hardtanh(-2.0, 2.0)": None, "nn.CELU(alpha=2.0)": None,
    "nn.Softplus(beta=2.0)": None, "nn.Softplus(threshold=1.0)": None,
}
# The spec activations Keras has no name for, as Keras computes them.
FUNCTIONS = {"gelu_approximate": lambda keras, x: keras.activations.gelu(x, approximate=True)}
GRID = np.concatenate([np.linspace(-8, 8, 161), [-0.5, 0.5, -1.0, 1.0, 1.5, -1.5]]).astype(np.float32)


def read_layer(src: str) -> dict:
    result = read_python(src, "model.py")
    assert result.ok, [d.message for d in result.errors]
    node = result.models[0].graph.nodes[-1]
    return {"layer": node.layer, "not_expressible": node.not_expressible}


@pytest.mark.parametrize("form", ["string", "reference"])
@pytest.mark.parametrize("name", KERAS_ACTIVATIONS)
def test_keras_activation_read_as_keras_resolves_it(name, form):
    keras = import_framework("keras")
    value = f'"{name}"' if form == "string" else f"keras.activations.{name}"
    src = (f"import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input((6,)), "
           f"layers.Dense(4, activation={value}), layers.Activation({value})])\n")
    result = read_python(src, "model.py")
    assert result.ok, [d.message for d in result.errors]
    dense, activation = result.models[0].graph.nodes
    assert dense.layer.get("activation", "linear") == activation.layer["activation"] == name  # linear: the default
    assert keras.activations.get(name) is getattr(keras.activations, name)


@pytest.mark.parametrize("module", sorted(TORCH_MODULES))
def test_torch_module_read_as_the_keras_activation_it_computes(module):
    torch, keras = import_framework("torch"), import_framework("keras")
    read = read_layer(f"import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 4), {module})\n")
    name = TORCH_MODULES[module]
    got = eval(module, {"nn": torch.nn})(torch.from_numpy(GRID.copy())).numpy()
    keras_function = FUNCTIONS.get(name) or (lambda k, x: k.activations.get(name)(x))
    if name is None:
        assert read["layer"] is None and read["not_expressible"], read
        family = {"Softshrink": "soft_shrink", "Hardshrink": "hard_shrink", "Hardtanh": "hard_tanh", "CELU": "celu",
                  "Softplus": "softplus"}[module[3:module.index("(")]]
        expected = np.asarray(keras.activations.get(family)(GRID))
        assert np.max(np.abs(got - expected)) > 1e-3, "the module computes the Keras activation: read it as that"
        return
    assert read["layer"] == {"type": "Activation", "activation": name}
    np.testing.assert_allclose(got, np.asarray(keras_function(keras, GRID)), rtol=1e-6, atol=1e-6)
