"""specbridge.emit.onnx.proto builds the messages onnx.helper would, without `import onnx`.

- every emitted model (the valid fixtures, and specs reaching the rarer builders: a Scan body graph, a tensor
  attribute, string-list attributes, a Cast, a non-raw tensor) is byte for byte the model built with onnx.helper
  and onnx.numpy_helper in proto's place;
- each function agrees with onnx.helper's on the values the emitters pass it;
- the protobuf module loaded alone gives the classes `import onnx` gives, before or after it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_file, check_text
from specbridge.cli.files import walk
from specbridge.emit import NotExpressible, to_onnx
from specbridge.emit.onnx import proto

from ..specs import spec

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = walk(ROOT / "fixtures" / "valid")
# Builders the fixtures may not reach: a Cast (integer input), a non-raw tensor (LayerNormalization over an
# unknown axis), string-list attributes (the RNN ops' activations), a Scan body graph and a tensor attribute
# (ConvLSTM2D), an unknown axis in a value info.
SPECS = {
    "rescaling_uint8": spec("{type: Rescaling, scale: 0.5}", [4, 5, 3], dtype="uint8"),
    "layer_norm_unknown_axis": spec("{type: LayerNormalization, center: false, scale: false}", [4, None]),
    "lstm": spec("{type: LSTM, units: 3, return_sequences: true}\n{type: GRU, units: 2, reset_after: false}", [5, 4]),
    "bidirectional": spec("{type: Bidirectional, layer: {type: GRU, units: 3}}", [None, 4]),
    "conv_lstm": spec("{type: ConvLSTM2D, filters: 3, kernel_size: 3, padding: same, return_sequences: true}",
                      [4, 7, 6, 2]),
    "embedding": spec("{type: Embedding, input_dim: 20, output_dim: 4}\n{type: Conv1D, filters: 2, kernel_size: 3}",
                      [7], dtype="int32"),
}


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    """Overrides tests/emit/conftest.py's (Keras and PyTorch): onnx is all these tests need."""
    return import_framework("onnx")


def _in_place(built, target):
    """onnx.helper builds a new message; proto can fill a given one (`target`) instead."""
    if target is None:
        return built
    target.CopyFrom(built)
    return target


@pytest.fixture
def with_onnx_helper(monkeypatch):
    """proto's functions replaced by onnx.helper's and onnx.numpy_helper's (the emitters call them through the
    module, so they get these), the messages built in place copied into place."""
    from onnx import helper, numpy_helper

    for name in ("make_node", "make_opsetid", "make_tensor_value_info", "make_tensor", "np_dtype_to_tensor_dtype"):
        monkeypatch.setattr(proto, name, getattr(helper, name))

    def from_array(array, name=None, tensor=None):
        return _in_place(numpy_helper.from_array(array, name), tensor)

    def make_graph(nodes, name, inputs, outputs, initializer=None, doc_string=None, graph=None):
        made = [*(graph.initializer if graph is not None else []), *(initializer or [])]
        return _in_place(helper.make_graph(nodes, name, inputs, outputs, made, doc_string), graph)

    def make_model(graph, model=None, **fields):
        return _in_place(helper.make_model(graph, **fields), model)

    for function in (from_array, make_graph, make_model):
        monkeypatch.setattr(proto, function.__name__, function)


def _models(source) -> dict[str, bytes]:
    """Serialized models of `source` (a path or spec text): float32 as emitted, float64 with every layer exposed."""
    result = check_file(str(source)) if isinstance(source, Path) else check_text(source, lint=False)
    assert result.ok, [d.message for d in result.errors]
    models = {}
    for dtype, expose in (("float32", None), ("float64", [r.name for r in result.records])):
        try:
            models[dtype] = to_onnx(result, dtype=dtype, expose=expose, seed=1).SerializeToString()
        except NotExpressible as exc:
            models[dtype] = f"refused: {exc.reason}".encode()
    return models


SOURCES = [*FIXTURES, *SPECS.values()]
SOURCE_IDS = [p.name for p in FIXTURES] + list(SPECS)


@pytest.mark.parametrize("source", SOURCES, ids=SOURCE_IDS)
def test_the_model_is_the_one_onnx_helper_builds(source, request):
    ours = _models(source)
    request.getfixturevalue("with_onnx_helper")
    theirs = _models(source)
    assert ours.keys() == theirs.keys()
    differ = [key for key in ours if ours[key] != theirs[key]]
    assert not differ, f"not the bytes onnx.helper gives: {differ}"
    assert any(not m.startswith(b"refused") for m in ours.values()), "nothing was built: the comparison is vacuous"


