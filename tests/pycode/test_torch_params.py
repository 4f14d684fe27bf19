"""PyTorch's parameter counts of model code, as PyTorch users compare them: judged by real PyTorch.

Every layer the reader knows: its parameters and buffers (names and sizes, in named_parameters() order) against
the module PyTorch builds. Whole models: sum(p.numel() for p in model.parameters()), the requires_grad ones, and
sum(b.numel() for b in model.buffers()) against the reader's counts, with the ways code freezes parameters; and a
count the reader cannot know is unknown, never a guess.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.pycode import read_python
from specbridge.pycode.signatures import TORCH_DEFAULTS
from specbridge.pycode.torch_layers import TRANSLATORS
from specbridge.pycode.torch_params import buffers_of, parameters_of

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

LAYERS = {  # class -> constructor keyword arguments (each class the reader translates, with the variants that count)
    "Conv1d": [dict(in_channels=3, out_channels=4, kernel_size=3), dict(in_channels=4, out_channels=6, kernel_size=2,
                                                                      groups=2, bias=False)],
    "Conv2d": [dict(in_channels=3, out_channels=8, kernel_size=(3, 5)), dict(in_channels=6, out_channels=6,
                                                                           kernel_size=3, groups=6)],
    "Conv3d": [dict(in_channels=2, out_channels=4, kernel_size=3)],
    "ConvTranspose1d": [dict(in_channels=3, out_channels=4, kernel_size=3)],
    "ConvTranspose2d": [dict(in_channels=4, out_channels=6, kernel_size=2, groups=2),
                        dict(in_channels=3, out_channels=5, kernel_size=(2, 3), bias=False)],
    "ConvTranspose3d": [dict(in_channels=2, out_channels=3, kernel_size=2)],
    "Linear": [dict(in_features=10, out_features=3), dict(in_features=7, out_features=2, bias=False)],
    "BatchNorm1d": [dict(num_features=5), dict(num_features=5, affine=False),
                    dict(num_features=5, track_running_stats=False)],
    "BatchNorm2d": [dict(num_features=8)], "BatchNorm3d": [dict(num_features=3)],
    "LayerNorm": [dict(normalized_shape=6), dict(normalized_shape=[4, 6]), dict(normalized_shape=6, bias=False),
                  dict(normalized_shape=6, elementwise_affine=False)],
    "RMSNorm": [dict(normalized_shape=6), dict(normalized_shape=[4, 6], eps=1e-5),
                dict(normalized_shape=6, elementwise_affine=False)],
    "GroupNorm": [dict(num_groups=2, num_channels=6), dict(num_groups=3, num_channels=6, affine=False)],
    "LSTM": [dict(input_size=5, hidden_size=7), dict(input_size=5, hidden_size=7, num_layers=2, bidirectional=True),
             dict(input_size=5, hidden_size=7, num_layers=2, proj_size=3, bias=False)],
    "GRU": [dict(input_size=5, hidden_size=7, num_layers=3)],
    "RNN": [dict(input_size=5, hidden_size=7, bidirectional=True)],
    "Embedding": [dict(num_embeddings=50, embedding_dim=8), dict(num_embeddings=50, embedding_dim=8, padding_idx=0)],
}
NO_WEIGHTS = [name for name in TRANSLATORS if name not in LAYERS]


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


def _torch_module(torch, cls: str, kwargs: dict):
    defaults = {"MaxPool": dict(kernel_size=2), "AvgPool": dict(kernel_size=2), "Adaptive": dict(output_size=1),
                "ZeroPad": dict(padding=1), "Upsample": dict(scale_factor=2)}
    extra = next((v for k, v in defaults.items() if cls.startswith(k)), {})
    return getattr(torch.nn, cls)(**{**extra, **kwargs})


@pytest.mark.parametrize("cls,kwargs", [(cls, kw) for cls, variants in LAYERS.items() for kw in variants])
def test_each_layers_parameters_and_buffers_are_pytorchs(torch, cls, kwargs):
    module = _torch_module(torch, cls, kwargs)
    params = {**TORCH_DEFAULTS.get(cls, {}), **kwargs}
    assert parameters_of(cls, params) == [(name, p.numel()) for name, p in module.named_parameters()]
    assert [(name, numel) for name, numel, _ in buffers_of(cls, params)] == [
        (name, b.numel()) for name, b in module.named_buffers()]
    assert [size for _, _, size in buffers_of(cls, params)] == [b.element_size() for _, b in module.named_buffers()]


@pytest.mark.parametrize("cls", NO_WEIGHTS)
def test_layers_without_weights_have_none(torch, cls):
    module = _torch_module(torch, cls, {})
    params = {**TORCH_DEFAULTS.get(cls, {}), **({"kernel_size": 2} if "Pool" in cls and "Adaptive" not in cls else {})}
    assert parameters_of(cls, params) == [] == list(module.parameters())
    assert buffers_of(cls, params) == [] == list(module.buffers())


# ----------------------------------------------------------------------------------------------------------------
# whole models

FROZEN = HEAD + textwrap.dedent("""
    # specbridge: input (3, 16, 16)
    class Net(nn.Module):
        def __init__(self, classes=4):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                          nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 8)
            self.head = nn.Linear(8, classes)
            self.spare = nn.Linear(4, 4)  # registered, never called: PyTorch counts it
            self.alias = self.fc  # the same layer twice: counted once
            self.scale = nn.Parameter(torch.ones(8))
            self.register_buffer("mean", torch.zeros(3, 1, 1))
            self.blocks = [nn.Linear(8, 8)]  # a plain list: not registered, not counted
            self.device = torch.device("cpu")
            for i in range(2):
                setattr(self, f"extra{i}", nn.Linear(8, 2))
            self.features.requires_grad_(False)
            self.features[4].requires_grad_(True)

        def forward(self, x):
            x = self.pool(self.features(x - self.mean)).flatten(1)
            x = self.fc(self.fc(x))
            return self.head(x)


    net = Net()
    for p in net.head.parameters():
        p.requires_grad = False
    net.fc.bias.requires_grad = False
