"""Text -> validated spec objects, with every schema problem mapped to a located Diagnostic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pydantic import ValidationError

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic, Location
from .base import Layer
from .catalog import layer_class
from .limits import LARGE_INT_KEYS, MAX_INT, MAX_INT64, InputRefused, Limits
from .model import SpecHeader
from .naming import Namer
from .pydantic_errors import Mapper, unknown_type
from .source import SourceMap, SyntaxProblem, parse

if TYPE_CHECKING:
    from .full import Spec

SUPPORTED_VERSIONS = (1,)


@dataclass
class LayerEntry:
    """One item of `layers:`; `layer` is None when it failed validation (it then poisons its consumers)."""

    index: int
    name: str
    layer: Optional[Layer]
    inputs: Optional[list[str]]
    type_name: Optional[str]


@dataclass
class Document:
    file: Optional[str]
    source: SourceMap
    header: Optional[SpecHeader] = None
    entries: list[LayerEntry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.header is not None and all(e.layer is not None for e in self.entries) and not any(
            d.severity.value == "error" for d in self.diagnostics
        )

    def spec(self) -> Spec:
        """The validated Spec (only when `valid`)."""
        if self.header is None or any(e.layer is None for e in self.entries):
            raise ValueError("the document has schema errors")
        from .full import Spec

        return Spec.model_construct(
            **{k: getattr(self.header, k) for k in SpecHeader.model_fields},
            layers=[e.layer for e in self.entries],
        )

    def locate(self, path: tuple, *, key: bool = False) -> Location:
        return Location(*self.source.locate(path, key=key))


def _raw_names(raw: Any) -> list[str] | None:
    if isinstance(raw, list) and all(isinstance(r, str) for r in raw):
        return list(raw)
    if isinstance(raw, str):
        return [raw]
    return None


def _assign_names(entries_raw: list[Any]) -> list[str]:
    """Keras default names; nested (wrapped) layers consume the counter first, as in Keras.

    Entries are raw mappings, or Layer objects (a Spec built in Python: see document_from_spec).
    """
    namer = Namer()
    names = []

    def visit(raw: Any) -> str:
        if isinstance(raw, Layer):
            raw = {"type": raw.kind, "name": raw.name, "layer": getattr(raw, "layer", None) if raw.WRAPS else None}
        type_name = raw.get("type") if isinstance(raw, dict) else None
        cls = layer_class(type_name) if isinstance(type_name, str) else None
        inner = raw.get("layer") if isinstance(raw, dict) else None
        if isinstance(inner, (dict, Layer)):
            visit(inner)  # the wrapped layer is constructed first in Keras code, so it names first
        class_name = cls.type_names()[0] if cls else (type_name if isinstance(type_name, str) else "layer")
        default = namer.next(class_name)
        explicit = raw.get("name") if isinstance(raw, dict) else None
        return explicit if isinstance(explicit, str) else default

    for raw in entries_raw:
        names.append(visit(raw))
    return names


def syntax_of(file: Optional[str]) -> str:
    """'json' for a *.json file (parsed strictly), else 'yaml' (which reads JSON too)."""
    return "json" if file is not None and file.lower().endswith(".json") else "yaml"


def _refused(exc: InputRefused) -> Diagnostic:
    hint = f"raise the limit with {exc.setting} if this input is legitimate" if exc.setting else None
    if exc.setting and exc.message.startswith(exc.setting):
        hint = "see `Limits` in docs/cli.md"
    return codes.INPUT_REFUSED(f"input refused: {exc.message}", location=Location(exc.line, exc.column), hint=hint)


def _oversized(doc: Document, data: Any) -> None:
    """Integers beyond what any framework takes for their place (limits.MAX_INT, MAX_INT64 for parameter counts)."""
    for path in doc.source.oversized:
        node = data
        for part in path:
            node = node[part]
        large = path[-1] in LARGE_INT_KEYS
        bound = MAX_INT64 if large else MAX_INT
        what = "a parameter count" if large else "an integer in a spec (a size, count, axis or padding)"
        doc.diagnostics.append(codes.INVALID_VALUE(
            f"`{'.'.join(map(str, path))}` is {node:,}: {what} must lie within ±{bound:,}",
            location=doc.locate(path), hint=f"no framework builds a layer with a size beyond {MAX_INT:,}",
        ))


def _syntax_problem(text: str, exc: SyntaxProblem) -> Diagnostic:
    """SB001 at the parser's position; a tab there gets named (PyYAML only says "cannot start any token")."""
    lines = text.splitlines()
    line = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
    if exc.column - 1 < len(line) and line[exc.column - 1] == "\t" or "\t" in line[: exc.column]:
        return codes.INVALID_SYNTAX(
            "a tab character: YAML indents with spaces only, and a tab cannot start a token",
            location=Location(exc.line, exc.column), hint="replace the tab with spaces (2 per level, as above)",
        )
    return codes.INVALID_SYNTAX(exc.message, location=Location(exc.line, exc.column),
                                hint="fix the YAML/JSON syntax at this position")


