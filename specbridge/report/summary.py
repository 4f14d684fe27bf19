"""`specbridge summary`: the table Keras's model.summary() prints, from the check's records.

    Model: "mnist_convnet"
    ___________________________________________________________
     Layer (type)             Output Shape             Param #
    ===========================================================
     conv2d (Conv2D)          (None, 26, 26, 32)           320
     ...
"""

from __future__ import annotations

from typing import Any, Optional

from ..check import CheckResult
from ..diagnostics.render.styled import Line, line
from ..shapes.records import format_shape
from .common import batch_shape, input_shapes, is_graph, readable_bytes

# Keras stores the weights of these models as float32: 4 bytes per parameter; but an adapted Normalization's
# `count` (one of its non-trainable parameters) is an int64, 4 bytes more (Keras's summary: 7 params, 32.00 B).
BYTES_PER_PARAM = 4
SHARED = "(shared)"  # a PyTorch layer applied again: its parameters are counted where it is first applied

# `torch` below is the PyTorch model's own counts (pycode.torch_params.TorchCounts), for a summary of PyTorch code:
# parameters as model.parameters() counts them, buffers (BatchNorm's statistics) apart. Without it, Keras's counts.


def _layer_params(r, torch: Optional[Any]) -> tuple[Optional[int], Optional[int]]:
    """(params, trainable) of a record: Keras's, or the PyTorch layer's ((0, 0) for a step of no layer's)."""
    if torch is None:
        return r.params, r.trainable_params
    return torch.layers.get(r.name, (0, 0))


def rows(result: CheckResult, torch: Optional[Any] = None) -> list[tuple[str, ...]]:
    """One row per layer (after the inputs, in graph specs): name (type), shape, params[, connected to]."""
    graph = is_graph(result)
    out = []
    if graph:
        for name, (shape, _dtype) in input_shapes(result).items():
            out.append((f"{name} (InputLayer)", format_shape(shape), "0", "-"))
    for r in result.records:
        params = SHARED if torch is not None and r.name in torch.shared else f"{_layer_params(r, torch)[0]:,}"
        if torch is None and r.shares is not None:  # Keras's summary has one row per layer object: its weights
            params = f"(shared with {r.shares})"  # are counted at the row of its first call
        row = (f"{r.name} ({r.kind})", r.shapes_text, params)
        out.append(row + (_connected(result, r),) if graph else row)
    return out


def _connected(result: CheckResult, record) -> str:
    """The names a layer reads, a keyword tensor with its argument: `q, v, mask (attention_mask)`."""
    layer = result.document.entries[record.index].layer
    positional, keywords = layer.bind(list(record.inputs))
    return ", ".join([*positional, *(f"{name} ({argument})" for argument, name in keywords.items())])


def _amount(count: Optional[int], bytes_: Optional[int], why: Optional[str]) -> str:
    if count is None:
        return why or "not known statically"
    return f"{count:,} ({readable_bytes(bytes_ if bytes_ is not None else count * BYTES_PER_PARAM)})"


def torch_totals(torch: Any) -> list[str]:
    """PyTorch's totals: sum(p.numel() for p in model.parameters()), requires_grad, and the buffers."""
    frozen = None if torch.trainable is None else torch.total - torch.trainable
    grad_why = torch.unknown or torch.trainable_unknown
    return [
        f"Total params: {_amount(torch.total, None, torch.unknown)}",
        f"Trainable params: {_amount(torch.trainable, None, grad_why)}",
        f"Non-trainable params: {_amount(frozen, None, grad_why)}",
        f"Buffers: {_amount(torch.buffers, torch.buffer_bytes, torch.unknown)}",
    ]


def totals(result: CheckResult, torch: Optional[Any] = None) -> list[str]:
    if torch is not None:
        return torch_totals(torch)
    total, trainable = result.total_params, result.trainable_params
    int64 = 4 * sum(1 for r in result.records if r.kind == "Normalization" and r.params)  # the counts' extra bytes
    return [
        f"Total params: {total:,} ({readable_bytes(total * BYTES_PER_PARAM + int64)})",
        f"Trainable params: {trainable:,} ({readable_bytes(trainable * BYTES_PER_PARAM)})",
        f"Non-trainable params: {total - trainable:,} ({readable_bytes((total - trainable) * BYTES_PER_PARAM + int64)})",
    ]


def render_text(result: CheckResult, torch: Optional[Any] = None) -> list[Line]:
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    body = rows(result, torch)
    header = header[: len(body[0])] if body else header[:3]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    right = {2}  # Param # is right-aligned, like numbers in Keras's table

    def cells(row: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return (" " + "   ".join(parts)).rstrip()

    width = max(len(cells(header)), *(len(t) + 1 for t in totals(result, torch))) + 1
    out = [line(("Model: ", "bold"), f'"{result.document.header.name}"'), line("_" * width)]
    out.append(line((cells(header), "bold")))
    out.append(line("=" * width))
    out.extend(line(cells(r)) for r in body)
    out.append(line("=" * width))
    out.extend(line(" " + t) for t in totals(result, torch))
    out.append(line("_" * width))
    return out


def document(result: CheckResult, torch: Optional[Any] = None) -> dict:
    """The `summary --format json` document: one entry per spec layer, in spec order. For PyTorch code (`torch`),
    PyTorch's counts, `buffers` apart, `shared` on a layer applied again, and null for what is not known statically
    (`params_unknown` says why)."""
    layers = []
    for r in result.records:
        params, trainable = _layer_params(r, torch)
        layer = {"name": r.name, "type": r.kind, "output_shape": batch_shape(r.output_shape), "params": params,
                 "trainable_params": trainable}
        if r.extra_outputs:
            layer["extra_outputs"] = {n: batch_shape(t.shape) for n, t in zip(r.extra_names, r.extra_outputs,
                                                                              strict=True)}
        if torch is not None and r.name in torch.shared:
            layer["shared"] = True
        if torch is None and r.shares is not None:
            layer["shares"] = r.shares
        layers.append(layer)
    doc = {"name": result.document.header.name, "layers": layers}
    if torch is None:
        doc.update(total_params=result.total_params, trainable_params=result.trainable_params,
                   non_trainable_params=result.total_params - result.trainable_params)
        return doc
    frozen = None if torch.trainable is None else torch.total - torch.trainable
    doc.update(framework="torch", total_params=torch.total, trainable_params=torch.trainable,
               non_trainable_params=frozen, buffers=torch.buffers, buffer_bytes=torch.buffer_bytes)
    if torch.unknown or torch.trainable_unknown:
        doc["params_unknown"] = torch.unknown or torch.trainable_unknown
    return doc
