"""Keras's implicit masks in a saved model: the mask computations Keras recorded are dropped, once checked to be
the masks a spec propagates implicitly (shapes/masks.py).

Keras 3 records each mask a layer computes (Embedding(mask_zero=True): ops.not_equal(ids, 0); Masking:
ops.any(ops.not_equal(x, v), axis=-1); the merges' ops.logical_or; Concatenate's widened and joined masks) as op
nodes of the graph, and hands them to the layers that take masks as their `mask` argument. A spec carries masks
implicitly, so an op node whose outputs only feed masks is left out, and every recorded mask argument must be the
implicit mask of that call's input: anything else (a user's own mask, `mask=ops.not_equal(ids, 5)`) is refused
(SB501), never imported as a different model. A call recorded with `mask: None` takes its input's mask when the
model runs (Layer.__call__), which is the implicit one. Keras 3 says a nested model drops masks at its output,
but when the model runs the output tensor still carries its mask (the inner layer set it), and the layers after
it read it: as in the spec, which inlines the nested model.
"""

from __future__ import annotations

import json
from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .keywords import MaskUse
from .mask_keys import Key, mask_key, or_keys
from .topology import OP_ARGS, OPS_MODULE, Call, Topology


class Unrecognized(Exception):
    """A recorded mask that is no computation Keras makes itself; the message says what it is."""


def mask_only_ops(top: Topology) -> set[str]:
    """The keras.ops calls whose every output feeds a mask argument (or another such call): Keras's own mask
    computations, which the spec leaves out."""
    ops = {c.name for c in top.calls if (c.module or "").startswith(OPS_MODULE)}
    readers: dict[str, set[Optional[str]]] = {name: set() for name in ops}  # None: read as a mask
    for call in top.calls:
        for name in _reads(call):
            readers.get(name, set()).add(call.name)
    for use in top.masks:
        for names in use.masks.values():
            for name in names:
                readers.get(name or "", set()).add(None)
    for name in top.outputs:
        readers.get(name.split(".")[0], set()).add("")  # a model output is no mask
    dropped = {name for name, found in readers.items() if found}
    while True:
        kept = {name for name in dropped if any(r is not None and r not in dropped for r in readers[name])}
        if not kept:
            return dropped
        dropped -= kept


def _reads(call: Call) -> list[str]:
    """Every tensor a call reads: its inputs and its keyword tensors (an attention_mask, in its config)."""
    from ..spec.catalog import layer_class

    cls = layer_class(call.class_name)
    keywords = cls.CALL.keyword_tensors if cls is not None else ()
    return list(call.inputs) + [str(call.config[k]) for k in keywords if call.config.get(k)]


def check_masks(top: Topology, spec: dict, keras2: bool = False) -> list[Diagnostic]:
    """SB501 for every recorded mask argument that is not the implicit mask of the call's input, and (`keras2`: a
    file of Keras 2, whose masks the spec's Keras 3 rules describe) where Keras 2 combines masks otherwise."""
    if not top.masks and not (keras2 and _makes_masks(spec["layers"])):
        return []
    from ..check import check_text

    result = check_text(json.dumps(spec), lint=False)
    if result.graph is None:
        return []  # a spec that does not load: its own diagnostics say why when it is checked
    tensors = {**result.graph.inputs, **{r.name: r.output for r in result.records}}
    ops = {c.name: c for c in top.calls if (c.module or "").startswith(OPS_MODULE)}
    out = [d for use in top.masks for d in _check_call(use, tensors, ops, result)]
    if keras2:
        from .masks_keras2 import keras2_differences

        out += keras2_differences(result)
    return out


def _makes_masks(layers: list) -> bool:
    return any(layer.get("type") == "Masking" or layer.get("mask_zero") or
               (isinstance(layer.get("layer"), dict) and _makes_masks([layer["layer"]])) for layer in layers)


def _check_call(use: MaskUse, tensors: dict, ops: dict, result) -> list[Diagnostic]:
    from ..spec.catalog import layer_class
    from .files import MODEL_CLASSES

    cls = None if use.class_name in MODEL_CLASSES else layer_class(use.class_name)
    ins = [tensors.get(n) for n in use.inputs]
    what = "nested model" if cls is None else "layer"
    if any(t is None for t in ins):
        first = next(iter(result.errors), None)
        why = f" ({first.code} at {first.layer!r}: {first.message})" if first is not None else ""
        return [codes.CALL_NOT_IMPORTABLE(
            f"{what} {use.name!r} ({use.class_name}, {use.place}) is called with masks, and the spec's check fails "
            f"before it{why}: specbridge cannot tell whether they are the masks it propagates", layer=use.name)]
    out = []
    for key, names in use.masks.items():
        for name, want in zip(names, _implicit(cls, key, ins), strict=False):
            problem = _differs(name, want, ops, tensors)
            if problem is not None:
                out.append(codes.CALL_NOT_IMPORTABLE(
                    f"{what} {use.name!r} ({use.class_name}, {use.place}) is called with {key}={problem}, which is "
                    f"not the mask Keras propagates to it implicitly ({_describe_mask(want)}): a spec carries masks "
                    "only implicitly, so it would describe another model", layer=use.name,
                    hint="leave the mask to Keras (Embedding(mask_zero=True), Masking), or make the masked "
                         "computation explicit with layers or ops"))
    return out


