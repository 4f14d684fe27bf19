"""The constructor tables of specbridge/pycode/signatures*.py against the installed Keras and PyTorch.

Positional orders are compared with `inspect.signature`, and tried: a PyTorch module built from positional values
must equal the one built from the same values as keywords named by the table, and its defaults must be the
ones it uses when nothing is passed. Keras keywords are tried one at a time: each listed one is accepted, and
every name the tables know of (the other layers' extra keywords, Keras 1 and Keras 2 names) is refused by a
layer whose entry does not list it. Nothing here copies a table: the expected values come from the frameworks.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
import subprocess
import sys
import textwrap
import typing
import warnings
from pathlib import Path

import pytest
from frameworks import import_framework

from specbridge.pycode import signatures as S
from specbridge.spec.catalog import TYPE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_signatures.py"
FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "jax")
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
UNKNOWN = "specbridge_unknown"


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


def _named(fn) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self" and p.kind not in VARIADIC]


# ---------------------------------------------------------------- no framework, and current


PROBE = """\
import json, sys
{action}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {frameworks!r})
print("RESULT=" + json.dumps({{"loaded": loaded, "ours": sorted(m for m in sys.modules if "signatures" in m)}}))
"""


def _probe(action: str) -> dict:
    code = PROBE.format(action=action, frameworks=FRAMEWORKS)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("RESULT=")]
    assert marker, f"probe failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return json.loads(marker[-1][len("RESULT="):])


def test_the_signature_tables_import_no_framework():
    found = _probe("from specbridge.pycode.signatures import KERAS_KEYWORDS, TORCH_FUNCTIONS")
    assert found["loaded"] == []
    assert {"specbridge.pycode.signatures_keras", "specbridge.pycode.signatures_torch"} <= set(found["ours"])


@pytest.mark.torch
def test_the_probe_sees_a_framework_import(torch):
    # Control: a probe that never looks (a wrong name, a swallowed error) would pass the test above.
    assert "torch" in _probe("import torch")["loaded"]


@pytest.mark.keras
@pytest.mark.torch
@pytest.mark.slow
def test_the_generated_tables_are_current(keras, torch):
    spec = importlib.util.spec_from_file_location("gen_signatures", SCRIPT)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for path, text in gen.generated().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run .venv/bin/python {SCRIPT}"


# ---------------------------------------------------------------- Keras


SAMPLE = {"filters": 2, "kernel_size": 3, "units": 2, "rate": 0.5, "pool_size": 2, "activation": "relu",
          "target_shape": (2,), "dims": (1,), "n": 2, "scale": 1.0, "factor": 0.1, "height_factor": 0.1,
          "width_factor": 0.1, "height": 2, "width": 2, "input_dim": 10, "output_dim": 2, "num_heads": 2,
          "key_dim": 2, "head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "axes": 1,
          "equation": "ab,bc->ac", "output_shape": 2}
# Values to try keywords with, before a parameter's default: a real value (RandomFlip takes factor=None only).
VALUES = {"input_shape": (4,), "input_dim": 4, "input_length": 5, "alpha": 0.2, "rms_scaling": False,
          "implementation": 2, "dtype": "float32", "name": "probe", "trainable": False, "autocast": False,
          "score_mode": "dot"}
# Keras 2's base Layer keywords (tf_keras/src/engine/base_layer.py: allowed_kwargs, and dynamic; Keras 2.0's
# input_dtype).
KERAS2_BASE = ("input_shape", "batch_input_shape", "batch_size", "weights", "activity_regularizer", "autocast",
               "implementation", "input_dim", "dynamic", "input_dtype")


def _layer(keras, cls, **keywords):
    required = {p.name: keras.layers.LSTM(2) if p.name == "layer" else SAMPLE[p.name]
                for p in _named(cls.__init__) if p.default is inspect.Parameter.empty}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**{**required, **keywords})


def _accepts(keras, cls, key: str) -> bool:
    default = {p.name: p.default for p in _named(cls.__init__)}.get(key, inspect.Parameter.empty)
    if key in VALUES or key in SAMPLE:  # a real value: RandomFlip(factor=None) passes, factor=0.1 raises
        value = VALUES.get(key, SAMPLE.get(key))
    elif key == "layer":
        value = keras.layers.LSTM(2)
    else:
        value = None if default is inspect.Parameter.empty else default
    try:
        _layer(keras, cls, **{key: value})
    except (TypeError, ValueError) as exc:
        message = str(exc)
        about_it = f"'{key}'" in message and any(
            words in message for words in ("Unrecognized keyword arguments", "unexpected keyword", "multiple values"))
        if about_it or f"does not take a `{key}` argument" in message:
            return False
        raise
    return True


def _keras_class(keras, name: str):
    return getattr(keras.layers, name)


def _extras(keras) -> set[str]:
    """Every keyword some entry lists beyond the layer's named parameters."""
    return {k for n, kws in S.KERAS_KEYWORDS.items()
            for k in kws - {p.name for p in _named(_keras_class(keras, n).__init__)}}


