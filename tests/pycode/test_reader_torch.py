"""The static reader on PyTorch model code, judged by real PyTorch.

Every snippet is read with read_python() and executed with PyTorch in a fresh namespace; the model is then run on
torch.randn(2, *shape) (token ids from torch.randint for embeddings) in eval mode, with forward hooks recording
each leaf module's output. Code PyTorch runs must get no error diagnostic and the same output shape, module by
module (a module `blocks.0.conv1` is the reader's node `blocks_0_conv1`); code PyTorch fails on must get an error
at the line the test marks with `# !`, and nowhere else.
"""

from __future__ import annotations

import textwrap

import pytest
from frameworks import import_framework

from specbridge.diagnostics.model import Severity
from specbridge.pycode import read_python

pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")]

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


# ----------------------------------------------------------------------------------------------------------------
# helpers


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip("\n")


def read(src: str, input_shape=None):
    return read_python(src, "model.py", input_shape)


def line_of(src: str, marker: str) -> int:
    found = [i for i, text in enumerate(src.splitlines(), 1) if marker in text]
    assert len(found) == 1, (marker, found)
    return found[0]


def errors(result) -> list[str]:
    return [f"{d.code} {d.line}:{d.column} {d.message}" for d in result.errors]


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


class Run:
    """What PyTorch did with the snippet: the output shapes (batch dropped) and each leaf module's output shape
    (modules called exactly once), or the exception."""

    def __init__(self, outputs=None, leaves=None, error=None):
        self.outputs, self.leaves, self.error = outputs, leaves or {}, error


def run_torch(torch, src: str, model: str, shape: tuple, ids: int | None = None) -> Run:
    torch.manual_seed(0)
    namespace: dict = {"__name__": "snippet"}
    try:
        exec(compile(src, "<snippet>", "exec"), namespace)
        net = eval(model, namespace)
        net.eval()
        x = torch.randint(0, ids, (2, *shape)) if ids else torch.randn(2, *shape)
        names = {id(m): name.replace(".", "_") for name, m in net.named_modules() if name}
        calls: dict = {}
        shapes: dict = {}

        def hook(module, args, out):
            name = names[id(module)]
            calls[name] = calls.get(name, 0) + 1
            first = out[0] if isinstance(out, tuple) else out
            shapes[name] = tuple(first.shape[1:])

        handles = [m.register_forward_hook(hook) for m in net.modules()
                   if id(m) in names and not list(m.children())]
        try:
            with torch.no_grad():
                out = net(x)
        finally:
            for handle in handles:
                handle.remove()
    except Exception as exc:  # noqa: BLE001 - the framework's verdict
        return Run(error=exc)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return Run([tuple(o.shape[1:]) for o in outs if isinstance(o, torch.Tensor)],
               {name: s for name, s in shapes.items() if calls[name] == 1})


def the_model(result, name: str | None = None):
    if name is None:
        assert len(result.models) == 1, [m.name for m in result.models]
        return result.models[0]
    found = [m for m in result.models if name in (m.name, m.class_name)]
    assert found, (name, [m.name for m in result.models])
    return found[0]


def same_dims(ours: tuple, theirs: tuple) -> bool:
    """Equal, where the reader knows the size (None: a size it does not know without an input shape)."""
    return len(ours) == len(theirs) and all(a is None or a == b for a, b in zip(ours, theirs, strict=True))


def compare(model, real: Run, exact: bool = True) -> int:
    """The reader's output and every leaf module it applied have PyTorch's shapes. Returns how many leaves."""
    shapes = [tuple(o.tensor.shape) if o.tensor is not None else None for o in model.outputs]
    if exact:
        assert shapes == real.outputs, (shapes, real.outputs)
    compared = 0
    for node in model.graph.nodes if model.graph else []:
        if node.name in real.leaves:
            ours, theirs = tuple(node.output.shape), real.leaves[node.name]
            assert same_dims(ours, theirs) if not exact else ours == theirs, (node.name, ours, theirs)
            compared += 1
    return compared


