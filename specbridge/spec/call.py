"""A layer type's call signature: the tensors its Keras call takes, its call options, and what it returns.

Declared once per type (the CALL trait of spec/base.py). Every stage reads the call from here instead of assuming
"one tensor in, one tensor out": the graph (how many inputs, which keyword tensors, the named extra outputs), the
Keras emitter (positional, list or keyword arguments), the PyTorch and ONNX emitters, the importer (tensors passed
by keyword in a saved model's call) and the .py reader.

The spec spelling follows Keras's call: `inputs:` lists the positional tensors in Keras's call order (query, value,
key for attention); a keyword tensor (`attention_mask`) is a field of the layer naming the tensor; a call option
that changes the computation (`use_causal_mask`) is a field too. A layer's extra outputs (the attention scores of
`return_attention_scores: true`) are read as `LAYER.OUTPUT` (`mha.scores`); the bare name is its first output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

OUTPUT_SEPARATOR = "."


@dataclass(frozen=True)
class Call:
    """How Keras calls a layer type.

    - tensors: the positional tensor arguments, in Keras's call order ("inputs" for a one-tensor layer).
    - required: how many of them a call must give.
    - variadic: any number of tensors beyond `required` (merges); `tensors` then names the first ones only.
    - as_list: Keras takes the tensors as one list argument (merges, Attention: `layer([query, value])`).
    - keyword_tensors: tensors passed by keyword, each named by a layer field that holds a tensor reference.
    - options: fields that are call arguments, not constructor arguments (`use_causal_mask`).
    - outputs: the names of everything the call can return, the main output first.
    """

    tensors: tuple[str, ...] = ("inputs",)
    required: int = 1
    variadic: bool = False
    as_list: bool = False
    keyword_tensors: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ("output",)

    @property
    def count(self) -> tuple[int, Optional[int]]:
        """(fewest, most or None for no limit) positional tensors."""
        return self.required, None if self.variadic else len(self.tensors)

    @property
    def single(self) -> bool:
        """One tensor in: called as `layer(x)`."""
        return self.count == (1, 1) and not self.keyword_tensors

    def describe_count(self) -> str:
        """'1 input', '2 to 3 inputs', '1 or more inputs'."""
        low, high = self.count
        if low == high:
            return f"{low} input{'s' if low != 1 else ''}"
        return f"{low} or more inputs" if high is None else f"{low} to {high} inputs"

    def mask_keywords(self) -> tuple[str, ...]:
        """How Keras hands a layer that reads masks its inputs' masks (Layer.__call__): one tensor argument (a
        one-tensor layer, or the list of a list call such as Attention's) gets `mask` (a list for a list call);
        several tensor arguments get `<tensor>_mask` each (MultiHeadAttention's query_mask, value_mask, key_mask)."""
        if self.single or self.as_list:
            return ("mask",)
        return tuple(f"{t}_mask" for t in self.tensors)

    def not_constructor_arguments(self) -> tuple[str, ...]:
        """The fields Keras takes at call time, which the constructor refuses."""
        return self.keyword_tensors + self.options


def output_reference(layer_name: str, output: str) -> str:
    """How a spec names one of a layer's extra outputs: `mha.scores`."""
    return f"{layer_name}{OUTPUT_SEPARATOR}{output}"


def split_reference(reference: str, outputs_of: dict[str, Sequence[str]]) -> tuple[str, int]:
    """(layer or input name, output index) of a tensor reference; a whole name wins over `LAYER.OUTPUT`."""
    if reference in outputs_of or OUTPUT_SEPARATOR not in reference:
        return reference, 0
    name, _, output = reference.rpartition(OUTPUT_SEPARATOR)
    names = outputs_of.get(name, ())
    if output in names:
        return name, list(names).index(output)
    return reference, 0
