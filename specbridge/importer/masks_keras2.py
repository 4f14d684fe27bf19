"""Where a Keras 2 (tf_keras) file's masks differ from the Keras 3 masks a spec describes (importer/masks.py).

tf_keras combines masks otherwise: a merge's mask is the AND of its inputs' masks, the inputs without one left
out (Keras 3: the OR, and none when an input has none); Concatenate's on its last axis is the AND over it (Keras
3: any(); on another axis both join the masks); TimeDistributed computes its layer's mask at each step (Keras 3
passes its input's mask on as it is); and Keras 3's Multiply, Maximum and Minimum compute their masked positions
from the masks, where tf_keras computes them from the values.
They agree when every input of a merge carries the same mask, and for TimeDistributed on a mask of the steps
alone around a layer that makes none. Elsewhere the import is refused (SB501) where the mask reaches a layer that
takes masks; where nothing reads it the values are the same.
"""

from __future__ import annotations

from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .mask_keys import mask_key


def keras2_differences(result) -> list[Diagnostic]:
    from ..spec.layers.merging import Dot, Merge
    from ..spec.layers.wrappers import TimeDistributed

    records = {r.name: r for r in result.records}
    out = []
    for entry in result.ordered_entries():
        layer, record = entry.layer, records.get(entry.name)
        if layer is None or record is None:
            continue
        masks = list(record.input_masks)
        why: Optional[str] = None
        if isinstance(layer, Merge) and layer.MASKING == "reads" and any(m is not None for m in masks):
            why = (f"Keras 3, whose rules the spec follows, computes {layer.kind}'s masked positions from the masks "
                   "(such a position never wins, or counts as 1), where Keras 2 computes them from the values alone")
            out.append(_refusal(entry.name, layer, why, entry.name))
            continue
        if isinstance(layer, Merge) and not isinstance(layer, Dot) and any(m is not None for m in masks):
            same = all(m is not None for m in masks) and len({mask_key(m) for m in masks}) == 1
            if not same and not _joined_on_the_steps(layer, record):
                why = ("Keras 2 ands the masks of a merge's inputs, leaving out those without one, where Keras 3, "
                       "whose rules the spec follows, ors them and gives no mask when an input has none")
        elif isinstance(layer, TimeDistributed):
            mask = masks[0] if masks else None
            if layer.layer.MASKING == "makes" or (mask is not None and len(mask.shape) > 1):
                why = ("Keras 2's TimeDistributed computes its layer's mask at each step, where Keras 3, whose rules "
                       "the spec follows, passes its input's mask on as it is")
        reader = _reader_after(result, entry.name) if why else None
        if reader is not None:
            out.append(_refusal(entry.name, layer, why, reader))
    return out


def _refusal(name: str, layer, why: str, reader: str) -> Diagnostic:
    reads = "it reads the masks" if reader == name else f"{reader!r} reads the mask"
    return codes.CALL_NOT_IMPORTABLE(
        f"layer {name!r} ({layer.kind}) of this Keras 2 file: {why}, and {reads}: the spec would describe another "
        "model", layer=name, hint="save the model with Keras 3, or give the merged inputs the same mask")


def _joined_on_the_steps(layer, record) -> bool:
    """Concatenate on an axis other than the last: tf_keras joins the masks on it too (as Keras 3 does; where an
    input has none, it builds only with one feature, whose ones join the same way)."""
    from ..spec.layers.merging import Concatenate

    if not isinstance(layer, Concatenate):
        return False
    rank = len(record.input_shapes[0])
    return (layer.axis - 1 if layer.axis > 0 else rank + layer.axis) != rank - 1


def _reader_after(result, name: str) -> Optional[str]:
    """The first layer after `name` that takes masks, through layers that pass masks on (None: none)."""
    from ..shapes.masks import takes_mask

    entries = {e.name: e for e in result.document.entries}
    readers: dict[str, list[str]] = {}
    for entry in result.ordered_entries():
        for source in result.graph.edges.get(entry.index, []):
            readers.setdefault(source.split(".")[0], []).append(entry.name)
    frontier, seen = [name], {name}
    while frontier:
        for reader in readers.get(frontier.pop(), []):
            layer = entries[reader].layer
            if layer is None or reader in seen:
                continue
            if takes_mask(layer):
                return reader
            if layer.MASKING == "keeps":
                seen.add(reader)
                frontier.append(reader)
    return None