""")


def torch_counts(torch, src: str, name: str) -> tuple[int, int, int]:
    namespace: dict = {"__name__": "snippet"}
    exec(compile(src, "<snippet>", "exec"), namespace)
    net = namespace[name]
    return (sum(p.numel() for p in net.parameters()),
            sum(p.numel() for p in net.parameters() if p.requires_grad),
            sum(b.numel() for b in net.buffers()))


def reader_counts(src: str):
    (model,) = read_python(src, "model.py").models
    counts = model.torch_counts
    return (counts.total, counts.trainable, counts.buffers), counts


def test_a_model_with_batchnorm_frozen_layers_and_extras(torch):
    real = torch_counts(torch, FROZEN, "net")
    ours, counts = reader_counts(FROZEN)
    assert ours == real
    assert counts.buffer_bytes == 2 * (8 * 4 + 8 * 4 + 8) + 3 * 4  # float32 statistics, int64 counter, the mean
    assert counts.layers["fc"] == (72, 64) and "fc_1" in counts.shared


@pytest.mark.parametrize("freeze", [
    "net.requires_grad_(False)", "net.features[0].weight.requires_grad_(False)",
    "for name, p in net.named_parameters():\n    if not name.startswith('head'):\n        p.requires_grad = False",
    "net.eval().features.requires_grad_(requires_grad=False)",
])
def test_the_ways_code_freezes_parameters(torch, freeze):
    src = FROZEN + freeze + "\n"
    assert reader_counts(src)[0] == torch_counts(torch, src, "net")


def test_the_spec_keeps_keras_counts_pytorch_code_its_own(torch):
    src = HEAD + "# specbridge: input (4, 10)\nnet = nn.Sequential(nn.Conv1d(4, 6, 3), nn.BatchNorm1d(6), nn.LSTM(8, 5, batch_first=True))\n"
    real = torch_counts(torch, src, "net")
    result = read_python(src, "model.py")
    (model,) = result.models
    assert (model.torch_counts.total, model.torch_counts.buffers) == (real[0], real[2])
    spec, _ = model.spec("model.py")
    keras = check_text(json.dumps(spec)).total_params
    assert keras != real[0]  # Keras: BatchNorm's statistics are parameters, and an LSTM has one bias, not two


@pytest.mark.parametrize("attribute,reason", [
    ("self.backbone = mylib.Backbone()", "self.backbone"),
    ("self.extra = nn.TransformerEncoderLayer(8, 2)", "nn.TransformerEncoderLayer"),
    ("self.w = nn.Parameter(torch.randn(n))", "the size of w"),
])
def test_a_count_the_reader_cannot_know_is_unknown(attribute, reason):
    src = HEAD + "import mylib\n" + textwrap.dedent(f"""
        # specbridge: input (8,)
        class Net(nn.Module):
            def __init__(self, n=int(input())):
                super().__init__()
                self.fc = nn.Linear(8, 2)
                {attribute}

            def forward(self, x):
                return self.fc(x)
    """)
    counts = read_python(src, "model.py").models[0].torch_counts
    assert counts.total is None and counts.trainable is None and counts.buffers is None
    assert reason in counts.unknown


def test_requires_grad_on_what_the_reader_does_not_follow_leaves_trainable_unknown():
    src = FROZEN + "import mylib\nfor p in mylib.params(net):\n    p.requires_grad = False\n"
    (total, trainable, _), counts = reader_counts(src)
    assert total is not None and trainable is None
    assert "mylib.params" not in (counts.unknown or "") and "requires_grad" in counts.trainable_unknown