def _inherited(cls) -> set[str]:
    """Names the constructors of cls and its bases take, or read from their **kwargs by name (kwargs.pop("x"),
    kwargs.get("x"), "x" in kwargs): where a keyword the signature does not show can come from."""
    names = set()
    for klass in cls.__mro__[:-1]:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        names |= {p.name for p in _named(init)}
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(init)))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("pop", "get"):
                names |= {a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)}
            elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In):
                names |= {node.left.value} if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) else set()
    return names


@pytest.mark.keras
def test_every_catalog_type_that_keras_has_is_in_the_tables(keras):
    expected = {n for n in TYPE_NAMES if isinstance(getattr(keras.layers, n, None), type)}
    assert set(S.KERAS_POSITIONAL) == expected
    assert set(S.KERAS_KEYWORDS) == expected


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(S.KERAS_POSITIONAL))
def test_keras_positional_order(keras, name):
    cls = _keras_class(keras, name)
    assert S.KERAS_POSITIONAL[name] == tuple(p.name for p in _named(cls.__init__) if p.kind in POSITIONAL)
    too_many = [None] * (len(S.KERAS_POSITIONAL[name]) + 1)
    with pytest.raises(TypeError, match="positional argument"):
        cls(*too_many)


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(S.KERAS_KEYWORDS))
def test_keras_keywords_are_exactly_those_accepted(keras, name):
    cls = _keras_class(keras, name)
    listed = S.KERAS_KEYWORDS[name]
    assert {p.name for p in _named(cls.__init__)} <= listed
    legacy = set(S.KERAS1_ARGUMENTS) | {k for v in S.KERAS1_LAYER_ARGUMENTS.values() for k in v}
    tried = listed | _extras(keras) | _inherited(cls) | S.KERAS_BASE_KEYWORDS | set(KERAS2_BASE) | legacy
    for key in sorted(tried):
        assert _accepts(keras, cls, key) == (key in listed), f"{name}({key}=...)"


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(S.KERAS_KEYWORDS))
def test_an_unknown_keras_keyword_raises(keras, name):
    cls = _keras_class(keras, name)
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())
    if takes_kwargs:  # through the base Layer
        error, text = ValueError, f"Unrecognized keyword arguments passed to {cls.__name__}: {{'{UNKNOWN}': 1}}"
    else:  # SpatialDropout1D/2D/3D
        error, text = TypeError, f"{cls.__name__}.__init__() got an unexpected keyword argument '{UNKNOWN}'"
    with pytest.raises(error) as caught:
        _layer(keras, cls, **{UNKNOWN: 1})
    assert str(caught.value) == text
    assert (S.KERAS_BASE_KEYWORDS <= S.KERAS_KEYWORDS[name]) == takes_kwargs


