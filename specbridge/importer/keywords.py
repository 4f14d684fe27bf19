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
class MaskUse:
    """The masks one call was handed in the saved graph (importer/masks.py checks them): the layer (or nested
    model) called, its positional inputs, and argument -> the spec name of each mask (None: no mask)."""

    name: str
    class_name: str
    place: str
    inputs: list[str]
    masks: dict[str, list[Optional[str]]]


@dataclass
class Keywords:
    """A call's keyword arguments a spec layer holds: tensors (attention_mask) and call options (use_causal_mask)."""

    positional: list[tuple[int, list]] = field(default_factory=list)  # (slot, keras_history): `value=v`
    tensors: list[tuple[str, list]] = field(default_factory=list)  # (argument, keras_history)
    options: dict[str, Any] = field(default_factory=dict)
    # The masks Keras handed the call (`mask`, `query_mask`...: Call.mask_keywords()): argument -> the keras_history
    # of each mask, None where a list call's tensor had none. importer/masks.py checks they are the implicit ones.
    masks: dict[str, list[Optional[list]]] = field(default_factory=dict)

    def mask_histories(self) -> list[list]:
        """Every mask tensor the call reads, in the order split_masks expects them at the end of its reads."""
        return [h for key in self.masks for h in self.masks[key] if h is not None]

    def split_masks(self, inputs: list[str]) -> tuple[list[str], dict[str, list[Optional[str]]]]:
        """(the call's other inputs, argument -> the spec name of each of its masks) from the names of everything
        it reads, its masks last (mask_histories)."""
        count = len(self.mask_histories())
        names = iter(inputs[len(inputs) - count:])
        masks = {key: [None if h is None else next(names) for h in found] for key, found in self.masks.items()}
        return inputs[:len(inputs) - count], masks


def keyword_arguments(node: Any, layer: dict, name: str, place: str, top: Topology) -> Optional[Keywords]:
    """The call's kwargs sorted by the layer type's call signature (spec/call.py): positional tensors passed by
    keyword (`value=`), keyword tensors (`attention_mask=`), call options; None, with a diagnostic, for a keyword a
    spec layer cannot hold."""
    from ..spec.catalog import layer_class
    from .files import MODEL_CLASSES

    cls = layer_class(str(layer.get("class_name")))
    out = Keywords()
    kwargs = (node.get("kwargs") or {}) if isinstance(node, dict) else _keras2_kwargs(node)
    if cls is None:  # an op call or a layer the spec lacks: reported, with its arguments, where it is mapped
        if layer.get("class_name") in MODEL_CLASSES and kwargs.get("mask") is not None:
            out.masks["mask"] = _mask_entries(kwargs["mask"]) or [None]  # Functional.call(inputs, mask=...)
        return out
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
        elif key in call.mask_keywords() and found and (entries := _mask_entries(value)) is not None:
            out.masks[key] = entries
        elif key != "training" and (found or value not in (None, False)):
            top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                f"layer {name!r} ({layer.get('class_name')}, {place}) is called with {key}=..., which a spec "
                "layer cannot hold", layer=name))
            return None
    out.positional.sort()
    return out


def _mask_entries(value: Any) -> Optional[list[Optional[list]]]:
    """The keras_history of a mask argument's tensor, or of each item of a list of masks (None for an item that
    is no tensor: a list call's input without a mask); None for anything else (a nested list of tensors)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[Optional[list]] = []
    for item in items:
        found: list[list] = []
        tensors_in(item, found)
        if len(found) > 1:
            return None
        out.append(found[0] if found else None)
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
