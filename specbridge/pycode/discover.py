"""After the module's own statements: read what no line of the file runs, and list the models found.

A model factory that nothing calls (`def build_model(): ...`) is read with its parameters' defaults; an
nn.Module class that nothing instantiates is instantiated with its defaults; a PyTorch model that no line runs
is run on its stated input (`# specbridge: input (...)`, --input-shape), or from what its first layer declares.
"""

from __future__ import annotations

from typing import Optional

from ..diagnostics import codes
from .inputs import Input, InputError, InputShapes, parse_inputs
from .keras_models import KerasFunctional, KerasModel, KerasSequential
from .models import CodeModel
from .source import input_comment
from .torch_modules import Instance, Module
from .torch_params import model_counts


def run_unexecuted(interp, input_shapes: InputShapes) -> None:
    helpers = _used_by_others([f.node for f in interp.functions])
    for pass_helpers in (False, True):  # callers first (main, build_model): a helper then runs with their arguments
        for function in interp.functions:
            if function.calls == 0 and (function.node.name in helpers) == pass_helpers:
                interp.run_unit(lambda f=function: interp.inline(f, [], {}, None), function.node, interp.module)
    parts = _used_by_others([cls.node for cls in interp.classes])
    for pass_parts in (False, True):  # models first: a block class is then instantiated by its model, with sizes
        for cls in interp.classes:
            if cls.instances == 0 and cls.is_torch_module() and (cls.node.name in parts) == pass_parts:
                interp.run_unit(lambda c=cls: interp.frameworks.instantiate(interp, c, None, [], {}), cls.node,
                                interp.module)
    for model in list(interp.keras.models):
        if isinstance(model, KerasSequential):
            model.finish(interp)
    for module in top_modules(interp):
        stated = _stated_input(interp, module, input_shapes)
        if stated is not None or not module.runs:
            module.stated_input = stated
            interp.run_unit(lambda m=module: interp.torch.run_unstated(interp, m), module.node_for_budget(),
                            interp.module)
            if stated is None:
                _no_input(interp, module)


def _used_by_others(definitions) -> set[str]:
    """Names of the file's functions (or classes) that another one of them uses: a build_model() that main()
    calls, a residual block inside a ResNet."""
    import ast

    names = {d.name for d in definitions}
    used = set()
    for definition in definitions:
        for node in ast.walk(definition):
            if isinstance(node, ast.Name) and node.id in names and node.id != definition.name:
                used.add(node.id)
    return used


def top_modules(interp) -> list[Module]:
    """Modules that are no other module's child: the models."""
    seen, out = set(), []
    for module in interp.torch.modules:
        if module.owner is None and id(module) not in seen:
            seen.add(id(module))
            out.append(module)
    return out


def _stated_input(interp, module: Module, given: InputShapes) -> Optional[list[Input]]:
    """The inputs of `module`: --input-shape NAME=..., else its comment, else --input-shape for all models."""
    matched, inputs = given.for_model(_names(module))
    if matched is not None:
        interp.torch.matched_inputs.add(matched)
        return inputs
    lines = [module.class_location.line] if isinstance(module, Instance) else []
    lines.append(module.location.line)
    if isinstance(module, Instance):
        lines.append(_decorated_line(module))
    for line in lines:
        text = input_comment(interp.source, line)
        if text is not None:
            try:
                return parse_inputs(text)
            except InputError as exc:
                interp.tracer.not_evaluated(f"# specbridge: input {text}", module.location,
                                            f"{exc}: write the shape without the batch axis, e.g. (1, 28, 28), "
                                            "or (16,) int64, (16,) int64 for two inputs")
                return None
    return inputs


def _names(module: Module) -> list[str]:
    """What --input-shape NAME= may call a model: its variable, its name, its class."""
    names = [n for n in (module.variable, module.name) if n]
    if isinstance(module, Instance):
        names.append(module.cls.node.name)
    return names


def _decorated_line(module: Instance) -> int:
    node = module.cls.node
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


def _no_input(interp, module: Module) -> None:
    where = module.class_location if isinstance(module, Instance) else module.location
    interp.tracer.report(codes.PY_NO_INPUT_SHAPE(
        f"{_kind(module)} {module.name!r} states no input shape: only the sizes its layers declare (in_channels, "
        "in_features, input_size) are checked", location=where, file=interp.tracer.file,
        hint="add a `# specbridge: input (C, H, W)` comment (no batch axis) above it, pass --input-shape, or run it "
             "on a literal torch.randn(...) in the file"))


def _kind(module: Module) -> str:
    return "nn.Module" if isinstance(module, Instance) else "nn.Sequential"


def collect_models(interp) -> list[CodeModel]:
    models: list[CodeModel] = []
    for model in interp.keras.models:
        models.append(_keras_model(model))
    for module in top_modules(interp):
        for graph, inputs, output in module.runs[-1:]:
            outputs = list(output) if isinstance(output, (tuple, list)) else [output]
            where = module.class_location if isinstance(module, Instance) else module.location
            class_name = module.cls.node.name if isinstance(module, Instance) else None
            models.append(CodeModel(module.name, "torch", where, graph, list(inputs), outputs,
                                    assumed_input=not inputs, class_name=class_name,
                                    aliases=tuple(a for a in (class_name,) if a),
                                    torch_counts=model_counts(module, graph.nodes, interp.tracer.grad_note)))
    _unique_names(models)
    return models


def _keras_model(model: KerasModel) -> CodeModel:
    aliases = tuple(a for a in (model.variable,) if a and a != model.name)
    if isinstance(model, KerasSequential):
        graph, inputs = model.spec_parts()
        output = getattr(model, "output", None)
        return CodeModel(model.name, "keras", model.location, graph, inputs, [output] if output is not None else [],
                         aliases=aliases)
    assert isinstance(model, KerasFunctional)
    graph, inputs = model.spec_parts()
    return CodeModel(model.name, "keras", model.location, graph, inputs, list(model.outputs or []), aliases=aliases)


def _unique_names(models: list[CodeModel]) -> None:
    counts: dict[str, int] = {}
    for model in models:
        n = counts.get(model.name, 0)
        counts[model.name] = n + 1
        if n:
            model.name = f"{model.name}_{n}"