def _same(ours, theirs) -> None:
    assert type(ours) is type(theirs)
    assert ours.SerializeToString() == theirs.SerializeToString(), f"{ours}\n!=\n{theirs}"


ATTRIBUTES = [1, True, np.int64(3), 0.5, np.float32(0.25), 1e-7, "SAME_UPPER", b"raw", [0, 2, 3, 1], (2, 2),
              [np.int64(1), 2], [0.5, 1.5], [1, 2.5], ["Sigmoid", "Tanh", "Tanh"]]


@pytest.mark.parametrize("value", ATTRIBUTES, ids=[f"{type(v).__name__}-{v}" for v in ATTRIBUTES])
def test_attributes_and_nodes_match_onnx_helper(value):
    from onnx import helper

    _same(proto.make_node("Op", ["x", ""], ["y"], name="n", a=value, b=None),
          helper.make_node("Op", ["x", ""], ["y"], name="n", a=value, b=None))


def test_tensor_and_graph_attributes_match_onnx_helper():
    from onnx import helper, numpy_helper

    tensor = proto.from_array(np.zeros(1, np.float32))
    assert proto.make_attribute("value", tensor).t == numpy_helper.from_array(np.zeros(1, np.float32))
    body = proto.make_graph([proto.make_node("Identity", ["a"], ["b"])], "body",
                            [proto.make_tensor_value_info("a", 1, [None, 3])],
                            [proto.make_tensor_value_info("b", 1, None)], [tensor])
    _same(proto.make_node("Scan", ["a"], ["b"], value=tensor, body=body),
          helper.make_node("Scan", ["a"], ["b"], value=tensor, body=body))
    with pytest.raises(TypeError):
        proto.make_attribute("bad", object())
    with pytest.raises(ValueError):
        proto.make_attribute("empty", [])


@pytest.mark.parametrize("dtype", list(proto.TENSOR_DTYPES))
def test_arrays_and_dtypes_match_onnx_numpy_helper(dtype):
    from onnx import helper, numpy_helper

    array = (np.arange(12).reshape(3, 4) % 2).astype(dtype)
    assert proto.np_dtype_to_tensor_dtype(np.dtype(dtype)) == helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    _same(proto.from_array(array, "w"), numpy_helper.from_array(array, "w"))
    _same(proto.from_array(np.asarray(7, dtype), "s"), numpy_helper.from_array(np.asarray(7, dtype), "s"))
    swapped = array.astype(np.dtype(dtype).newbyteorder(">"))  # stored little-endian, as ONNX says
    _same(proto.from_array(swapped, "w"), numpy_helper.from_array(array, "w"))


def test_value_infos_tensors_and_models_match_onnx_helper():
    from onnx import helper

    for shape in (None, [], ["N", 3, None, "x_d2"]):
        _same(proto.make_tensor_value_info("x", 11, shape), helper.make_tensor_value_info("x", 11, shape))
    for data_type in (1, 11):
        _same(proto.make_tensor("one", data_type, [1], [1.0]), helper.make_tensor("one", data_type, [1], [1.0]))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", 1, ["N", 2])],
                              [helper.make_tensor_value_info("y", 1, ["N", 2])],
                              [proto.from_array(np.ones(2, np.float32), "w")])
    _same(proto.make_graph(graph.node, "g", graph.input, graph.output, graph.initializer),
          graph)
    fields = {"producer_name": "specbridge", "producer_version": "0", "doc_string": "d"}
    _same(proto.make_model(graph, opset_imports=[proto.make_opsetid("", 21)], ir_version=10, **fields),
          helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10, **fields))


def _fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def test_the_module_loaded_alone_gives_onnx_s_own_classes():
    """Built first, then `import onnx` (which loads its own copy of the module): the same classes, and onnx's
    tools take the model."""
    out = _fresh(
        """
        import sys
        from specbridge.emit import to_onnx
        model = to_onnx("specbridge: 1\\nname: t\\ninput: {shape: [4]}\\nlayers:\\n  - {type: Dense, units: 2}\\n")
        assert not [m for m in sys.modules if m.split(".")[0] in ("onnx", "ml_dtypes")], sorted(sys.modules)
        import onnx
        assert type(model) is onnx.ModelProto and isinstance(model, onnx.onnx_ml_pb2.ModelProto)
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        onnx.checker.check_model(copy, full_check=True)
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_after_import_onnx_the_emitter_uses_onnx_s_module():
    out = _fresh(
        """
        import onnx
        from specbridge.emit.onnx import proto
        assert proto.pb2() is onnx.onnx_ml_pb2
        print("ok")
        """
    )
    assert out.strip() == "ok"
