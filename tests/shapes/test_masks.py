"""Keras's implicit masks against real Keras 3: every type's MASKING trait, the masks of generated functional models
layer by layer, and the masks a layer cannot use (Keras fails when the model runs, specbridge reports it there).

The models (tests/shapes/_mask_models.py) start from Embedding(mask_zero=True), Masking or an unmasked tensor and
chain every layer type that keeps, drops or reads masks: recurrent layers (return_sequences, go_backwards,
zero_output_for_mask), Bidirectional, merges and Concatenate on each axis with one or all inputs masked, Dot,
attention layers (self, cross, key, causal, grids), TimeDistributed, keras.ops calls.
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from _keras_multi import keras_layer
from _mask_models import BATCH, all_cases, data_for
from differential.keras_build import build_keras_tensors

from specbridge.check import check_text
from specbridge.shapes.masks import takes_mask
from specbridge.spec.catalog import all_classes, layer_class

pytestmark = [pytest.mark.keras, pytest.mark.filterwarnings("ignore:.*does not support masking"),
              pytest.mark.filterwarnings("ignore:The structure of `inputs`")]

SEQ, IMG, VOL = (6, 4), (6, 6, 3), (4, 4, 4, 2)
# One valid Keras configuration per catalog type (the tensor ops of spec/layers/ops.py are keras.ops functions, not
# layers): (arguments, input shapes). A type missing here fails test_masking_trait_agrees_with_keras.
CONFIGS: dict[str, tuple[dict, list]] = {
    "Conv1D": ({"filters": 2, "kernel_size": 3}, [SEQ]),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, [IMG]),
    "Conv3D": ({"filters": 2, "kernel_size": 3}, [VOL]),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, [SEQ]),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3}, [IMG]),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 3}, [VOL]),
    "DepthwiseConv1D": ({"kernel_size": 3}, [SEQ]),
    "DepthwiseConv2D": ({"kernel_size": 3}, [IMG]),
    "SeparableConv1D": ({"filters": 2, "kernel_size": 3}, [SEQ]),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, [IMG]),
    "MaxPooling1D": ({}, [SEQ]), "MaxPooling2D": ({}, [IMG]), "MaxPooling3D": ({}, [VOL]),
    "AveragePooling1D": ({"pool_size": 2}, [SEQ]), "AveragePooling2D": ({"pool_size": 2}, [IMG]),
    "AveragePooling3D": ({"pool_size": 2}, [VOL]),
    "GlobalMaxPooling1D": ({}, [SEQ]), "GlobalMaxPooling2D": ({}, [IMG]), "GlobalMaxPooling3D": ({}, [VOL]),
    "GlobalAveragePooling1D": ({}, [SEQ]), "GlobalAveragePooling2D": ({}, [IMG]),
    "GlobalAveragePooling3D": ({}, [VOL]),
    "Dense": ({"units": 3}, [SEQ]),
    "EinsumDense": ({"equation": "abc,cd->abd", "output_shape": [6, 3]}, [SEQ]),
    "Embedding": ({"input_dim": 10, "output_dim": 3, "mask_zero": True}, [(6,)]),
    "Masking": ({}, [SEQ]),
    "Dropout": ({"rate": 0.5}, [SEQ]),
    "SpatialDropout1D": ({"rate": 0.5}, [SEQ]), "SpatialDropout2D": ({"rate": 0.5}, [IMG]),
    "SpatialDropout3D": ({"rate": 0.5}, [VOL]),
    "Activation": ({"activation": "relu"}, [SEQ]), "ReLU": ({}, [SEQ]), "LeakyReLU": ({}, [SEQ]),
    "ELU": ({}, [SEQ]), "PReLU": ({}, [SEQ]), "Softmax": ({}, [SEQ]), "Identity": ({}, [SEQ]),
    "BatchNormalization": ({}, [SEQ]), "LayerNormalization": ({}, [SEQ]),
    "GroupNormalization": ({"groups": 2}, [SEQ]), "UnitNormalization": ({}, [SEQ]), "RMSNormalization": ({}, [SEQ]),
    "ZeroPadding1D": ({}, [SEQ]), "ZeroPadding2D": ({}, [IMG]), "ZeroPadding3D": ({}, [VOL]),
    "Cropping1D": ({"cropping": 1}, [SEQ]), "Cropping2D": ({"cropping": 1}, [IMG]),
    "Cropping3D": ({"cropping": 1}, [VOL]),
    "UpSampling1D": ({}, [SEQ]), "UpSampling2D": ({}, [IMG]), "UpSampling3D": ({}, [VOL]),
    "Flatten": ({}, [SEQ]), "Reshape": ({"target_shape": [24]}, [SEQ]), "Permute": ({"dims": [2, 1]}, [SEQ]),
    "RepeatVector": ({"n": 2}, [(4,)]),
    "SimpleRNN": ({"units": 3}, [SEQ]), "LSTM": ({"units": 3}, [SEQ]), "GRU": ({"units": 3}, [SEQ]),
    "Bidirectional": ({"layer": {"type": "LSTM", "units": 3}}, [SEQ]),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 3}, [(3, 6, 2)]),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 3}, [(3, 6, 6, 2)]),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 3}, [(3, 4, 4, 4, 2)]),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 2}, [SEQ, SEQ]),
    "GroupQueryAttention": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, [SEQ, SEQ]),
    "Attention": ({}, [SEQ, SEQ]), "AdditiveAttention": ({}, [SEQ, SEQ]),
    "Concatenate": ({}, [SEQ, SEQ]), "Add": ({}, [SEQ, SEQ]), "Subtract": ({}, [SEQ, SEQ]),
    "Multiply": ({}, [SEQ, SEQ]), "Average": ({}, [SEQ, SEQ]), "Maximum": ({}, [SEQ, SEQ]),
    "Minimum": ({}, [SEQ, SEQ]), "Dot": ({"axes": 2}, [SEQ, SEQ]),
    "Rescaling": ({"scale": 2.0}, [SEQ]), "Normalization": ({"mean": 0.0, "variance": 1.0}, [SEQ]),
    "RandomFlip": ({}, [IMG]), "RandomRotation": ({"factor": 0.1}, [IMG]),
    "RandomZoom": ({"height_factor": 0.1}, [IMG]), "RandomContrast": ({"factor": 0.1}, [IMG]),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1}, [IMG]),
    "RandomCrop": ({"height": 4, "width": 4}, [IMG]), "Resizing": ({"height": 4, "width": 4}, [IMG]),
    "CenterCrop": ({"height": 4, "width": 4}, [IMG]),
    "TimeDistributed": ({"layer": {"type": "Dense", "units": 3}}, [SEQ]),
}
# Types whose Keras call takes `mask` but whose output at inference does not depend on it: declared "keeps", and
# shapes/masks.takes_mask checks the mask they are given.
TAKES_MASK_BUT_KEEPS = {
    "BatchNormalization": "uses the mask in training only, for the batch moments (and checks its rank at every call)",
    "TimeDistributed": "hands each step's mask to its layer, which reads it if that layer reads masks",
}
# Types whose call reads its inputs' masks itself (backend.get_keras_mask), with no mask argument: a masked position
# never wins (Maximum, Minimum) or counts as 1 (Multiply).
READS_WITHOUT_A_MASK_ARGUMENT = {"Multiply", "Maximum", "Minimum"}
LAYER_TYPES = [cls for cls in all_classes() if cls.FAMILY != "ops"]


def _call(layer, cls, tensors):
    if cls.CALL.as_list:
        return layer(tensors)
    return layer(*tensors)


def _call_takes_mask(layer, cls) -> bool:
    """Whether Keras's Layer.__call__ hands the call a mask: a `mask` argument, or `<tensor>_mask` per tensor
    argument (MultiHeadAttention's query_mask, value_mask, key_mask)."""
    parameters = inspect.signature(type(layer).call).parameters
    return "mask" in parameters or any(f"{t}_mask" in parameters for t in cls.CALL.tensors)


def _values_read_the_mask(keras, cls, layer, shapes) -> bool:
    """Whether the layer's output depends on its inputs' masks: Masking on each input (the first masked on its last
    steps, the second on its first ones, those steps 0 already, so that Masking changes no value) against the same
    inputs unmasked, the same layer object (its weights) in both. A call that fails with the masks reads them too.
    Multiply, Maximum and Minimum read them without a mask argument (backend.get_keras_mask of their inputs)."""
    rng = np.random.default_rng(0)
    data = []
    for i, shape in enumerate(shapes):
        x = rng.normal(size=(3, *shape)).astype("float32")
        steps = slice(shape[0] // 2, None) if i % 2 == 0 else slice(None, shape[0] // 3)
        x[1:, steps] = 0
        data.append(x)

    def run(masked: bool):
        tensors = [keras.Input(shape) for shape in shapes]
        fed = [keras.layers.Masking()(t) for t in tensors] if masked else tensors
        model = keras.Model(tensors, _call(layer, cls, fed))
        return model.predict(data[0] if len(data) == 1 else data, verbose=0)

    plain = run(False)
    try:
        masked = run(True)
    except Exception:  # whatever Keras raises: it read the mask and refused it
        return True
    return not np.allclose(masked, plain, atol=1e-6)


@pytest.mark.parametrize("cls", LAYER_TYPES, ids=lambda c: c.type_names()[0])
def test_masking_trait_agrees_with_keras(keras, cls):
    """drops: no mask support; makes: a mask from an unmasked input; reads: the output's values depend on the mask;
    keeps: the rest (the output carries the input's mask, its values do not depend on it)."""
    name = cls.type_names()[0]
    assert name in CONFIGS, f"{name} has no Keras configuration in CONFIGS: add one to check its MASKING trait"
    args, shapes = CONFIGS[name]
    layer = keras_layer(keras, {"type": name, **args})
    dtype = "int32" if name == "Embedding" else "float32"
    output = _call(layer, cls, [keras.Input(shape, dtype=dtype) for shape in shapes])
    makes = getattr(output, "_keras_mask", None) is not None
    reads = name != "Embedding" and _values_read_the_mask(keras, cls, layer, shapes)
    expected = {
        "drops": not layer.supports_masking,
        "makes": makes,
        "reads": layer.supports_masking and reads and not makes,
        "keeps": layer.supports_masking and not reads and not makes,
    }
    assert [trait for trait, holds in expected.items() if holds] == [cls.MASKING], expected
    spec_layer = layer_class(name).model_validate({"type": name, **args})
    # the layers whose mask shapes/masks.check_read checks: those Keras hands a mask argument
    assert takes_mask(spec_layer) == (_call_takes_mask(layer, cls) or name in READS_WITHOUT_A_MASK_ARGUMENT)
    if name in TAKES_MASK_BUT_KEEPS:
        assert _call_takes_mask(layer, cls) and cls.MASKING == "keeps"


# Types without mask support whose output at inference is their input tensor itself, which still carries the mask:
# the symbolic build drops it, the run passes it on (and the layers after them read it); shapes/masks.py follows the
# run. ops.cast to the tensor's own dtype is the same (tf.cast returns the tensor).
RUN_PASSES_MASKS = {"RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "RandomCrop",
                    "ops.cast"}


def runtime_masks(keras, spec: dict, result) -> dict:
    """{layer: the shape of the mask its output carries when the model runs (training=False), or None}, from an
    eager call of the model returning every layer's output; raises what Keras raises."""
    _, _, tensors = build_keras_tensors(keras, result.document)
    names = [r.name for r in result.records]
    inputs = [tensors[i["name"]] for i in spec["inputs"]]
    model = keras.Model(inputs, [tensors[n] for n in names])
    outputs = model(data_for(spec), training=False)
    return {n: _keras_mask(o) for n, o in zip(names, outputs, strict=True)}


def _masked_spec(name: str, args: dict, shapes: list) -> dict:
    """Masking on each input (0 on the masked steps), then the layer under test."""
    inputs = [{"name": f"x{i}", "shape": list(s)} for i, s in enumerate(shapes)]
    masking = [{"name": f"m{i}", "type": "Masking", "inputs": [f"x{i}"]} for i in range(len(shapes))]
    layer = {"name": "layer", "type": name, **args, "inputs": [m["name"] for m in masking]}
    return {"specbridge": 1, "name": "masked", "inputs": inputs, "layers": [*masking, layer], "outputs": ["layer"]}


@pytest.mark.parametrize("cls", [c for c in LAYER_TYPES if c.type_names()[0] != "Embedding"],
                         ids=lambda c: c.type_names()[0])
def test_each_type_passes_masks_on_as_the_run_does(keras, cls):
    """A masked input, the model run at inference: the output's mask (or Keras's failure) is specbridge's."""
    name = cls.type_names()[0]
    args, shapes = CONFIGS[name]
    spec = _masked_spec(name, args, shapes)
    result = check_text(json.dumps(spec), lint=False)
    try:
        theirs = runtime_masks(keras, spec, result)
    except Exception as exc:  # whatever Keras raises
        assert not result.ok, f"Keras fails where specbridge is silent: {exc}"
        assert [e.layer for e in result.errors] == ["layer"]
        return
    assert result.ok, [d.message for d in result.errors]
    # the layer's output only: MultiHeadAttention's call deletes the masks of the tensors it reads (set_keras_mask
    # None), so after the run the Masking outputs no longer show theirs
    assert _our_mask(result.records[-1]) == theirs["layer"]
    if name in RUN_PASSES_MASKS:  # what the symbolic build drops and the run passes on
        assert theirs["layer"] is not None and not keras_layer(keras, {"type": name, **args}).supports_masking


def test_a_cast_to_the_same_dtype_keeps_the_mask_when_the_model_runs(keras):
    for dtype, kept in (("float32", True), ("float16", False), ("int32", False)):
        spec = _masked_spec("ops.cast", {"dtype": dtype}, [SEQ])
        result = check_text(json.dumps(spec), lint=False)
        assert runtime_masks(keras, spec, result)["layer"] == ((6,) if kept else None)
        assert _our_mask(result.records[-1]) == ((6,) if kept else None)


def test_embedding_supports_masking_only_with_mask_zero(keras):
    assert not keras.layers.Embedding(10, 3).supports_masking
    assert keras.layers.Embedding(10, 3, mask_zero=True).supports_masking


def test_every_config_names_a_catalog_type():
    assert set(CONFIGS) == {cls.type_names()[0] for cls in LAYER_TYPES}


# ---------------------------------------------------------------- the sweep: masks layer by layer

CASES = all_cases()


def _keras_mask(tensor):
    mask = getattr(tensor, "_keras_mask", None)
    return None if mask is None else tuple(mask.shape[1:])


def _our_mask(record):
    return None if record.output.mask is None else tuple(record.output.mask.shape)


@pytest.mark.parametrize("spec", [spec for _, spec in CASES], ids=[name for name, _ in CASES])
def test_masks_match_keras_layer_by_layer(keras, spec):
    """The symbolic build's `_keras_mask` of every layer; where a layer passes masks on only when the model runs
    (RUN_PASSES_MASKS), the run's."""
    result = check_text(json.dumps(spec), lint=False)
    assert result.records, [d.message for d in result.diagnostics]
    ours = {r.name: _our_mask(r) for r in result.records}
    if any(layer["type"] in RUN_PASSES_MASKS for layer in spec["layers"]):
        theirs = runtime_masks(keras, spec, result)
    else:
        _, _, tensors = build_keras_tensors(keras, result.document)
        theirs = {r.name: _keras_mask(tensors[r.name]) for r in result.records}
    assert ours == theirs
    if result.ok:
        assert len(result.records) == len(result.document.entries)


def test_the_sweep_is_large_and_covers_every_kind_of_mask():
    kinds = {layer["type"] for _, spec in CASES for layer in spec["layers"]}
    assert len(CASES) > 800
    for kind in ("Embedding", "Masking", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "ConvLSTM1D", "Concatenate",
                 "Add", "Dot", "GlobalAveragePooling1D", "MultiHeadAttention", "GroupQueryAttention", "Attention",
                 "AdditiveAttention", "TimeDistributed", "ops.multiply", "BatchNormalization"):
        assert kind in kinds, kind


# ---------------------------------------------------------------- the same models run on data

def _run_signature(result) -> tuple:
    """What decides whether Keras runs a model with masks: every layer whose call takes a mask, with its
    configuration and the shapes and mask shapes of its inputs, and specbridge's verdict. Models that differ only in
    the layers that keep or drop masks run alike, so each signature runs once."""
    tensors = {**result.graph.inputs, **{r.name: r.output for r in result.records}}
    readers = []
    for entry in result.ordered_entries():
        ins = [tensors.get(n) for n in result.graph.edges[entry.index]]
        if takes_mask(entry.layer) and any(t is not None and t.mask is not None for t in ins):
            readers.append((json.dumps(entry.layer.model_dump(exclude={"name"}), sort_keys=True, default=str),
                            tuple(None if t is None else (t.shape, t.mask and t.mask.shape) for t in ins)))
    return tuple(readers), tuple((d.layer, d.code) for d in result.errors)


def _runs() -> list[tuple[str, dict]]:
    seen, out = set(), []
    for name, spec in CASES:
        signature = _run_signature(check_text(json.dumps(spec), lint=False))
        if signature not in seen:
            seen.add(signature)
            out.append((name, spec))
    return out


RUNS = _runs()


def keras_run(keras, spec: dict):
    """The exception Keras raises building `spec` or predicting on a batch of BATCH samples, or None."""
    result = check_text(json.dumps(spec), lint=False)
    try:
        model, _, _ = build_keras_tensors(keras, result.document)
        model.predict(data_for(spec), batch_size=BATCH, verbose=0)
    except Exception as exc:  # whatever Keras raises
        return exc
    return None


@pytest.mark.slow
@pytest.mark.parametrize("spec", [spec for _, spec in RUNS], ids=[name for name, _ in RUNS])
def test_keras_runs_exactly_the_models_specbridge_accepts(keras, spec):
    result = check_text(json.dumps(spec), lint=False)
    failure = keras_run(keras, spec)
    if result.ok:
        assert failure is None, f"Keras fails where specbridge is silent: {failure}"
    else:
        assert failure is not None, f"Keras runs what specbridge refuses: {[d.message for d in result.errors]}"


def test_the_runs_cover_refusals_and_acceptances():
    verdicts = [check_text(json.dumps(spec), lint=False).ok for _, spec in RUNS]
    assert 20 < verdicts.count(False) < verdicts.count(True)


# ---------------------------------------------------------------- masks a layer cannot use: located refusals


def _seq(*layers, source: str = "emb") -> dict:
    from _mask_models import chain

    return chain(source, list(layers))


TD_RESHAPE = {"type": "TimeDistributed", "layer": {"type": "Reshape", "target_shape": [2, 2]}}
TD_FLATTEN = {"type": "TimeDistributed", "layer": {"type": "Flatten"}}
# (spec, the layer specbridge blames, the start of its message); each layer is named l0, l1, ... after the source.
REFUSALS = {
    "softmax-after-masked-dense": (_seq({"type": "Dense", "units": 5}, {"type": "Softmax"}), "l1",
                                   "Softmax reads the mask of 'src'"),
    # as many units as steps: the axes line up in the symbolic build, and the batch axis does not when it runs
    "softmax-after-dense-of-steps-units": (_seq({"type": "Dense", "units": 7}, {"type": "Softmax"}), "l1",
                                           "Softmax reads the mask of 'src'"),
    "softmax-after-masking": (_seq({"type": "Softmax"}, source="masking"), "l0", "Softmax reads"),
    "softmax-on-a-vector": (_seq({"type": "Dense", "units": 3}, {"type": "Softmax"}, source="masking1d"), "l1",
                            "Softmax reads"),
    # Concatenate on its last axis with one unmasked input: Keras's mask is true everywhere, and Softmax fails
    "softmax-after-partly-masked-concatenate": (None, "l1", "Softmax reads the mask of 'm'"),
    "lstm-after-td-flatten": (_seq(TD_FLATTEN, {"type": "LSTM", "units": 2}, source="emb2d"), "l1",
                              "LSTM reads a mask of its 5 steps, the rest lined up with each step's output (None, 2)"),
    "gap-channels-first": (_seq({"type": "GlobalAveragePooling1D", "data_format": "channels_first"}), "l0",
                           "GlobalAveragePooling1D reads a (batch, steps) mask (None, 4)"),
    "batchnorm-after-td-flatten": (_seq(TD_FLATTEN, {"type": "BatchNormalization"}, source="masking2d"), "l1",
                                   "BatchNormalization checks that its mask has one axis fewer"),
    "td-lstm-on-reshaped-steps": (_seq(TD_RESHAPE, {"type": "TimeDistributed", "layer": {"type": "LSTM", "units": 2}}),
                                  "l1", "TimeDistributed hands its LSTM each time step's mask"),
    "mha-on-grid": (_seq({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "self": True}, source="emb2d"),
                    "l0", "MultiHeadAttention reads the mask of 'src', (None, 5, 3)"),
    "attention-on-grid": (_seq({"type": "Attention", "self": True}, source="masking2d"), "l0",
                          "Attention reads the mask of 'src'"),
    # each position's mask against a ConvLSTM1D output of 2 positions
    "conv-lstm-on-masked-grid": (_seq({"type": "ConvLSTM1D", "filters": 2, "kernel_size": 2}, source="masking2d"),
                                 "l0", "ConvLSTM1D reads a mask of its 5 steps, the rest lined up with each step's "
                                       "output (None, 2, 2)"),
}


def _partly_masked_concatenate() -> dict:
    from _mask_models import PLAIN, with_others

    layers = [{"name": "m", "type": "Concatenate", "inputs": ["src", "plain"]},
              {"name": "l1", "type": "Softmax", "inputs": ["m"]}]
    return with_others("emb", [PLAIN], layers)


def _refusal(name: str):
    spec, layer, message = REFUSALS[name]
    return (spec or _partly_masked_concatenate()), layer, message


@pytest.mark.parametrize("name", list(REFUSALS))
def test_keras_fails_at_the_layer_specbridge_refuses(keras, name):
    spec, blamed, message = _refusal(name)
    result = check_text(json.dumps(spec), lint=False)
    (error,) = result.errors
    assert (error.code, error.layer) == ("SB204", blamed)
    assert error.message.startswith(message), error.message
    assert "Keras fails when the model runs" in error.message
    # Keras: the model up to the blamed layer's inputs runs, the model up to the blamed layer does not
    cut = [layer["name"] for layer in spec["layers"]].index(blamed)
    read = list(dict.fromkeys(spec["layers"][cut]["inputs"]))
    assert keras_run(keras, dict(spec, layers=spec["layers"][:cut], outputs=read)) is None
    assert keras_run(keras, dict(spec, layers=spec["layers"][:cut + 1], outputs=[blamed])) is not None


def test_the_same_models_without_the_mask_run(keras):
    """The refusals are the masks': with Embedding(mask_zero=False) the same layers run in Keras and check."""
    for name in ("softmax-after-masked-dense", "lstm-after-td-flatten", "mha-on-grid", "td-lstm-on-reshaped-steps"):
        spec, _, _ = _refusal(name)
        for layer in spec["layers"]:
            if layer["type"] == "Embedding":
                layer["mask_zero"] = False
        assert check_text(json.dumps(spec), lint=False).ok, name
        assert keras_run(keras, spec) is None, name
