"""An unexpected exception inside `import` or `convert` (a bug in specbridge, never the user's input), tagged with
what was being done when it happened: "while verifying layer 'dense_2' against the original". The CLI turns it into
its internal-error message (cli/app.py), with the command to reproduce it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class InternalFailure(RuntimeError):
    """str() is "while <what>"; __cause__ is the exception that was raised."""


@contextmanager
def stage(what: str, *expected: type[BaseException]) -> Iterator[None]:
    """Run a block as the stage `what` ("copying the weights of layer 'conv'"): an exception of an `expected`
    (documented) kind passes as it is, any other becomes InternalFailure("while <what>"). Stages nest: the
    innermost, most precise one names the failure."""
    try:
        yield
    except InternalFailure:
        raise
    except expected:
        raise
    except Exception as exc:
        raise InternalFailure(f"while {what}") from exc
