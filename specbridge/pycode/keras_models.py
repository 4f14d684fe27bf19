"""Keras models in code: Sequential (a list, or .add calls) and functional keras.Model(inputs, outputs)."""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Location
from ..shapes.records import Tensor
from ..spec.naming import Namer
from . import values as V
from .interpret import location
from .keras_code import KerasLayer, apply_layer, input_from_keywords
from .objects import FrameworkObject
from .trace import Graph, Sym
from .values import Unknown


class KerasState:
    """Per file: Keras's name counters (one session, as when the file runs) and the functional graph."""

    def __init__(self) -> None:
        self.namer = Namer()
        self.graph = Graph("keras")
        self.models: list = []

    def apply(self, interp, layer: KerasLayer, inputs: Any, where: Location) -> Any:
        if isinstance(inputs, Sym):
            return apply_layer(interp, inputs.graph or self.graph, layer, [inputs], where)
        if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(s, Sym) for s in inputs):
            graphs = {id(s.graph) for s in inputs}
            if len(graphs) == 1:
                return apply_layer(interp, inputs[0].graph or self.graph, layer, list(inputs), where)
        return Sym(None, graph=self.graph)


class KerasModel(FrameworkObject):
    framework = "keras"

    def __init__(self, interp, node: ast.Call, name: Any, default: str):
        self.location = location(node)
        self.explicit_name = name if isinstance(name, str) else None
        self.variable: Optional[str] = None
        self.owner = None
        self.default = interp.keras.namer.next(default)
        interp.keras.models.append(self)

    @property
    def name(self) -> str:
        return self.explicit_name or self.variable or self.default

    def named(self, name: str) -> None:
        if self.variable is None:
            self.variable = name

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name in ("summary", "compile", "fit", "evaluate", "save", "save_weights", "load_weights"):
            return None
        return Unknown(interp.source.segment(node))


class KerasSequential(KerasModel):
    def __init__(self, interp, node: ast.Call, args: list, kwargs: dict):
        super().__init__(interp, node, kwargs.get("name"), "Sequential")  # Keras 3: Sequential(layers, trainable, name)
        self.graph = Graph("keras")
        self.entries: list[Any] = []
        self.complete = True  # False once a layer was added under a condition or loop the reader cannot decide
        self.build_shape: Optional[tuple] = None
        layers = args[0] if args else kwargs.get("layers")
        trainable = args[1] if len(args) > 1 else kwargs.get("trainable", True)
        if not isinstance(trainable, (bool, Unknown)):
            interp.tracer.report(codes.INVALID_VALUE(
                f"keras.Sequential's second argument is `trainable` (Keras 3: Sequential(layers, trainable, name)), "
                f"got {trainable!r}: Keras raises \"Expected `trainable` to be a boolean\"", location=self.location,
                file=interp.tracer.file, hint="pass the name as name=..."))
        if isinstance(layers, (list, tuple)):
            self.entries.extend(layers)
        elif layers is not None:
            self.complete = False
            interp.tracer.not_evaluated(_text(layers), self.location, "the layers of this Sequential are not checked")

    def call_method(self, interp, name: str, node: ast.Call, args: list, kwargs: dict) -> Any:
        if name == "add" and args:
            if interp.uncertain:
                self.complete = False
            elif self.complete:
                self.entries.append(args[0])
            return None
        if name == "build":
            shape = V.literal_shape(args[0] if args else kwargs.get("input_shape"))
            if shape:
                self.build_shape = shape
            return None
        if name == "pop":
            if self.entries and self.complete:
                self.entries.pop()
            return None
        return super().call_method(interp, name, node, args, kwargs)

    def layers(self) -> list[Any]:
        return list(self.entries)

    def finish(self, interp) -> None:
        """Infer the layers in order, from the input the code states."""
        current = self._input(interp)
        for entry in self.entries[1:] if self._input_entry() else self.entries:
            if not isinstance(entry, KerasLayer):
                if current is not None and current.known:
                    interp.tracer.not_modelled(f"Sequential {self.name!r} holds {_text(entry)}", self.location,
                                               "the layers after it are not checked")
                return
            if current is None:
                return
            current = apply_layer(interp, self.graph, entry, [current], entry.location)
        self.output = current

    def _input_entry(self) -> Optional[Sym]:
        first = self.entries[0] if self.entries else None
        return first if isinstance(first, Sym) else None

    def _input(self, interp) -> Optional[Sym]:
        given = self._input_entry()
        tensor: Optional[Tensor] = None
        where = self.location
        if given is not None:
            tensor = given.tensor
            where = (given.graph.input_locations.get(given.producer, where) if given.graph is not None else where)
        elif self.entries and isinstance(self.entries[0], KerasLayer) and self.entries[0].input_kwargs:
            tensor = input_from_keywords(interp, self.entries[0])
            where = self.entries[0].location
        elif self.build_shape is not None:
            tensor = Tensor(self.build_shape[1:])
        elif self.entries:
            from ..diagnostics import codes

            interp.tracer.report(codes.PY_NO_INPUT_SHAPE(
                f"Sequential {self.name!r} states no input shape: its layers are not checked", location=self.location,
                file=interp.tracer.file,
                hint="give the first layer input_shape=(...), start the list with keras.Input(shape=(...)), or call "
                     "model.build((None, ...))"))
            return None
        if tensor is None:
            return None
        name = self.graph.add_input("input_layer", tensor, where)
        return Sym(tensor, name, self.graph)

    def spec_parts(self):
        """(graph, input names) of the model."""
        return self.graph, list(self.graph.inputs)


class KerasFunctional(KerasModel):
    def __init__(self, interp, node: ast.Call, args: list, kwargs: dict):
        super().__init__(interp, node, kwargs.get("name"), "Functional")
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs:
                where = next((Location(k.lineno, k.col_offset + 1) for k in node.keywords if k.arg == old), self.location)
                interp.tracer.report(codes.PY_REJECTED_ARGUMENT(
                    f"keras.Model({old}=...): {old!r} is the Keras 1 name; Keras 3 raises \"Unrecognized keyword "
                    f"arguments passed to Model\"", location=where, file=interp.tracer.file, hint=f"write {new}="))
        inputs = args[0] if args else kwargs.get("inputs", kwargs.get("input"))
        outputs = args[1] if len(args) > 1 else kwargs.get("outputs", kwargs.get("output"))
        self.inputs, self.outputs = _tensors(inputs), _tensors(outputs)

    def finish(self, interp) -> None:
        pass

    def spec_parts(self):
        known = self.inputs is not None and self.outputs is not None and all(s.known for s in self.outputs)
        if not known:
            return None, []
        return self.outputs[0].graph, [s.producer for s in self.inputs]


def _tensors(value: Any) -> Optional[list[Sym]]:
    if isinstance(value, Sym):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Sym) for v in value):
        return list(value)
    return None


def _text(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.expression
    if isinstance(value, KerasModel):
        return f"the model {value.name!r}"
    return type(value).__name__
