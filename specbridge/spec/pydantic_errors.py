"""pydantic's ValidationError -> located diagnostics, one per offending argument, in the user's terms.

The loader validates the header and each layer with its own model; `Mapper` turns what pydantic reports into
SB011 (unknown argument, with "did you mean"), SB013 (missing argument), SB012 (bad value, with what the argument
takes) and SB010 (unknown layer type), each at the line and column of the key or value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from pydantic import ValidationError

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from ..diagnostics.suggest import suggest
from .base import Layer
from .catalog import CANONICAL_NAMES, TYPE_NAMES, layer_class
from .describe import describe_field, literal_values

if TYPE_CHECKING:
    from .loader import Document

# Keras arguments people write at the top of a spec, and the spec field that says the same thing.
KERAS_ISMS = {"input_shape": "input", "batch_input_shape": "input", "input_dim": "input", "batch_shape": "input"}


def _data_path(data: Any, loc: tuple, error_type: str) -> tuple:
    """Drop pydantic's union-branch labels from an error location, keeping real keys and indices."""
    out, node = [], data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif i == len(loc) - 1 and (error_type == "missing" or error_type == "value_error" and isinstance(node, dict)):
            out.append(part)  # an argument not written: missing, or its default refused (validate_default)
    return tuple(out)


def _expectation(err: dict) -> str:
    msg = err["msg"]
    for prefix in ("Input should be ", "Value error, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


def _owner_class(data: Any, path: tuple) -> tuple[Optional[type[Layer]], int]:
    """The layer class owning the argument at `path` (innermost layer mapping), and how deep it sits."""
    node, owner, depth = data, None, 0
    for i, part in enumerate(path):
        if isinstance(node, dict) and isinstance(node.get("type"), str) and node["type"] in TYPE_NAMES:
            owner, depth = layer_class(node["type"]), i
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return owner, depth


class Mapper:
    """Turns a pydantic ValidationError into diagnostics, one per offending location."""

    def __init__(self, doc: Document, data: Any, prefix: tuple, layer_name: Optional[str], fields: Any):
        self.doc, self.data, self.prefix, self.layer_name, self.fields = doc, data, prefix, layer_name, fields

    def add(self, exc: ValidationError) -> None:
        groups: dict[tuple, list[dict]] = {}
        for err in exc.errors(include_url=False):
            path = _data_path(self.data, tuple(err["loc"]), err["type"])
            groups.setdefault(path, []).append(err)
        misspelt = self._misspelt_required(groups)
        for path, errs in groups.items():
            # A union tried as a scalar and as a list reports both; when the list branch pinpoints an
            # element, the scalar branch's "should be an integer" is noise.
            deeper = any(other[: len(path)] == path and len(other) > len(path) for other in groups)
            if deeper and all(e["type"].endswith(("_type", "_parsing")) for e in errs):
                continue
            if path in misspelt:
                continue  # "requires `filters`" is a follow-up of "unknown argument `filter`, did you mean `filters`?"
            self.doc.diagnostics.append(self._one(path, errs))

    def _misspelt_required(self, groups: dict[tuple, list[dict]]) -> set[tuple]:
        """Paths of missing arguments that an unknown argument beside them is a misspelling of."""
        unknown = {p for p, errs in groups.items() if any(e["type"] == "extra_forbidden" for e in errs)}
        out = set()
        for path, errs in groups.items():
            if {e["type"] for e in errs} != {"missing"} or not path or not isinstance(path[-1], str):
                continue
            siblings = [u[-1] for u in unknown if u[:-1] == path[:-1] and isinstance(u[-1], str)]
            if any(suggest(name, [path[-1]]) for name in siblings):
                out.add(path)
        return out

    def _one(self, path: tuple, errs: list[dict]) -> Diagnostic:
        full = self.prefix + path
        types = {e["type"] for e in errs}
        where = ".".join(str(p) for p in full)
        arg = next((p for p in reversed(path) if isinstance(p, str)), None)
        owner, depth = _owner_class(self.data, path)
        owner_name = owner.type_names()[0] if owner else "the spec"
        accepted = self._accepted(owner)
        if "extra_forbidden" in types:
            guess = [KERAS_ISMS[arg]] if owner is None and arg in KERAS_ISMS else suggest(str(arg), accepted)
            hint = f"did you mean `{guess[0]}`? " if guess else ""
            if owner is None and arg in KERAS_ISMS:
                hint += "a spec gives its input as `input: {shape: [...]}`, without the batch axis; "
            hint += f"{owner_name} accepts: {', '.join(accepted)}"
            return codes.UNKNOWN_ARGUMENT(
                f"{owner_name} does not accept the argument `{arg}`", hint=hint, layer=self.layer_name,
                location=self.doc.locate(full, key=True),
            )
        if "union_tag_invalid" in types or "union_tag_not_found" in types:
            err = errs[0]
            tag = err.get("ctx", {}).get("tag")
            return unknown_type(self.doc, tag, full + ("type",), self.layer_name)
        if types == {"missing"}:
            return codes.MISSING_ARGUMENT(
                f"{owner_name} requires the argument `{arg}`", layer=self.layer_name,
                hint=f"add `{arg}: ...` ({owner_name} accepts: {', '.join(accepted)})",
                location=self.doc.locate(full),
            )
        got = errs[0].get("input")
        subject = f"{owner_name} `{self._arg_label(path[depth:])}`" if owner else f"`{where}`"
        if any(e["type"] == "value_error" for e in errs):
            detail = "; ".join(_expectation(e) for e in errs if e["type"] == "value_error")
            return codes.INVALID_VALUE(f"{subject}: {detail}", layer=self.layer_name, location=self.doc.locate(full),
                                       hint=self._takes(owner, arg))
        field_info = self._field(owner, arg)
        if field_info is not None and path and path[-1] == arg:
            expected = describe_field(field_info)
        else:
            expected = " or ".join(dict.fromkeys(_expectation(e) for e in errs))
        shown = "" if isinstance(got, (dict, list)) and len(repr(got)) > 60 else f", got {got!r}"
        hint = None
        if isinstance(got, str) and field_info is not None:
            choices = [v for v in literal_values(field_info.annotation) if isinstance(v, str)]
            guess = suggest(got, choices)
            if guess:
                hint = f"did you mean {guess[0]!r}?"
        if hint is None and "shape" in path:
            hint = "a shape lists positive sizes, or null for an unknown size; the batch axis is never written"
        return codes.INVALID_VALUE(
            f"{subject} must be {expected}{shown}", layer=self.layer_name, location=self.doc.locate(full), hint=hint,
        )

    def _field(self, owner: Optional[type[Layer]], arg: Optional[str]):
        fields = owner.model_fields if owner is not None else self.fields
        return fields.get(arg) if arg is not None and hasattr(fields, "get") else None

    def _takes(self, owner: Optional[type[Layer]], arg: Optional[str]) -> Optional[str]:
        field_info = self._field(owner, arg)
        return f"`{arg}` takes {describe_field(field_info)}" if field_info is not None else None

    @staticmethod
    def _arg_label(path: tuple) -> str:
        """kernel_size, kernel_size[1]: the argument as written inside its layer."""
        label = ""
        for p in path:
            label += f"[{p}]" if isinstance(p, int) else (f".{p}" if label else p)
        return label or "?"

    def _accepted(self, owner: Optional[type[Layer]]) -> list[str]:
        if owner is None:
            return [f for f in self.fields if f != "type"]
        common = [f for f in Layer.model_fields if f != "type" and f not in owner.KERAS_REFUSES]
        # The layer's own (Keras) arguments first, then the fields every layer accepts.
        return [f for f in owner.model_fields if f not in Layer.model_fields] + common


def unknown_type(doc: Document, tag: Any, path: tuple, layer_name: Optional[str]) -> Diagnostic:
    if tag is None:
        return codes.MISSING_ARGUMENT(
            "a layer needs a `type` (its Keras class name, e.g. Conv2D or Dense)", layer=layer_name,
            location=doc.locate(path[:-1]),
        )
    guess = suggest(str(tag), TYPE_NAMES, n=1)
    hint = f"did you mean `{guess[0]}`? " if guess else ""
    hint += "Supported types: " + ", ".join(CANONICAL_NAMES)
    return codes.UNKNOWN_LAYER_TYPE(
        f"unknown layer type {tag!r}", hint=hint, layer=layer_name, location=doc.locate(path),
    )
