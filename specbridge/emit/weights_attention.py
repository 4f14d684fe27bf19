"""Weight mapping of the attention layers (registered in weight_pairs.WEIGHT_CONVERTERS; weights.py imports this).

Keras's MultiHeadAttention and GroupedQueryAttention hold EinsumDense sublayers: query/kernel (d, heads, dim),
query/bias (heads, dim), the same for key and value, attention_output/kernel (heads, value dim, *output shape) and
attention_output/bias (*output shape). PyTorch's are flat nn.Linear-style matrices (out, in):

- the emitted runtime_attention.MultiHeadAttention and GroupedQueryAttention: nn.Linear query, key, value, output;
  a kernel (d, heads, dim) is weight (heads * dim, d) = kernel.reshape(d, -1).T, the output kernel
  (heads, dim, *out) is weight (prod(out), heads * dim) = kernel.reshape(heads * dim, -1).T;
- nn.MultiheadAttention (inside KerasMultiheadAttention): the same matrices, stacked into in_proj_weight (3E, E)
  when the key and value widths equal E (else q_proj_weight, k_proj_weight, v_proj_weight), the biases into
  in_proj_bias (3E,), out_proj a Linear.

Keras shapes are computed from the spec layer and the PyTorch tensors, never read from the Keras variables: the ONNX
emitter pairs stand-ins whose shapes it knows one at a time (emit/onnx/weights.py).
"""

from __future__ import annotations

import numpy as np

from ..spec.layers import attention as A
from .weight_pairs import Pair, converter, find, same


def variable(klayer, path: str):
    """The Keras variable `path` ("query/kernel") of a sublayer the layer builds itself. A Keras layer lists its
    variables (`weights`, a class property); the ONNX emitter's stand-in answers the path as an attribute."""
    if not hasattr(type(klayer), "weights"):
        return getattr(klayer, path)
    found = [v for v in klayer.weights if v.path.endswith("/" + path)]
    if len(found) != 1:
        raise ValueError(f"layer {klayer.name!r}: {len(found)} Keras variables end with {path!r}")
    return found[0]


def matrix(keras_var, torch_tensor, keras_shape: tuple[int, ...], inputs: int) -> Pair:
    """A Keras kernel whose first `inputs` axes are read <-> a PyTorch (out, in) matrix."""
    size = int(np.prod(keras_shape[:inputs]))
    return Pair([keras_var], [torch_tensor], lambda v: [v[0].reshape(size, -1).T],
                lambda v: [v[0].T.reshape(keras_shape)])


def flat(keras_var, torch_tensor, keras_shape: tuple[int, ...]) -> Pair:
    """A Keras bias of any shape <-> a PyTorch vector."""
    return Pair([keras_var], [torch_tensor], lambda v: [v[0].reshape(-1)], lambda v: [v[0].reshape(keras_shape)])


def _output_shape(linear, layer) -> tuple[int, ...]:
    shape = getattr(layer, "output_shape", None)
    if shape is None:
        return (linear.weight.shape[0],)
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _linear_pairs(klayer, module, layer) -> list[Pair]:
    """runtime_attention.MultiHeadAttention / GroupedQueryAttention: one nn.Linear per projection."""
    heads = layer.projections()
    pairs = []
    for role, (count, size) in heads.items():
        linear = getattr(module, role)
        pairs.append(matrix(variable(klayer, f"{role}/kernel"), linear.weight, (linear.in_features, count, size), 1))
        if linear.bias is not None:
            pairs.append(flat(variable(klayer, f"{role}/bias"), linear.bias, (count, size)))
    count, size = heads["query"][0], heads["value"][1]
    out = _output_shape(module.output, layer)
    pairs.append(matrix(variable(klayer, "attention_output/kernel"), module.output.weight, (count, size, *out), 2))
    if module.output.bias is not None:
        pairs.append(flat(variable(klayer, "attention_output/bias"), module.output.bias, out))
    return pairs


def _stacked(keras_vars: list, torch_tensor, keras_shapes: list[tuple[int, ...]], inputs: int) -> Pair:
    """Several Keras kernels (or biases, inputs=0) <-> one PyTorch tensor stacking them along its first axis."""
    def to_torch(values):
        return [np.concatenate([v.reshape(int(np.prod(v.shape[:inputs])), -1).T if inputs else v.reshape(-1)
                                for v in values])]

    def to_keras(values):
        parts = np.split(values[0], len(keras_shapes))
        return [(p.T if inputs else p).reshape(shape) for p, shape in zip(parts, keras_shapes, strict=True)]

    return Pair(keras_vars, [torch_tensor], to_torch, to_keras)


def _torch_mha_pairs(klayer, mha) -> list[Pair]:
    """nn.MultiheadAttention: packed in_proj_weight when key and value widths equal E, else one matrix each."""
    count, size = mha.num_heads, mha.head_dim
    widths = {"query": mha.embed_dim, "key": mha.kdim, "value": mha.vdim}
    kernels = [variable(klayer, f"{role}/kernel") for role in widths]
    shapes = [(width, count, size) for width in widths.values()]
    if mha._qkv_same_embed_dim:
        pairs = [_stacked(kernels, mha.in_proj_weight, shapes, 1)]
    else:
        tensors = [mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight]
        pairs = [matrix(k, t, s, 1) for k, t, s in zip(kernels, tensors, shapes, strict=True)]
    pairs.append(matrix(variable(klayer, "attention_output/kernel"), mha.out_proj.weight, (count, size, mha.embed_dim), 2))
    if mha.in_proj_bias is not None:
        biases = [variable(klayer, f"{role}/bias") for role in widths]
        pairs.append(_stacked(biases, mha.in_proj_bias, [(count, size)] * 3, 0))
        pairs.append(same(variable(klayer, "attention_output/bias"), mha.out_proj.bias))
    return pairs


@converter(A.MultiHeadAttention, A.GroupedQueryAttention)
def projected_attention(klayer, tmod, layer) -> list[Pair]:
    wrapped = find(tmod, "KerasMultiheadAttention")
    if wrapped:
        return _torch_mha_pairs(klayer, wrapped[0].attention)
    (module,) = find(tmod, "MultiHeadAttention", "GroupedQueryAttention")
    return _linear_pairs(klayer, module, layer)


@converter(A.Attention, A.AdditiveAttention)
def attention_scales(klayer, tmod, layer) -> list[Pair]:
    """Attention's scalar scale and concat_score_weight, AdditiveAttention's scale per feature: the same values."""
    (module,) = find(tmod, "Attention", "AdditiveAttention")
    names = [n for n in ("scale", "concat_score_weight") if getattr(module, n, None) is not None]
    return [same(getattr(klayer, n), getattr(module, n)) for n in names]
