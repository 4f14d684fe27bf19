"""The emitted file: helper classes, one nn.Module class with one submodule per spec layer, and its forward().

The inputs and outputs have the layouts specbridge/layouts.py decides (plan.boundary: PyTorch's, or Keras's with
layout='keras'); inside, each layer is emitted for the layout its input has (layout.py), and a layer whose input
has the wrong layout gets a ChannelsLast/ChannelsFirst stage in front (a merge converts its arguments in forward()
instead). A model output's module ends with the conversion to the output's layout, so forward() returns what the
module computed. A layer's keyword tensors are passed by keyword (`self.mha(q, v, attention_mask=m)`), and a layer
with extra outputs is unpacked (`mha, mha_scores = self.mha(q, v)`); those (the attention scores) keep Keras's layout.
Keras's implicit masks are computed explicitly and passed by keyword to the layers that read them (masks.py).
A tensor operation (spec/layers/ops.py) has no submodule: it is an expression assigned to its own variable in
forward() (`mm = torch.matmul(x, y)`, ops.py), on its tensors converted to Keras's layout, giving Keras's layout (a
model output's layout when it is one, converted on the next line); SPEC_OPS names those variables.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from ...spec.call import OUTPUT_SEPARATOR, output_reference
from ..names import Identifiers, class_name, py_str
from ..plan import Plan
from .helpers import helper_names, helper_sources
from .layout import KERAS, conversion, conversion_expr, normalize_layout
from .masks import MaskWriter, passed_masks
from .stage import Ctx, Inline, emitter_for, load_stage, sequential

LINE_LENGTH = 110


@dataclass
class Emitted:
    name: str
    attribute: str
    module: str
    in_layouts: list[str]  # what each input must be converted to before the call
    out_layout: str
    shares: str | None = None  # the layer this one calls again: its module (attribute), no module of its own
    expression: Callable[[list[str]], str] | None = None  # an op's (Inline.write): no attribute, no module


def emit_layers(plan: Plan, attributes: Identifiers, helpers: set[str]) -> list[Emitted]:
    """Every step's module, with the layouts flowing between them from the inputs' (plan.boundary); a model
    output's module ends in the output's layout."""
    boundary = plan.boundary
    layout_of = dict(boundary.inputs)
    shape_of = {i.name: tuple(i.shape) for i in plan.inputs}
    emitted = []
    for step in plan.steps:
        fn = emitter_for(step.layer, step.name)
        in_shapes = list(step.record.input_shapes)
        have = [normalize_layout(layout_of[n], shape_of[n]) for n in step.inputs]
        ctx = Ctx(plan, step.name, in_shapes, have, step.record.output.shape, helpers, list(step.record.input_masks))
        built = fn(step.layer, ctx)
        if isinstance(built, Inline):  # an op: an expression in forward(), on Keras-layout tensors
            emitted.append(_inline(step, built, boundary))
            layout_of[step.name], shape_of[step.name] = emitted[-1].out_layout, step.record.output.shape
            for reference, tensor in _extra_outputs(step):  # ops.split's other parts, Keras's layout too
                layout_of[reference], shape_of[reference] = KERAS, tuple(tensor.shape)
            continue
        takes = [normalize_layout(built.takes, s) or h for s, h in zip(in_shapes, have, strict=True)]
        stages = list(built.stages)
        masked = bool(passed_masks(step))  # its module takes mask=...: a stage in front could not pass it on
        if len(step.inputs) == 1 and not masked:
            stages = conversion(have[0], takes[0], ctx) + stages
            takes = have
        out_shape = step.record.output.shape
        out_layout = normalize_layout(built.gives or takes[0], out_shape)
        if step.name in boundary.outputs:
            after = conversion(out_layout, boundary.outputs[step.name], ctx)
            stages = _then(stages, after, len(step.inputs), ctx, _calls_beyond_tensors(step) or masked)
            out_layout = boundary.outputs[step.name]
        module = sequential(stages)
        attribute = _shared_attribute(step, module, emitted, ctx) if step.shares else attributes.take(step.name)
        emitted.append(Emitted(step.name, attribute, module, takes, out_layout, step.shares))
        layout_of[step.name] = out_layout
        shape_of[step.name] = out_shape
        for reference, tensor in _extra_outputs(step):  # attention scores: not a feature map, Keras's layout
            layout_of[reference], shape_of[reference] = KERAS, tuple(tensor.shape)
    return emitted


def _inline(step, built: Inline, boundary) -> Emitted:
    """An op's entry: its tensors go in in Keras's layout, its result is in Keras's layout, or in a model output's
    layout when it is one (forward() converts it right after the op)."""
    out_layout = normalize_layout(boundary.outputs.get(step.name, KERAS), step.record.output.shape)
    return Emitted(step.name, "", "", [KERAS] * len(step.inputs), out_layout, expression=built.write)


def _extra_outputs(step) -> list[tuple[str, object]]:
    """(reference, tensor) of each output after a step's first (`mha.scores`), in its module's return order."""
    record = step.record
    return [(output_reference(step.name, n), t) for n, t in zip(record.extra_names, record.extra_outputs, strict=True)]


def _calls_beyond_tensors(step) -> bool:
    """Called with keyword tensors (attention_mask) or returning several outputs: MergeThen passes neither."""
    return bool(step.layer.keyword_inputs() or step.record.extra_names)


def _shared_attribute(step, module: str, emitted: list[Emitted], ctx: Ctx) -> str:
    """The submodule of the layer a step calls again (`shares:`): forward() calls it once more, its weights once."""
    owner = next(e for e in emitted if e.name == step.shares)
    if module != owner.module:
        raise ctx.fail(f"it calls {step.shares!r} again, but this call needs other PyTorch stages ({module}) than "
                       f"the first ({owner.module}): its input or output has another layout or padding; give it "
                       "weights of its own (drop `shares`)")
    return owner.attribute


def _then(stages: list[str], after: list[str], inputs: int, ctx: Ctx, beyond_tensors: bool = False) -> list[str]:
    """The stages, then `after` on their output; a merge (several inputs) and its stages in one MergeThen, an
    attention layer (keyword tensors, a second output) in one FirstOutputThen."""
    if not after:
        return stages
    if beyond_tensors:
        return [f"{ctx.helper('FirstOutputThen')}({sequential(stages)}, {', '.join(after)})"]
    if inputs == 1:
        return stages + after
    return [f"{ctx.helper('MergeThen')}({sequential(stages)}, {', '.join(after)})"]


HEADER = '''"""PyTorch model generated by specbridge. build_model() returns it in eval mode.

