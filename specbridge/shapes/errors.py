"""The exception an inference function raises to report a problem with its layer."""

from __future__ import annotations

from typing import Optional

from ..diagnostics.codes import Code


class ShapeError(Exception):
    """Raised by inference functions; the walker turns it into a located Diagnostic.

    `argument` names the layer argument to point at (its line/column), when one is to blame.
    """

    def __init__(self, code: Code, message: str, hint: Optional[str] = None, argument: Optional[str] = None):
        super().__init__(message)
        self.code, self.message, self.hint, self.argument = code, message, hint, argument
