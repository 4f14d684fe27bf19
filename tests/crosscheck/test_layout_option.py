"""The cross-check in both input/output layouts (specbridge/layouts.py): it feeds each model the layout that model
declares (a torch module's INPUT_LAYOUT, an ONNX model's metadata) and reads each output back into Keras's."""

from __future__ import annotations

import pytest
from crosscheck_helpers import checked, spec_text

from specbridge.crosscheck import build_pair, run_crosscheck

SPECS = {
    "rescaled_image": ([8, 8, 3], [{"type": "Rescaling", "name": "scale", "scale": 0.5},
                                   {"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3},
                                   {"type": "Normalization", "name": "norm", "mean": 0.5, "variance": 2.0}]),
    "signal": ([16, 2], [{"type": "Dropout", "name": "drop", "rate": 0.1},
                         {"type": "Conv1D", "name": "conv", "filters": 3, "kernel_size": 3}]),
    "sequence": ([10, 3], [{"type": "LSTM", "name": "lstm", "units": 4, "return_sequences": True}]),
}


@pytest.mark.parametrize("layout", ["torch", "keras"])
@pytest.mark.parametrize("case", list(SPECS))
def test_every_backend_agrees_in_both_layouts(keras, torch, onnxruntime, case, layout):
    shape, layers = SPECS[case]
    result = checked(spec_text(shape, layers))
    report = run_crosscheck(result, layout=layout)
    assert report.backends == ["keras", "pytorch", "onnx"] and not report.unavailable
    assert report.ok, report.to_dict()


def test_the_pytorch_model_compared_is_in_the_layout_asked_for(keras, torch):
    result = checked(spec_text(*SPECS["rescaled_image"]))
    assert type(build_pair(result, "float32", 0, layout="torch")[1]).INPUT_LAYOUT == {"input_layer": "channels_first"}
    assert type(build_pair(result, "float32", 0, layout="keras")[1]).INPUT_LAYOUT == {"input_layer": "keras"}
