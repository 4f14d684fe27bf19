"""Attention layers: MultiHeadAttention, GroupedQueryAttention, and the projection-free Attention, AdditiveAttention.

Spelled as Keras calls them (spec/call.py): `inputs:` lists query, value and optionally key, in Keras's call order
(`inputs: [x, x]` for self-attention, `inputs: [dec, enc]` for cross-attention); `attention_mask` names the tensor
passed as the call's `attention_mask`; `use_causal_mask` and `return_attention_scores` are the call's options. With
`return_attention_scores: true` the scores are the layer's second output, read as `NAME.scores`.
"""

from typing import ClassVar, Literal, Optional, Union

from pydantic import Field, PositiveInt

from ..base import Layer, Rate
from ..call import Call

CAUSAL = Field(False, description="Call option: each query position attends only to key positions at or before it.")
SCORES = Field(False, description="Call option: return the attention scores as a second output, read as `NAME.scores`.")
MASK = Field(
    None,
    description="Call argument: the name of a tensor (an input or a layer) passed as `attention_mask`: a bool (or 0/1) "
    "tensor of shape (query length, key length), batch axis excluded, True where a query may attend a key; it must "
    "broadcast to (batch, heads, query length, key length).",
)


class AttentionLayer(Layer):
    MASKING: ClassVar[str] = "reads"
    FAMILY: ClassVar[str] = "attention"
    FLOAT_INPUT: ClassVar[bool] = True
    use_causal_mask: bool = CAUSAL
    return_attention_scores: bool = SCORES
    seed: Optional[int] = None

    def output_names(self) -> tuple[str, ...]:
        return self.CALL.outputs if self.return_attention_scores else self.CALL.outputs[:1]


# Keras's MultiHeadAttention / GroupedQueryAttention call: (query, value, key=None, ..., attention_mask=None, ...).
PROJECTED_CALL = Call(
    tensors=("query", "value", "key"), required=2, keyword_tensors=("attention_mask",),
    options=("use_causal_mask", "return_attention_scores"), outputs=("output", "scores"),
)
# Attention and AdditiveAttention: called on a list [query, value] or [query, value, key].
LIST_CALL = Call(
    tensors=("query", "value", "key"), required=2, as_list=True,
    options=("use_causal_mask", "return_attention_scores"), outputs=("output", "scores"),
)


class MultiHeadAttention(AttentionLayer):
    type: Literal["MultiHeadAttention"]
    CALL: ClassVar[Call] = PROJECTED_CALL
    WEIGHTS: ClassVar[tuple[str, ...]] = (
        "query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
        "attention_output/kernel", "attention_output/bias",
    )
    num_heads: PositiveInt
    key_dim: PositiveInt = Field(description="Size of each head's query and key projection.")
    value_dim: Optional[PositiveInt] = Field(None, description="Size of each head's value projection (default key_dim).")
    dropout: Rate = 0.0
    use_bias: bool = True
    output_shape: Optional[Union[PositiveInt, list[PositiveInt]]] = Field(
        None, description="The output's trailing axes (default: the query's last axis, so that x + attention(x) adds).",
    )
    attention_axes: Optional[Union[int, list[int]]] = Field(
        None, description="The axes attention runs over, counted with the batch axis (default: every axis between "
        "the batch and the features).",
    )
    attention_mask: Optional[str] = MASK

    def projections(self) -> dict[str, tuple[int, int]]:
        """(heads, size of each head) of the query, key and value projections."""
        qk = (self.num_heads, self.key_dim)
        return {"query": qk, "key": qk, "value": (self.num_heads, self.value_dim or self.key_dim)}

    def dot_product_path(self, rank: int) -> bool:
        """Keras's fast path: with a rank-3 query, no dropout and no scores returned, Keras calls
        ops.dot_product_attention, which attends over axis 1 whatever attention_axes says (docs/reliability.md)."""
        return rank == 3 and self.dropout == 0 and not self.return_attention_scores

    def declared_axes(self, rank: int) -> tuple[int, ...]:
        """attention_axes as Keras normalizes them, in the order given, for a query of `rank` (batch counted): the
        default is every axis between the batch and the features; a negative axis counts from the projected
        query's heads axis (-1 is the heads axis). The shape rule says which are valid."""
        given = self.attention_axes
        if given is None:
            return tuple(range(1, rank - 1))
        return tuple(a + rank if a < 0 else a for a in ((given,) if isinstance(given, int) else given))

    def attention_axes_for(self, rank: int) -> tuple[int, ...]:
        """The axes the layer attends over: axis 1 on Keras's dot-product path, else the declared axes."""
        return (1,) if self.dot_product_path(rank) else self.declared_axes(rank)


class GroupedQueryAttention(AttentionLayer):
    type: Literal["GroupQueryAttention", "GroupedQueryAttention"]
    CALL: ClassVar[Call] = PROJECTED_CALL
    WEIGHTS: ClassVar[tuple[str, ...]] = (
        "query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
        "attention_output/kernel", "attention_output/bias",
    )
    head_dim: PositiveInt
    num_query_heads: PositiveInt
    num_key_value_heads: PositiveInt = Field(description="Key and value heads; num_query_heads must be a multiple.")
    dropout: Rate = 0.0
    use_bias: bool = True
    attention_mask: Optional[str] = MASK

    def projections(self) -> dict[str, tuple[int, int]]:
        """(heads, size of each head) of the query, key and value projections: key and value heads are shared."""
        kv = (self.num_key_value_heads, self.head_dim)
        return {"query": (self.num_query_heads, self.head_dim), "key": kv, "value": kv}


class Attention(AttentionLayer):
    """Luong-style attention: scores are query . key (score_mode 'dot') or tanh-combined ('concat')."""

    type: Literal["Attention"]
    CALL: ClassVar[Call] = LIST_CALL
    WEIGHTS: ClassVar[tuple[str, ...]] = ("scale", "concat_score_weight")
    use_scale: bool = False
    score_mode: Literal["dot", "concat"] = "dot"
    dropout: Rate = 0.0


class AdditiveAttention(AttentionLayer):
    """Bahdanau-style attention: scores are sum(scale * tanh(query + key))."""

    type: Literal["AdditiveAttention"]
    CALL: ClassVar[Call] = LIST_CALL
    WEIGHTS: ClassVar[tuple[str, ...]] = ("scale",)
    use_scale: bool = True
    dropout: Rate = 0.0


LAYERS = (MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention)
