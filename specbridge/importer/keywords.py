"""A layer call's keyword arguments in a saved model, sorted by the layer type's call signature (spec/call.py).

Keras 3 writes them as the node's `kwargs` (tensors as `__keras_tensor__` entries with their `keras_history`);
Keras 2 as the 4th item of the call's first tensor entry, its tensors as [layer, node, tensor] lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ..diagnostics import codes

if TYPE_CHECKING:
    from .topology import Topology


def tensors_in(value: Any, found: list[list]) -> None:
    """The keras_history of every tensor in a (nested) call argument, appended to `found` in order."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        found.append(list(value["config"]["keras_history"]))
    elif isinstance(value, (list, tuple)):
        for item in value:
            tensors_in(item, found)


@dataclass
class Keywords:
    """A call's keyword arguments a spec layer holds: tensors (attention_mask) and call options (use_causal_mask)."""

    positional: list[tuple[int, list]] = field(default_factory=list)  # (slot, keras_history): `value=v`
    tensors: list[tuple[str, list]] = field(default_factory=list)  # (argument, keras_history)
    options: dict[str, Any] = field(default_factory=dict)


def keyword_arguments(node: Any, layer: dict, name: str, place: str, top: Topology) -> Optional[Keywords]:
    """The call's kwargs sorted by the layer type's call signature (spec/call.py): positional tensors passed by
    keyword (`value=`), keyword tensors (`attention_mask=`), call options; None, with a diagnostic, for a keyword a
    spec layer cannot hold."""
    from ..spec.catalog import layer_class

    cls = layer_class(str(layer.get("class_name")))
    out = Keywords()
    if cls is None:  # an op call or a layer the spec lacks: reported, with its arguments, where it is mapped
        return out
    kwargs = (node.get("kwargs") or {}) if isinstance(node, dict) else _keras2_kwargs(node)
    call = cls.CALL
    for key, value in kwargs.items():
        found: list[list] = []
        tensors_in(value, found)
        if key in call.tensors and len(found) == 1:
            out.positional.append((call.tensors.index(key), found[0]))
        elif key in call.keyword_tensors and len(found) == 1:
            out.tensors.append((key, found[0]))
        elif key in call.options and not found:
            out.options[key] = value
        elif key != "training" and (found or value not in (None, False)):
            top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                f"layer {name!r} ({layer.get('class_name')}, {place}) is called with {key}=..., which a spec "
                "layer cannot hold", layer=name))
            return None
    out.positional.sort()
    return out


def _keras2_kwargs(node: Any) -> dict:
    """Keras 2 writes a call's kwargs as the 4th item of its first tensor entry; its tensors as [layer, node,
    tensor] lists, rewritten here to Keras 3's form so that one reader serves both."""
    entries = [node] if node and isinstance(node[0], str) else [e for e in node or [] if isinstance(e, list)]
    kwargs = entries[0][3] if entries and len(entries[0]) > 3 and isinstance(entries[0][3], dict) else {}
    return {key: _as_keras3_tensor(value) for key, value in kwargs.items()}


def _as_keras3_tensor(value: Any) -> Any:
    history = isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
    if history and all(isinstance(v, int) for v in value[1:]):
        return {"class_name": "__keras_tensor__", "config": {"keras_history": value}}
    return value
