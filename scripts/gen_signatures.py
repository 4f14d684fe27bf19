"""Regenerate the constructor tables of specbridge/pycode/signatures_keras.py and signatures_torch.py.

    .venv/bin/python scripts/gen_signatures.py          # rewrite the tables from the installed Keras and PyTorch
    .venv/bin/python scripts/gen_signatures.py --check  # exit 1 when a table differs from what this would write

The static linter reads model code with `ast` and must import neither framework, so what it knows of their
constructors is data: each table is written between `# BEGIN GENERATED <name>` and `# END GENERATED <name>`
from `inspect.signature` and, for what a signature cannot tell, from trying it (which keywords a Keras layer
accepts through **kwargs). tests/pycode/test_signatures.py fails when a table is stale.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import re
import sys
import textwrap
import typing
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

KERAS_FILE = ROOT / "specbridge" / "pycode" / "signatures_keras.py"
TORCH_FILE = ROOT / "specbridge" / "pycode" / "signatures_torch.py"
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)

# ---------------------------------------------------------------- Keras

KERAS_MERGE_FUNCTIONS = ("add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot")
# Keywords Keras 2's base Layer accepted (tf_keras/src/engine/base_layer.py: its parameters and allowed_kwargs;
# input_dtype: Keras 2.0's), tried on every layer too.
KERAS2_BASE_KEYWORDS = ("trainable", "name", "dtype", "dynamic", "input_dim", "input_shape", "batch_input_shape",
                        "batch_size", "weights", "activity_regularizer", "autocast", "implementation", "input_dtype")
# Values for the required constructor arguments (by parameter name) and for the keywords tried.
SAMPLE_ARGS = {"filters": 2, "kernel_size": 3, "units": 2, "rate": 0.5, "pool_size": 2, "activation": "relu",
               "target_shape": (2,), "dims": (1,), "n": 2, "scale": 1.0, "factor": 0.1, "height_factor": 0.1,
               "width_factor": 0.1, "height": 2, "width": 2, "input_dim": 10, "output_dim": 2, "num_heads": 2,
               "key_dim": 2, "head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1,
               "equation": "ab,bc->ac", "output_shape": 2, "axes": 1}
PROBE_VALUES = {"input_shape": (4,), "input_dim": 4, "batch_input_shape": (None, 4), "batch_size": 2,
                "dtype": "float32", "name": "probe", "trainable": False, "autocast": False, "alpha": 0.2,
                "input_length": 5}
# What Keras says when it refuses a keyword itself (not its value). RandomFlip, RandomZoom and RandomTranslation
# pass `factor` on to a base class that takes None and refuses anything else: tried with a real value, it is refused.
REJECTED = re.compile(r"unexpected keyword argument|multiple values for|^Unrecognized keyword arguments|"
                      r"does not take a `\w+` argument")


def _parameters(fn, kinds) -> tuple[str, ...]:
    return tuple(p.name for p in inspect.signature(fn).parameters.values() if p.kind in kinds and p.name != "self")


def _popped(fn) -> set[str]:
    """Names a constructor reads from its **kwargs by hand: kwargs.pop("x"), kwargs.get("x"), "x" in kwargs."""
    varkw = [p.name for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
    if not varkw:
        return set()
    found = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn)))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("pop", "get")
                and isinstance(node.func.value, ast.Name) and node.func.value.id == varkw[0] and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
        elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(node.ops[0], ast.In)
              and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == varkw[0]):
            found.add(node.left.value)
    return found


def _candidates(cls) -> dict[str, object]:
    """Keywords worth trying on `cls` beyond its own named parameters, each with a value to try it with."""
    found: dict[str, object] = {}
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind not in VARIADIC and p.name != "self":
                found.setdefault(p.name, None if p.default is inspect.Parameter.empty else p.default)
        for name in _popped(init):
            found.setdefault(name, None)
    from specbridge.pycode import signatures_keras as current  # the Keras 1 names, hand-written: tried too

    legacy = set(current.KERAS1_ARGUMENTS) | {k for names in current.KERAS1_LAYER_ARGUMENTS.values() for k in names}
    for name in (*KERAS2_BASE_KEYWORDS, *sorted(legacy)):
        found.setdefault(name, None)
    return {name: PROBE_VALUES.get(name, SAMPLE_ARGS.get(name, value)) for name, value in found.items()}


def keras_instance(keras, cls, **keywords):
    """An instance of `cls` with sample values for its required arguments, plus `keywords`."""
    args = {}
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.kind not in VARIADIC and p.name != "self" and p.default is inspect.Parameter.empty:
            args[p.name] = keras.layers.LSTM(2) if p.name == "layer" else SAMPLE_ARGS[p.name]
    return cls(**{**args, **keywords})


def keras_accepts(keras, cls, name: str, value) -> bool:
    """Whether cls(..., name=value) is accepted; an error that is not about the keyword itself is raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras_instance(keras, cls, **{name: value})
    except (TypeError, ValueError) as exc:
        if REJECTED.search(str(exc)):
            return False
        raise RuntimeError(f"{cls.__name__}({name}={value!r}) raised, but not about the keyword: {exc}") from exc
    return True


