"""Every torch.nn layer the reader knows, on inputs of every rank from 1 to 6: batched, unbatched, and wrong.

For each layer the snippet `net = nn.Sequential(<layer>)` / `y = net(torch.randn(<shape>))` is read by the reader
and run by PyTorch (in training and in eval mode). Where PyTorch runs it, the reader must report no error and
infer PyTorch's output shape, the first axis included (an unbatched tensor's first axis is data); where PyTorch
raises in both modes, the reader must report an error on the layer's line; where only one mode raises (dropout on a
1-D tensor, batch statistics of one value), it must not report an error. Shapes come in three families, so that the
channel axis (first or second) and the feature axis (last) each hold the size the layers declare.
"""

from __future__ import annotations

import warnings

import pytest
from frameworks import import_framework

from specbridge.pycode import read_python
from specbridge.pycode.signatures import TORCH_POSITIONAL
from specbridge.pycode.torch_layers import ACTIVATIONS, TRANSLATORS

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n"

FAMILIES = {  # rank r takes the first (or last) r sizes
    "channels first": lambda r: (3, 5, 6, 7, 8, 9)[:r],
    "channels second": lambda r: (2, 3, 5, 6, 7, 8)[:r],
    "features last": lambda r: (7, 6, 2, 4, 5, 3)[-r:],
}
RANKS = range(1, 7)

LAYERS = [
    *(f"Conv{n}d(3, 4, 3)" for n in (1, 2, 3)), "Conv2d(3, 4, 3, padding=1)", "Conv2d(3, 4, 3, stride=2, dilation=2)",
    "Conv1d(3, 4, 2, padding='same')", "Conv2d(3, 4, 3, padding=1, padding_mode='reflect')",
    "Conv2d(3, 6, 3, groups=3, bias=False)",
    *(f"ConvTranspose{n}d(3, 4, 3)" for n in (1, 2, 3)), "ConvTranspose2d(3, 4, 3, 2, 1, 1)",
    *(f"{kind}Pool{n}d(2)" for kind in ("Max", "Avg") for n in (1, 2, 3)), "MaxPool2d(2, ceil_mode=True)",
    "MaxPool2d(3, 2, 1)", "MaxPool1d(2, dilation=2)", "AvgPool2d(3, 2, 1, count_include_pad=False)",
    *(f"AdaptiveAvgPool{n}d(1)" for n in (1, 2)), "AdaptiveAvgPool2d((1, 1))", "AdaptiveAvgPool2d((2, 3))",
    "AdaptiveAvgPool2d((None, 2))", *(f"AdaptiveMaxPool{n}d(2)" for n in (1, 2)), "AdaptiveMaxPool2d(1)",
    "Linear(3, 2)", "Linear(3, 2, bias=False)",
    *(f"BatchNorm{n}d(3)" for n in (1, 2, 3)), "BatchNorm2d(3, affine=False)",
    "LayerNorm(3)", "LayerNorm([5, 3])", "RMSNorm(3)", "RMSNorm([5, 3], eps=1e-5)", "GroupNorm(1, 3)",
    "LSTM(3, 4)", "LSTM(3, 4, batch_first=True)", "LSTM(3, 4, num_layers=2, bidirectional=True)", "GRU(3, 4)",
    "RNN(3, 4, batch_first=True)", "Embedding(10, 3)",
    *(f"{name}()" for name in ACTIVATIONS), "LeakyReLU(0.2)", "Softmax(dim=1)", "Softmax(dim=-1)", "Softmax()",
    "LogSoftmax(dim=1)", "LogSoftmax(dim=-2)",
    "Flatten()", "Flatten(0)", "Flatten(2, 3)", "Flatten(-2, -1)", "Flatten(0, -2)",
    "Upsample(scale_factor=2)", "Upsample(scale_factor=2, mode='bilinear')", "Upsample(size=5)",
    "Upsample(size=(5, 6))", "Upsample(scale_factor=1.5)", "Upsample(scale_factor=2, mode='linear')",
    "UpsamplingNearest2d(scale_factor=2)", "ZeroPad1d(1)", "ZeroPad1d((1, 2))", "ZeroPad2d(1)", "ZeroPad2d((1, 2, 3, 4))",
]


def _class(layer: str) -> str:
    return layer.split("(")[0]


KNOWN = {name for name in TRANSLATORS if name in TORCH_POSITIONAL}  # a translation and a signature


def test_every_layer_the_reader_knows_is_here():
    assert KNOWN - {_class(layer) for layer in LAYERS} == set()
    assert {_class(layer) for layer in LAYERS} <= KNOWN


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


