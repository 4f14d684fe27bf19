"""The ONNX protobuf messages, and the few onnx.helper / onnx.numpy_helper functions the emitters call, without
`import onnx`.

`import onnx` runs onnx/__init__.py, which imports onnx.helper -> onnx._mapping -> ml_dtypes (whose extension
registers its dtypes' ufunc loops with NumPy: 0.9 to 1.3 s here with NumPy 2.4), the checker, the C++ bindings
and more; that was most of a cold `specbridge emit --to onnx`. Building a model needs only the generated message
classes, onnx/onnx_ml_pb2.py, which imports google.protobuf alone. pb2() loads that file by itself: protobuf adds
its descriptors to the default pool once, and an `import onnx` before or after gets the very same classes (the
pool keeps one class per message type), so the models built here are onnx.ModelProto instances.

The functions keep onnx.helper's names, arguments and behaviour for what the emitters pass them (the same
fields set, hence the same bytes; tests/emit/onnx_emitter/test_proto.py compares them with onnx.helper's).
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Optional

import numpy as np

PB2 = "onnx.onnx_ml_pb2"

# numpy dtype name -> TensorProto.DataType (onnx._mapping's values, for the dtypes a spec can have)
TENSOR_DTYPES = {
    "float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7, "bool": 9,
    "float16": 10, "float64": 11, "uint32": 12, "uint64": 13,
}
# AttributeProto.AttributeType
FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS = 1, 2, 3, 4, 5, 6, 7, 8


def pb2():
    """onnx's generated protobuf module: the imported one when onnx is imported, else the file loaded alone."""
    return sys.modules.get(PB2) or _load_alone()


@functools.cache
def _load_alone():
    """onnx/onnx_ml_pb2.py executed as a module of its own name, found as the import system would find it but
    without running onnx/__init__.py, and not registered in sys.modules (a later `import onnx` loads its own
    copy, which protobuf gives the same classes)."""
    import importlib.machinery
    import importlib.util

    package = importlib.util.find_spec("onnx")  # looked up, not imported
    locations = list(package.submodule_search_locations or []) if package else []
    spec = importlib.machinery.PathFinder.find_spec(PB2, locations) if locations else None
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {PB2!r}", name=PB2)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def np_dtype_to_tensor_dtype(dtype) -> int:
    name = np.dtype(dtype).name
    if name not in TENSOR_DTYPES:
        raise ValueError(f"no ONNX tensor type for the NumPy dtype {name!r} here")
    return TENSOR_DTYPES[name]


def from_array(array: np.ndarray, name: Optional[str] = None, tensor=None):
    """A TensorProto holding `array` as raw little-endian data (numpy_helper.from_array for numeric arrays);
    `tensor`: an empty one to fill in place (e.g. graph.initializer.add())."""
    tensor = pb2().TensorProto() if tensor is None else tensor
    tensor.dims.extend(array.shape)
    if name:
        tensor.name = name
    data_type = np_dtype_to_tensor_dtype(array.dtype)
    if array.dtype.byteorder == ">" or (sys.byteorder == "big" and array.dtype.byteorder == "="):
        array = array.astype(array.dtype.newbyteorder("<"))
    tensor.raw_data = array.tobytes()
    tensor.data_type = data_type
    return tensor


def make_tensor(name: str, data_type: int, dims: Sequence[int], vals: Sequence[float]):
    """A float or double TensorProto holding `vals` in float_data / double_data (not raw)."""
    fields = {1: ("float_data", np.float32), 11: ("double_data", np.float64)}
    if data_type not in fields:
        raise ValueError(f"make_tensor here takes float and double tensors, not data type {data_type}")
    field, dtype = fields[data_type]
    values = np.asarray(vals, dtype=dtype).flatten()
    if len(values) != math.prod(dims):
        raise ValueError(f"{len(values)} values for a tensor of dims {list(dims)}")
    tensor = pb2().TensorProto()
    tensor.data_type = data_type
    tensor.name = name
    tensor.dims.extend(dims)
    getattr(tensor, field).extend(values)
    return tensor