@pytest.mark.keras
def test_the_base_layer_keywords(keras):
    for key in sorted(S.KERAS_BASE_KEYWORDS | set(KERAS2_BASE)):
        assert _accepts(keras, keras.layers.Layer, key) == (key in S.KERAS_BASE_KEYWORDS), key
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`/`input_dim`"):
        assert keras.layers.Dense(2, input_dim=4)._input_shape_arg == (4,)


@pytest.mark.keras
@pytest.mark.parametrize("function", sorted(S.KERAS_FUNCTIONS))
def test_keras_merge_functions(keras, function):
    layer_class, params = S.KERAS_FUNCTIONS[function]
    fn = getattr(keras.layers, function)
    assert params == tuple(p.name for p in _named(fn) if p.kind in POSITIONAL)
    a, b = keras.Input((4,)), keras.Input((4,))
    out = fn([a, b], *[{"axis": -1, "axes": 1}[p] for p in params[1:]])
    assert type(out._keras_history.operation).__name__ == layer_class
    assert isinstance(getattr(keras.layers, layer_class), type)


@pytest.mark.keras
def test_keras1_arguments_are_refused_and_their_translation_exists(keras):
    accepted_somewhere = {k for kws in S.KERAS_KEYWORDS.values() for k in kws}
    named_somewhere = {p.name for obj in vars(keras.layers).values() if isinstance(obj, type)
                       for p in _named(obj.__init__)}
    for old, new in S.KERAS1_ARGUMENTS.items():
        assert new in accepted_somewhere | named_somewhere, f"{old} -> {new}: no Keras 3 layer takes {new}"
    for layer, renames in S.KERAS1_LAYER_ARGUMENTS.items():
        for old, new in renames.items():
            assert not _accepts(keras, _keras_class(keras, layer), old), f"{layer}({old}=...)"
            assert set(new) <= S.KERAS_KEYWORDS[layer], f"{layer}: {old} -> {new}"
    assert set(S.KERAS1_VALUES) <= set(S.KERAS1_ARGUMENTS)
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):  # accepted, unlike everywhere else
        keras.layers.Embedding(10, 2, input_length=5)


# ---------------------------------------------------------------- PyTorch


def _torch_sample(torch) -> dict:
    """A value for each constructor parameter, by name: distinct from the default and from each other."""
    nn = torch.nn
    return {
        "in_channels": 4, "out_channels": 6, "kernel_size": 5, "stride": 2, "padding": 1, "dilation": 3, "groups": 2,
        "bias": False, "padding_mode": "reflect", "output_padding": 1, "in_features": 5, "out_features": 7,
        "start_dim": 2, "end_dim": 3, "dim": 1, "unflattened_size": (2, 3), "num_features": 8, "eps": 0.001,
        "momentum": 0.3, "affine": False, "track_running_stats": False, "normalized_shape": (8,),
        "elementwise_affine": False, "num_groups": 2, "num_channels": 8, "return_indices": True, "ceil_mode": True,
        "count_include_pad": False, "divisor_override": 3, "output_size": 5, "p": 0.25, "inplace": True,
        "negative_slope": 0.2, "alpha": 0.5, "approximate": "tanh", "min_val": -2.0, "max_val": 2.0,
        "min_value": None, "max_value": None, "beta": 2.0, "threshold": 10.0, "num_parameters": 3, "init": 0.1,
        "lambd": 0.25,
        "num_embeddings": 10, "embedding_dim": 4, "padding_idx": 0, "max_norm": 1.0, "norm_type": 1.0,
        "scale_grad_by_freq": True, "sparse": True, "_weight": None, "_freeze": False, "input_size": 4,
        "hidden_size": 8, "num_layers": 2, "nonlinearity": "relu", "batch_first": True, "dropout": 0.25,
        "bidirectional": True, "proj_size": 3, "value": 0.5, "size": None, "scale_factor": 2.0, "mode": "bilinear",
        "align_corners": True, "recompute_scale_factor": True, "modules": [nn.ReLU()],
    }


def _state(module) -> dict:
    """What a module is: its public attributes, parameter shapes and children (for comparing two)."""
    plain = {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training"}
    shapes = {k: tuple(p.shape) for k, p in module.named_parameters()}
    return {"plain": repr(plain), "shapes": shapes, "children": [type(m).__name__ for m in module.children()]}


def _constructor(torch, name: str) -> list[inspect.Parameter]:
    cls = getattr(torch.nn, name)
    params = inspect.signature(cls.__init__).parameters.values()
    if {p.kind for p in params} >= set(VARIADIC):  # LSTM, GRU, RNN: the signature is the @overload's
        overloads = [o for o in typing.get_overloads(cls.__init__) if not any(p.kind in VARIADIC for p in _named(o))]
        params = inspect.signature(overloads[0]).parameters.values() if overloads else params
    return [p for p in params if p.name != "self" and p.kind not in VARIADIC]


def test_the_torch_tables_have_the_same_classes():
    assert set(S.TORCH_POSITIONAL) == set(S.TORCH_DEFAULTS) >= S.TORCH_FACTORY_KWARGS


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(S.TORCH_POSITIONAL))
def test_torch_positional_order(torch, name):
    params = _constructor(torch, name)
    factory = [p.name for p in params if p.name in ("device", "dtype")]
    assert factory in ([], ["device", "dtype"]) and (name in S.TORCH_FACTORY_KWARGS) == bool(factory)
    assert S.TORCH_POSITIONAL[name] == tuple(p.name for p in params if p.kind in POSITIONAL and p.name not in factory)
    cls, sample = getattr(torch.nn, name), _torch_sample(torch)
    if name == "ModuleDict":
        sample["modules"] = {"a": torch.nn.ReLU()}
    if name.startswith("ConvTranspose"):
        sample["padding_mode"] = "zeros"  # the only one they support
    names = S.TORCH_POSITIONAL[name]
    flags = [p for p in names if isinstance(sample[p], bool)]
    for run in range(max(1, len(flags).bit_length())):  # any two flags differ in some run (bits of 1, 2, 3...)
        sample.update({flag: bool((i + 1) >> run & 1) for i, flag in enumerate(flags)})
        values = [sample[p] for p in names]
        by_position = cls(*values)
        by_keyword = cls(**dict(zip(names, values, strict=True)))
        assert _state(by_position) == _state(by_keyword), values  # distinct values: a wrong order differs


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(S.TORCH_DEFAULTS))
def test_torch_defaults(torch, name):
    params = {p.name: p for p in _constructor(torch, name) if p.name not in ("device", "dtype")}
    assert S.TORCH_DEFAULTS[name] == {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    assert set(params) == set(S.TORCH_POSITIONAL[name]) | set(S.TORCH_DEFAULTS[name])
    cls, sample = getattr(torch.nn, name), _torch_sample(torch)
    required = {k: sample[k] for k in params if k not in S.TORCH_DEFAULTS[name]}
    assert _state(cls(**required)) == _state(cls(**required, **S.TORCH_DEFAULTS[name]))
    if name in S.TORCH_FACTORY_KWARGS:
        cls(**required, device="cpu", dtype=torch.float64)
    if name != "Identity":  # Identity takes and ignores anything
        with pytest.raises(TypeError, match=UNKNOWN):
            cls(**required, **{UNKNOWN: 1})


def _call_values(torch, qualified: str) -> dict:
    x = torch.arange(1.0, 37.0).reshape(1, 1, 6, 6).repeat(1, 2, 1, 1)
    x = x[..., 0, :] if "1d" in qualified else x
    values = {"input": x, "inplace": False, "negative_slope": 0.2, "alpha": 0.5, "dim": 1, "_stacklevel": 3,
              "dtype": torch.float64, "p": 0.3, "training": True, "kernel_size": 3, "stride": 2, "padding": 1,
              "dilation": 2, "ceil_mode": True, "return_indices": False, "count_include_pad": False,
              "divisor_override": 2, "output_size": 3, "size": None, "scale_factor": 2.0, "mode": "bilinear",
              "align_corners": True, "recompute_scale_factor": None, "antialias": False, "pad": (1, 2), "value": 0.5,
              "start_dim": 1, "end_dim": 2, "tensors": [x, x + 1], "keepdim": True, "dim0": 0, "dim1": 2,
              "dims": (3, 2, 1, 0), "shape": (-1, 9)}
    if qualified.endswith(".pad"):
        values["mode"] = "constant"
    return values


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a.dtype == b.dtype and a.shape == b.shape and bool((a == b).all())


def _most_positional(fn) -> int:
    """How many arguments fn takes positionally at most, from the TypeError of a call with too many: "takes from
    2 to 3 positional arguments", or for a builtin with overloads, each listed signature's arguments before `*`."""
    with pytest.raises(TypeError) as caught:
        fn(*[object()] * 12)
    message = str(caught.value)
    counts = [int(n) for n in re.findall(r"takes (?:from \d+ to )?(\d+) positional argument", message)]
    counts += [len(line.split(", *")[0].split(", ")) for line in re.findall(r"^ \* \((.*)\)$", message, re.M)]
    assert counts, message
    return max(counts)


@pytest.mark.torch
@pytest.mark.parametrize("qualified", sorted(S.TORCH_FUNCTIONS))
def test_torch_function_positional_order(torch, qualified):
    module, _, attr = qualified.rpartition(".")
    fn = getattr(importlib.import_module(module), attr)
    params = S.TORCH_FUNCTIONS[qualified]
    assert len(params) == _most_positional(fn)
    try:
        signature = inspect.signature(fn)
    except ValueError:  # a builtin: only tried below
        signature = None
    if signature and not any(p.kind in VARIADIC for p in signature.parameters.values()):
        assert params == tuple(p.name for p in signature.parameters.values() if p.kind in POSITIONAL)
    values = _call_values(torch, qualified)
    args = [values[p] for p in params]
    torch.manual_seed(0)
    by_position = fn(*args)
    torch.manual_seed(0)
    by_keyword = fn(**dict(zip(params, args, strict=True)))
    assert _same(by_position, by_keyword)
    with pytest.raises(TypeError):
        fn(*args, values["input"])
