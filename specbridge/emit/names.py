"""Spec names -> safe Python identifiers and string literals for emitted source.

A spec is untrusted text: a layer name may hold quotes, newlines or `__import__('os')`. Names reach
emitted code only through `py_str` (a string literal made by repr, which escapes everything that
could end the literal) or `Identifiers` (ASCII letters, digits and underscores, never a keyword).
"""

from __future__ import annotations

import keyword
import re

# Names an emitted module already uses: imports, helpers' parameters, builtins forward() relies on.
RESERVED = frozenset({
    "self", "torch", "nn", "F", "math", "np", "keras", "layers", "build_model", "super", "print",
    "SPEC_NAME", "SPEC_LAYERS", "OUTPUT_LAYOUT", "INPUT_LAYOUT", "model", "inputs", "outputs",
})

# Attributes of torch.nn.Module instances (dir(nn.Module()) on torch 2.13): a submodule must not shadow them.
NN_MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile",
    "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia",
    "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state",
    "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad",
})


def py_str(text: str) -> str:
    """A Python string literal for `text`, double-quoted when that needs no escaping of quotes.

    >>> py_str('a"b')
    '\\'a"b\\''
    >>> py_str("x\\n__import__('os')")
    '"x\\\\n__import__(\\'os\\')"'
    """
    literal = repr(str(text))
    if literal.startswith("'") and '"' not in text and "'" not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def identifier(text: str, fallback: str = "layer") -> str:
    """An ASCII identifier that reads like `text`: conv 1/a -> conv_1_a, 2nd -> layer_2nd, class -> class_."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED or name in NN_MODULE_ATTRIBUTES:
        name += "_"
    return name


def class_name(text: str, fallback: str = "Model") -> str:
    """A CamelCase class name: mnist_convnet -> MnistConvnet."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", text) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts)
    if not name:
        return fallback
    if name[0].isdigit():
        name = fallback + name
    return name


class Identifiers:
    """Hands out unique identifiers within one scope (a module's attributes, a function's locals)."""

    def __init__(self, taken=()):
        self._taken = set(taken)

    def take(self, text: str, fallback: str = "layer") -> str:
        base = identifier(text, fallback)
        name, n = base, 2
        while name in self._taken:
            name, n = f"{base}_{n}", n + 1
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> None:
        self._taken.add(name)
