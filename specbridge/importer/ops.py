"""A keras.ops call saved in a model's graph (class `Matmul` from keras.src.ops.numpy, `x[:, 0]` as `GetItem`) ->
the spec's op node of the same function (spec/layers/ops.py): its arguments from the call's config, the numbers
written in place of a tensor from the call's positional arguments, an index's key in Python's syntax."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from ..spec.catalog import family_classes
from ..spec.index_key import key_text
from .topology import OP_ARGS

SKIPPED = {"name", "trainable", "dtype", OP_ARGS}


def _by_class() -> dict[tuple[str, str], type]:
    """(saved class name, keras.src.ops module) -> the spec op class."""
    return {(cls.KERAS_CLASS, cls.KERAS_MODULE): cls for cls in family_classes("ops")}


def op_class(class_name: str, module: Optional[str]) -> Optional[type]:
    """The spec op class of a saved keras.ops call (module keras.src.ops.numpy / nn / math / core), or None."""
    ops_module = (module or "").rsplit(".", 1)[-1]
    return _by_class().get((class_name, ops_module)) or _by_class().get((class_name, "numpy"))


def op_node(class_name: str, config: dict, name: str, place: str, module: Optional[str], refuse: Callable) -> Any:
    from .layers import Mapped

    cls = op_class(class_name, module)
    if cls is None or (module is not None and not module.startswith("keras.src.ops")):
        return Mapped(None, [refuse(class_name, name, place, module)])
    layer: dict[str, Any] = {"type": cls.type_names()[0], "name": name}
    layer.update({k: _plain(v) for k, v in config.items() if k not in SKIPPED and k in cls.model_fields})
    args = config.get(OP_ARGS, [])
    if class_name == "GetItem":
        items = args[1] if len(args) > 1 else []
        layer["key"] = key_text(tuple(items) if isinstance(items, list) else (items,))
    elif class_name == "Einsum":
        pass  # the subscripts are in the config, the operands are tensors
    else:
        for slot, value in zip(cls.CALL.tensors, args, strict=False):
            if value is not None and not isinstance(value, list) and slot in cls.model_fields:
                layer[slot] = value  # a number in place of a tensor: ops.add(x, 3.0)
            elif value is not None and not isinstance(value, list):
                return Mapped(None, [refuse(class_name, name, place, module)])
    from .layers import drop_defaults

    drop_defaults(layer, cls)
    return Mapped(layer)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
