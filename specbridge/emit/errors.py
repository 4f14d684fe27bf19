"""Why an emitter cannot produce a model: the spec, the target framework, or a missing install."""

from __future__ import annotations

from typing import Optional

from ..check import CheckResult


class NotExpressible(Exception):
    """A layer that the target framework cannot compute exactly as Keras does (diagnostic SB400)."""

    def __init__(self, layer: Optional[str], reason: str):
        super().__init__(f"{layer}: {reason}" if layer else reason)
        self.layer = layer
        self.reason = reason


class SpecHasErrors(Exception):
    """The spec does not check cleanly; `result.errors` holds the diagnostics."""

    def __init__(self, result: CheckResult):
        super().__init__("; ".join(d.message for d in result.errors) or "the spec is invalid")
        self.result = result


class MissingExtra(ImportError):
    """The framework needed to build a live model is not installed (diagnostic SB401)."""

    def __init__(self, framework: str, extra: str):
        super().__init__(f"{framework} is not installed: pip install 'specbridge[{extra}]'")
        self.framework = framework
        self.extra = extra