def snippet(layer: str, shape: tuple) -> str:
    data = f"torch.randint(0, 10, {shape})" if layer.startswith("Embedding") else f"torch.randn{shape}"
    return HEAD + f"net = nn.Sequential(nn.{layer})\ny = net({data})\n"


def torch_verdicts(torch, src: str) -> tuple[list, list]:
    """PyTorch's output shape (full) in training mode and in eval mode: a tuple, or the exception."""
    namespace: dict = {}
    exec(compile(src.split("y = ")[0], "<snippet>", "exec"), namespace)
    net = namespace["net"]
    data = eval(src.split("y = net(")[1].rstrip()[:-1], namespace)
    verdicts = []
    for mode in (net.train, net.eval):
        mode()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = net(data)
            verdicts.append(tuple((out[0] if isinstance(out, tuple) else out).shape))
        except Exception as exc:  # noqa: BLE001 - PyTorch's verdict
            verdicts.append(exc)
    return verdicts


def reader_verdict(src: str):
    """(the errors' lines, the full output shape or None)."""
    result = read_python(src, "model.py")
    out = result.models[0].outputs[0] if result.models and result.models[0].outputs else None
    shape = None
    if out is not None and getattr(out, "known", False) and out.batch is not None:
        shape = (out.batch, *out.tensor.shape)
    return [(d.line, d.code, d.message) for d in result.errors], shape, result


@pytest.mark.parametrize("layer", LAYERS)
def test_the_reader_agrees_with_pytorch_on_every_rank(torch, layer):
    wrong = []
    for family, sizes in FAMILIES.items():
        for rank in RANKS:
            shape = sizes(rank)
            src = snippet(layer, shape)
            train, evaluated = torch_verdicts(torch, src)
            errors, ours, result = reader_verdict(src)
            raises = [isinstance(v, Exception) for v in (train, evaluated)]
            case = f"{family} {shape}"
            if all(raises):
                if not errors or any(line != 3 for line, _, _ in errors):
                    wrong.append(f"{case}: PyTorch raises {train!r}; reader: {errors}")
            elif any(raises):
                if errors:
                    wrong.append(f"{case}: PyTorch raises in one mode only; reader: {errors}")
            elif errors or ours != evaluated or train != evaluated:
                infos = [(d.code, d.message) for d in result.diagnostics][:2]
                wrong.append(f"{case}: PyTorch {evaluated}; reader {ours}, errors {errors}, {infos}")
    assert not wrong, "\n".join(wrong)


# ----------------------------------------------------------------------------------------------------------------
# whole models fed one sample (the PyTorch tutorials that do it, and the usual follow-ups)

CONTROL_FLOW = HEAD + '''
class Negate(torch.nn.Module):
    def forward(self, x):
        if x.sum():
            return x * 2
        return -x


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1), Negate())

    def forward(self, x):
        return self.mlp(x)


model = Mlp()
x = torch.randn(3)
y = model(x)
'''

SAVE_ON_CPU = HEAD + '''
class OnCpu(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        with torch.autograd.graph.save_on_cpu(pin_memory=False):
            return self.module(*args, **kwargs)


model = nn.Sequential(nn.Linear(10, 100), OnCpu(nn.Linear(100, 100)), nn.Linear(100, 10))
x = torch.randn(10)
y = model(x)
'''

IMAGE = HEAD + '''
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.drop(self.conv(x))), 2)
        x = torch.flatten(x)
        return self.fc(x)


model = Net()
y = model(torch.randn(3, 8, 8))
'''

SEQUENCE = HEAD + '''
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 3)
        self.lstm = nn.LSTM(3, 4, num_layers=2)
        self.fc = nn.Linear(4, 2)

    def forward(self, ids):
        out, (h, c) = self.lstm(self.emb(ids))
        return self.fc(out), self.fc(h[-1])


model = Tagger()
y = model(torch.randint(0, 20, (7,)))
'''


def run_snippet(torch, src: str) -> list:
    """The full shapes of `y` (a tensor or a tuple of them), once PyTorch ran the snippet."""
    namespace: dict = {"__name__": "snippet"}
    torch.manual_seed(0)
    exec(compile(src, "<snippet>", "exec"), namespace)
    y = namespace["y"]
    return [tuple(t.shape) for t in (y if isinstance(y, tuple) else (y,))]


def full_shapes(model) -> list:
    return [(o.batch, *o.tensor.shape) if o.known and o.batch is not None else None for o in model.outputs]


@pytest.mark.parametrize("src", [CONTROL_FLOW, SAVE_ON_CPU, IMAGE, SEQUENCE],
                         ids=["onnx_control_flow_tutorial", "saved_tensors_hooks_tutorial", "image", "sequence"])
