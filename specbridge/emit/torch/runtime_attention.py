"""Helper nn.Modules of the attention layers, computing what Keras 3.15 computes (measured against it: float32
within 1e-6, float64 within 1e-12, tests/emit/test_torch_attention.py).

A fourth runtime module beside runtime.py, read and copied the same way (specbridge.emit.torch.helpers): each class
stands on its own with `torch` and `nn` and the other classes here. Every module takes Keras's layout (features
last) and is called as Keras calls the layer: `(query, value, key=None, attention_mask=None)` and the inputs' Keras
masks by keyword; with `return_scores=True` it returns `(output, scores)`, the scores in Keras's layout.

What Keras does with masked positions (keras/src/layers/attention/, keras/src/backend/tensorflow/nn.py):

- Keras's mask is True where a query may attend a key; MultiHeadAttention casts it to bool (nonzero is True).
  GroupedQueryAttention does too, except on its Softmax path without a causal mask, where a non-bool mask is
  True above 0.5. The causal mask is (1, query.shape[1], value.shape[1]), lower triangular from the first position.
  A mask of lower rank than the scores gets axes inserted at -2 * (number of attention axes) - 1, so
  (batch, Tq, Tk) broadcasts as (batch, 1, Tq, Tk).
- MultiHeadAttention and GroupedQueryAttention take one of two paths. A rank-3 query without dropout and without
  returned scores goes through ops.dot_product_attention, which puts -0.7 * 3.38953e38 in every masked logit: a
  fully masked query row then has equal logits, softmax spreads it evenly, and the row attends every key alike (the
  mean of the values), in float32 and float64 alike. Every other call (scores returned, dropout > 0, a query of
  rank 4 or 5) goes through Keras's Softmax layer with the mask: masked logits become -1e9 and the masked weights
  are set to 0 after the softmax, so a fully masked row has all-zero weights and the output there is the output
  projection's bias. Partly masked rows agree on both paths (the masked weights underflow to exactly 0).
- Attention and AdditiveAttention subtract 1e9 from the masked scores (the causal mask and the value's Keras mask;
  a row whose every value is masked then has equal scores, each 1e9 below its own, and is spread evenly), and put 0
  in the output at a masked query position.
- The inputs' Keras masks (Embedding(mask_zero=True), Masking: True where a position counts) reach
  MultiHeadAttention and GroupedQueryAttention as query_mask / value_mask / key_mask, which Keras ANDs into one
  attention mask (KerasAttentionMask.implicit), then treated as an explicit attention_mask; Attention and
  AdditiveAttention get them as one list, mask=[query's, value's(, key's)].

What PyTorch 2.13 does with the same masks (measured):

- nn.MultiheadAttention's bool attn_mask (True = not allowed) becomes -inf: a fully masked row gives NaN. A float
  attn_mask is added to the logits: -0.7 * 3.38953e38 swallows any logit (float32's spacing there is 2e31), so a
  fully masked row is spread evenly, as on Keras's dot-product path. The emitted models use nn.MultiheadAttention
  with such a float mask (KerasMultiheadAttention) and, on Keras's Softmax path, zero the masked weights and put the
  output bias in fully masked rows afterwards.
- F.scaled_dot_product_attention with a bool attn_mask (True = allowed) gives 0 for a fully masked row: Keras's
  Softmax path when no scores are returned; with the float mask above, Keras's dot-product path.
- Keras scales the logits by 1 / sqrt(key_dim) rounded to float32, in float64 too; nn.MultiheadAttention by the
  float64 value. So they agree in float64 (within 1e-9; else 5e-8 apart) only when 1 / sqrt(key_dim) is a float32
  number: key_dim a power of 4 (1, 4, 16, 64, 256, ...). The emitter uses nn.MultiheadAttention only then; the
  explicit modules here use Keras's rounded scale.
- nn.MultiheadAttention's fast path (torch._native_multi_head_attention: inference, self-attention, an even number
  of heads, no float mask) agrees with its ordinary path to 1e-7 in float32.
"""

import torch
from torch import nn


