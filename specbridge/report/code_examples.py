"""One example per diagnostic code: a spec that triggers it, and the fix (docs/codes.md renders them).

Keyed by code, next to the registry (diagnostics/codes.py) rather than in it, so that adding a code there and its
example here never touch the same lines. tests/cli/test_code_examples.py checks every example: the spec, checked,
reports exactly its code; with the fix applied it does not. A code that no spec alone triggers (it needs a command,
a target framework, a limit) has a `command` and the situation instead, tested where that is possible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

HEADER = "specbridge: 1\nname: example\n"


@dataclass(frozen=True)
class Example:
    fix: str  # the fix, in words
    spec: Optional[str] = None  # a spec (YAML) that triggers the code; HEADER is prepended unless it has a `name:`
    before: Optional[str] = None  # the fix as a text edit of `spec`: `before` becomes `after`
    after: Optional[str] = None
    command: Optional[str] = None  # for codes a spec alone does not trigger: the command, run on `spec` if given

    def text(self) -> Optional[str]:
        if self.spec is None:
            return None
        return self.spec if re.search(r"^name:", self.spec, flags=re.MULTILINE) else HEADER + self.spec

    def fixed(self) -> Optional[str]:
        text = self.text()
        if text is None or self.before is None:
            return None
        assert self.before in text, (self.before, text)
        return text.replace(self.before, self.after or "", 1)


def _edit(spec: str, before: str, after: str, fix: str, command: Optional[str] = None) -> Example:
    return Example(fix=fix, spec=spec, before=before, after=after, command=command)


CONV = "input: {shape: [28, 28, 1]}\nlayers:\n"
VEC = "input: {shape: [20]}\nlayers:\n"

EXAMPLES: dict[str, Example] = {
    "SB001": _edit(VEC + "  - {type: Dense, units: 10\n", "units: 10", "units: 10}",
                   "close the flow mapping (the error points at where the parser gave up)"),
    "SB002": _edit("version: 1\nname: example\n" + VEC + "  - {type: Dense, units: 10}\n", "version: 1",
                   "specbridge: 1", "start the document with the format version key, `specbridge: 1`"),
    "SB003": _edit("specbridge: 2\nname: example\n" + VEC + "  - {type: Dense, units: 10}\n", "specbridge: 2",
                   "specbridge: 1", "use a supported format version (1)"),
    "SB004": Example(
        fix="simplify the document, or raise the limit the message names if the input is trusted "
            "(SPECBRIDGE_MAX_NODES, SPECBRIDGE_MAX_DEPTH); exit status 2",
        spec=VEC + "  - {type: Dense, units: 10}\n", command="SPECBRIDGE_MAX_DEPTH=2 specbridge check model.spec.yaml"),
    "SB010": _edit(CONV + "  - {type: Conv2d, filters: 8, kernel_size: 3}\n", "Conv2d", "Conv2D",
                   "use the Keras class name (the message suggests the closest one)"),
    "SB011": _edit(VEC + "  - {type: Dense, units: 10, use_bais: false}\n", "use_bais", "use_bias",
                   "spell the argument as Keras does"),
    "SB012": _edit(VEC + "  - {type: Dense, units: 0}\n", "units: 0", "units: 10",
                   "give a value of the right type and range"),
    "SB013": _edit(VEC + "  - {type: Dense}\n", "{type: Dense}", "{type: Dense, units: 10}",
                   "add the required argument"),
    "SB014": _edit(VEC + "  - Dense\n", "- Dense", "- {type: Dense, units: 10}",
                   "write each layer as a mapping with a `type`"),
    "SB100": _edit(VEC + "  - {type: Dense, units: 10, name: fc}\n  - {type: Dense, units: 2, name: fc}\n",
                   "units: 2, name: fc}", "units: 2, name: head}", "give every layer a unique name"),
    "SB101": _edit("outputs: [hed]\n" + VEC + "  - {type: Dense, units: 2, name: head}\n", "[hed]", "[head]",
                   "name an existing layer (the message suggests the closest one)"),
    "SB102": _edit(
        "inputs: [{name: x, shape: [4]}]\noutputs: [a]\nlayers:\n"
        "  - {type: Dense, units: 4, name: b, inputs: [a]}\n  - {type: Add, name: a, inputs: [x, b]}\n",
        "name: b, inputs: [a]", "name: b, inputs: [x]", "break the cycle: make one of the layers read another input"),
    "SB103": _edit(
        "inputs: [{name: x, shape: [4]}]\noutputs: [head]\nlayers:\n"
        "  - {type: Dense, units: 4, name: side, inputs: [x]}\n  - {type: Dense, units: 2, name: head, inputs: [x]}\n",
        "outputs: [head]", "outputs: [head, side]", "make it a model output, feed it to a layer, or delete it"),
    "SB104": _edit(
        "inputs: [{name: a, shape: [4]}, {name: b, shape: [4]}]\nlayers:\n  - {type: Subtract, inputs: [a, b, a]}\n",
        "inputs: [a, b, a]}", "inputs: [a, b]}", "give the layer as many inputs as it takes (Subtract: two)"),
    "SB105": _edit(
        "inputs: [{name: a, shape: [8]}, {name: b, shape: [8]}]\noutputs: [left, right]\nlayers:\n"
        "  - {type: Dense, units: 4, name: left, inputs: [a]}\n"
        "  - {type: Dense, units: 3, name: right, inputs: [b], shares: left}\n",
        "units: 3, name: right", "units: 4, name: right",
        "a shared layer is the same Keras layer called again: give it the arguments of the layer it shares"),
    "SB200": _edit("input: {shape: [28, 28]}\nlayers:\n  - {type: Conv2D, filters: 8, kernel_size: 3}\n",
                   "[28, 28]", "[28, 28, 1]", "give the input its channel axis"),
    "SB201": _edit("input: {shape: [4, 4, 1]}\nlayers:\n  - {type: Conv2D, filters: 8, kernel_size: 5}\n",
                   "kernel_size: 5}", "kernel_size: 5, padding: same}",
                   "use 'same' padding, a smaller kernel or stride, or a larger input"),
    "SB202": _edit(VEC + "  - {type: Reshape, target_shape: [3, 3]}\n", "[3, 3]", "[4, 5]",
                   "reshape to a shape with as many elements as the input (or use -1 for one axis)"),
    "SB203": _edit(VEC + "  - {type: Dense, units: 5, in_features: 10}\n", "in_features: 10", "in_features: 20",
                   "make the declared size match the input (or drop it)"),
    "SB204": _edit(
        "inputs: [{name: a, shape: [4]}, {name: b, shape: [5]}]\nlayers:\n  - {type: Add, inputs: [a, b]}\n",
        "shape: [5]", "shape: [4]", "give the merged tensors the same shape (Concatenate joins different sizes)"),
    "SB205": _edit("input: {shape: [null, 4]}\nlayers:\n  - {type: Flatten}\n  - {type: Dense, units: 2}\n",
                   "[null, 4]", "[10, 4]", "give the axis a size, or pool it away (GlobalAveragePooling1D)"),
    "SB206": _edit("input: {shape: [50, 3]}\nlayers:\n"
                   "  - {type: Conv1D, filters: 4, kernel_size: 3, strides: 2, dilation_rate: 2}\n",
                   "strides: 2, ", "", "use either strides > 1 or dilation_rate > 1, not both"),
    "SB207": _edit("input: {shape: [10]}\nlayers:\n  - {type: Embedding, input_dim: 100, output_dim: 8}\n",
                   "shape: [10]}", "shape: [10], dtype: int32}", "feed token ids: an integer input dtype"),
    "SB208": _edit(VEC + "  - {type: Dense, units: 10, expect: {shape: [12]}}\n", "[12]", "[10]",
                   "correct the expectation, or the layer (the message shows the inferred shape)"),
    "SB209": _edit(VEC + "  - {type: Dense, units: 10, expect: {params: 200}}\n", "200", "210",
                   "correct the expectation (the message shows the arithmetic)"),
    "SB210": _edit(VEC + "  - {type: Softmax, axis: 2}\n", "axis: 2", "axis: -1",
                   "use an axis the input has (or a valid padding mode, groups...)"),
    "SB211": _edit("input: {shape: [2000000000, 2000000000, 2000000000]}\nlayers:\n  - {type: Flatten}\n"
                   "  - {type: Dense, units: 10}\n", "{type: Flatten}", "{type: GlobalAveragePooling2D}",
                   "shrink the sizes (pool before flattening)"),
    "SB212": _edit("input: {shape: [20], dtype: int32}\nlayers:\n  - {type: Dense, units: 2}\n", ", dtype: int32", "",
                   "read a float input (or embed the integers first)"),
    "SB300": _edit(CONV + "  - {type: MaxPooling2D, pool_size: 2, strides: 1, padding: same}\n", "strides: 1, ", "",
                   "let the stride default to pool_size, or drop the layer"),
    "SB301": _edit("input: {shape: [64, 64, 1]}\nlayers:\n  - {type: Conv2D, filters: 32, kernel_size: 3}\n"
                   "  - {type: Flatten}\n"
                   "  - {type: Dense, units: 64}\n", "{type: Flatten}", "{type: GlobalAveragePooling2D}",
                   "pool before the classifier (GlobalAveragePooling2D) or downsample more"),
    "SB302": _edit("input: {shape: [3, 32, 32]}\nlayers:\n  - {type: Conv2D, filters: 8, kernel_size: 3}\n",
                   "[3, 32, 32]", "[32, 32, 3]",
                   "put channels last (or set `data_format: channels_first`)"),
    "SB303": _edit("input: {shape: [32, 32, 3]}\nlayers:\n"
                   "  - {type: Conv2D, filters: 8, kernel_size: 3, strides: 2, padding: same}\n",
                   "padding: same", "padding: valid",
                   "use 'valid' padding, or a kernel and input size for which the padding is even (emit --to "
                   "pytorch pads explicitly, so this is a warning only)"),
    "SB304": _edit(VEC + "  - {type: Dense, units: 10, activation: softmax}\n  - {type: Dense, units: 2}\n",
                   "units: 10, activation: softmax}", "units: 10, activation: relu}",
                   "apply softmax in the last layer only"),
    "SB305": _edit("inputs: [{name: tokens, shape: [12, 16]}]\nlayers:\n"
                   "  - {type: MultiHeadAttention, num_heads: 2, key_dim: 8, attention_axes: [2], inputs: [tokens, tokens]}\n",
                   ", attention_axes: [2]", "",
                   "leave attention_axes out: on a rank-3 query without dropout Keras attends over axis 1 anyway"),
    "SB306": _edit("inputs: [{name: q, shape: [3, 5]}]\nlayers:\n"
                   "  - {type: MultiHeadAttention, num_heads: 3, key_dim: 1, inputs: [q, q]}\n",
                   "key_dim: 1", "key_dim: 2",
                   "a head size above 1 (or use_bias: false): Keras on TensorFlow adds the (3, 1) bias along the "
                   "3 positions instead of the 3 heads"),
    "SB307": _edit("input: {shape: [50], dtype: int32}\nlayers:\n"
                   "  - {type: Embedding, input_dim: 500, output_dim: 16, mask_zero: true}\n"
                   "  - {type: Conv1D, filters: 16, kernel_size: 3, padding: same}\n"
                   "  - {type: LSTM, units: 8}\n",
                   "{type: Conv1D, filters: 16, kernel_size: 3, padding: same}",
                   "{type: Dense, units: 16, activation: relu}",
                   "a layer that passes the mask on (Dense, Dropout, LayerNormalization...) keeps the padded steps "
                   "masked up to the LSTM; or mask_zero: false when the padding may count"),
    "SB400": _edit("input: {shape: [null, 3]}\nlayers:\n"
                   "  - {type: Conv1D, filters: 4, kernel_size: 4, strides: 2, padding: same}\n",
                   "[null, 3]", "[100, 3]",
                   "give the axis a size (TF splits 'same' padding by the size), or change the layer; crosscheck "
                   "reports the same SB400: it checks the models emit writes",
                   command="specbridge emit model.spec.yaml --to pytorch"),
    "SB401": Example(
        fix="install the extra the message names: pip install 'specbridge[keras,torch]' (exit status 2)",
        command="specbridge crosscheck model.spec.yaml   # with TensorFlow or PyTorch not installed"),
    "SB402": Example(
        fix="a bug in the emitters or a framework: the report names the first layer that differs, and a NumPy "
            "reference of it says which side is right; please report it (exit status 1)",
        command="specbridge crosscheck model.spec.yaml   # when Keras and PyTorch outputs differ"),
    "SB403": Example(
        fix="crosscheck a smaller model, or raise SPECBRIDGE_MAX_MODEL_BYTES if the memory is there (exit status 2)",
        spec=VEC + "  - {type: Dense, units: 10}\n",
        command="SPECBRIDGE_MAX_MODEL_BYTES=1000 specbridge crosscheck model.spec.yaml"),
    "SB500": Example(
        fix="a custom layer class or a Lambda has no spec equivalent: replace it in the model with built-in layers "
            "(or keep that model in Keras); every such layer is listed, and no spec is written (exit status 1)",
        command="specbridge import convnext_tiny.keras   # a model with LayerScale layers (a custom class)"),
    "SB501": Example(
        fix="give each call of a shared layer its own layer, and read only a layer's first output "
            "(return_state: false); then save the model again (exit status 1)",
        command="specbridge import siamese.keras   # one Dense called on two inputs"),
    "SB502": Example(
        fix="nothing to fix: initializers, regularizers and constraints only matter for training; the trained "
            "weights and the spec describe the inference computation (exit status 0)",
        command="specbridge import model.keras -o model.spec.yaml"),
    "SB600": Example(
        fix="fix the syntax error the message points at; specbridge reads a .py file without running it, and no "
            "model in a file Python cannot parse is checked (exit status 1)",
        command="specbridge check model.py"),
    "SB601": Example(
        fix="nothing to fix: the value (a function argument, a config read at run time) is unknown statically, so "
            "the shapes that depend on it are not checked; write it as a literal or a module-level constant to "
            "have them checked, or give the input shape with `# specbridge: input (...)` / --input-shape",
        command="specbridge check model.py   # Dense(num_classes) where num_classes is a function argument"),
    "SB602": Example(
        fix="nothing to fix: a custom layer or an operation specbridge does not model stops the check of what "
            "follows it (nothing is guessed); the layers before it are checked",
        command="specbridge check model.py   # a Lambda layer, a custom nn.Module from another file"),
    "SB603": Example(
        fix="spell the argument as the framework does (the message names it: border_mode -> padding, "
            "nb_filter -> filters for Keras 1 code); Keras 3 raises 'Unrecognized keyword arguments'",
        command="specbridge check model.py   # Conv2D(32, 3, border_mode='same')"),
    "SB604": Example(
        fix="state the input shape: a `# specbridge: input (1, 28, 28)` comment (no batch axis) above the class or "
            "the nn.Sequential, --input-shape 1,28,28, or run the model on a literal torch.randn(...) in the file",
        command="specbridge check model.py   # an nn.Module that no line of the file runs"),
}