def load_text(text: str, file: Optional[str] = None, *, syntax: Optional[str] = None,
              limits: Optional[Limits] = None) -> Document:
    """Parse and validate one spec. Never raises for bad input: problems become diagnostics.

    `syntax` is 'yaml' or 'json' (default: from the file name, see syntax_of); `limits` default to Limits.from_env().
    Input over a limit gets the single diagnostic SB004 input-refused.
    """
    try:
        data, smap = parse(text, syntax=syntax or syntax_of(file), limits=limits)
    except InputRefused as exc:
        doc = Document(file=file, source=SourceMap())
        doc.diagnostics.append(_refused(exc))
        return doc
    except SyntaxProblem as exc:
        doc = Document(file=file, source=SourceMap())
        doc.diagnostics.append(_syntax_problem(text, exc))
        return doc
    doc = Document(file=file, source=smap)
    if not isinstance(data, dict) or "specbridge" not in data:
        empty = data is None and not text.strip(" \t\r\n\ufeff")
        doc.diagnostics.append(
            codes.NOT_A_SPEC(
                "the file is empty" if empty else
                "not a specbridge spec: the document must be a mapping with a top-level `specbridge: 1` key",
                hint="start the file with `specbridge: 1` and `name: ...`", location=Location(1, 1),
            )
        )
        return doc
    if data.get("specbridge") not in SUPPORTED_VERSIONS:
        doc.diagnostics.append(
            codes.UNSUPPORTED_VERSION(
                f"unsupported spec format version {data.get('specbridge')!r}",
                hint=f"this specbridge reads versions: {', '.join(map(str, SUPPORTED_VERSIONS))}",
                location=doc.locate(("specbridge",)),
            )
        )
        return doc
    _validate(doc, data)
    return doc


def _validate(doc: Document, data: dict) -> None:
    """The header, then each layer on its own; an integer out of bounds invalidates its header or layer."""
    _oversized(doc, data)
    out_of_bounds = {p[1] if p[0] == "layers" and len(p) > 1 else None for p in doc.source.oversized}
    header_data = {k: v for k, v in data.items() if k != "layers"}
    try:
        doc.header = SpecHeader.model_validate(header_data)
    except ValidationError as exc:
        Mapper(doc, header_data, (), None, SpecHeader.model_fields).add(exc)
    if None in out_of_bounds:
        doc.header = None

    raw_layers = data.get("layers")
    if raw_layers is None:
        doc.diagnostics.append(
            codes.MISSING_ARGUMENT("the spec has no `layers:` list", hint="add `layers:` with at least one layer",
                                   location=Location(1, 1))
        )
        return
    if not isinstance(raw_layers, list) or not raw_layers:
        doc.diagnostics.append(
            codes.INVALID_SPEC("`layers` must be a non-empty list of layer mappings", location=doc.locate(("layers",)))
        )
        return

    for index, (name, raw) in enumerate(zip(_assign_names(raw_layers), raw_layers, strict=True)):
        entry = _load_layer(doc, index, name, raw)
        if index in out_of_bounds:
            entry.layer = None
        doc.entries.append(entry)


def _load_layer(doc: Document, index: int, name: str, raw: Any) -> LayerEntry:
    """Validate one item of `layers:` with its own class; problems become diagnostics on `doc`."""
    path = ("layers", index)
    if not isinstance(raw, dict):
        doc.diagnostics.append(
            codes.INVALID_SPEC(f"layer {index} must be a mapping with a `type`, got {raw!r}", location=doc.locate(path))
        )
        return LayerEntry(index, name, None, None, None)
    type_name = raw.get("type")
    cls = layer_class(type_name) if isinstance(type_name, str) else None
    layer = None
    if cls is None:
        doc.diagnostics.append(unknown_type(doc, type_name, path + ("type",), name))
    else:
        try:
            layer = cls.model_validate(raw)
        except ValidationError as exc:
            Mapper(doc, raw, path, name, cls.model_fields).add(exc)
    inputs = _raw_names(raw.get("inputs")) if "inputs" in raw else None
    return LayerEntry(index, name, layer, inputs, cls.type_names()[0] if cls else None)


def document_from_spec(spec: Spec) -> Document:
    """A Document for a Spec object built in Python: validated already, with no source text (positions are 1:1)."""
    header = SpecHeader.model_construct(**{k: getattr(spec, k) for k in SpecHeader.model_fields})
    doc = Document(file=None, source=SourceMap(), header=header)
    for index, (name, layer) in enumerate(zip(_assign_names(list(spec.layers)), spec.layers, strict=True)):
        doc.entries.append(LayerEntry(index, name, layer, list(layer.inputs) if layer.inputs is not None else None,
                                      layer.kind))
    return doc


def load_file(path: str | Path, *, limits: Optional[Limits] = None) -> Document:
    """Read and validate a spec file. OSError / UnicodeDecodeError propagate (the CLI exits 2)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return load_text(text, file=str(path), limits=limits)


def load_spec(path_or_text: str | Path) -> Spec:
    """Library entry point: a validated Spec, or SpecError carrying the diagnostics."""
    from .errors import SpecError

    p = Path(path_or_text) if not (isinstance(path_or_text, str) and "\n" in path_or_text) else None
    doc = load_file(p) if p is not None else load_text(str(path_or_text))
    if not doc.valid:
        raise SpecError(doc.diagnostics)
    return doc.spec()