class KerasAttentionMask:
    """Keras's attention masks as bool tensors (True = may attend), and Keras's two ways of applying them."""

    # What keras.ops.dot_product_attention (TensorFlow backend) puts in a masked logit, float32 and float64 alike.
    DOT_PRODUCT_FILL = -0.7 * 3.38953e38
    # What Keras's Softmax layer puts there, before it zeroes the masked weights.
    SOFTMAX_FILL = -1e9

    @staticmethod
    def implicit(attention_mask, query_mask=None, value_mask=None, key_mask=None):
        """Keras's _compute_attention_mask (MultiHeadAttention, GroupedQueryAttention): the inputs' Keras masks
        (True where a position counts) as query_mask[..., None] & value_mask[..., None, :] & key_mask[..., None, :],
        ANDed with the explicit attention_mask cast to bool (nonzero is True); the attention_mask as given without
        them. The causal mask joins in `allowed`: the same AND."""
        auto = None
        for mask, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
            if mask is not None:
                mask = mask.bool().unsqueeze(axis)
                auto = mask if auto is None else auto & mask
        if auto is None:
            return attention_mask
        return auto if attention_mask is None else attention_mask.bool() & auto

    @staticmethod
    def allowed(mask, query, value, causal, rank, axes, threshold=False):
        """The given mask and the causal one, ANDed, with axes inserted as Keras does up to `rank` (the rank of the
        scores; `axes` is the number of attention axes); None without either. `threshold`: a non-bool mask is True
        above 0.5 (GroupedQueryAttention's Softmax path), else where it is nonzero."""
        if mask is not None and mask.dtype != torch.bool:
            mask = mask > 0.5 if threshold else mask != 0
        if causal:
            tq, tk = query.shape[1], value.shape[1]
            lower = torch.ones(1, tq, tk, dtype=torch.bool, device=query.device).tril()
            mask = lower if mask is None else mask & lower
        if mask is not None:
            while mask.dim() < rank:
                mask = mask.unsqueeze(-2 * axes - 1)
        return mask

    @staticmethod
    def keras_scale(size):
        """1 / sqrt(size) rounded to float32, as Keras multiplies by it in float64 too (a Python float cast to the
        tensor's dtype goes through a float32 tensor first)."""
        return float(torch.tensor(size ** -0.5, dtype=torch.float32))

    @staticmethod
    def additive(allowed, dtype):
        """A float mask to add to the logits: 0 where allowed, DOT_PRODUCT_FILL elsewhere."""
        zeros = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
        return zeros.masked_fill(~allowed, KerasAttentionMask.DOT_PRODUCT_FILL)

    @staticmethod
    def attend(query, key, value, allowed, scale, softmax_path, scores=False, dropout=0.0):
        """Keras's scaled dot-product attention on (..., L, head_dim) tensors, `allowed` broadcasting to
        (..., Lq, Lk): (output, weights or None). `softmax_path`: Keras's Softmax layer (fully masked rows get zero
        weights) rather than ops.dot_product_attention (spread evenly). The weights are computed explicitly only
        when asked for or dropped out."""
        if not scores and not dropout:
            mask = allowed
            if allowed is not None and not softmax_path:
                mask = KerasAttentionMask.additive(allowed, query.dtype)
            return nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=scale), None
        logits = (query * scale) @ key.transpose(-1, -2)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, KerasAttentionMask.SOFTMAX_FILL)
        weights = torch.softmax(logits, dim=-1)
        if allowed is not None and softmax_path:
            weights = weights.masked_fill(~allowed, 0.0)
        return nn.functional.dropout(weights, dropout) @ value, weights


class KerasMultiheadAttention(nn.Module):
    """nn.MultiheadAttention (batch_first) called as Keras's MultiHeadAttention on rank-3 tensors: Keras's call order
    (query, value, key), its attention_mask (True = may attend) and causal mask, turned into nn.MultiheadAttention's
    additive float mask, and its two treatments of fully masked rows (the module docstring). The mask must not
    have a heads axis: on Keras's Softmax path a row is fixed after the heads are merged."""

    def __init__(self, attention, causal=False, return_scores=False):
        super().__init__()
        self.attention = attention
        self.causal = causal
        self.return_scores = return_scores

    def forward(self, query, value, key=None, attention_mask=None, query_mask=None, value_mask=None, key_mask=None):
        key = value if key is None else key
        attention_mask = KerasAttentionMask.implicit(attention_mask, query_mask, value_mask, key_mask)
        allowed = KerasAttentionMask.allowed(attention_mask, query, value, self.causal, rank=4, axes=1)
        mask = None
        if allowed is not None:
            batch, heads, tq, tk = query.shape[0], self.attention.num_heads, query.shape[1], key.shape[1]
            additive = KerasAttentionMask.additive(allowed, query.dtype)
            mask = additive.expand(batch, heads, tq, tk).reshape(batch * heads, tq, tk)
        out, scores = self.attention(query, key, value, attn_mask=mask, need_weights=self.return_scores,
                                     average_attn_weights=False)
        if allowed is not None and (self.return_scores or self.attention.dropout > 0):  # Keras's Softmax path
            out, scores = self.zero_masked(out, scores, allowed)
        return (out, scores) if self.return_scores else out

    def zero_masked(self, out, scores, allowed):
        """Keras's Softmax path: masked weights are 0, so a fully masked row's output is the output bias."""
        if scores is not None:
            scores = scores.masked_fill(~allowed, 0.0)
        empty = ~allowed.any(dim=-1)[:, 0, :, None]  # (batch or 1, Tq, 1)
        bias = self.attention.out_proj.bias
        return torch.where(empty, bias if bias is not None else torch.zeros_like(out), out), scores