def assert_torch_runs_the_same(torch, src: str, model: str, shape: tuple, ids=None, input_shape=None, name=None):
    result = read(src, input_shape)
    real = run_torch(torch, src, model, shape, ids)
    assert real.error is None, f"PyTorch failed: {type(real.error).__name__}: {real.error}"
    assert not result.errors, errors(result)
    found = the_model(result, name)
    assert compare(found, real) > 0
    return result, found, real


def assert_torch_fails_at(torch, src: str, model: str, shape: tuple, code_: str, marker: str = "# !", ids=None,
                          input_shape=None):
    real = run_torch(torch, src, model, shape, ids)
    assert real.error is not None, "PyTorch ran the snippet: the test's premise is wrong"
    result = read(src, input_shape)
    wanted = line_of(src, marker)
    assert any(d.code == code_ and d.line == wanted for d in result.errors), (code_, wanted, errors(result))
    assert all(d.line == wanted for d in result.errors), errors(result)
    return result, real


# ----------------------------------------------------------------------------------------------------------------
# code PyTorch runs: no error, PyTorch's shapes

LENET = HEAD + code("""
    # specbridge: input (1, 32, 32)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)  # fc1
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
""")

RESNET = HEAD + code("""
    class Block(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.short = None
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.short is None else self.short(x)
            out += identity
            return F.relu(out)

    # specbridge: input (3, 32, 32)
    class ResNet(nn.Module):
        def __init__(self, widths=(16, 32, 64), n_classes=10):
            super().__init__()
            self.stem = nn.Conv2d(3, widths[0], 3, padding=1)
            blocks = []
            cin = widths[0]
            for i, w in enumerate(widths):
                blocks.append(Block(cin, w, 1 if i == 0 else 2))
                cin = w
            self.blocks = nn.ModuleList(blocks)
            self.heads = nn.ModuleList([nn.Conv2d(w, 8, 1) for w in widths])
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(8 * 3 + widths[-1], n_classes)

        def forward(self, x):
            x = self.stem(x)
            feats = []
            for i in range(3):
                x = self.blocks[i](x)
                feats.append(torch.flatten(self.pool(self.heads[i](x)), 1))
            x = torch.flatten(self.pool(x), 1)
            x = torch.cat(feats + [x], dim=1)
            return self.fc(x)
""")

