"""Spec activations Keras has no name for (spec.base.FUNCTION_ACTIVATIONS) in the emitted Keras source: a function
the module defines at its top, which the layers take as their `activation`."""

from __future__ import annotations

import re
from typing import Any

from ..spec.base import FUNCTION_ACTIVATIONS
from .source import Code

# Spec name -> the module-level definition the emitted source holds, from the call spec.base declares. Registered
# under KerasHub's name: gelu_approximate is keras_hub.utils.keras_utils.gelu_approximate, so a model saved from the
# emitted one names it "keras_hub>gelu_approximate" as KerasHub's own models do, the file loads where KerasHub is
# installed, and specbridge's importer reads it back as gelu_approximate.
FUNCTION_SOURCES = {
    name: f'\n\n@keras.saving.register_keras_serializable(package="keras_hub")\ndef {name}(x):\n    return {call}\n'
    for name, call in FUNCTION_ACTIVATIONS.items()
}
ACTIVATION_ARGUMENTS = ("activation", "recurrent_activation")


def function_arguments(args: dict[str, Any]) -> dict[str, Any]:
    """`args` with each function activation as the name of the emitted function (code, not a string)."""
    return {k: Code(v) if k in ACTIVATION_ARGUMENTS and v in FUNCTION_SOURCES else v for k, v in args.items()}


def function_definitions(body: str) -> str:
    """The definitions of the functions `body` passes as an activation: `activation=gelu_approximate` (a string
    value would be quoted: `activation="..."`)."""
    return "".join(source for name, source in FUNCTION_SOURCES.items() if re.search(rf"activation={name}\b", body))
