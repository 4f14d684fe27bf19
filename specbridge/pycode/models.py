"""The models a file defines, as the reader found them, and each one as a spec (for summary, explain, import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic, Location
from .trace import Graph, Sym

UNBATCHED = "an unbatched input"  # torch_ranks.split_sample: a layer that read its input as one sample
UNBATCHED_HINT = ("a spec's tensors have a batch axis: state the shape of one sample (`# specbridge: input (...)` "
                  "above the model, or --input-shape) to read the model batched")


@dataclass
class CodeModel:
    name: str
    framework: str  # "keras" | "torch"
    location: Location
    graph: Optional[Graph] = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)  # Syms
    assumed_input: bool = False  # torch: no input shape stated; the graph starts where a layer declares its size
    class_name: Optional[str] = None  # torch: the nn.Module subclass (None for an nn.Sequential)
    aliases: tuple = ()  # other names --model accepts: the variable it is assigned to, its class
    torch_counts: Optional[Any] = None  # torch: PyTorch's own parameter and buffer counts (torch_params.TorchCounts)

    def spec(self, file: Optional[str] = None) -> tuple[Optional[dict], list[Diagnostic]]:
        """(the spec dict, why there is none): every layer known and expressible exactly, from a stated input."""
        problems = self._problems(file)
        if problems:
            return None, problems
        graph = self.graph
        producers = {o.producer for o in self.outputs}
        keep = _reaching(graph, producers)
        nodes = [n for n in graph.nodes if n.name in keep]
        spec: dict[str, Any] = {"specbridge": 1, "name": self.name}
        if graph.data_format != "channels_last":
            spec["data_format"] = graph.data_format
        entries = [{"name": name, "shape": list(graph.inputs[name].shape),
                    **({"dtype": graph.inputs[name].dtype} if graph.inputs[name].dtype != "float32" else {})}
                   for name in self.inputs]
        if len(entries) == 1 and entries[0]["name"] == "input_layer":
            spec["input"] = {k: v for k, v in entries[0].items() if k != "name"}
        else:
            spec["inputs"] = entries
        previous = self.inputs[0] if len(self.inputs) == 1 else None
        layers = []
        for node in nodes:
            layer = _written(node)
            positional = _positional(node)
            if positional != [previous]:
                layer["inputs"] = positional
            layers.append(layer)
            previous = node.name
        spec["layers"] = layers
        if [o.producer for o in self.outputs] != [previous]:
            spec["outputs"] = [o.producer for o in self.outputs]
        return spec, []

    def _stopped_at(self, stranded: str, problem) -> Diagnostic:
        """SB400 for a layer whose input the reader could not follow (an info at that construct says why)."""
        readers = [n for n in self.graph.nodes if stranded in n.inputs]
        where = (readers[0].call_location if readers and readers[0].call_location
                 else self.graph.input_locations.get(stranded, self.location))
        layer = f"{readers[0].name!r}" if readers else "a layer"
        return problem(
            f"model {self.name!r} stops at {layer} (line {where.line}): its input comes from code specbridge does not "
            "follow, so the layers from there on have no known input shape and the model is not tabled",
            where, hint="the info diagnostic before this line names the construct (an operation or a value it does "
                        "not evaluate); rewrite it with layers specbridge knows, or check the parts on each side",
        )

    def _problems(self, file: Optional[str]) -> list[Diagnostic]:
        def problem(message: str, where: Location = self.location, hint: Optional[str] = None) -> Diagnostic:
            return codes.NOT_EXPRESSIBLE(message, location=where, file=file, hint=hint)

        if self.graph is None or not self.inputs or self.assumed_input:
            return [problem(f"model {self.name!r}: its input shape is not known statically",
                            hint="state it: `# specbridge: input (...)` above the model, or --input-shape")]
        if not self.outputs or not all(isinstance(o, Sym) and o.known for o in self.outputs):
            return [problem(f"model {self.name!r}: its output shape is not known statically (see the other "
                            "diagnostics: a value or an operation specbridge does not evaluate)")]
        keep = _reaching(self.graph, {_source(o.producer) for o in self.outputs})
        stranded = [name for name in self.graph.inputs if name not in self.inputs and _feeds(self.graph, name, keep)]
        if stranded:
            return [self._stopped_at(stranded[0], problem)]
        out = []
        for node in self.graph.nodes:
            if node.name in keep and (node.layer is None or node.not_expressible):
                reason = node.not_expressible or "an operation with no spec layer"
                hint = UNBATCHED_HINT if reason == UNBATCHED else None
                out.append(problem(f"{node.name!r}: a spec cannot express {reason} exactly", node.call_location, hint))
        return out


def _feeds(graph: Graph, name: str, keep: set) -> bool:
    return any(name in n.inputs for n in graph.nodes if n.name in keep)


def _positional(node) -> list[str]:
    """The tensors a node's `inputs:` lists: its edges without the keyword tensors (attention_mask), which are
    fields of its spec layer (spec/call.py)."""
    from ..spec.catalog import layer_class

    cls = layer_class((node.layer or {}).get("type", ""))
    keywords = [k for k in cls.CALL.keyword_tensors if (node.layer or {}).get(k) is not None] if cls else []
    return list(node.inputs[:len(node.inputs) - len(keywords)])


def _source(name: str) -> str:
    """The node whose output a tensor reference reads (`mha.scores` -> `mha`)."""
    return name.rpartition(".")[0] or name


def _written(node) -> dict:
    """The node's spec layer as a person writes it: name after type, defaults left out (as import does)."""
    from ..importer.layers import drop_defaults
    from ..spec.catalog import layer_class

    layer = {"type": node.layer["type"], "name": node.name,
             **{k: _plain(v) for k, v in node.layer.items() if k != "type"}}
    cls = layer_class(layer["type"])
    if cls is not None:
        drop_defaults(layer, cls)
    return layer


def _reaching(graph: Graph, outputs: set) -> set:
    by_name = {n.name: n for n in graph.nodes}
    seen: set = set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        stack.extend(_source(n) for n in by_name[name].inputs)
    return seen


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