def _implicit(cls, key: str, ins: list) -> list:
    """The masks Keras's Layer.__call__ would hand the call: the first input's (`mask`), each input's (a list
    call's `mask`, a nested model's: cls None), or one tensor argument's (`query_mask`)."""
    if cls is None or cls.CALL.as_list:
        return [t.mask for t in ins]
    if key == "mask":
        return [ins[0].mask]
    tensor = key[: -len("_mask")]
    index = cls.CALL.tensors.index(tensor) if tensor in cls.CALL.tensors else len(ins)
    return [ins[index].mask if index < len(ins) else None]


def _differs(name: Optional[str], want, ops: dict, tensors: dict) -> Optional[str]:
    """None when the recorded mask `name` (None: the call recorded no mask) is `want`; else how it reads."""
    if name is None:
        return None if want is None else "None"
    try:
        got = _keras_key(name, ops, tensors)
    except Unrecognized as exc:
        return str(exc)
    if want is not None and got == mask_key(want):
        return None
    return _describe_key(got)


# ---------------------------------------------------------------- the recorded computation, as a key


def _keras_key(name: str, ops: dict, tensors: dict) -> Key:
    call = ops.get(name)
    if call is None:
        raise Unrecognized(f"the tensor {name!r} (a mask of the model's own, not one Keras computes implicitly)")
    kind, args = call.class_name, call.config.get(OP_ARGS) or []
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if kind == "NotEqual" and len(call.inputs) == 1 and len(numbers) == 1:
        return ("not_equal", call.inputs[0], float(numbers[0]))
    if kind == "Any" and call.config.get("axis") == -1 and not call.config.get("keepdims"):
        inner = ops.get(call.inputs[0])
        if inner is not None and inner.class_name == "Concatenate":
            return _concatenated(inner, ops, tensors)
        found = _keras_key(call.inputs[0], ops, tensors)
        if found[0] == "not_equal":
            return ("any_not_equal", *found[1:])
    if kind == "LogicalOr":
        parts = [_keras_key(n, ops, tensors) for n in call.inputs]
        kinds = sorted(p[0] for p in parts)
        if kinds == ["false", "widened"]:  # Concatenate's mask widened to its input: logical_or(m[..., None], 0s)
            widened, zeros = sorted(parts, key=lambda p: p[0] != "widened")
            return ("widened", widened[1], zeros[1])
        return or_keys(parts)
    if kind == "ConvertToTensor" and len(call.inputs) == 1:  # Attention.compute_mask: the query's mask
        return _keras_key(call.inputs[0], ops, tensors)
    simple = {"ZerosLike": ("false",), "OnesLike": ("ones",)}
    if kind in simple and len(call.inputs) == 1:
        return (*simple[kind], call.inputs[0])
    if kind == "ExpandDims" and call.config.get("axis") == -1 and len(call.inputs) == 1:
        return ("widened", _keras_key(call.inputs[0], ops, tensors), None)
    raise Unrecognized(f"the result of keras.ops call {name!r} ({kind}), which is not a mask Keras computes "
                       "implicitly")


def _concatenated(concat: Call, ops: dict, tensors: dict) -> Key:
    """Concatenate.compute_mask: any(concatenate([widened mask or ones_like(input)...], axis), axis=-1)."""
    parts = [_keras_key(n, ops, tensors) for n in concat.inputs]
    inputs = [tensors.get(p[-1]) for p in parts if p[0] in ("ones", "widened")]
    if not inputs or any(t is None for t in inputs) or any(p[0] in ("false", "or") for p in parts):
        raise Unrecognized(f"the result of keras.ops call {concat.name!r} (Concatenate), a joined mask that is not "
                           "Concatenate's own")
    rank = len(inputs[0].shape) + 1  # the widened masks' rank, batch counted
    axis = int(concat.config.get("axis", -1))
    axis = (axis + rank if axis < 0 else axis) - 1
    masks = [None if p[0] == "ones" else (p[1] if p[0] == "widened" else p) for p in parts]
    if axis == rank - 2:  # the last axis: any() or-s the masks, and an input without one makes it all true
        return ("true",) if any(m is None for m in masks) else or_keys(masks)
    return ("concatenate", axis, tuple(masks))


def _describe_key(key: Key) -> str:
    kind = key[0]
    if kind == "not_equal":
        return f"{key[1]} != {key[2]:g}"
    if kind == "any_not_equal":
        return f"any({key[1]} != {key[2]:g}, axis=-1)"
    if kind == "or":
        return " | ".join(sorted(_describe_key(k) for k in key[1]))
    if kind == "concatenate":
        parts = ", ".join("true" if k is None else _describe_key(k) for k in key[2])
        return f"the masks [{parts}] joined on axis {key[1] + 1}"
    return "true everywhere" if kind == "true" else repr(key)


def _describe_mask(mask) -> str:
    if mask is None:
        return "no mask"
    return f"the mask of {mask.origin!r}: {_describe_key(mask_key(mask))}"