GOOD = {
    "sequential_with_input_comment": (HEAD + code("""
        # specbridge: input (1, 28, 28)
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 14 * 14, 10),
        )
    """), "model", (1, 28, 28), None),
    "lenet_functional_ops": (LENET, "Net()", (1, 32, 32), None),
    "view_size0_on_literal_randn": (HEAD + code("""
        class Net(nn.Module):
            def __init__(self, n_classes=10):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 4 * 4, 120)
                self.fc2 = nn.Linear(120, n_classes)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = x.view(x.size(0), -1)
                x = F.relu(self.fc1(x))
                x = F.dropout(x, training=self.training)
                return F.log_softmax(self.fc2(x), dim=1)

        net = Net()
        out = net(torch.randn(3, 1, 28, 28))
    """), "net", (1, 28, 28), None),
    "view_minus_one_that_flattens": (HEAD + code("""
        # specbridge: input (1, 28, 28)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 16, 5)
                self.fc1 = nn.Linear(16 * 12 * 12, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = x.view(-1, 16 * 12 * 12)
                return self.fc1(x)
    """), "Net()", (1, 28, 28), None),
    "resnet_blocks_residual_cat": (RESNET, "ResNet()", (3, 32, 32), None),
    "lstm_output_last_step": (HEAD + code("""
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 32, batch_first=True)
                self.fc = nn.Linear(32, 5)

            def forward(self, x):
                x, _ = self.lstm(x)
                return self.fc(x[:, -1, :])

        m = M()
        out = m(torch.randn(4, 12, 8))
    """), "m", (12, 8), None),
    "embedding_gru_lstm_final_state": (HEAD + code("""
        class M(nn.Module):
            def __init__(self, vocab=1000, dim=32, hidden=64):
                super().__init__()
                self.emb = nn.Embedding(vocab, dim)
                self.rnn = nn.GRU(dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
                self.lstm = nn.LSTM(2 * hidden, hidden, batch_first=True)
                self.fc = nn.Linear(hidden * 2, 3)

            def forward(self, x):
                x = self.emb(x)
                x, h = self.rnn(x)
                out, (h, c) = self.lstm(x)
                return self.fc(torch.cat([out[:, -1, :], h[-1]], dim=1))

        model = M()
        y = model(torch.randint(0, 1000, (4, 15)))
    """), "model", (15,), 1000),
    "module_list_loops": (HEAD + code("""
        # specbridge: input (3, 16, 16)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Conv2d(3 if i == 0 else 8, 8, 3, padding=1) for i in range(3)])
                self.extra = nn.ModuleList()
                for i in range(2):
                    self.extra.append(nn.Conv2d(8, 8, 3, stride=2))
                self.head = nn.Linear(8 * 3 * 3, 4)

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x).relu()
                for layer in self.extra:
                    x = layer(x)
                return self.head(x.flatten(1))
    """), "M()", (3, 16, 16), None),
    "padding_stride_dilation_ceil_count_include_pad": (HEAD + code("""
        # specbridge: input (3, 17, 17)
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=2, dilation=2),
            nn.MaxPool2d(3, 2, 1, ceil_mode=True),
            nn.AvgPool2d(3, 2, 1, count_include_pad=False),
            nn.Conv2d(8, 4, (3, 1), padding=(1, 0)),
            nn.AvgPool2d(2, ceil_mode=True),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(4, 2),
        )
    """), "model", (3, 17, 17), None),
    "pool_dilation_ceil_last_window_adaptive": (HEAD + code("""
        # specbridge: input (2, 20, 21)
        model = nn.Sequential(
            nn.MaxPool2d(3, 1, 1, 2),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.AvgPool2d(3, stride=2, padding=1),
            nn.AdaptiveMaxPool2d((2, 3)),
            nn.Conv2d(2, 5, 2, padding='same'),
            nn.MaxPool2d(2, 2, 1, ceil_mode=True),
            nn.AvgPool2d(2, 3, 1, ceil_mode=True, count_include_pad=False),
        )
    """), "model", (2, 20, 21), None),
    "conv1d_transpose_upsample_pad": (HEAD + code("""
        # specbridge: input (4, 50)
        seq = nn.Sequential(nn.Conv1d(4, 8, 5, 3, 2), nn.MaxPool1d(3, 2, ceil_mode=True), nn.AvgPool1d(2),
                            nn.ConvTranspose1d(8, 3, 4, 2, 1), nn.AdaptiveAvgPool1d(7))
    """), "seq", (4, 50), None),
    "upsample_zeropad_transpose2d": (HEAD + code("""
        # specbridge: input (3, 7, 9)
        net = nn.Sequential(nn.Upsample(scale_factor=2), nn.ZeroPad2d((1, 2, 3, 4)), nn.Conv2d(3, 2, 3),
                            nn.Upsample(size=(5, 5)), nn.ConvTranspose2d(2, 2, 3, 2, 1, 1), nn.LeakyReLU(0.1))
    """), "net", (3, 7, 9), None),
    "tensor_methods": (HEAD + code("""
        # specbridge: input (3, 12, 10)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3, padding=1)
                self.c1 = nn.Conv1d(12, 6, 3)
                self.lstm = nn.LSTM(6, 5, batch_first=True)
                self.ln = nn.LayerNorm([4, 12, 10])
                self.gn = nn.GroupNorm(2, 4)

            def forward(self, x):
                x = self.gn(self.ln(self.conv(x)))
                m = x.mean(dim=[2, 3], keepdim=True)
                x = x * torch.sigmoid(m)
                x = x.mean(1)
                x = x.permute(0, 2, 1)
                x = x.transpose(1, 2)
                x = self.c1(x)
                x = x.transpose(1, 2)
                out, _ = self.lstm(x)
                return out.reshape(out.shape[0], -1) * 0.5 + 1
    """), "M()", (3, 12, 10), None),
    "view_folding_an_axis_into_the_batch": (HEAD + code("""
        # specbridge: input (2, 6, 6)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)
                self.fc = nn.Linear(4 * 4 * 4 * 2, 3)

            def forward(self, x):
                b, c, h, w = x.shape
                x = x.view(b * c, 1, h, w)
                x = self.conv(x)
                x = x.view(b, c, 4, 4, 4)
                x = x.view(x.size(0), -1)
                return self.fc(x)
    """), "M()", (2, 6, 6), None),
    "sequential_star_from_helper": (HEAD + code("""
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        layers = []
        cin = 3
        for c in [8, 16, 32]:
            layers += block(cin, c)
            cin = c
        # specbridge: input (3, 32, 32)
        features = nn.Sequential(*layers, nn.Flatten(), nn.Linear(32 * 4 * 4, 10))
    """), "features", (3, 32, 32), None),
    "groups_padding_mode_dilated_pointwise": (HEAD + code("""
        # specbridge: input (8, 10, 10)
        net = nn.Sequential(nn.Conv2d(8, 16, 3, groups=4, padding=1, padding_mode='reflect'),
                            nn.Conv2d(16, 16, 3, groups=16, bias=False), nn.BatchNorm2d(16, affine=False),
                            nn.Dropout2d(0.1), nn.SiLU(), nn.Conv2d(16, 4, 1, stride=2, dilation=2))
    """), "net", (8, 10, 10), None),
    "embedding_in_sequential_reads_ids": (HEAD + code("""
        # specbridge: input (12,)
        net = nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(96, 2))
    """), "net", (12,), 50),
    "linear_on_a_4d_tensor_and_batchnorm1d": (HEAD + code("""
        # specbridge: input (4, 9)
        net = nn.Sequential(nn.BatchNorm1d(4), nn.Conv1d(4, 2, 3), nn.Linear(7, 5), nn.Flatten(), nn.BatchNorm1d(10))
    """), "net", (4, 9), None),
}