def test_a_model_fed_one_sample(torch, src):
    real = run_snippet(torch, src)
    result = read_python(src, "model.py")
    assert not result.errors, [(d.code, d.line, d.message) for d in result.errors]
    (model,) = result.models
    if src is not CONTROL_FLOW:  # Negate's `if x.sum()` is data-dependent: its output is not known statically
        assert full_shapes(model) == real


def test_the_onnx_tutorial_checks_every_linear(torch):
    """PyTorch's own verdict on the tutorial's model with a wrong in_features: the reader says the same."""
    src = CONTROL_FLOW.replace("torch.nn.Linear(2, 1)", "torch.nn.Linear(3, 1)")
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(1x2 and 3x1\)"):
        run_snippet(torch, src)
    (error,) = read_python(src, "model.py").errors
    assert error.code == "SB203" and "(1x2 and 3x1)" in error.message


def test_unbatched_channels_are_checked_in_pytorchs_words(torch):
    src = HEAD + "net = nn.Sequential(nn.Conv2d(3, 4, 3))\ny = net(torch.randn(5, 8, 8))\n"
    with pytest.raises(RuntimeError, match=r"expected input\[1, 5, 8, 8\] to have 3 channels, but got 5"):
        run_snippet(torch, src)
    (error,) = read_python(src, "model.py").errors
    assert error.code == "SB203" and error.line == 3 and "(1, 5, 8, 8)" in error.message
    assert "nn.Conv2d(5, 4, 3)" in error.hint


def test_a_rank_pytorch_refuses_is_an_error_in_its_words(torch):
    src = HEAD + "net = nn.Sequential(nn.Conv2d(3, 4, 3))\ny = net(torch.randn(4, 3))\n"
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d"):
        run_snippet(torch, src)
    (error,) = read_python(src, "model.py").errors
    assert error.code == "SB200" and "3-D (unbatched) or 4-D (batched)" in error.message


def test_a_stated_shape_too_short_for_the_layer_is_not_guessed(torch):
    # (28, 28) and the batch make a 3-D tensor: one unbatched image whose channels are the batch. PyTorch runs it
    # with a batch of one, and fails with any other: nothing certain, so an info
    src = HEAD + "# specbridge: input (28, 28)\nnet = nn.Sequential(nn.Conv2d(1, 4, 3))\n"
    namespace: dict = {}
    exec(compile(src, "<snippet>", "exec"), namespace)
    assert tuple(namespace["net"](torch.randn(1, 28, 28)).shape) == (4, 26, 26)
    with pytest.raises(RuntimeError):
        namespace["net"](torch.randn(2, 28, 28))
    result = read_python(src, "model.py")
    assert not result.errors
    assert any(d.code == "SB602" and "unbatched" in d.message for d in result.diagnostics)


def test_a_spec_of_an_unbatched_model_says_how_to_read_it_batched(torch):
    result = read_python(SAVE_ON_CPU, "model.py")
    spec, problems = result.models[0].spec("model.py")
    assert spec is None and problems
    assert all("unbatched" in p.message and "--input-shape" in (p.hint or "") for p in problems)
    batched = read_python(SAVE_ON_CPU, "model.py", input_shape=(10,))
    spec, problems = batched.models[0].spec("model.py")
    assert not problems and spec["input"] == {"shape": [10]}


def test_group_norm_takes_no_unbatched_input(torch):
    """nn.GroupNorm reads (N, C, *) only: after an unbatched convolution, (4, 6, 6) is 4 samples of 6 channels."""
    src = IMAGE.replace("nn.Dropout(0.1)", "nn.GroupNorm(2, 4)")
    with pytest.raises(RuntimeError, match=r"got weight of shape \[4\] and input of shape \[4, 6, 6\]"):
        run_snippet(torch, src)
    (error,) = read_python(src, "model.py").errors
    assert error.code == "SB203" and error.line == src.splitlines().index("        self.drop = nn.GroupNorm(2, 4)") + 1
    assert "input of shape [4, 6, 6]" in error.message


def test_multihead_attention_on_one_sequence_is_no_error(torch):
    """The reader does not model nn.MultiheadAttention: on a 2-D query (one unbatched sequence, which PyTorch runs)
    it says so (an info), and reports nothing false after it."""
    src = HEAD + '''
class Attend(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.attn(x, x, x)
        return self.fc(out)


model = Attend()
y = model(torch.randn(5, 8))
'''
    assert run_snippet(torch, src) == [(5, 3)]
    result = read_python(src, "model.py")
    assert not result.errors
    assert any(d.code == "SB602" and "MultiheadAttention" in d.message for d in result.diagnostics)
