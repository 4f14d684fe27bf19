"""Spec: the whole document as one pydantic model; its JSON Schema is the published schema.

Kept apart from model.py because it needs the union of every layer type (see catalog.py).
"""

from pydantic import ConfigDict, Field

from .catalog import AnyLayer
from .model import SpecHeader


class Spec(SpecHeader):
    """A whole model. `model_json_schema()` of this class is the published schema."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True,
        json_schema_extra={"title": "specbridge model spec"},
    )

    layers: list[AnyLayer] = Field(
        min_length=1, description="The layers, in order; each reads the previous one unless it lists `inputs`."
    )
