"""TimeDistributed: applies its `layer`, of any type, to every step of axis 1.

The union of every layer type is resolved in spec.catalog.
"""

from typing import TYPE_CHECKING, ClassVar, Literal

from ..base import Layer

if TYPE_CHECKING:
    from ..catalog import AnyLayer  # noqa: F401


class TimeDistributed(Layer):
    MASKING: ClassVar[str] = "keeps"
    FAMILY: ClassVar[str] = "wrappers"
    WRAPS: ClassVar[bool] = True
    type: Literal["TimeDistributed"]
    layer: "AnyLayer"  # forward reference, resolved in spec.catalog once every layer exists


LAYERS = (TimeDistributed,)
