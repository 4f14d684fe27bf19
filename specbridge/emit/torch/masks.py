"""Keras's implicit masks, made explicit in the emitted forward() (PyTorch has no implicit masks).

Each mask that some layer reads (MASKING "reads": the recurrent layers, GlobalAveragePooling1D, Softmax, attention)
is computed from its recipe (shapes/records.py's Mask) into a variable of its own, named after the layer that made
it (`emb_mask = ids != 0`), and handed to the reading layer by the keywords Keras uses (spec.call.Call.mask_keywords:
`mask=emb_mask`, `query_mask=...` / `value_mask=...` / `key_mask=...`, `mask=[q_mask, None]` for a list call), for
the inputs that carry one. Every mask is computed on the line before its origin's: a mask of the origin's input
(Embedding's `ids != 0`, Masking's `(x != v).any(-1)`) must be, since in a stack spec every variable is `x` and the
origin's line overwrites it; a mask built of others (a merge's `or`, Concatenate's join) finds its parts computed
already, their origins being earlier layers. Masks are in Keras's layout (no channel axis): a source tensor in
PyTorch's layout is read through its conversion to Keras's.
"""

from __future__ import annotations

from typing import Optional, Union

from ...shapes.records import Mask
from ..names import Identifiers
from ..source import literal
from .activations import keras_constant
from .layout import KERAS, conversion_expr

Passed = Union[Mask, list[Optional[Mask]]]


def passed_masks(step) -> dict[str, Passed]:
    """keyword -> the mask (a list of masks, None for an input without one, for a list call) a reading layer gets;
    empty for a layer that reads none or whose inputs carry none."""
    layer, masks = step.layer, list(step.record.input_masks)
    if layer.MASKING != "reads" or len(masks) != len(step.inputs):
        return {}
    positional = layer.bind(masks)[0]
    if all(m is None for m in positional):
        return {}
    keywords = layer.CALL.mask_keywords()
    if keywords == ("mask",):
        return {"mask": positional if layer.CALL.as_list else positional[0]}
    return {k: m for k, m in zip(keywords, positional, strict=False) if m is not None}


def _needed(steps) -> set[Mask]:
    """Every mask a layer reads, and the masks those are built of."""
    pending: list[Optional[Mask]] = []
    for step in steps:
        for value in passed_masks(step).values():
            pending.extend(value if isinstance(value, list) else [value])
    needed: set[Mask] = set()
    while pending:
        mask = pending.pop()
        if mask is not None and mask not in needed:
            needed.add(mask)
            pending.extend(mask.parts)
    return needed


class MaskWriter:
    """The mask lines and keywords of one forward(); `local` gives the variable names."""

    def __init__(self, steps, local: Identifiers):
        self.needed = _needed(steps)
        self.local = local
        self.var: dict[Mask, str] = {}

    def before(self, step, var: dict[str, str], layout: dict[str, str]) -> list[str]:
        """The lines computing the masks `step` originates, to go before its own line."""
        lines = []
        own = [m for m in self.needed if m.origin == step.name]
        for mask in sorted(own, key=lambda m: len(m.parts)):  # one per origin in practice; leaves first
            expression = self._expression(mask, step, var, layout)
            self.var[mask] = self.local.take(f"{mask.origin}_mask")
            lines.append(f"        {self.var[mask]} = {expression}")
        return lines

    def keywords(self, step) -> list[str]:
        """`mask=emb_mask`, `query_mask=...`: the reading layer's mask arguments."""
        out = []
        for keyword, value in passed_masks(step).items():
            if isinstance(value, list):
                out.append(f"{keyword}=[{', '.join('None' if m is None else self.var[m] for m in value)}]")
            else:
                out.append(f"{keyword}={self.var[value]}")
        return out

    def _expression(self, mask: Mask, step, var: dict[str, str], layout: dict[str, str]) -> str:
        if mask.recipe == "not_equal":  # Embedding: ids != 0
            value = int(mask.value) if float(mask.value).is_integer() else float(mask.value)
            return f"{_in_keras(mask.source, len(mask.shape), var, layout)} != {literal(value)}"
        if mask.recipe == "any_not_equal":  # Masking: mask_value as Keras compares it, a float32 number
            source = _in_keras(mask.source, len(mask.shape) + 1, var, layout)
            return f"({source} != {keras_constant(float(mask.value))}).any(dim=-1)"
        if mask.recipe == "or":  # Merge.compute_mask: logical_or, left to right, broadcasting as NumPy does
            return " | ".join(self.var[p] for p in mask.parts)
        if mask.recipe == "concatenate":
            return self._concatenate(mask, step, var, layout)
        if mask.recipe == "true":  # Concatenate on the last axis with an input that has no mask: true everywhere
            first = step.layer.bind(list(step.inputs))[0][0]
            positions = f"{_in_keras(first, len(mask.part_shapes[0]) + 1, var, layout)}[..., 0]"
            return f"torch.ones_like({positions}, dtype=torch.bool)"
        raise ValueError(f"unknown mask recipe {mask.recipe!r}")

    def _concatenate(self, mask: Mask, step, var: dict[str, str], layout: dict[str, str]) -> str:
        """Concatenate.compute_mask joining on an axis before the last: an input without a mask counts everywhere
        (ones like it), a mask that broadcasts is widened to its input's positions, then the masks are joined."""
        parts = []
        inputs = step.layer.bind(list(step.inputs))[0]
        for part, shape, name in zip(mask.parts, mask.part_shapes, inputs, strict=True):
            positions = f"{_in_keras(name, len(shape) + 1, var, layout)}[..., 0]"
            if part is None:
                parts.append(f"torch.ones_like({positions}, dtype=torch.bool)")
            elif tuple(part.shape) != tuple(shape):
                parts.append(f"({self.var[part]} | torch.zeros_like({positions}, dtype=torch.bool))")
            else:
                parts.append(self.var[part])
        return f"torch.cat([{', '.join(parts)}], dim={mask.axis + 1})"


def _in_keras(name: str, rank: int, var: dict[str, str], layout: dict[str, str]) -> str:
    """A tensor's variable in Keras's layout (`rank`: its axes without the batch; one looks the same either way)."""
    have = KERAS if rank <= 1 else layout[name]
    return conversion_expr(var[name], have, KERAS)