{layout}
"""

{imports}

SPEC_NAME = {spec_name}
'''


def torch_source(plan: Plan) -> str:
    """The whole emitted file for a plan."""
    load_stage()  # every family's emitters
    helpers: set[str] = set()
    attributes = Identifiers({"SPEC_LAYERS", "OUTPUT_LAYOUT", "INPUT_LAYOUT", "SPEC_OPS"})
    emitted = emit_layers(plan, attributes, helpers)
    in_layouts = plan.boundary.inputs
    model_class = class_name(plan.spec.name)
    while model_class in helper_names() or model_class in {"SPEC_NAME", "F"}:
        model_class += "Model"
    body = "\n".join(_model_class(plan, model_class, emitted, in_layouts))
    helper_src = "\n\n".join(helper_sources(helpers))
    code_without_imports = (helper_src + "\n\n" + body) if helper_src else body
    used = {n.id for n in ast.walk(ast.parse(code_without_imports)) if isinstance(n, ast.Name)}
    imports = "import torch\nfrom torch import nn" if "torch" in used else "from torch import nn"
    header = HEADER.format(layout=layout_docstring(plan), imports=imports, spec_name=py_str(plan.spec.name))
    parts = [header.rstrip("\n")]
    if helper_src:
        parts.append(helper_src.rstrip("\n"))
    parts.append(body.rstrip("\n"))
    return "\n\n\n".join(parts) + "\n"


def layout_docstring(plan: Plan) -> str:
    """What the model takes and returns, for the module's docstring."""
    lines = plan.boundary.describe()
    lines.append("INPUT_LAYOUT says each input's layout and OUTPUT_LAYOUT each layer's output's (its submodule's): "
                 "'channels_first' is Keras's last axis moved to position 1, 'keras' Keras's axis order.")
    return "\n".join(_wrap_words(_docstring_safe(line)) for line in lines)