class MultiHeadAttention(nn.Module):
    """Keras's MultiHeadAttention in general: ranks 3 to 5, attention over any axes, value_dim != key_dim, any
    output_shape. Projections are nn.Linear on the last axis; `attention_axes` are Keras's, normalized (batch
    counted, ascending or not, as Keras orders the scores' query and key axes)."""

    def __init__(self, query_features, value_features, key_features, num_heads, key_dim, value_dim, output_shape,
                 attention_axes, bias=True, dropout=0.0, causal=False, return_scores=False):
        super().__init__()
        self.query = nn.Linear(query_features, num_heads * key_dim, bias=bias)
        self.key = nn.Linear(key_features, num_heads * key_dim, bias=bias)
        self.value = nn.Linear(value_features, num_heads * value_dim, bias=bias)
        size = 1
        for dim in output_shape:
            size *= dim
        self.output = nn.Linear(num_heads * value_dim, size, bias=bias)
        self.num_heads, self.output_shape, self.attention_axes = num_heads, tuple(output_shape), tuple(attention_axes)
        self.scale = KerasAttentionMask.keras_scale(key_dim)
        self.dropout, self.causal, self.return_scores = dropout, causal, return_scores

    def forward(self, query, value, key=None, attention_mask=None, query_mask=None, value_mask=None, key_mask=None):
        key = value if key is None else key
        attention_mask = KerasAttentionMask.implicit(attention_mask, query_mask, value_mask, key_mask)
        q, q_sizes = self.heads_first(self.query(query))
        k, k_sizes = self.heads_first(self.key(key))
        v, _ = self.heads_first(self.value(value))
        scores_shape = (*q.shape[:-2], *q_sizes, *k_sizes)  # Keras's: (batch, others..., heads, q axes, k axes)
        softmax_path = self.return_scores or self.dropout > 0 or query.dim() != 3
        allowed = KerasAttentionMask.allowed(attention_mask, query, value, self.causal, len(scores_shape),
                                             len(self.attention_axes))
        if allowed is not None:
            allowed = allowed.expand(scores_shape).reshape(*q.shape[:-1], k.shape[-2])
        out, scores = KerasAttentionMask.attend(q, k, v, allowed, self.scale, softmax_path, self.return_scores,
                                                self.dropout if self.training else 0.0)
        out = self.heads_last(out, q_sizes).flatten(-2)  # (batch, axes..., heads * value_dim)
        out = self.output(out).unflatten(-1, self.output_shape)
        return (out, scores.reshape(scores_shape)) if self.return_scores else out

    def permutation(self, rank):
        """(batch, axes..., heads, dim) -> (batch, other axes..., heads, attention axes..., dim); rank counts dim."""
        others = [a for a in range(1, rank - 2) if a not in self.attention_axes]
        return [0, *others, rank - 2, *self.attention_axes, rank - 1]

    def heads_first(self, x):
        """A projection (batch, axes..., heads * dim) -> (batch, other axes..., heads, L, dim), L the attention
        positions flattened; and the attention axes' sizes."""
        x = x.unflatten(-1, (self.num_heads, -1))
        x = x.permute(self.permutation(x.dim()))
        sizes = tuple(x.shape[-1 - len(self.attention_axes):-1])
        return x.flatten(-1 - len(self.attention_axes), -2), sizes

    def heads_last(self, x, sizes):
        """The inverse of heads_first: (batch, other axes..., heads, L, dim) -> (batch, axes..., heads, dim)."""
        x = x.unflatten(-2, sizes)
        perm = self.permutation(x.dim())
        return x.permute([perm.index(a) for a in range(x.dim())])


