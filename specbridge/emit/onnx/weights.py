"""Where the ONNX model's weights come from: a live Keras model, a live PyTorch model, a dict, or seeded random.

Every source answers one question, array(layer, spec layer, attribute path, Keras shape), in Keras's layout: the
ONNX emitters convert from there. A PyTorch model's tensors go through the same mapping as the Keras <-> PyTorch
transfer (emit/weights.py's WEIGHT_CONVERTERS, torch -> Keras direction), so ONNX is one more target of that one
mapping, not a second copy of it. None of these sources imports a framework itself.
"""

from __future__ import annotations

import zlib
from functools import reduce
from typing import Any, Optional

import numpy as np

from ...spec.base import Layer
from ..random_values import random_value


class WeightSource:
    def array(self, layer_name: str, layer: Layer, path: str, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def checked(value, layer_name: str, path: str, shape: tuple[int, ...]) -> np.ndarray:
        value = np.asarray(value)
        if tuple(value.shape) != shape:
            raise ValueError(f"layer {layer_name!r}: weight {path} has shape {tuple(value.shape)}, expected {shape}")
        return value


def variable_name(path: str) -> str:
    """The Keras variable's own name, the last part of its path ("kernel" of "cell.kernel" or "query/kernel")."""
    return path.replace("/", ".").rsplit(".", 1)[-1]


class RandomWeights(WeightSource):
    """Seeded random values, drawn like the cross-check's Keras weights; each variable has its own stream, so a
    weight's value depends on the seed, the layer and the variable, not on the order they are asked for."""

    def __init__(self, seed: int = 0, dtype: str = "float64"):
        self.seed = seed
        self.dtype = dtype  # drawn in the model's precision: no float64 draw of millions of values to cast

    def array(self, layer_name, layer, path, shape):
        rng = np.random.default_rng([self.seed, zlib.crc32(f"{layer_name}/{path}".encode())])
        return random_value(variable_name(path), shape, rng, self.dtype)


class DictWeights(WeightSource):
    """{layer name: {attribute path: array}}, e.g. {"dense": {"kernel": k, "bias": b}}, in Keras's layout."""

    def __init__(self, weights: dict[str, dict[str, Any]]):
        self.weights = weights

    def array(self, layer_name, layer, path, shape):
        try:
            value = self.weights[layer_name][path]
        except KeyError:
            raise ValueError(f"no weight {path!r} given for layer {layer_name!r}") from None
        return self.checked(value, layer_name, path, shape)


class KerasWeights(WeightSource):
    """The variables of a live keras.Model, by attribute path on the layer named like the spec layer."""

    def __init__(self, model):
        self.model = model

    def array(self, layer_name, layer, path, shape):
        *holders, nested = path.split(".")
        klayer = reduce(getattr, holders, self.model.get_layer(layer_name))
        if "/" in nested:  # a variable of a sublayer the layer builds itself ("query/kernel": MultiHeadAttention's)
            found = [v for v in klayer.weights if v.path.endswith("/" + nested)]
            if len(found) != 1:
                raise ValueError(f"layer {layer_name!r}: {len(found)} Keras variables end with {nested!r}")
            variable = found[0]
        else:
            variable = getattr(klayer, nested)
        return self.checked(np.asarray(variable.numpy()), layer_name, path, shape)


class _KerasShaped:
    """Stands for a Keras variable in a WEIGHT_CONVERTERS pair: its path, and the shape the ONNX emitter asks for."""

    def __init__(self, path: str):
        self.path = path
        self.shape: Optional[tuple[int, ...]] = None


class _KerasLayerStub:
    """Stands for the Keras layer a converter reads (klayer.kernel, klayer.cell.bias, klayer.forward_layer...)."""

    SUBLAYERS = ("cell", "forward_layer", "backward_layer", "layer")

    def __init__(self, prefix: str = ""):
        self._prefix = prefix

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self.SUBLAYERS:
            value = _KerasLayerStub(f"{self._prefix}{name}.")
        else:
            value = _KerasShaped(self._prefix + name)
        setattr(self, name, value)  # the same object on every access: a converter may read it twice
        return value


class TorchWeights(WeightSource):
    """The tensors of a PyTorch model emitted from the same spec, mapped to Keras's layout by WEIGHT_CONVERTERS."""

    def __init__(self, model):
        self.model = model
        self._pairs: dict[str, list] = {}

    def array(self, layer_name, layer, path, shape):
        for pair in self._layer_pairs(layer_name, layer):
            for index, shaped in enumerate(pair.keras):
                if shaped.path == path:
                    shaped.shape = shape
                    values = pair.to_keras([t.detach().cpu().numpy() for t in pair.torch])
                    return self.checked(values[index], layer_name, path, shape)
        raise ValueError(f"layer {layer_name!r}: the PyTorch model has no tensor for the Keras weight {path}")

    def _layer_pairs(self, layer_name: str, layer: Layer) -> list:
        if layer_name not in self._pairs:
            from ..weights import converter_for

            convert = converter_for(layer, layer_name)
            attribute = type(self.model).SPEC_LAYERS[layer_name]
            pairs = convert(_KerasLayerStub(), self.model.get_submodule(attribute), layer) if convert else []
            # A converter pairs `bias` unconditionally on some layers; a module without one has None there.
            self._pairs[layer_name] = [p for p in pairs if all(t is not None for t in p.torch)]
        return self._pairs[layer_name]


def weight_source(weights: Any, seed: int = 0, dtype: str = "float64") -> WeightSource:
    """A WeightSource for what to_onnx() was given: None (random, seeded, drawn in `dtype`), a dict, a
    keras.Model, a torch module."""
    if weights is None:
        return RandomWeights(seed, dtype)
    if isinstance(weights, WeightSource):
        return weights
    if isinstance(weights, dict):
        return DictWeights(weights)
    if hasattr(type(weights), "SPEC_LAYERS") and hasattr(weights, "get_submodule"):
        return TorchWeights(weights)
    if hasattr(weights, "get_layer"):
        return KerasWeights(weights)
    raise TypeError(
        f"weights must be a keras.Model or a PyTorch model emitted from the same spec, or a dict of arrays, "
        f"got {type(weights).__name__}"
    )