@pytest.mark.parametrize("name", list(GOOD))
def test_pytorch_runs_and_the_reader_agrees(torch, name):
    src, model, shape, ids = GOOD[name]
    assert_torch_runs_the_same(torch, src, model, shape, ids)


def test_block_class_used_by_another_class_is_one_model(torch):
    result, model, real = assert_torch_runs_the_same(torch, RESNET, "ResNet()", (3, 32, 32))
    assert model.class_name == "ResNet"
    assert len(result.models) == 1  # Block is a component, not a model of its own
    assert {"blocks_0_conv1", "blocks_2_short_0", "fc"} <= {n.name for n in model.graph.nodes} & set(real.leaves)


# ----------------------------------------------------------------------------------------------------------------
# code PyTorch fails on: an error at the marked line, nowhere else

BROKEN = {
    "view_minus_one_does_not_split": ("SB202", HEAD + code("""
        # specbridge: input (1, 28, 28)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = x.view(-1, 16 * 5 * 5)  # !
                return self.fc1(x)
    """), "Net()", (1, 28, 28), None),
    "lenet_on_28x28_comment": ("SB203", LENET.replace("(1, 32, 32)", "(1, 28, 28)").replace("# fc1", "# !"),
                               "Net()", (1, 28, 28), None),
    "lenet_on_literal_randn": ("SB203", LENET.replace("# specbridge: input (1, 32, 32)\n", "").replace("# fc1", "# !")
                               + "\nnet = Net()\nout = net(torch.randn(4, 1, 28, 28))\n", "Net()", (1, 28, 28), None),
    "cat_dim1_mismatch": ("SB204", HEAD + code("""
        # specbridge: input (3, 8, 8)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(3, 4, 3)
                self.b = nn.Conv2d(3, 4, 3, padding=1)

            def forward(self, x):
                return torch.cat([self.a(x), self.b(x)], dim=1)  # !
    """), "M()", (3, 8, 8), None),
    "residual_add_mismatch": ("SB204", HEAD + code("""
        # specbridge: input (3, 8, 8)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(3, 4, 3, padding=1)

            def forward(self, x):
                out = self.a(x)
                out += x  # !
                return out
    """), "M()", (3, 8, 8), None),
    "bidirectional_final_state_into_wrong_linear": ("SB203", HEAD + code("""
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 16, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(32, 3)  # !

            def forward(self, x):
                _, (h, c) = self.lstm(x)
                return self.fc(h[-1])

        m = M()
        y = m(torch.randn(2, 5, 8))
    """), "m", (5, 8), None),
    "lstm_input_size": ("SB203", HEAD + code("""
        # specbridge: input (10, 6)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(8, 16, batch_first=True)  # !

            def forward(self, x):
                x, _ = self.lstm(x)
                return x
    """), "M()", (10, 6), None),
    "kernel_larger_than_input": ("SB201", HEAD + code("""
        # specbridge: input (1, 4, 4)
        net = nn.Sequential(
            nn.Conv2d(1, 2, 3),
            nn.Conv2d(2, 2, 3),  # !
        )
    """), "net", (1, 4, 4), None),
    "pool_larger_than_input": ("SB201", HEAD + code("""
        # specbridge: input (1, 4, 4)
        net = nn.Sequential(
            nn.Conv2d(1, 2, 3),
            nn.MaxPool2d(3),  # !
        )
    """), "net", (1, 4, 4), None),
    "batchnorm_features": ("SB203", HEAD + code("""
        # specbridge: input (4, 9)
        net = nn.Sequential(
            nn.Conv1d(4, 2, 3),
            nn.BatchNorm1d(4),  # !
        )
    """), "net", (4, 9), None),
    "layernorm_shape": ("SB203", HEAD + code("""
        # specbridge: input (5, 6)
        net = nn.Sequential(nn.LayerNorm(5))  # !
    """), "net", (5, 6), None),
    "missing_flatten": ("SB203", HEAD + code("""
        # specbridge: input (3, 8, 8)
        net = nn.Sequential(
            nn.Conv2d(3, 4, 3),
            nn.Linear(4 * 6 * 6, 10),  # !
        )
    """), "net", (3, 8, 8), None),
    "conv_channels_after_conv": ("SB203", HEAD + code("""
        # specbridge: input (3, 8, 8)
        net = nn.Sequential(
            nn.Conv2d(3, 16, 3),
            nn.ReLU(),
            nn.Conv2d(32, 8, 3),  # !
        )
    """), "net", (3, 8, 8), None),
    "embedding_smaller_than_the_ids": ("SB210", HEAD + code("""
        emb = nn.Sequential(nn.Embedding(50, 4))  # !
        y = emb(torch.randint(0, 100, (2, 7)))
    """), "emb", (7,), 100),
    "module_list_loop_wrong_channels": ("SB203", HEAD + code("""
        # specbridge: input (3, 16, 16)
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.convs = nn.ModuleList([nn.Conv2d(3, 8, 3)])
                for _ in range(2):
                    self.convs.append(nn.Conv2d(3, 8, 3))  # !

            def forward(self, x):
                for conv in self.convs:
                    x = conv(x)
                return x
    """), "M()", (3, 16, 16), None),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_pytorch_fails_and_the_reader_reports_the_line(torch, name):
    wanted, src, model, shape, ids = BROKEN[name]
    assert_torch_fails_at(torch, src, model, shape, wanted, ids=ids)


def test_view_error_names_the_sizes(torch):
    _, src, model, shape, _ = BROKEN["view_minus_one_does_not_split"]
    result, real = assert_torch_fails_at(torch, src, model, shape, "SB202")
    assert "is invalid for input of size" in str(real.error)
    (error,) = result.errors
    assert "6*12*12" in error.message and "400" in error.message  # conv 24x24, pooled to 12x12, 6 channels


def test_linear_mismatch_points_at_in_features_with_the_fix(torch):
    src = LENET.replace("(1, 32, 32)", "(1, 28, 28)")
    result, real = assert_torch_fails_at(torch, src, "Net()", (1, 28, 28), "SB203", "# fc1")
    assert "2x256 and 400x120" in str(real.error)
    (error,) = result.errors
    text = src.splitlines()[error.line - 1]
    assert error.column == text.index("16 * 5 * 5") + 1  # the in_features argument
    assert "nn.Linear(256, 120)" in (error.hint or "")


# ----------------------------------------------------------------------------------------------------------------
# the input shape: comment, --input-shape (read_python(input_shape=...)), or none at all

NO_COMMENT = LENET.replace("# specbridge: input (1, 32, 32)\n", "")


def test_input_shape_argument_good(torch):
    result, model, _ = assert_torch_runs_the_same(torch, NO_COMMENT, "Net()", (1, 32, 32), input_shape=(1, 32, 32))
    assert not model.assumed_input
    assert "SB604" not in {d.code for d in result.diagnostics}


def test_input_shape_argument_bad(torch):
    assert_torch_fails_at(torch, NO_COMMENT, "Net()", (1, 28, 28), "SB203", "# fc1", input_shape=(1, 28, 28))


def test_comment_wins_over_input_shape_argument(torch):
    # the comment states 32x32, which runs; the argument (28x28) is for code that states nothing
    result = read(LENET, (1, 28, 28))
    assert run_torch(torch, LENET, "Net()", (1, 32, 32)).error is None
    assert not result.errors, errors(result)


def test_no_input_shape_runs_clean_with_an_info(torch):
    result = read(NO_COMMENT)
    assert not result.errors, errors(result)
    info = [d for d in result.diagnostics if d.code == "SB604"]
    assert len(info) == 1 and info[0].severity is Severity.INFO
    assert info[0].line == line_of(NO_COMMENT, "class Net")
    real = run_torch(torch, NO_COMMENT, "Net()", (1, 32, 32))
    assert real.error is None
    model = the_model(result)
    assert model.assumed_input
    assert compare(model, real, exact=False) >= 2  # conv1 (6, ?, ?), fc3 (10,): what the layers declare


def test_no_input_shape_channel_chain_mismatch_is_still_caught(torch):
    src = NO_COMMENT.replace("self.conv2 = nn.Conv2d(6, 16, 5)", "self.conv2 = nn.Conv2d(8, 16, 5)  # !")
    real = run_torch(torch, src, "Net()", (1, 32, 32))
    assert real.error is not None and "to have 8 channels, but got 6" in str(real.error)
    for size in (28, 64):  # whatever the image size, conv2 reads 6 channels
        assert run_torch(torch, src, "Net()", (1, size, size)).error is not None
    result = read(src)
    assert [(d.code, d.line) for d in result.errors] == [("SB203", line_of(src, "# !"))], errors(result)
    assert "SB604" in {d.code for d in result.diagnostics}


def test_no_input_shape_sequential_linear_chain(torch):
    src = HEAD + "model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(40, 10))  # !\n"
    assert run_torch(torch, src, "model", (100,)).error is not None
    result = read(src)
    assert [d.code for d in result.errors] == ["SB203"], errors(result)
    assert result.errors[0].column == src.splitlines()[-1].index("40") + 1


def test_no_input_shape_linear_chain_after_flatten(torch):
    src = HEAD + code("""
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.Flatten(),
            nn.Linear(100, 50),
            nn.ReLU(),
            nn.Linear(40, 10),  # !
        )
    """)
    for size in (7, 28):  # 4*5*5 = 100 features: fits the first Linear; the second never fits
        assert run_torch(torch, src, "model", (1, size, size)).error is not None
    result = read(src)
    assert [(d.code, d.line) for d in result.errors] == [("SB203", line_of(src, "# !"))]


def test_literal_randn_states_the_input(torch):
    src = NO_COMMENT + "\nnet = Net()\nout = net(torch.randn(4, 1, 32, 32))\n"
    result, model, _ = assert_torch_runs_the_same(torch, src, "net", (1, 32, 32))
    assert not model.assumed_input
    assert "SB604" not in {d.code for d in result.diagnostics}


def test_batch_size_of_the_literal_is_in_the_message(torch):
    src = NO_COMMENT + "\nnet = Net()\nout = net(torch.randn(4, 1, 28, 28))\n"
    real = run_torch(torch, src, "net", (1, 28, 28))
    assert "4x256" in str(real.error)  # the module-level line already fails, with the literal's batch of 4
    (error,) = read(src).errors
    assert "4x256 and 400x120" in error.message


def test_embedding_ids_from_randint_beyond_num_embeddings(torch):
    _, src, _, _, _ = BROKEN["embedding_smaller_than_the_ids"]
    real = run_torch(torch, src, "emb", (7,), 100)
    assert isinstance(real.error, IndexError)
    (error,) = read(src).errors
    assert error.code == "SB210" and "Embedding(100, 4)" in (error.hint or "")


def test_embedding_ids_within_num_embeddings(torch):
    src = HEAD + code("""
        emb = nn.Sequential(nn.Embedding(100, 4), nn.Flatten(), nn.Linear(28, 3))
        y = emb(torch.randint(0, 100, (2, 7)))
    """)
    assert_torch_runs_the_same(torch, src, "emb", (7,), 100)


# ----------------------------------------------------------------------------------------------------------------
# bugs found (each test states what PyTorch does; xfail until the reader agrees)

UNDECIDED_IF = HEAD + code("""
    import os

    # specbridge: input (4,)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if os.environ.get("SPECBRIDGE_TEST_SMALL") is None:
                self.fc = nn.Linear(4, 2)
            else:
                self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x)
""")


def test_attribute_assigned_under_an_undecided_if_is_not_guessed(torch, monkeypatch):
    monkeypatch.delenv("SPECBRIDGE_TEST_SMALL", raising=False)
    assert run_torch(torch, UNDECIDED_IF, "Net()", (4,)).error is None
    result = read(UNDECIDED_IF)
    assert not result.errors, errors(result)


def test_attribute_assigned_in_a_while_loop_is_not_guessed(torch):
    src = HEAD + code("""
        # specbridge: input (4,)
        class Net(nn.Module):
            def __init__(self, n=3):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                while n > 5:
                    self.fc = nn.Linear(3, 2)
                    n -= 1

            def forward(self, x):
                return self.fc(x)
    """)
    assert run_torch(torch, src, "Net()", (4,)).error is None
    result = read(src)
    assert not result.errors, errors(result)


@pytest.mark.parametrize("child", ["OrderedDict([('fc', nn.Linear(10, 2))])", "nn.Linear(10, 2), mylib.Thing()"])
def test_sequential_with_an_unknown_child_does_not_crash(child):
    src = HEAD + f"import mylib\nfrom collections import OrderedDict\nnet = nn.Sequential({child})\n"
    result = read(src)
    assert not result.errors


def test_sequential_of_ordered_dict_runs_in_pytorch(torch):
    # the premise of the crash test above: PyTorch builds and runs it (the reader must not raise on it)
    src = HEAD + "from collections import OrderedDict\nnet = nn.Sequential(OrderedDict([('fc', nn.Linear(10, 2))]))\n"
    real = run_torch(torch, src, "net", (10,))
    assert real.error is None and real.outputs == [(2,)] and real.leaves == {"fc": (2,)}


def test_enumerate_over_a_module_list(torch):
    src = RESNET.replace("for i in range(3):\n            x = self.blocks[i](x)",
                         "for i, block in enumerate(self.blocks):\n            x = block(x)")
    assert src != RESNET
    assert_torch_runs_the_same(torch, src, "ResNet()", (3, 32, 32))


def test_same_padding_with_stride_is_an_error(torch):
    src = HEAD + "# specbridge: input (1, 8, 8)\nnet = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding='same'))  # !\n"
    real = run_torch(torch, src, "net", (1, 8, 8))
    assert real.error is not None
    result = read(src)
    assert [d.line for d in result.errors] == [line_of(src, "# !")]


def test_pool_padding_over_half_the_kernel_is_an_error(torch):
    src = HEAD + "# specbridge: input (1, 8, 8)\nnet = nn.Sequential(nn.MaxPool2d(2, padding=2))  # !\n"
    real = run_torch(torch, src, "net", (1, 8, 8))
    assert real.error is not None
    result = read(src)
    assert [d.line for d in result.errors] == [line_of(src, "# !")]


def test_sequential_diagnostics_have_a_line():
    src = HEAD + "# specbridge: input (8,)\nnet = nn.Sequential(nn.Linear(8, 4), nn.Conv1d(4, 2, 1))\n"
    result = read(src)
    assert result.diagnostics
    assert all(d.line >= 1 for d in result.diagnostics), [(d.code, d.line) for d in result.diagnostics]