def _docstring_safe(text: str) -> str:
    """Names as they read in a regular docstring: no quote or backslash can end it (hostile names)."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def _wrap_words(line: str) -> str:
    """A docstring line wrapped at LINE_LENGTH columns (continuations indented like the line, plus two)."""
    indent = " " * (len(line) - len(line.lstrip()))
    words, out, current = line.split(), [], indent
    for word in words:
        if current.strip() and len(current) + 1 + len(word) > LINE_LENGTH:
            out.append(current)
            current = indent + "  "
        current += ("" if not current.strip() else " ") + word
    out.append(current)
    return "\n".join(out)


def _model_class(plan: Plan, model_class: str, emitted: list[Emitted], in_layouts: dict[str, str]) -> list[str]:
    by_name = {e.name: e for e in emitted}
    order = [s.name for s in sorted(plan.steps, key=lambda s: s.record.index)]  # the spec's own order
    ops: dict[str, str] = {}  # filled by _forward: each op's (and op output's) variable
    forward = _forward(plan, emitted, in_layouts, ops)
    lines = [f"class {model_class}(nn.Module):"]
    modules = [n for n in order if by_name[n].expression is None]
    lines.append("    SPEC_LAYERS = " + _dict_literal([(n, by_name[n].attribute) for n in modules], "    "))
    if ops:
        lines.append("    SPEC_OPS = " + _dict_literal(list(ops.items()), "    "))
    lines.append("    OUTPUT_LAYOUT = " + _dict_literal([(n, by_name[n].out_layout) for n in order], "    "))
    lines.append("    INPUT_LAYOUT = " + _dict_literal([(i.name, in_layouts[i.name]) for i in plan.inputs], "    "))
    lines += ["", "    def __init__(self):", "        super().__init__()"]
    for e in emitted:
        if not e.shares and e.expression is None:  # a layer called again is its first call's module; an op has none
            lines.append(_wrap_assignment(f"self.{e.attribute}", e.module, "        "))
    lines += [""] + forward
    lines += ["", "", "def build_model():", f"    return {model_class}().eval()", ""]
    return lines


def _forward(plan: Plan, emitted: list[Emitted], in_layouts: dict[str, str], ops: dict | None = None) -> list[str]:
    """forward()'s lines; `ops` receives each op output's variable (SPEC_OPS)."""
    local = Identifiers({"self", "torch", "nn"})
    var: dict[str, str] = {}
    layout: dict[str, str] = dict(in_layouts)
    if plan.is_stack:
        var[plan.inputs[0].name] = "x"
        params = ["x"]
    else:
        params = []
        for inp in plan.inputs:
            var[inp.name] = local.take(inp.name, "input")
            params.append(var[inp.name])
    lines = [f"    def forward(self, {', '.join(params)}):"]
    masks = MaskWriter(plan.steps, local)
    for e, step in zip(emitted, plan.steps, strict=True):
        op = e.expression is not None
        lines += masks.before(step, var, layout)  # a mask of this layer's input: before the line overwrites `x`
        mask_args = masks.keywords(step)
        args = []
        for n, want in zip(step.inputs, e.in_layouts, strict=True):
            converted = len(step.inputs) > 1 or op or mask_args  # else the module's own stages convert it
            args.append(conversion_expr(var[n], layout[n], want) if converted else var[n])
        positional, keywords = step.layer.bind(args)  # attention_mask=... by keyword, as Keras calls it
        args = positional + [f"{k}={v}" for k, v in keywords.items()] + mask_args
        target = "x" if plan.is_stack else local.take(e.name)
        targets = [target]
        for reference, _ in _extra_outputs(step):  # `mha, mha_scores = self.mha(...)`
            var[reference] = local.take(reference.replace(OUTPUT_SEPARATOR, "_"))
            layout[reference] = KERAS
            targets.append(var[reference])
        if op:
            lines.append(_wrap_assignment(", ".join(targets), e.expression(positional), "        "))
            if e.out_layout != KERAS:  # a model output in PyTorch's layout: the op's variable holds it so
                lines.append(f"        {target} = {conversion_expr(target, KERAS, e.out_layout)}")
            if ops is not None:
                ops.update([(step.name, target)] + [(r, var[r]) for r, _ in _extra_outputs(step)])
        else:
            lines.append(f"        {', '.join(targets)} = self.{e.attribute}({', '.join(args)})")
        var[e.name] = target
        layout[e.name] = e.out_layout
    if plan.is_stack:
        lines[-1] = lines[-1].replace("        x = ", "        return ", 1)
    else:
        outs = [var[n] for n in plan.outputs]
        lines.append(f"        return {', '.join(outs)}")
    return lines


# ---------------------------------------------------------------- line wrapping


def _dict_literal(items: list[tuple[str, str]], indent: str) -> str:
    if not items:
        return "{}"
    inner = "".join(f"{indent}    {py_str(k)}: {py_str(v)},\n" for k, v in items)
    return "{\n" + inner + indent + "}"


def _wrap_assignment(target: str, expr: str, indent: str) -> str:
    return f"{indent}{target} = " + _wrap_call(expr, indent, len(indent) + len(target) + 3)


def _wrap_call(expr: str, indent: str, used: int) -> str:
    """Keep a call on one line when it fits in LINE_LENGTH columns; else one argument per line, recursively."""
    open_at = expr.find("(")
    if used + len(expr) <= LINE_LENGTH or open_at <= 0 or not expr.endswith(")"):
        return expr
    parts = _split_top_level(expr[open_at + 1:-1])
    inner = indent + "    "
    body = "".join(f"{inner}{_wrap_call(p, inner, len(inner))},\n" for p in parts)
    return f"{expr[:open_at + 1]}\n{body}{indent})"


def _split_top_level(text: str) -> list[str]:
    """The comma-separated parts of an argument list, ignoring commas inside brackets and string literals."""
    parts, depth, current, quote = [], 0, [], None
    i = 0
    while i < len(text):
        ch = text[i]
        current.append(ch)
        if quote:
            if ch == "\\":
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            current.pop()
            parts.append("".join(current).strip())
            current = []
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts
