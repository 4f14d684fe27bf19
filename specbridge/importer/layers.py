"""One Keras layer config -> one spec layer (a dict the spec's pydantic class validates).

Arguments the spec class declares are kept as they are (the spec's names are Keras 3's). The rest is sorted:
training-only settings (initializers, regularizers, constraints) are left out with an info diagnostic; settings
that do not change what the layer computes at inference are dropped; Keras 2 spellings are translated; anything
else is a setting the spec cannot hold, an error naming it, so that nothing is ever dropped that matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from ..spec.catalog import layer_class
from .topology import OP_ARGS

TRAINING_ONLY = re.compile(r"(_initializer|_regularizer|_constraint)$|^activity_regularizer$")
# Keys that do not change the inference computation, whatever their value (Keras bookkeeping, performance and
# training-time options). Anything not listed and not a spec argument must be absent/default or is an error.
NO_EFFECT = {
    "name", "trainable", "dtype", "build_config", "implementation", "unroll", "sparse", "ragged", "optional",
    "autocast", "synchronized", "fused", "renorm", "renorm_clipping", "renorm_momentum", "virtual_batch_size",
    "adjustment", "input_length", "batch_input_shape", "batch_shape", "batch_size",
    "input_shape", "input_dim_size", "lora_alpha", "reset_state",
    "seed",  # the recurrent layers' dropout masks: training only (a layer whose spec has seed keeps it)
    "rng_type",  # Keras 2's random augmentation layers (RandomFlip...): how training draws; identity at inference
    "query_shape", "key_shape", "value_shape",  # Keras 2's MultiHeadAttention records its build shapes
}
# Keys whose non-default value changes what the layer returns or computes: refused when set.
DEFAULTS_REQUIRED = {
    "return_state": False, "stateful": False, "time_major": False, "lora_rank": None, "quantization_config": None,
    "backward_layer": None, "use_cudnn": "auto",
    "groups": 1,  # Keras 2 writes Conv's groups in every subclass (depthwise, separable, transposed) that has none
}
# Keras 2 argument names -> Keras 3's, per class.
RENAMED = {"LeakyReLU": {"alpha": "negative_slope"}}


@dataclass
class Mapped:
    layer: Optional[dict]  # None when the layer cannot be represented
    errors: list[Diagnostic] = field(default_factory=list)
    left_out: dict[str, Any] = field(default_factory=dict)  # training-only settings with a value


def map_layer(class_name: str, config: dict, name: str, place: str, module: Optional[str] = None,
              saved: bool = True) -> Mapped:
    """`saved`: the config comes from a saved model (a Keras 2.0-era file may lack arguments whose default changed
    since); False for the arguments written in model code, where a missing argument is the default."""
    if OP_ARGS in config:
        if class_name == "TFOpLambda":
            function = str(config.get("function"))
            return _op_call(TF_FUNCTIONS.get(function, class_name), {OP_ARGS: config[OP_ARGS]}, name, place,
                            f"tf.{function}")
        return _op_call(class_name, config, name, place, module)
    cls = layer_class(class_name)
    if cls is None:
        return Mapped(None, [_not_importable(class_name, name, place, module)])
    out = Mapped({"type": cls.type_names()[0], "name": name})
    renamed = RENAMED.get(class_name, {})
    fields = cls.model_fields
    for key, value in config.items():
        key = renamed.get(key, key)
        if key in ("layer",) and cls.WRAPS:
            _wrapped(value, out, name, place, saved)
        elif key in fields and key not in cls.SPEC_ONLY and key not in ("trainable",):
            out.layer[key] = _value(key, value, class_name, out, name, place)
        elif key == "backward_layer" and cls.WRAPS and _mirrors(value, config.get("layer")):
            continue  # Keras 3 writes the backward copy Keras made itself: the spec's Bidirectional makes it too
        elif TRAINING_ONLY.search(key):
            if value is not None:
                out.left_out[key] = value
        elif key in DEFAULTS_REQUIRED:
            if value != DEFAULTS_REQUIRED[key]:
                out.errors.append(codes.CALL_NOT_IMPORTABLE(
                    f"layer {name!r} ({class_name}, {place}) has {key}={_short(value)}, which a spec cannot represent",
                    layer=name))
        elif key not in NO_EFFECT and value not in (None, False, [], {}):
            out.errors.append(codes.LAYER_NOT_IMPORTABLE(
                f"layer {name!r} ({class_name}, {place}) has the argument {key}={_short(value)}, which the spec "
                f"format does not have", layer=name,
                hint="the spec keeps Keras 3's arguments of each layer type (docs/layers.md)"))
    if config.get("trainable") is False:
        out.layer["trainable"] = False
    policy = _policy(config.get("dtype"))
    if policy not in (None, "float32"):
        out.left_out["dtype"] = policy
    if saved:
        _keras2_defaults(class_name, config, out)
    if out.errors:
        out.layer = None
    else:
        drop_defaults(out.layer, cls)
    return out


def drop_defaults(layer: dict, cls) -> None:
    """Leave out what the spec would assume anyway, so the spec reads as a person writes it: strides [1, 1],
    use_bias true, activation linear, data_format channels_last (the spec's own default)."""
    if "pool_size" in layer and _same(layer.get("strides"), layer["pool_size"]):
        del layer["strides"]  # Keras writes a pool's default strides (= pool_size) out; the spec's default is that
    for key in [k for k in layer if k not in ("type", "name", "inputs", "layer", "trainable")]:
        field = cls.model_fields.get(key)
        if field is None or field.is_required():
            continue
        value, default = layer[key], field.default
        if _same(value, default) or (key == "activation" and value == "linear" and default is None) \
                or (key == "data_format" and value == "channels_last" and default is None):
            del layer[key]


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, list) and not isinstance(default, list) and value:
        return all(v == default for v in value) and type(value[0]) is type(default)
    return value == default and type(value) is type(default)


TENSOR_OPS = ("Add", "Subtract", "Multiply", "Maximum", "Minimum")


# Keras 2's TFOpLambda functions -> the keras.ops class name of the same computation.
TF_FUNCTIONS = {"__operators__.add": "Add", "math.add": "Add", "math.multiply": "Multiply",
                "math.subtract": "Subtract", "__operators__.sub": "Subtract"}


def _op_call(class_name: str, config: dict, name: str, place: str, module: Optional[str]) -> Mapped:
    """A keras.ops call with one tensor and one number (MobileNetV3's x + 3.0, x * (1/6)) is a Rescaling, exactly:
    x + c = x * 1 + c and c - x = x * -1 + c round alike in IEEE arithmetic. Any other op call is its op node
    (importer/ops.py), never the merge layer of the same class name: ops broadcast with the batch axis counted,
    a merge layer without it, which differ when the ranks do."""
    args = config[OP_ARGS]
    numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    tensor_first = len(args) == 2 and args[0] is None
    if len(args) == 2 and args.count(None) == 1 and len(numbers) == 1 and class_name in TENSOR_OPS:
        c = float(numbers[0])
        scale_offset = {"Add": (1.0, c), "Multiply": (c, 0.0),
                        "Subtract": (1.0, -c) if tensor_first else (-1.0, c)}.get(class_name)
        if scale_offset is not None:
            return Mapped({"type": "Rescaling", "name": name, "scale": scale_offset[0], "offset": scale_offset[1]})
    from .ops import op_node

    return op_node(class_name, config, name, place, module, _not_importable)


def _policy(dtype: Any) -> Optional[str]:
    """A layer's dtype policy name ("float32", "mixed_float16"), from Keras 3's DTypePolicy dict or Keras 2's str."""
    if isinstance(dtype, dict):
        return (dtype.get("config") or {}).get("name")
    return dtype if isinstance(dtype, str) else None


def _keras2_defaults(class_name: str, config: dict, out: Mapped) -> None:
    """Keras 2.0-era files leave out arguments whose default changed since: GRU's reset_after was False."""
    if class_name == "GRU" and "reset_after" not in config and out.layer is not None:
        out.layer["reset_after"] = False


def _value(key: str, value: Any, class_name: str, out: Mapped, name: str, place: str) -> Any:
    if key == "activation" or key == "recurrent_activation":
        return _activation(value, out, name, class_name, place)
    if key == "axis" and isinstance(value, list) and len(value) == 1 and class_name in ("BatchNormalization",):
        return value[0]  # Keras 2 stores BatchNormalization's axis as a one-item list
    if isinstance(value, dict) and "class_name" in value:  # a serialized object where the spec wants a value
        out.errors.append(codes.LAYER_NOT_IMPORTABLE(
            f"layer {name!r} ({class_name}, {place}): argument {key} is a {value['class_name']} object",
            layer=name))
    return value


# Registered custom functions (their "package>name") that compute a spec activation (spec.base.FUNCTION_ACTIVATIONS).
# KerasHub registers gelu_approximate under keras_hub and, for files saved by KerasNLP, keras_nlp; Keras 3 saves it as
# {"module": "builtins", "class_name": "function", "config": "keras_hub>gelu_approximate"}, Keras 2 as the string.
REGISTERED_ACTIVATIONS = {"keras_hub>gelu_approximate": "gelu_approximate",
                          "keras_nlp>gelu_approximate": "gelu_approximate"}


def _activation(value: Any, out: Mapped, name: str, class_name: str, place: str) -> Any:
    """Keras serializes a built-in activation as its name; a dict is a custom or parametrized function."""
    if isinstance(value, str) and value in REGISTERED_ACTIVATIONS:
        return REGISTERED_ACTIVATIONS[value]
    if isinstance(value, dict):
        inner = value.get("config")
        if value.get("module") == "keras.activations" and isinstance(inner, str):
            return inner
        if value.get("class_name") == "function" and inner in REGISTERED_ACTIVATIONS:
            return REGISTERED_ACTIVATIONS[inner]
        out.errors.append(codes.LAYER_NOT_IMPORTABLE(
            f"layer {name!r} ({class_name}, {place}): its activation is the custom function "
            f"{value.get('class_name')!r} from {value.get('module')!r}", layer=name,
            hint="a spec names one of Keras's built-in activations"))
        return None
    return value


def _wrapped(value: Any, out: Mapped, name: str, place: str, saved: bool) -> None:
    """The layer inside TimeDistributed / Bidirectional, mapped the same way."""
    if not isinstance(value, dict):
        out.errors.append(codes.LAYER_NOT_IMPORTABLE(f"layer {name!r} ({place}): its wrapped layer is missing",
                                                     layer=name))
        return
    config = value.get("config") or {}
    inner = map_layer(str(value.get("class_name")), config, str(config.get("name") or name),
                      f"the layer inside {name!r} ({place})", value.get("module"), saved)
    out.errors += inner.errors
    out.left_out.update({f"layer.{k}": v for k, v in inner.left_out.items()})
    if inner.layer is not None:
        inner.layer.pop("name", None)  # Keras names the wrapped layer itself; the spec's wrapper has the name
        inner.layer.pop("trainable", None)
        out.layer["layer"] = inner.layer


def _mirrors(backward: Any, forward: Any) -> bool:
    """Whether Bidirectional's backward layer is the forward layer's copy reading the other way (what Keras builds
    when no backward_layer is given, and what Keras 3 saves anyway); names and training-only settings aside."""
    if not (isinstance(backward, dict) and isinstance(forward, dict)) or \
            backward.get("class_name") != forward.get("class_name"):
        return False
    back, fore = backward.get("config") or {}, forward.get("config") or {}
    if bool(back.get("go_backwards")) == bool(fore.get("go_backwards")):
        return False
    keys = (set(back) | set(fore)) - {"name", "go_backwards", "build_config"}
    return all(_unshared(back.get(k)) == _unshared(fore.get(k)) for k in keys if not TRAINING_ONLY.search(k))


def _unshared(value: Any) -> Any:
    """A serialized value without Keras's shared_object_id (an id() the saver adds to objects it meets twice)."""
    if isinstance(value, dict):
        return {k: _unshared(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_unshared(v) for v in value]
    return value


def _not_importable(class_name: str, name: str, place: str, module: Optional[str]) -> Diagnostic:
    origin = f" from {module!r}" if module and module not in ("keras.layers", "keras") else ""
    what = "a Lambda layer (arbitrary Python code)" if class_name == "Lambda" else \
        f"class {class_name!r}{origin}, which is not a layer type specbridge knows"
    hint = ("specbridge imports Keras's built-in layer types (docs/layers.md); a custom layer has no spec "
            "equivalent, so no spec is written")
    if module and module.startswith("keras.src.ops"):
        what = f"the operation {class_name!r}{origin} (a keras.ops call), which has no spec op node (docs/layers.md)"
        hint = ("express it with the spec's ops or layers; the masks Keras computes itself (Embedding(mask_zero=True), "
                "Masking, the merges) are left out, since a spec carries them implicitly")
    return codes.LAYER_NOT_IMPORTABLE(f"layer {name!r} at {place} is {what}", layer=name, hint=hint)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
