"""The helper modules of emitted PyTorch files (specbridge/emit/torch/runtime.py), tested directly; and how the
emitter copies them from that file's own text."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

from specbridge.emit.torch import helpers as H

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from specbridge.emit.torch import runtime as R  # noqa: E402
from specbridge.emit.torch import runtime_activations as RV  # noqa: E402
from specbridge.emit.torch import runtime_attention as RA  # noqa: E402
from specbridge.emit.torch import runtime_einsum as RE  # noqa: E402
from specbridge.emit.torch import runtime_merging as RM  # noqa: E402
from specbridge.emit.torch import runtime_normalization as RN  # noqa: E402
from specbridge.emit.torch import runtime_preprocessing as RP  # noqa: E402
from specbridge.emit.torch import runtime_recurrent as RRC  # noqa: E402


def close(actual, expected, atol=1e-6):
    expected = torch.as_tensor(expected, dtype=actual.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert torch.allclose(actual, expected, atol=atol), (actual, expected)


# ---------------------------------------------------------------- copying the helpers into emitted files


def test_every_runtime_class_is_a_helper_with_its_own_source():
    classes = {name: module for module in (R, RP, RN, RA, RV, RM, RE, RRC) for name, obj in vars(module).items()
               if inspect.isclass(obj) and obj.__module__ == module.__name__}
    table = H.helpers()
    assert set(table) == set(classes)
    for name, helper in table.items():
        assert helper.source == inspect.getsource(getattr(classes[name], name)).rstrip() + "\n"
    assert H.helpers()["Rescaling"].requires == {"FloatInput"}  # a base class is a requirement too


def test_copied_helpers_run_with_the_emitted_imports_only():
    namespace = {"torch": torch, "nn": nn}
    exec(compile("\n\n".join(H.helper_sources(set(H.helpers()))), "copied", "exec"), namespace)
    x = torch.arange(6.0).reshape(1, 2, 3)
    assert torch.equal(namespace["ChannelsLast"]()(x), R.ChannelsLast()(x))


def test_requirements_come_from_the_class_bodies(tmp_path, monkeypatch):
    runtime = tmp_path / "runtime.py"
    runtime.write_text(textwrap.dedent('''\
        from torch import nn


        class Inner(nn.Module):
            pass


        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = Inner()


        class Alone(nn.Module):
            """Mentions Inner in words only."""
        '''))
    monkeypatch.setattr(H, "RUNTIME", runtime)
    H.helpers.cache_clear()
    try:
        assert H.helpers()["Outer"].requires == {"Inner"}
        assert H.helpers()["Alone"].requires == frozenset()
        assert [s.split("(")[0] for s in H.helper_sources({"Outer"})] == ["class Inner", "class Outer"]
    finally:
        H.helpers.cache_clear()


def test_emitting_imports_no_torch():
    code = textwrap.dedent("""\
        import sys
        sys.modules["torch"] = None
        from pathlib import Path
        from specbridge.emit import torch_source
        source = torch_source(Path("tests/emit/graph_all_merges.spec.yaml").read_text())
        assert "class Add(nn.Module)" in source
        """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- layout and shape helpers


def test_channel_moves():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    close(R.ChannelsLast()(x), x.permute(0, 2, 3, 1))
    close(R.ChannelsFirst()(x), x.permute(0, 3, 1, 2))


def test_crop_drops_cells_before_and_after_on_the_last_axes():
    x = torch.arange(30.0).reshape(1, 1, 5, 6)
    close(R.Crop((1, 2), (0, 1))(x), x[..., 1:3, 0:5])
    close(R.Crop((0, 0), (2, 0))(x), x[..., 2:])


def test_reshape_permute_repeat_vector():
    x = torch.arange(12.0).reshape(2, 6)
    close(R.Reshape(3, 2)(x), x.reshape(2, 3, 2))
    close(R.Reshape(-1, 2)(x), x.reshape(2, 3, 2))
    y = torch.arange(24.0).reshape(1, 2, 3, 4)
    close(R.Permute(3, 1, 2)(y), y.permute(0, 3, 1, 2))
    close(R.RepeatVector(3)(torch.tensor([[1.0, 2.0]])), [[[1.0, 2.0]] * 3])


def test_avg_pool_same_counts_real_cells_only():
    pool = R.AvgPoolSame(nn.AvgPool1d(3, stride=2), nn.ZeroPad1d((0, 1)), (4,))  # TF SAME split of (4, 3, 2)
    close(pool(torch.tensor([[[1.0, 2.0, 3.0, 4.0]]])), [[[2.0, 3.5]]])


def test_time_distributed_applies_the_layer_at_every_step():
    torch.manual_seed(0)
    linear = nn.Linear(3, 2)
    x = torch.randn(2, 4, 3)
    close(R.TimeDistributed(linear)(x), linear(x))


# ---------------------------------------------------------------- activations


def test_keras_relu():
    relu = R.KerasReLU(max_value=6.0, negative_slope=0.1, threshold=1.0)
    close(relu(torch.tensor([-2.0, 0.5, 3.0, 8.0])), [-0.3, -0.05, 3.0, 6.0])
    close(R.KerasReLU(None, 0.0, 2.0)(torch.tensor([1.0, 3.0])), [0.0, 3.0])


def test_elementwise_activations():
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
    close(R.Exponential()(x), torch.exp(x))
    close(R.SparsePlus()(x), [0.0, 0.0, 0.25, 1.0, 2.0])
    close(R.Squareplus()(torch.tensor([-1.5, 0.0, 1.5])), [0.5, 1.0, 2.0])


def test_sparsemax_as_keras_tensorflow_backend_computes_it():
    """keras.activations.sparsemax on TensorFlow: tau = (sum of the cumulative sums over the support - 1) / k, so
    with more than one element in the support it is not the textbook projection ([0.5, 0.5, 0] for the 2nd row)."""
    x = torch.tensor([[1.0, 0.0, -1.0], [2.0, 2.0, -3.0], [0.5, 0.3, 0.0]])
    close(R.Sparsemax(dim=-1)(x), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.4 / 3, 0.0, 0.0]])
    close(R.Sparsemax(dim=0)(x.T), R.Sparsemax(dim=-1)(x).T)


# ---------------------------------------------------------------- merges


def test_merges():
    a, b, c = torch.tensor([1.0, -2.0]), torch.tensor([3.0, 5.0]), torch.tensor([-4.0, 0.5])
    close(R.Add()(a, b, c), [0.0, 3.5])
    close(R.Subtract()(a, b), [-2.0, -7.0])
    close(R.Multiply()(a, b, c), [-12.0, -5.0])
    close(R.Average()(a, b, c), [0.0, 3.5 / 3])
    close(R.Maximum()(a, b, c), [3.0, 5.0])
    close(R.Minimum()(a, b, c), [-4.0, -2.0])
    close(R.Concatenate(dim=1)(torch.ones(1, 2), torch.zeros(1, 1)), [[1.0, 1.0, 0.0]])


def test_merge_then_runs_its_stages_on_the_merged_output():
    """A merge that is a model output ends with the move to the output's layout (emit/torch/assemble.py)."""
    a, b = torch.randn(2, 4, 5, 3), torch.randn(2, 4, 5, 3)
    close(R.MergeThen(R.Add(), R.ChannelsFirst())(a, b), (a + b).permute(0, 3, 1, 2))


