"""Every difference from Keras the differential test accepts, in one place, each with its reason.

`deliberate`: specbridge differs on purpose (docs/reliability.md, "Deliberate differences from Keras").
`open`: a bug with a known root cause, not fixed yet; when it is fixed, its entry goes (the test then fails on
a regression) and the minimal spec becomes a fixture in fixtures/valid or fixtures/invalid.
A difference no entry matches fails the test (and the campaign lists it under "unexplained").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from .referee import Difference, Outcome


@dataclass(frozen=True)
class Known:
    id: str
    status: str  # deliberate | open | upstream (a bug of TensorFlow/Keras itself)
    reason: str
    matches: Callable[[Outcome, Difference], bool]
    repro: str = ""  # a minimal spec (JSON), for open entries


def _int_input(o: Outcome) -> bool:
    header = o.spec.get("inputs") or [o.spec.get("input", {})]
    return any(str(i.get("dtype", "float32")).startswith(("int", "uint")) for i in header)


def _null_input(o: Outcome) -> bool:
    header = o.spec.get("inputs") or [o.spec.get("input", {})]
    return any(d is None for i in header for d in i.get("shape", []))


def _refuses(code: str, words: str = "") -> Callable[[Outcome, Difference], bool]:
    return lambda o, d: d.what == "verdict" and f"specbridge refuses ({code} " in d.detail and words in d.detail


def _keras_refuses(words: str, layer_type: Optional[str] = None) -> Callable[[Outcome, Difference], bool]:
    return lambda o, d: (d.what == "verdict" and "Keras refuses" in d.detail and words in d.detail
                         and layer_type in (None, d.layer_type))


KNOWN: tuple[Known, ...] = (
    # ------------------------------------------------------------------ deliberate
    Known("embedding-float-ids", "deliberate",
          "Embedding on a float input: Keras 3 casts the ids silently, PyTorch's nn.Embedding refuses them; "
          "specbridge reports SB207 (fixture invalid/embedding_float_input, rejected_by torch)",
          _refuses("SB207")),
    Known("pytorch-assertions", "deliberate",
          "in_channels / in_features / input_size are PyTorch-style assertions Keras does not have: a wrong one "
          "is SB203 in specbridge while Keras ignores it (fixtures invalid/conv_in_channels, linear_in_features)",
          _refuses("SB203")),
    Known("concatenate-batch-axis", "deliberate",
          "Concatenate on the batch axis (axis 0 or -rank): Keras builds it, but it joins samples, not features; "
          "specbridge reports SB210",
          _refuses("SB210", "is the batch axis")),
    Known("null-dim-at-run-time", "deliberate",
          "the check is static: with a null (unknown) input dimension Keras accepts the model at build time and "
          "only the data decides (the campaign runs it with size 6); specbridge accepts what can be valid",
          lambda o, d: (d.what == "verdict" and o.specbridge_ok and o.keras_stage == "run" and _null_input(o)
                        and not _int_input(o))),
    Known("dropout-noise-shape", "deliberate",
          "Dropout noise_shape whose mask does not broadcast to the input: Keras builds it and runs "
          "it in inference, but training fails; specbridge reports SB210",
          lambda o, d: d.what == "verdict" and "noise_shape" in d.detail and "SB210" in d.detail),
    Known("int-input-refused", "deliberate",
          "an integer input into a layer that computes in floating point: some Keras layers cast it silently "
          "(LeakyReLU), others fail at run time, and the PyTorch translation refuses it; specbridge reports SB212",
          _refuses("SB212")),
    Known("glu-halves-last-axis", "deliberate",
          "activation glu: Keras's symbolic shape keeps the last axis but the op halves it; specbridge follows "
          "what the model computes (docs/reliability.md, deliberate differences)",
          lambda o, d: d.what == "shape" and '"glu"' in str(o.spec).replace("'", '"')),
    Known("null-dim-torch-run", "deliberate",
          "with a null input dim, the size the run picks (6) can shrink a pooling/convolution window below its "
          "size: Keras returns an empty tensor, PyTorch raises; only the data decides",
          lambda o, d: d.what == "torch" and _null_input(o) and ("too small" in d.detail or "can't be greater" in d.detail)),
    Known("image-layer-on-rank-3", "deliberate",
          "an image augmentation layer (RandomFlip, ..., RandomCrop) on a rank-3 input: Keras takes it for one "
          "unbatched image whose height is the batch axis; specbridge reports SB200 (docs/reliability.md)",
          lambda o, d: (d.what == "verdict" and d.layer_type.startswith("Random")
                        and "specbridge refuses (SB200 " in d.detail and "found ndim=3" in d.detail)),
    Known("random-crop-uncropped-at-inference", "upstream",
          "Keras 3.15 builds the layers after a RandomCrop for (height, width) but returns the image uncropped at "
          "inference (keras-team/keras#21868), so a layer that needs that size fails when the model runs; "
          "specbridge follows the build (explain says it; the PyTorch and ONNX emitters refuse it)",
          lambda o, d: (d.what == "verdict" and o.specbridge_ok and o.keras_stage == "run"
                        and "RandomCrop" in json.dumps(o.spec))),
    Known("tensorflow-channels-first-bias", "upstream",
          "TensorFlow 2.21 CPU computes some channels_first convolutions with a bias wrongly; the cross-check's "
          "NumPy reference agrees with PyTorch, so the difference is TensorFlow's (docs/reliability.md)",
          lambda o, d: d.what == "crosscheck" and d.detail.endswith("agrees with: pytorch")),
    # ------------------------------------------------------------------ open (issue 6 point 8)
    Known("int-input-accepted", "open",
          "an integer input that specbridge accepts but Keras fails on at run time (or the emitted PyTorch op "
          "has no integer kernel): the layers SB212 does not cover yet",
          lambda o, d: _int_input(o) and (
              d.what == "verdict" and o.specbridge_ok or d.what == "torch" and "not implemented for" in d.detail),
          '{"specbridge": 1, "name": "r", "input": {"shape": [4], "dtype": "int32"}, "layers": [{"type": "RepeatVector", '
          '"n": 2}, {"type": "MaxPooling1D"}]}'),
    Known("timedistributed-inner-rank", "open",
          "TimeDistributed does not check the wrapped layer's input rank in Keras 3: TimeDistributed("
          "GlobalMaxPooling1D) on (batch, time, a, b, c, channels) builds and runs (the inner layer reduces axis 1 of "
          "its rank-5 input); specbridge refuses it with SB200. Found by the campaign, shrunk by Hypothesis",
          lambda o, d: d.what == "verdict" and d.layer_type.startswith("TimeDistributed(") and "SB200" in d.detail,
          '{"specbridge": 1, "name": "r", "input": {"shape": [4, null, null, null, 4]}, "layers": [{"type": '
          '"TimeDistributed", "layer": {"type": "GlobalMaxPooling1D"}}]}'),
    Known("bidirectional-merge-none", "deliberate",
          "Bidirectional merge_mode null makes Keras return two tensors; a spec layer has one output, so "
          "specbridge reports SB210 (Keras builds it, and a following layer reads the list)",
          lambda o, d: d.what == "verdict" and "needs a merged output" in d.detail),
)


def explain(outcome: Outcome, difference: Difference) -> Optional[Known]:
    """The first entry that accounts for a difference, or None (an unexplained difference: a new bug)."""
    return next((k for k in KNOWN if k.matches(outcome, difference)), None)


def unexplained(outcome: Outcome) -> list[Difference]:
    return [d for d in outcome.differences if explain(outcome, d) is None]
