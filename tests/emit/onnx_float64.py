"""ONNX in float64: which ops onnxruntime cannot run, and onnx.reference.ReferenceEvaluator as the fourth voice.

onnxruntime (1.32, CPU) has float64 kernels for most ops the ONNX emitter writes, but not for those in
ORT_NO_FLOAT64; a float64 cross-check then leaves ONNX out ("no float64 CPU kernel for Conv"). There, the float64
ONNX model runs in ReferenceEvaluator (pure NumPy, shipped with onnx) instead, its weights copied from the framework
model whose float64 output it must match. ReferenceEvaluator has limits of its own (REFERENCE_LIMITS): a model that
hits one is float32-only for ONNX, and reference_limit says which.
"""

from __future__ import annotations

import re
from typing import Optional

import numpy as np

# Ops the ONNX emitter writes that onnxruntime 1.32's CPU provider cannot run in float64, by the name the
# cross-check's reason gives ("onnxruntime 1.32.0 has no float64 CPU kernel for Conv"). Each is proven by
# test_float64.py::test_onnxruntime_lacks_float64_kernel with a one-node model. onnxruntime expands Gelu to Erf and
# Mish to Softplus (function ops), so those two report the inner op; GRU and LSTM register double kernels but refuse
# double when they run ("GRU operator does not support double").
ORT_NO_FLOAT64 = ("AveragePool", "Conv", "ConvTranspose", "Elu", "Erf", "GRU", "LSTM", "LeakyRelu", "PRelu", "RNN",
                  "Resize", "Softplus", "Softsign")

# What ReferenceEvaluator (onnx 1.23) cannot compute as ONNX defines it; a model that needs it is float32-only.
REFERENCE_LIMITS = {
    "rnn_activations": "its RNN op knows the Tanh and Affine activations only (RuntimeError 'Unknown activation "
                       "function' for any other)",
    "gate_activations": "its LSTM and GRU ops ignore the `activations` attribute: always sigmoid gates and tanh",
    "scan_axes": "its Scan scans axis 0 only ('Scan is not implemented for other input axes than 0')",
}
GATE_DEFAULTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}


def no_kernel_op(reason: str) -> Optional[str]:
    """The op named by a cross-check's "no float64 CPU kernel for <op>" reason, else None."""
    found = re.search(r"no float64 CPU kernel for (\w+)", reason)
    return found.group(1) if found else None


def _nodes(graph):
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            if attribute.g.node:
                yield from _nodes(attribute.g)


def reference_limit(model) -> Optional[str]:
    """The REFERENCE_LIMITS key that keeps ReferenceEvaluator from computing `model` as ONNX defines it, or None."""
    from onnx import helper

    for node in _nodes(model.graph):
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        activations = [a.decode() for a in attrs.get("activations", [])]
        directions = 2 if attrs.get("direction") == b"bidirectional" else 1
        if node.op_type == "RNN" and set(activations) - {"Tanh", "Affine"}:
            return "rnn_activations"
        if node.op_type in GATE_DEFAULTS and activations and activations != GATE_DEFAULTS[node.op_type] * directions:
            return "gate_activations"
        if node.op_type == "Scan" and any(attrs.get("scan_input_axes", [])):
            return "scan_axes"
    return None


def float64_model(result, backend: str, seed: int = 0):
    """(framework model, ONNX model with its weights) in float64: the framework's emitted model with seeded random
    weights (crosscheck.run.build_single), and emit.to_onnx reading them."""
    from specbridge.crosscheck.run import build_single
    from specbridge.emit import to_onnx

    framework = build_single(result, "float64", seed, backend)
    return framework, to_onnx(result, framework, dtype="float64")


def reference_error(result, backend: str, framework, model, samples: int = 2, seed: int = 0) -> tuple[float, float]:
    """(max |framework - ReferenceEvaluator| over the model outputs, max |framework output|) on random float64
    inputs sized as the cross-check sizes them."""
    from onnx.reference import ReferenceEvaluator

    from specbridge.crosscheck.backends import keras_outputs, torch_outputs
    from specbridge.crosscheck.dims import choose_dims, concrete_shapes
    from specbridge.crosscheck.inputs import random_inputs
    from specbridge.crosscheck.run import output_names

    inputs = random_inputs(result, samples, seed, "float64", concrete_shapes(result, choose_dims(result)))
    names = output_names(result)
    if backend == "keras":
        expected = keras_outputs(result, framework, names, inputs)
    else:
        expected = torch_outputs(result, framework, inputs)[0]
    feed = {i.name: x for i, x in zip(model.graph.input, inputs, strict=True)}
    got = ReferenceEvaluator(model).run(names, feed)
    error, largest = 0.0, 0.0
    for name, value in zip(names, got, strict=True):
        assert value.dtype == np.float64 and value.shape == expected[name].shape, (name, value.dtype, value.shape)
        error = max(error, float(np.max(np.abs(expected[name] - value), initial=0.0)))
        largest = max(largest, float(np.max(np.abs(expected[name]), initial=0.0)))
    return error, largest


# ---------------------------------------------------------------- one-node models for ORT_NO_FLOAT64

_X4 = ("X", (1, 2, 4, 4))
_ONE_NODE = {  # op -> (inputs (name, shape), attributes)
    "AveragePool": ([_X4], {"kernel_shape": [2, 2]}),
    "Conv": ([_X4, ("W", (3, 2, 2, 2))], {}),
    "ConvTranspose": ([_X4, ("W", (2, 3, 2, 2))], {}),
    "Elu": ([_X4], {}), "Erf": ([_X4], {}), "LeakyRelu": ([_X4], {}), "Softplus": ([_X4], {}),
    "Softsign": ([_X4], {}),
    "PRelu": ([_X4, ("slope", (2, 1, 1))], {}),
    "Resize": ([_X4, ("roi", None), ("scales", (4,))], {"mode": "nearest"}),
    "RNN": ([("X", (5, 1, 3)), ("W", (1, 4, 3)), ("R", (1, 4, 4))], {"hidden_size": 4}),
    "GRU": ([("X", (5, 1, 3)), ("W", (1, 12, 3)), ("R", (1, 12, 4))], {"hidden_size": 4}),
    "LSTM": ([("X", (5, 1, 3)), ("W", (1, 16, 3)), ("R", (1, 16, 4))], {"hidden_size": 4}),
}


def one_node_model(op: str, dtype: str):
    """(model, feed): `op` alone in `dtype` (Resize's scales stay float32, as ONNX types them)."""
    from onnx import TensorProto, helper

    from specbridge.emit.onnx.graph import IR_VERSION, OPSET

    specs, attrs = _ONE_NODE[op]
    elem = TensorProto.DOUBLE if dtype == "float64" else TensorProto.FLOAT
    rng = np.random.default_rng(0)
    inputs, initializers, feed = [], [], {}
    for name, shape in specs:
        if shape is None:  # an optional input left out
            inputs.append("")
        elif name == "scales":
            initializers.append(helper.make_tensor(name, TensorProto.FLOAT, shape, [1.0, 1.0, 2.0, 2.0]))
            inputs.append(name)
        else:
            feed[name] = rng.standard_normal(shape).astype(dtype)
            inputs.append(name)
    node = helper.make_node(op, inputs, ["Y"], **attrs)
    graph = helper.make_graph([node], op, [helper.make_tensor_value_info(n, elem, x.shape) for n, x in feed.items()],
                              [helper.make_tensor_value_info("Y", elem, None)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    return model, feed