# ---------------------------------------------------------------- recurrent


def test_recurrent_returns_what_keras_returns():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 2, batch_first=True)
    x = torch.randn(2, 5, 3)
    full, _ = rnn(x)
    close(R.Recurrent(rnn, return_sequences=True)(x), full)
    close(R.Recurrent(rnn, return_sequences=False)(x), full[:, -1])
    close(R.Recurrent(rnn, return_sequences=False, go_backwards=True)(x), rnn(x.flip(1))[0][:, -1])


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_merges_each_directions_final_state(merge_mode):
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 2, batch_first=True, bidirectional=True)
    x = torch.randn(2, 5, 3)
    out, _ = lstm(x)
    forward, backward = out[:, -1, :2], out[:, 0, 2:]
    expected = {"concat": torch.cat((forward, backward), dim=-1), "sum": forward + backward,
                "mul": forward * backward, "ave": (forward + backward) / 2}[merge_mode]
    close(R.Bidirectional(lstm, 2, merge_mode, return_sequences=False)(x), expected)
    assert R.Bidirectional(lstm, 2, merge_mode, return_sequences=True)(x).shape[:2] == (2, 5)


def test_gru_reset_before_first_step():
    """From a zero state the reset gate has nothing to act on: h1 = (1 - z) * tanh(x W_h + b_h)."""
    torch.manual_seed(0)
    gru = R.GRUResetBefore(3, 2)
    with torch.no_grad():
        gru.bias.uniform_(-1, 1)
    x = torch.randn(4, 1, 3)
    pre = x[:, 0] @ gru.weight_ih.T + gru.bias
    z, h = torch.sigmoid(pre[:, :2]), torch.tanh(pre[:, 4:])
    out, state = gru(x)
    assert state is None
    close(out[:, 0], (1 - z) * h)


