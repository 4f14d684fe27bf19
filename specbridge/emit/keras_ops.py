"""The Keras emitter's entries for tensor operations: each op is the keras.ops call it stands for, in functional code
(`mm = keras.ops.matmul(q, k)`, `last = x[:, -1, :]`, `parts, parts_1 = keras.ops.split(x, 2, axis=-1)`)."""

from __future__ import annotations

from typing import Any

from ..spec.index_key import key_text
from ..spec.layers import ops as O
from .keras import KERAS_EMITTERS, Expression, KerasCtx
from .source import call, literal

# Arguments Keras takes as tuples (the spec's JSON lists).
TUPLES = ("newshape", "axes", "repeats", "axis", "indices_or_sections")


@KERAS_EMITTERS.register(*O.LAYERS)
def op_call(layer: O.Op, ctx: KerasCtx) -> list[Expression]:
    """The keras.ops call of an op on the step's input variables (numbers in place of the tensors the spec gives
    as numbers)."""
    variables = list(layer.bind(ctx.arguments)[0])
    if isinstance(layer, O.GetItem):
        return [Expression(f"{variables[0]}[{key_text(layer.items())}]")]
    constants = layer.constants()
    operands = []
    for name in layer.CALL.tensors:
        if name in constants:
            operands.append(literal(constants[name]))
        elif layer.CALL.variadic:
            operands.extend(variables)
        elif variables:
            operands.append(variables.pop(0))
    if layer.CALL.as_list:
        operands = ["[" + ", ".join(operands) + "]"]
    if isinstance(layer, O.Einsum):
        operands.insert(0, literal(layer.subscripts))
    given = layer.keras_arguments()
    keywords: dict[str, Any] = {k: _value(k, given[k]) for k in type(layer).model_fields
                                if k in given and k not in constants and k != "subscripts"}
    return [Expression(call(f"keras.ops.{layer.function()}", *operands, **keywords))]


def _value(key: str, value: Any) -> Any:
    return tuple(value) if key in TUPLES and isinstance(value, list) else value
