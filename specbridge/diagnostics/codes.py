"""The code registry: one entry per kind of problem, with a stable code and kebab-case name.

Codes never change meaning. SB0xx: reading and schema; SB1xx: graph structure; SB2xx: shape errors;
SB3xx: lint warnings; SB4xx: emitters and cross-check; SB5xx: importing model files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .model import Diagnostic, Location, Severity


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str

    def __call__(
        self,
        message: str,
        *,
        hint: Optional[str] = None,
        layer: Optional[str] = None,
        location: Location = Location(),
        file: Optional[str] = None,
        severity: Optional[Severity] = None,
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code, name=self.name, severity=severity or self.severity, message=message,
            hint=hint, layer=layer, location=location, file=file,
        )


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

REGISTRY: dict[str, Code] = {}


def _code(code: str, name: str, severity: Severity, summary: str) -> Code:
    entry = Code(code, name, severity, summary)
    assert code not in REGISTRY, code
    REGISTRY[code] = entry
    return entry


# --- reading and schema
INVALID_SYNTAX = _code("SB001", "invalid-syntax", E, "The file is not valid YAML or JSON.")
NOT_A_SPEC = _code("SB002", "not-a-spec", E, "The document is not a mapping with a `specbridge:` version key.")
UNSUPPORTED_VERSION = _code("SB003", "unsupported-version", E, "The `specbridge:` format version is not supported.")
INPUT_REFUSED = _code("SB004", "input-refused", E, "The input is over a limit (size, alias expansion, nesting depth): refused, exit 2.")
UNKNOWN_LAYER_TYPE = _code("SB010", "unknown-layer-type", E, "A layer `type` that specbridge does not support.")
UNKNOWN_ARGUMENT = _code("SB011", "unknown-argument", E, "An argument the layer (or the spec) does not accept.")
INVALID_VALUE = _code("SB012", "invalid-value", E, "An argument has the wrong type or is out of range.")
MISSING_ARGUMENT = _code("SB013", "missing-argument", E, "A required argument is missing.")
INVALID_SPEC = _code("SB014", "invalid-spec", E, "The spec's structure is invalid.")
# --- graph structure
DUPLICATE_NAME = _code("SB100", "duplicate-name", E, "Two layers or inputs share a name.")
UNKNOWN_REFERENCE = _code("SB101", "unknown-reference", E, "`inputs` or `outputs` names a layer that does not exist.")
CYCLE = _code("SB102", "cycle", E, "The layers' `inputs` form a cycle.")
UNUSED_LAYER = _code("SB103", "unused-layer", W, "A layer or input whose output reaches no model output.")
INPUT_COUNT = _code("SB104", "wrong-input-count", E, "A layer receives the wrong number of inputs.")
SHARED_LAYER = _code("SB105", "shared-layer-mismatch", E,
                     "A layer's `shares` names no earlier layer, or the call differs from the layer it shares "
                     "(type, arguments, an input its weights do not fit).")
# --- shapes
NDIM_MISMATCH = _code("SB200", "ndim-mismatch", E, "A layer receives a tensor of the wrong rank.")
NONPOSITIVE_SIZE = _code("SB201", "nonpositive-size", E, "An output size shrinks to zero or below.")
RESHAPE_SIZE = _code("SB202", "reshape-size-mismatch", E, "Reshape changes the number of elements.")
CHANNEL_MISMATCH = _code("SB203", "channel-mismatch", E, "in_channels / in_features / input_size differs from the input.")
MERGE_MISMATCH = _code("SB204", "merge-shape-mismatch", E, "Inputs of a merge layer have incompatible shapes.")
UNKNOWN_DIMENSION = _code("SB205", "unknown-dimension", E, "A layer needs a dimension that is unknown (null).")
STRIDE_DILATION = _code("SB206", "stride-dilation-conflict", E, "strides > 1 together with dilation_rate > 1.")
EMBEDDING_DTYPE = _code("SB207", "embedding-input-dtype", E, "Embedding reads a non-integer input.")
EXPECT_SHAPE = _code("SB208", "expect-shape-mismatch", E, "`expect.shape` differs from the inferred output shape.")
EXPECT_PARAMS = _code("SB209", "expect-params-mismatch", E, "`expect` parameter counts differ from the inferred ones.")
INVALID_ARGUMENT = _code("SB210", "invalid-argument", E, "An argument is invalid for this input (axis, padding mode, groups...).")
SIZE_OVERFLOW = _code("SB211", "size-overflow", E, "An inferred size or parameter count exceeds the int64 range.")
FLOAT_INPUT = _code("SB212", "float-input-required", E, "A layer that computes in floating point reads an integer or bool input.")
# --- lint warnings
POOL_NO_DOWNSAMPLE = _code("SB300", "pooling-no-downsample", W, "Pooling with stride 1 and 'same' padding keeps the size.")
DENSE_DOMINATES = _code("SB301", "dense-dominates-params", W, "A Dense after Flatten holds most of the model's weights.")
SUSPICIOUS_LAYOUT = _code("SB302", "suspicious-data-format", W, "The input looks laid out for the other data_format.")
ASYMMETRIC_SAME = _code("SB303", "asymmetric-same-padding", W, "Strided 'same' padding is asymmetric (PyTorch cannot pad it natively).")
SOFTMAX_NOT_LAST = _code("SB304", "softmax-not-last", W, "A softmax before the last layer.")
ATTENTION_AXES_IGNORED = _code("SB305", "attention-axes-ignored", W, "Keras ignores attention_axes on a rank-3 query (its dot-product path).")
KERAS_BIAS_AXIS = _code("SB306", "keras-bias-axis", W, "Keras's TensorFlow backend adds a bias along another axis than broadcasting does.")
MASK_DROPPED = _code("SB307", "mask-dropped", W, "A padding mask stops at a layer that does not support masking.")
# --- emitters and cross-check
NOT_EXPRESSIBLE = _code("SB400", "not-expressible", E, "A layer that the target framework cannot express exactly.")
MISSING_EXTRA = _code("SB401", "missing-extra", E, "An optional dependency (TensorFlow, torch, onnx) is not installed.")
CROSSCHECK_MISMATCH = _code("SB402", "crosscheck-mismatch", E, "The emitted models compute different functions.")
MODEL_TOO_LARGE = _code("SB403", "model-too-large", E, "The model would need more memory than the limit: refused, exit 2.")

# Codes that mean "specbridge refused the input" (a limit), not "the spec is wrong": the CLI exits 2 on them.
REFUSALS = frozenset({INPUT_REFUSED.code, MODEL_TOO_LARGE.code})


def refused(diagnostics) -> bool:
    """True when one of `diagnostics` is a refusal (exit status 2 in the CLI)."""
    return any(d.code in REFUSALS for d in diagnostics)

# --- importing model files (specbridge import / convert)
LAYER_NOT_IMPORTABLE = _code("SB500", "layer-not-importable", E,
                             "A layer of the model that a spec cannot represent (a custom class, Lambda).")
CALL_NOT_IMPORTABLE = _code("SB501", "call-not-importable", E,
                            "A layer called in a way a spec cannot represent (shared layer, extra outputs, state).")
SETTING_LEFT_OUT = _code("SB502", "setting-left-out", INFO,
                         "A training-only setting (initializer, regularizer, constraint) that the spec does not keep.")

# --- reading Python model code (specbridge check model.py)
PY_SYNTAX = _code("SB600", "python-syntax", E, "The .py file is not valid Python: no model in it can be read.")
PY_NOT_EVALUATED = _code("SB601", "not-evaluated", INFO,
                         "A value the code computes at run time: shapes that depend on it are not checked.")
PY_NOT_MODELLED = _code("SB602", "not-modelled", INFO,
                        "A call specbridge does not model (a custom layer, an unusual operation): checking stops there.")
PY_REJECTED_ARGUMENT = _code("SB603", "rejected-argument", E,
                             "A keyword argument the framework's constructor refuses (a typo, a Keras 1 name), or "
                             "a layer class the framework does not export.")
PY_NO_INPUT_SHAPE = _code("SB604", "no-input-shape", INFO,
                          "A model whose input shape the code does not state: only declared sizes are checked.")
