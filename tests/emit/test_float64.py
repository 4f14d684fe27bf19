"""Every layer case of test_layers.py, cross-checked in float64 by specbridge.crosscheck: there, equivalent models
agree to ~1e-12, so a larger gap is a real difference, not rounding.

A few gaps are TensorFlow's own float64 arithmetic, not translation bugs; each is listed with its cause and held
to its own bound, so a regression beyond what TensorFlow explains still fails.

ONNX runs in onnxruntime where it has float64 kernels. Where it has none (onnx_float64.ORT_NO_FLOAT64, each op
proven below), the float64 ONNX model runs in onnx.reference.ReferenceEvaluator against the framework's float64
output instead; the few cases ReferenceEvaluator cannot compute (REFERENCE_LIMITED) are float32-only for ONNX.
"""

from __future__ import annotations

from typing import Optional

import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck import run_crosscheck
from specbridge.crosscheck.backends import BackendError
from specbridge.crosscheck.run import DEFAULT_TOLERANCES

from .onnx_float64 import (
    ORT_NO_FLOAT64,
    REFERENCE_LIMITS,
    float64_model,
    no_kernel_op,
    one_node_model,
    reference_error,
    reference_limit,
)
from .test_layers import CASES, ONNX_REFUSES, TORCH_REFUSES, case_text

# case -> (max abs error allowed, why TensorFlow differs)
TENSORFLOW_FLOAT64_GAPS = {
    "upsampling2d_bilinear": (1e-6, "TF's resize kernels interpolate in float32 even for float64 tensors"),
    # Resizing and CenterCrop's smart_resize: Keras resizes in float32 whatever the model's dtype, and so do the
    # translations (as TF does); two float32 interpolations differ by float32 rounding, not by float64's.
    **{case: (1e-5, "tf.image.resize computes in float32 for float64 images (so do the translations)") for case in (
        "resizing_bilinear_up", "resizing_bilinear_antialias_down", "resizing_bicubic_antialias_pad",
        "resizing_crop_then_dense", "resizing_unknown_size", "center_crop_smaller_then_dense",
        "center_crop_channels_first_uint8")},
}
# TF on CPU has no float64 kernel for these at all: Keras is not in their float64 check, PyTorch and ONNX are.
NO_FLOAT64_KERNEL = {"avgpool3d_same", "maxpool3d_same"}

# case -> (max abs error allowed, why ReferenceEvaluator differs from the framework beyond float64 rounding)
REFERENCE_GAPS = {
    "activation_gelu": (1e-7, "ReferenceEvaluator's Erf (in Gelu's expansion) computes in float32: "
                              "np.vectorize(math.erf, otypes='f')"),
    "upsampling2d_bilinear": TENSORFLOW_FLOAT64_GAPS["upsampling2d_bilinear"],
}
# Cases onnxruntime cannot run in float64 and ReferenceEvaluator cannot compute (REFERENCE_LIMITS says why):
# float32-only for ONNX (test_layers.py). Each is asserted to hit its limit.
REFERENCE_LIMITED = {
    "simple_rnn_relu_sequences": "rnn_activations", "simple_rnn_elu": "rnn_activations",
    "simple_rnn_sigmoid": "rnn_activations", "simple_rnn_softsign": "rnn_activations",
    "gru_reset_before_relu": "gate_activations", "gru_relu": "gate_activations",
    "gru_softsign_leaky_relu": "gate_activations", "bidirectional_gru_hard_sigmoid": "gate_activations",
    "lstm_relu": "gate_activations", "lstm_hard_sigmoid_sequences": "gate_activations",
    "lstm_elu_linear": "gate_activations",
}


def check_onnx_float64(case: str, unavailable: Optional[str], backend: str = "keras") -> None:
    """ONNX in float64: it ran in onnxruntime (unavailable is None: the cross-check compared it), or it is a listed
    refusal, or onnxruntime lacks a listed op's kernel and ReferenceEvaluator's output matches `backend`'s."""
    if unavailable is None:
        return
    if case in ONNX_REFUSES:
        assert ONNX_REFUSES[case] in unavailable, f"{case}: {unavailable}"
        return
    assert no_kernel_op(unavailable) in ORT_NO_FLOAT64, f"{case}: ONNX left out, not for a listed op: {unavailable}"
    result = check_text(case_text(case), lint=False)
    framework, model = float64_model(result, backend)
    limit = reference_limit(model)
    assert limit == REFERENCE_LIMITED.get(case), f"{case}: ReferenceEvaluator limit {limit!r}: " + (
        REFERENCE_LIMITS[limit] if limit else "none; take the case off REFERENCE_LIMITED")
    if limit is not None:
        return
    error, largest = reference_error(result, backend, framework, model)
    atol, rtol = DEFAULT_TOLERANCES["float64"]
    bound, why = REFERENCE_GAPS.get(case, (atol, ""))
    assert error <= bound + rtol * largest, f"{case}: ReferenceEvaluator differs from {backend} by {error:.3g} {why}"


@pytest.mark.parametrize("case", sorted(set(CASES) - NO_FLOAT64_KERNEL))
def test_layer_agrees_in_float64(case):
    result = check_text(case_text(case))
    bound, why = TENSORFLOW_FLOAT64_GAPS.get(case, (1e-9, ""))
    report = run_crosscheck(result, dtype="float64", atol=bound, rtol=1e-9)
    assert report.ok, f"{case}: {report.first_divergence} differs by {report.max_abs_error:.3g} (bound {bound}) {why}"
    import_framework("onnxruntime")  # without the onnx extra, no ONNX to check (a failure where it is required)
    check_onnx_float64(case, None if "onnx" in report.backends else report.unavailable["onnx"])


def _explicit(case: str, backends: list[str]) -> Optional[str]:
    """Cross-check `backends` in float64; None when ONNX ran and agreed, else why onnxruntime could not run it."""
    import_framework("onnxruntime")
    try:
        report = run_crosscheck(check_text(case_text(case), lint=False), dtype="float64", backends=backends)
    except BackendError as exc:  # only the framework could run: the message says why ONNX could not
        return str(exc)
    assert report.backends == backends and report.ok, f"{case}: {report.first_divergence} {report.max_abs_error:.3g}"
    return None


@pytest.mark.parametrize("case", sorted(set(TORCH_REFUSES) - set(ONNX_REFUSES)))
def test_layer_pytorch_cannot_express_agrees_in_float64(case):
    check_onnx_float64(case, _explicit(case, ["keras", "onnx"]))


@pytest.mark.parametrize("case", sorted(NO_FLOAT64_KERNEL))
def test_layer_without_tf_float64_kernel_agrees_with_pytorch(case):
    check_onnx_float64(case, _explicit(case, ["pytorch", "onnx"]), backend="pytorch")


@pytest.mark.parametrize("op", ORT_NO_FLOAT64)
def test_onnxruntime_lacks_float64_kernel(op):
    """The op alone runs in float32 and not in float64: ORT_NO_FLOAT64 is true of the installed onnxruntime."""
    onnxruntime = import_framework("onnxruntime")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4  # GRU and LSTM log their refusal as an error before raising it

    def run(dtype: str):
        model, feed = one_node_model(op, dtype)
        session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        return session.run(None, feed)

    run("float32")
    with pytest.raises(Exception, match=rf"implementation for {op}\(|{op} operator does not support double"):
        run("float64")
