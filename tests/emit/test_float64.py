"""Every layer case of test_layers.py, cross-checked in float64 by specbridge.crosscheck: there, equivalent models
agree to ~1e-12, so a larger gap is a real difference, not rounding.

A few gaps are TensorFlow's own float64 arithmetic, not translation bugs; each is listed with its cause and held
to its own bound, so a regression beyond what TensorFlow explains still fails.
"""

from __future__ import annotations

import pytest

from specbridge.check import check_text
from specbridge.crosscheck import run_crosscheck

from .specs import spec
from .test_layers import CASES, dtype_of

# case -> (max abs error allowed, why TensorFlow differs)
TENSORFLOW_FLOAT64_GAPS = {
    "activation_gelu": (1e-8, "tf.nn.gelu uses TF's float64 erfc, which is off by ~5e-9; torch's matches libm"),
    "upsampling2d_bilinear": (1e-6, "TF's resize kernels interpolate in float32 even for float64 tensors"),
}
# TF on CPU has no float64 kernel for these at all: they are cross-checked in float32 (test_layers.py) only.
NO_FLOAT64_KERNEL = {"avgpool3d_same", "maxpool3d_same"}


@pytest.mark.parametrize("case", sorted(set(CASES) - NO_FLOAT64_KERNEL))
def test_layer_agrees_in_float64(case):
    layers, shape = CASES[case]
    result = check_text(spec(layers, shape, dtype=dtype_of(case)))
    bound, why = TENSORFLOW_FLOAT64_GAPS.get(case, (1e-9, ""))
    report = run_crosscheck(result, dtype="float64", atol=bound, rtol=1e-9)
    assert report.ok, f"{case}: {report.first_divergence} differs by {report.max_abs_error:.3g} (bound {bound}) {why}"