class GroupedQueryAttention(nn.Module):
    """Keras's GroupedQueryAttention on rank-3 tensors: each key/value head serves num_query_heads //
    num_key_value_heads consecutive query heads (ops.repeat on the heads axis = repeat_interleave)."""

    def __init__(self, query_features, value_features, key_features, head_dim, num_query_heads, num_key_value_heads,
                 bias=True, dropout=0.0, causal=False, return_scores=False):
        super().__init__()
        self.query = nn.Linear(query_features, num_query_heads * head_dim, bias=bias)
        self.key = nn.Linear(key_features, num_key_value_heads * head_dim, bias=bias)
        self.value = nn.Linear(value_features, num_key_value_heads * head_dim, bias=bias)
        self.output = nn.Linear(num_query_heads * head_dim, query_features, bias=bias)
        self.num_query_heads, self.num_key_value_heads = num_query_heads, num_key_value_heads
        self.scale = KerasAttentionMask.keras_scale(head_dim)
        self.dropout, self.causal, self.return_scores = dropout, causal, return_scores

    def forward(self, query, value, key=None, attention_mask=None, query_mask=None, value_mask=None, key_mask=None):
        key = value if key is None else key
        attention_mask = KerasAttentionMask.implicit(attention_mask, query_mask, value_mask, key_mask)
        repeats = self.num_query_heads // self.num_key_value_heads
        q = self.query(query).unflatten(-1, (self.num_query_heads, -1)).transpose(1, 2)  # (batch, heads, Tq, dim)
        k = self.key(key).unflatten(-1, (self.num_key_value_heads, -1)).transpose(1, 2).repeat_interleave(repeats, 1)
        v = self.value(value).unflatten(-1, (self.num_key_value_heads, -1)).transpose(1, 2)
        v = v.repeat_interleave(repeats, 1)
        softmax_path = self.return_scores or self.dropout > 0
        # Keras casts the mask to bool only when it ANDs another (a Keras mask ANDed in `implicit`: bool already)
        threshold = softmax_path and not self.causal
        allowed = KerasAttentionMask.allowed(attention_mask, query, value, self.causal, 4, 1, threshold)
        out, scores = KerasAttentionMask.attend(q, k, v, allowed, self.scale, softmax_path, self.return_scores,
                                                self.dropout if self.training else 0.0)
        out = self.output(out.transpose(1, 2).flatten(-2))
        return (out, scores) if self.return_scores else out


class Attention(nn.Module):
    """Keras's Attention (Luong): scores query . key (times `scale`), or with score_mode 'concat'
    concat_score_weight * sum(tanh(scale * (query + key))); softmax over the keys; weights . value."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, causal=False, return_scores=False):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(())) if use_scale else None
        self.concat_score_weight = nn.Parameter(torch.ones(())) if score_mode == "concat" else None
        self.dropout, self.causal, self.return_scores = dropout, causal, return_scores

    def scores(self, query, key):
        if self.concat_score_weight is None:
            scores = query @ key.transpose(-1, -2)
            return scores if self.scale is None else scores * self.scale
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    def forward(self, query, value, key=None, mask=None):
        """`mask`: the Keras masks of [query, value(, key)] (None entries: none), as Keras passes them; the key's
        is not read (Keras's Attention ignores it)."""
        query_mask, value_mask = (list(mask) + [None, None])[:2] if mask is not None else (None, None)
        scores = self.scores(query, value if key is None else key)
        allowed = self.allowed(scores, value_mask)
        if allowed is not None:  # Keras subtracts 1e9 from the masked scores
            scores = torch.where(allowed, scores, scores - 1e9)
        weights = torch.softmax(scores, dim=-1)
        out = nn.functional.dropout(weights, self.dropout, self.training) @ value
        if query_mask is not None:  # a masked query position's output is 0; its weights stay
            out = torch.where(query_mask.bool().unsqueeze(-1), out, 0.0)
        return (out, weights) if self.return_scores else out

    def allowed(self, scores, value_mask):
        """Keras's _calculate_score_mask: the value mask as (batch, 1, Tv) and the causal mask (1, Tq, Tv), ANDed;
        without the causal mask, a value mask of another rank as it is."""
        if self.causal:
            lower = torch.ones(scores.shape[-2:], dtype=torch.bool, device=scores.device).tril()
            return lower if value_mask is None else value_mask.bool().unsqueeze(-2) & lower
        if value_mask is None:
            return None
        return value_mask.bool().unsqueeze(-2) if value_mask.dim() == 2 else value_mask.bool()


class AdditiveAttention(Attention):
    """Keras's AdditiveAttention (Bahdanau): scores sum(scale * tanh(query + key)), `scale` one per feature."""

    def __init__(self, features, use_scale=True, dropout=0.0, causal=False, return_scores=False):
        super().__init__(dropout=dropout, causal=causal, return_scores=return_scores)
        self.scale = nn.Parameter(torch.ones(features)) if use_scale else None

    def scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return (pairs if self.scale is None else self.scale * pairs).sum(-1)


class FirstOutputThen(nn.Module):
    """An attention module, then stages on its output (a layout conversion at the model's boundary): it passes the
    keyword tensors on and leaves the scores, a second output, as they are (MergeThen does neither)."""

    def __init__(self, layer, *stages):
        super().__init__()
        self.layer, self.stages = layer, nn.Sequential(*stages)

    def forward(self, *args, **kwargs):
        out = self.layer(*args, **kwargs)
        if isinstance(out, tuple):
            return (self.stages(out[0]), *out[1:])
        return self.stages(out)
