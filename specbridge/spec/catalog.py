"""The layer catalog: every layer type, declared once by its class in spec/layers/<family>.py.

A class declares its Keras name and aliases (the `type` literal) and its traits (FAMILY, RANK, DATA_FORMAT,
WEIGHTS, WRAPS, CALL: see spec/base.py). Everything else about a type (its shape rule, its Keras and
PyTorch emitters, its weight mapping) is an entry in a stage table keyed by the class (see Stage, and
specbridge/stages.py which checks every table against this catalog).

Building the pydantic classes of every type costs more than the rest of a check, so a check imports only
the family modules its spec uses. To know which module holds a type name without importing them all, the
names are indexed in layers/index.py: a file generated from the classes (`write_index`), which a test keeps
current. The union on `type` (AnyLayer) is what the JSON Schema and library users see.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Generic, Optional, TypeVar, Union

from pydantic import Field

from .base import Layer
from .layers.index import FAMILIES

# The family modules under spec/layers/, in the order the schema lists their types. A new family is added here
# (a new layer type is not: its class is found in its family's LAYERS tuple).
FAMILY_ORDER = (
    "conv", "pooling", "core", "normalization", "reshaping", "recurrent", "attention", "merging", "ops",
    "preprocessing", "wrappers",
)

FAMILY_OF: dict[str, str] = {name: fam for fam, groups in FAMILIES.items() for group in groups for name in group}
TYPE_NAMES: tuple[str, ...] = tuple(FAMILY_OF)  # every accepted spelling
CANONICAL_NAMES: tuple[str, ...] = tuple(group[0] for groups in FAMILIES.values() for group in groups)

_BY_NAME: dict[str, type[Layer]] = {}


def family_classes(family: str) -> tuple[type[Layer], ...]:
    """The classes of one family module, importing it on first use."""
    module = importlib.import_module(f".layers.{family}", __package__)
    if family not in _LOADED:
        _LOADED.add(family)
        for cls in module.LAYERS:
            for name in cls.type_names():
                _BY_NAME[name] = cls
        if family == "wrappers":
            _union()  # TimeDistributed.layer is the union of every layer: resolve it before first use
    return module.LAYERS


_LOADED: set[str] = set()


def layer_class(type_name: str) -> Optional[type[Layer]]:
    """The model class for a type name or alias (importing its family on first use), or None."""
    cls = _BY_NAME.get(type_name)
    if cls is None and type_name in FAMILY_OF:
        family_classes(FAMILY_OF[type_name])
        cls = _BY_NAME.get(type_name)
    return cls


def all_classes() -> tuple[type[Layer], ...]:
    """Every layer class, in schema order (imports every family)."""
    return tuple(cls for family in FAMILY_ORDER for cls in family_classes(family))


def sibling(cls: type[Layer], rank: int) -> Optional[type[Layer]]:
    """The type of the same kind with another number of spatial axes: sibling(MaxPooling2D, 1) is MaxPooling1D.

    Siblings share their direct base class (Pooling, ConvTranspose, ...) and every declared trait (MODE, FIELD, ...)
    but RANK and DATA_FORMAT (Cropping1D has no data_format, Cropping2D has).
    """
    for other in family_classes(cls.FAMILY):
        if other.__bases__ == cls.__bases__ and other.RANK == rank and _traits(other) == _traits(cls):
            return other
    return None


def _traits(cls: type[Layer]) -> dict[str, Any]:
    return {k: getattr(cls, k) for k in dir(cls) if k.isupper() and k not in ("RANK", "DATA_FORMAT", "MASKING")}


def sibling_name(cls: type[Layer], rank: int, fallback: str = "another layer") -> str:
    """The Keras name of sibling(cls, rank), for hints; `fallback` when there is none."""
    other = sibling(cls, rank)
    return other.type_names()[0] if other is not None else fallback


_UNION: list = []


def _union() -> Any:
    if not _UNION:
        for family in FAMILY_ORDER:
            family_classes(family)  # loading the wrappers family builds the union itself
    if not _UNION:
        from .layers import wrappers

        classes = tuple(_BY_NAME[group[0]] for groups in FAMILIES.values() for group in groups)
        union = Annotated[Union[classes], Field(discriminator="type")]  # type: ignore[valid-type]
        # TimeDistributed.layer and Spec.layers name the forward reference "AnyLayer": publish the union in
        # their modules so pydantic resolves it when they are first built (their builds are deferred).
        wrappers.AnyLayer = union
        _UNION.extend([union, classes])
    return _UNION[0]


def __getattr__(name: str) -> Any:
    # The whole set, on demand (schema generation, library users, tests).
    if name == "AnyLayer":
        return _union()
    if name == "LAYER_CLASSES":
        _union()
        return _UNION[1]
    if name == "BY_TYPE_NAME":
        _union()
        return dict(_BY_NAME)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- the generated name index

INDEX_PATH = Path(__file__).parent / "layers" / "index.py"
_INDEX_HEADER = '''"""Generated from the layer classes by specbridge.spec.catalog.write_index(): do not edit.

