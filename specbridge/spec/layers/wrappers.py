"""TimeDistributed, whose `layer` may be any layer (the union is resolved in spec.registry)."""

from typing import TYPE_CHECKING, Literal

from ..base import Layer

if TYPE_CHECKING:
    from ..registry import AnyLayer  # noqa: F401


class TimeDistributed(Layer):
    type: Literal["TimeDistributed"]
    layer: "AnyLayer"  # forward reference, resolved in spec.registry once every layer exists


LAYERS = (TimeDistributed,)