def make_attribute(key: str, value: Any):
    """An AttributeProto of the type onnx.helper.make_attribute infers from `value`."""
    p = pb2()
    attr = p.AttributeProto()
    attr.name = key
    if isinstance(value, numbers.Integral):
        attr.i, attr.type = int(value), INT
    elif isinstance(value, numbers.Real):
        attr.f, attr.type = float(value), FLOAT
    elif isinstance(value, (str, bytes)):
        attr.s, attr.type = _to_bytes(value), STRING
    elif isinstance(value, p.TensorProto):
        attr.t.CopyFrom(value)
        attr.type = TENSOR
    elif isinstance(value, p.GraphProto):
        attr.g.CopyFrom(value)
        attr.type = GRAPH
    elif isinstance(value, Iterable):
        _list_attribute(attr, key, list(value))
    else:
        raise TypeError(f"'{value}' is not an accepted attribute value.")
    return attr


def _list_attribute(attr, key: str, values: list) -> None:
    if not values:
        raise ValueError(f"Could not infer attribute `{key}` type from empty iterator")
    types = {type(v) for v in values}
    if all(issubclass(t, numbers.Integral) for t in types):
        attr.ints.extend(values)
        attr.type = INTS
    elif all(issubclass(t, numbers.Real) for t in types):
        attr.floats.extend(values)
        attr.type = FLOATS
    elif all(issubclass(t, (str, bytes)) for t in types):
        attr.strings.extend(_to_bytes(v) for v in values)
        attr.type = STRINGS
    else:
        raise ValueError(f"attribute `{key}`: a list of ints, floats or strings is all the emitters use")


def _to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def make_node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], name: Optional[str] = None,
              doc_string: Optional[str] = None, domain: Optional[str] = None, **kwargs):
    node = pb2().NodeProto()
    node.op_type = op_type
    node.input.extend(inputs)
    node.output.extend(outputs)
    if name:
        node.name = name
    if doc_string:
        node.doc_string = doc_string
    if domain is not None:
        node.domain = domain
    node.attribute.extend(make_attribute(k, v) for k, v in sorted(kwargs.items()) if v is not None)
    return node


def make_graph(nodes: Sequence, name: str, inputs: Sequence, outputs: Sequence,
               initializer: Optional[Sequence] = None, doc_string: Optional[str] = None, graph=None):
    """A GraphProto; `graph`: one to fill in place instead (its initializers made there already, not copied)."""
    graph = pb2().GraphProto() if graph is None else graph
    graph.node.extend(nodes)
    graph.name = name
    graph.input.extend(inputs)
    graph.output.extend(outputs)
    for tensor in initializer or []:
        # Not extend(): upb's extend (MergeFrom) serializes each message and parses it back, CopyFrom copies it;
        # on a model whose weights are 33 MB, 0.1 s against 0.03 s.
        graph.initializer.add().CopyFrom(tensor)
    if doc_string:
        graph.doc_string = doc_string
    return graph


def make_opsetid(domain: str, version: int):
    opset = pb2().OperatorSetIdProto()
    opset.domain = domain
    opset.version = version
    return opset


def make_model(graph, *, ir_version: int, opset_imports: Sequence, model=None, **fields):
    """A ModelProto with a copy of `graph`; `model`: the model to fill in place instead, whose graph `graph` is
    (GraphBuilder.model, GraphBuilder.graph), not copied."""
    if model is None:
        model = pb2().ModelProto()
        model.graph.CopyFrom(graph)
    model.ir_version = ir_version
    model.opset_import.extend(opset_imports)
    for key, value in fields.items():
        setattr(model, key, value)
    return model


def make_tensor_value_info(name: str, elem_type: int, shape: Optional[Sequence[str | int | None]]):
    """A ValueInfoProto of a tensor; shape None: no shape; a None dim: one of unknown size."""
    info = pb2().ValueInfoProto()
    info.name = name
    tensor_type = info.type.tensor_type
    tensor_type.elem_type = elem_type
    if shape is not None:
        tensor_type.shape.dim.extend([])  # an empty shape is stored (a scalar), not left out
        for d in shape:
            dim = tensor_type.shape.dim.add()
            if isinstance(d, int):
                dim.dim_value = d
            elif isinstance(d, str):
                dim.dim_param = d
            elif d is not None:
                raise ValueError(f"Invalid item in shape: {d}. Needs to be of int or str.")
    return info