def keras_keywords(keras, cls) -> frozenset[str]:
    own = set(_parameters(cls.__init__, (*POSITIONAL, inspect.Parameter.KEYWORD_ONLY)))
    tried = {name: value for name, value in _candidates(cls).items() if name not in own}
    return frozenset(own | {name for name, value in tried.items() if keras_accepts(keras, cls, name, value)})


def keras_tables() -> dict[str, str]:
    import keras

    from specbridge.spec.catalog import TYPE_NAMES

    names = [n for n in TYPE_NAMES if isinstance(getattr(keras.layers, n, None), type)]
    base = keras_keywords(keras, keras.layers.Layer)
    functions = {}
    for name in KERAS_MERGE_FUNCTIONS:
        fn = getattr(keras.layers, name, None)
        if fn is not None:
            functions[name] = (_built_class(fn), _parameters(fn, POSITIONAL))
    return {
        "KERAS_POSITIONAL": _table("KERAS_POSITIONAL: dict[str, tuple[str, ...]]", {
            n: _literal(_parameters(getattr(keras.layers, n).__init__, POSITIONAL)) for n in names}),
        "KERAS_BASE_KEYWORDS": f"KERAS_BASE_KEYWORDS: frozenset[str] = {_set(base)}",
        "KERAS_KEYWORDS": _table("KERAS_KEYWORDS: dict[str, frozenset[str]]", {
            n: _keywords(keras_keywords(keras, getattr(keras.layers, n)), base) for n in names}),
        "KERAS_FUNCTIONS": _table("KERAS_FUNCTIONS: dict[str, tuple[str, tuple[str, ...]]]", {
            n: _literal(v) for n, v in functions.items()}),
    }


def _built_class(fn) -> str:
    """The layer class a functional interface builds: the X of its `return X(...)(inputs)`."""
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn)))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and isinstance(node.func.func, ast.Name):
            return node.func.func.id
    raise RuntimeError(f"{fn.__name__}: no `Layer(...)(inputs)` call in its source")


def _keywords(names: frozenset[str], base: frozenset[str]) -> str:
    if base <= names:
        return "KERAS_BASE_KEYWORDS | " + _set(names - base)
    return _set(names)


# ---------------------------------------------------------------- PyTorch

TORCH_CLASSES = (
    "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d Linear Identity Flatten Unflatten "
    "BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm RMSNorm GroupNorm InstanceNorm2d MaxPool1d MaxPool2d MaxPool3d "
    "AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool1d AdaptiveMaxPool2d "
    "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout ReLU ReLU6 LeakyReLU ELU SELU CELU GELU SiLU Mish Sigmoid "
    "Tanh Hardtanh Hardswish Hardsigmoid Softplus Softsign Softmax LogSoftmax LogSigmoid Tanhshrink Softshrink "
    "Hardshrink PReLU Embedding LSTM GRU RNN "
    "ZeroPad1d ZeroPad2d ConstantPad2d Upsample UpsamplingNearest2d Sequential ModuleList ModuleDict"
).split()
TORCH_FUNCTIONS = tuple(f"torch.nn.functional.{n}" for n in (
    "relu relu6 leaky_relu elu gelu silu sigmoid tanh softmax log_softmax dropout dropout2d max_pool1d max_pool2d "
    "avg_pool1d avg_pool2d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d interpolate pad").split()
) + tuple(f"torch.{n}" for n in (
    "flatten cat concat stack relu sigmoid tanh softmax mean squeeze unsqueeze transpose permute reshape").split())
FACTORY = ("device", "dtype")  # the factory keywords: left out of both tables, listed in TORCH_FACTORY_KWARGS


def torch_constructor(cls) -> inspect.Signature:
    """The constructor's signature; LSTM, GRU and RNN take (*args, **kwargs) and declare theirs as an @overload."""
    signature = inspect.signature(cls.__init__)
    if {p.kind for p in signature.parameters.values()} >= set(VARIADIC):
        overloads = [inspect.signature(o) for o in typing.get_overloads(cls.__init__)]
        named = [s for s in overloads if not any(p.kind in VARIADIC for p in s.parameters.values())]
        if named:
            return named[0]
    return signature