Each family module's type names (canonical Keras name first, then aliases), so that a check imports only the
families its spec uses. `pytest tests/spec --update-golden` rewrites it; a test fails when it is stale.
"""

FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
'''


def index_source() -> str:
    """The text layers/index.py should have, computed from the classes themselves."""
    lines = [_INDEX_HEADER]
    for family in FAMILY_ORDER:
        lines.append(f"    {family!r}: (\n")
        for cls in family_classes(family):
            lines.append(f"        {cls.type_names()!r},\n")
        lines.append("    ),\n")
    lines.append("}\n")
    return "".join(lines)


def write_index() -> bool:
    """Rewrite layers/index.py from the classes; True when it changed."""
    text = index_source()
    if INDEX_PATH.read_text(encoding="utf-8") == text:
        return False
    INDEX_PATH.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------- stage tables

F = TypeVar("F", bound=Callable)


class StageGap(LookupError):
    """A stage has no entry for a layer type: either declared out of reach (`reason`) or simply missing (a bug)."""

    def __init__(self, stage: str, cls: type[Layer], reason: Optional[str]):
        kind = cls.type_names()[0]
        super().__init__(reason or f"{stage}: no entry for {kind} (every layer type needs one; see CONTRIBUTING)")
        self.stage, self.kind, self.reason = stage, kind, reason


class Stage(Generic[F]):
    """One stage's table (shape rule, an emitter, a weight mapping): an entry per layer class.

    `register(*classes)` decorates the entry for those classes. `unsupported(*classes, reason=...)` declares that
    the stage cannot express a type, which SB400 reports with that reason. `needed(cls)` says which types the stage
    must cover at all (a weight mapping: only types with weights). stages.py checks every stage against the catalog.
    """

    def __init__(self, name: str, *, needed: Callable[[type[Layer]], bool] = lambda cls: True):
        self.name = name
        self.needed = needed
        self.entries: dict[type[Layer], F] = {}
        self.reasons: dict[type[Layer], str] = {}

    def register(self, *classes: type[Layer]) -> Callable[[F], F]:
        def add(fn: F) -> F:
            for cls in classes:
                if cls in self.entries or cls in self.reasons:
                    raise ValueError(f"{self.name}: {cls.type_names()[0]} is registered twice")
                self.entries[cls] = fn
            return fn

        return add

    def unsupported(self, *classes: type[Layer], reason: str) -> None:
        for cls in classes:
            self.reasons[cls] = reason

    def entry(self, cls: type[Layer]) -> F:
        """The entry for `cls`; raises StageGap (with the declared reason, if any) when there is none."""
        fn = self.entries.get(cls)
        if fn is None:
            raise StageGap(self.name, cls, self.reasons.get(cls))
        return fn

    def gaps(self, classes) -> list[str]:
        """Names of the needed types that have neither an entry nor a declared reason."""
        return [c.type_names()[0] for c in classes if self.needed(c) and c not in self.entries and c not in self.reasons]