def test_gru_reset_before_runs_both_directions():
    torch.manual_seed(0)
    gru = R.GRUResetBefore(3, 2, bidirectional=True, activation=nn.Identity())
    x = torch.randn(2, 4, 3)
    out, _ = gru(x)
    assert out.shape == (2, 4, 4)
    close(out[:, :, 2:], gru._direction(x.flip(1), "_reverse").flip(1))


# ---------------------------------------------------------------- preprocessing


def test_float_input_casts_integer_images_to_the_model_float_dtype():
    images = torch.arange(6, dtype=torch.uint8).reshape(1, 2, 3)
    assert RP.FloatInput()(images).dtype == torch.float32
    assert RP.FloatInput().to(torch.float64)(images).dtype == torch.float64  # follows .to()
    x = torch.ones(2, dtype=torch.float16)
    assert RP.FloatInput()(x) is x


def test_rescaling_rounds_its_constants_to_float32_as_keras_does():
    module = RP.Rescaling([0.1, 0.2], 0.3).to(torch.float64)
    out = module(torch.ones(1, 2, dtype=torch.int32))
    assert out.dtype == torch.float64
    expected = [float(torch.tensor(v, dtype=torch.float32)) + float(torch.tensor(0.3, dtype=torch.float32))
                for v in (0.1, 0.2)]
    assert out.tolist() == [expected]


def test_keras_normalization_adapted_and_given():
    adapted = RP.KerasNormalization((2,), (1, 1, 2), False)
    assert {name for name, _ in adapted.named_buffers()} == {"adapt_mean", "adapt_variance", "like"}
    assert set(adapted.state_dict()) == {"adapt_mean", "adapt_variance"}  # the Keras variables only
    adapted.adapt_mean.copy_(torch.tensor([1.0, -1.0]))
    adapted.adapt_variance.copy_(torch.tensor([4.0, 0.0]))
    x = torch.ones(1, 3, 2)
    close(adapted(x), [[[0.0, 2e7]] * 3])  # a zero variance divides by 1e-7
    given = RP.KerasNormalization((), (1, 1), True, mean=1.0, variance=4.0)
    assert set(given.state_dict()) == set()  # constants, not variables
    close(given(torch.tensor([[1.0], [2.0]])), [[3.0], [5.0]])


def test_keras_gelu_is_tensorflows_to_the_last_digit_in_float64():
    """tf.nn.gelu rounds 1/sqrt(2) to float32 in every dtype; nn.GELU does not (~5e-9 off in float64)."""
    import numpy as np
    from frameworks import import_framework

    tf = import_framework("tensorflow")
    x = np.random.default_rng(3).normal(size=(1000,)) * 3
    want = tf.nn.gelu(tf.constant(x), approximate=False).numpy()
    got = RV.KerasGELU()(torch.from_numpy(x)).numpy()
    assert np.abs(got - want).max() <= 1e-15
    assert np.abs(nn.GELU()(torch.from_numpy(x)).numpy() - want).max() > 1e-10  # what the helper is for