def _jsonable(value) -> bool:
    if isinstance(value, tuple):
        return all(_jsonable(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def torch_tables() -> dict[str, str]:
    from torch import nn

    positional, defaults, factory = {}, {}, []
    for name in TORCH_CLASSES:
        params = [p for p in torch_constructor(getattr(nn, name)).parameters.values() if p.name != "self"]
        factory += [name] if {p.name for p in params} >= set(FACTORY) else []
        params = [p for p in params if p.name not in FACTORY and p.kind not in VARIADIC]
        positional[name] = _literal(tuple(p.name for p in params if p.kind in POSITIONAL))
        found = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
        odd = {k: v for k, v in found.items() if not _jsonable(v)}
        if odd:
            raise RuntimeError(f"nn.{name}: defaults that are not literals: {odd}")
        defaults[name] = _literal(found)
    return {
        "TORCH_POSITIONAL": _table("TORCH_POSITIONAL: dict[str, tuple[str, ...]]", positional),
        "TORCH_DEFAULTS": _table("TORCH_DEFAULTS: dict[str, dict[str, object]]", defaults),
        "TORCH_FACTORY_KWARGS": f"TORCH_FACTORY_KWARGS: frozenset[str] = {_set(factory)}",
        "TORCH_FUNCTIONS": _table("TORCH_FUNCTIONS: dict[str, tuple[str, ...]]", {
            name: _literal(torch_function_parameters(name)) for name in TORCH_FUNCTIONS}),
    }


def resolve(qualified: str):
    import importlib

    module, _, attr = qualified.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def torch_function_parameters(qualified: str) -> tuple[str, ...]:
    """Positional parameters of a torch function, from its signature, its boolean_dispatch branches (max_pool2d's
    return_indices), or for a C++ builtin from its ATen schemas (every overload's, merged: torch.mean's dim)."""
    fn = resolve(qualified)
    try:
        signature = inspect.signature(fn)
    except ValueError:  # a builtin: no Python signature
        return _aten_parameters(fn.__name__)
    if not any(p.kind in VARIADIC for p in signature.parameters.values()):
        return _parameters(fn, POSITIONAL)
    branches = {_parameters(c.cell_contents, POSITIONAL) for c in fn.__closure__ or ()
                if inspect.isfunction(c.cell_contents)}
    if len(branches) != 1:
        raise RuntimeError(f"{qualified}: (*args, **kwargs) and no single dispatched signature: {branches}")
    return branches.pop()


def _aten_parameters(op: str) -> tuple[str, ...]:
    import torch

    lists = []
    for schema in torch._C._jit_get_schemas_for_operator(f"aten::{op}"):
        args = [a for a in schema.arguments if not a.kwarg_only]
        if schema.overload_name.endswith("out") or not args or "Tensor" not in str(args[0].type):
            continue  # out= variants, and TorchScript's scalar overloads (tanh(int a))
        lists.append(tuple("input" if a.name == "self" else a.name for a in args))
    longest = max(lists, key=len)
    if any(names != longest[: len(names)] for names in lists):
        raise RuntimeError(f"aten::{op}: overloads disagree on the positional order: {lists}")
    return longest


# ---------------------------------------------------------------- rendering and rewriting


def _literal(value) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, tuple):
        items = [_literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _set(names) -> str:
    return "frozenset({" + ", ".join(_literal(n) for n in sorted(names)) + "})" if names else "frozenset()"


def _table(declaration: str, entries: dict[str, str]) -> str:
    return "\n".join([f"{declaration} = {{", *(f"    {_literal(k)}: {v}," for k, v in entries.items()), "}"])


def rewrite(text: str, tables: dict[str, str]) -> str:
    for name, body in tables.items():
        pattern = re.compile(rf"(# BEGIN GENERATED {name}\n).*?(# END GENERATED {name}\n)", re.S)
        if not pattern.search(text):
            raise RuntimeError(f"no `# BEGIN GENERATED {name}` ... `# END GENERATED {name}` block")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def generated() -> dict[Path, str]:
    """Each file's text as it should be."""
    return {KERAS_FILE: rewrite(KERAS_FILE.read_text(encoding="utf-8"), keras_tables()),
            TORCH_FILE: rewrite(TORCH_FILE.read_text(encoding="utf-8"), torch_tables())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a table is stale")
    args = parser.parse_args(argv)
    stale = {path: text for path, text in generated().items() if path.read_text(encoding="utf-8") != text}
    for path, text in stale.items():
        if not args.check:
            path.write_text(text, encoding="utf-8")
        print(f"{'stale' if args.check else 'rewrote'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
