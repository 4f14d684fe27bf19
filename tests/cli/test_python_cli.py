"""The CLI on model code (.py): check, summary, explain and import, judged by the frameworks.

Each model file is written to a temporary directory and run through the CLI in-process (the `run` fixture); the
same file is executed with PyTorch or Keras to establish whether it is fine, and with which shapes. Expected
lines and columns are computed from the file's text.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from code_samples import ENCODER_DECODER
from frameworks import import_framework

LENET = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)
""")
LENET_32 = LENET.replace("class Net", "# specbridge: input (1, 32, 32)\nclass Net")
LENET_28 = LENET.replace("class Net", "# specbridge: input (1, 28, 28)\nclass Net")

TWO_MODELS = textwrap.dedent("""\
    import keras
    from keras import layers

    small = keras.Sequential([keras.Input((8,)), layers.Dense(4, name="hidden"), layers.Dense(1, name="out")])
    big = keras.Sequential([keras.Input((16,)), layers.Dense(32), layers.Dense(2)], name="big_one")
""")

KERAS_CNN = textwrap.dedent("""\
    from tensorflow import keras
    from tensorflow.keras import layers

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, 3, 2, "same", activation="relu"),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax", name="classifier"),
    ], name="mnist_cnn")
""")

CEIL_MODULE = textwrap.dedent("""\
    import torch.nn as nn

    # specbridge: input (3, 9, 9)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.pool = nn.MaxPool2d(2, ceil_mode=True)

        def forward(self, x):
            return self.pool(self.conv(x))
""")


def line_of(src: str, marker: str) -> int:
    found = [i for i, text in enumerate(src.splitlines(), 1) if marker in text]
    assert len(found) == 1, (marker, found)
    return found[0]


def column_of(src: str, marker: str) -> int:
    return src.splitlines()[line_of(src, marker) - 1].index(marker) + 1


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


def torch_output(torch, src: str, model: str, shape: tuple):
    """PyTorch's output shape (batch dropped) for the model built by `src`, or the exception."""
    namespace: dict = {"__name__": "snippet"}
    try:
        exec(compile(src, "<snippet>", "exec"), namespace)
        with torch.no_grad():
            return tuple(eval(model, namespace).eval()(torch.randn(2, *shape)).shape[1:])
    except Exception as exc:  # noqa: BLE001
        return exc


def keras_models(keras, src: str) -> dict:
    keras.backend.clear_session()
    namespace: dict = {"__name__": "snippet"}
    exec(compile(src, "<snippet>", "exec"), namespace)
    return {k: v for k, v in namespace.items() if isinstance(v, keras.Model)}


# ----------------------------------------------------------------------------------------------------------------
# check


def test_check_good_torch_file_exits_0(run, here, torch):
    assert torch_output(torch, LENET_32, "Net()", (1, 32, 32)) == (10,)
    write(here, "model.py", LENET_32)
    result = run("check", "model.py")
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout.lower()


def test_check_broken_torch_file_shows_place_code_and_hint(run, here, torch):
    failure = torch_output(torch, LENET_28, "Net()", (1, 28, 28))
    assert isinstance(failure, RuntimeError) and "256 and 400x120" in str(failure)
    write(here, "model.py", LENET_28)
    result = run("check", "model.py")
    assert result.exit_code == 1, result.output
    line, column = line_of(LENET_28, "self.fc1 ="), column_of(LENET_28, "16 * 5 * 5")
    assert f"model.py:{line}:{column}: SB203 error" in result.stdout
    assert "self.fc1 = nn.Linear(16 * 5 * 5, 120)" in result.stdout  # the code line, quoted
    assert "hint:" in result.stdout and "nn.Linear(256, 120)" in result.stdout


def test_check_json_has_the_line(run, here):
    write(here, "model.py", LENET_28)
    result = run("check", "model.py", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    (error,) = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert (error["file"], error["code"], error["line"], error["column"]) == (
        "model.py", "SB203", line_of(LENET_28, "self.fc1 ="), column_of(LENET_28, "16 * 5 * 5"))
    assert error["layer"] == "fc1" and error["hint"]


def test_check_input_shape_option(run, here, torch):
    assert torch_output(torch, LENET, "Net()", (1, 32, 32)) == (10,)
    assert isinstance(torch_output(torch, LENET, "Net()", (1, 28, 28)), RuntimeError)
    write(here, "model.py", LENET)
    without = run("check", "model.py")
    assert without.exit_code == 0 and "SB604" in without.stdout  # no input stated: an info, not a verdict
    assert run("check", "model.py", "--input-shape", "1,32,32").exit_code == 0
    bad = run("check", "model.py", "--input-shape", "1,28,28")
    assert bad.exit_code == 1 and f"model.py:{line_of(LENET, 'self.fc1 =')}:" in bad.stdout
    assert run("check", "model.py", "--input-shape", "(1, 28, 28)").exit_code == 1


@pytest.mark.parametrize("shape", ["a,b", "0,28,28", ""])
def test_check_bad_input_shape_is_a_usage_error(run, here, shape):
    write(here, "model.py", LENET)
    result = run("check", "model.py", "--input-shape", shape)
    assert result.exit_code == 2
    assert "--input-shape" in result.stderr


def test_check_syntax_error(run, here):
    src = "import torch\n\ndef f(:\n    pass\n"
    write(here, "model.py", src)
    result = run("check", "model.py")
    assert result.exit_code == 1
    assert "model.py:3:" in result.stdout and "SB600" in result.stdout


def test_check_nonexistent_py_is_a_usage_error(run, here):
    result = run("check", "missing.py")
    assert result.exit_code == 2
    assert "missing.py" in result.stderr


def test_check_directory_with_python_option(run, here, torch):
    write(here, "models/good.py", LENET_32)
    write(here, "models/deep/broken.py", LENET_28)
    write(here, "models/notes.py", "def f(:\n")  # imports no framework: not model code, not read
    write(here, "models/helper.py", "import os\nx = os.getcwd()\n")
    assert isinstance(torch_output(torch, LENET_28, "Net()", (1, 28, 28)), RuntimeError)
    result = run("check", "models", "--python", "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    files = {d["file"] for d in document["diagnostics"]}
    assert any(f.endswith("broken.py") for f in files)
    assert not any(f.endswith(("notes.py", "helper.py", "good.py")) for f in files), files
    assert document["files_checked"] == 2
    good_only = run("check", "models/good.py", "models/helper.py")
    assert good_only.exit_code == 0, good_only.output


def test_check_directory_of_python_without_the_option_is_a_usage_error(run, here):
    write(here, "models/good.py", LENET_32)
    result = run("check", "models")
    assert result.exit_code == 2
    assert "models" in result.stderr


def test_check_file_with_byte_order_mark(run, here, torch):
    data = b"\xef\xbb\xbf" + LENET_32.encode("utf-8")
    namespace: dict = {}
    exec(compile(data, "model.py", "exec"), namespace)  # Python reads the BOM as the encoding declaration
    (here / "model.py").write_bytes(data)
    result = run("check", "model.py")
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------------------------------------------------
# summary and explain


def test_summary_of_a_keras_file_matches_keras(run, here, keras):
    import_framework("tensorflow")
    real = keras_models(keras, KERAS_CNN)["model"]
    write(here, "cnn.py", KERAS_CNN)
    result = run("summary", "cnn.py", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["total_params"] == real.count_params()
    ours = {layer["name"]: layer for layer in document["layers"]}
    for layer in real.layers:
        assert ours[layer.name]["output_shape"] == [None, *layer.output.shape[1:]], layer.name
        assert ours[layer.name]["params"] == layer.count_params(), layer.name
    text = run("summary", "cnn.py")
    assert text.exit_code == 0 and "mnist_cnn" in text.stdout and "classifier (Dense)" in text.stdout


def test_summary_of_a_torch_file(run, here, torch):
    assert torch_output(torch, LENET_32, "Net()", (1, 32, 32)) == (10,)
    write(here, "model.py", LENET_32)
    result = run("summary", "model.py", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    net = torch_net(torch, LENET_32)
    assert document["total_params"] == sum(p.numel() for p in net.parameters())
    assert document["layers"][-1]["output_shape"] == [None, 10]


def torch_net(torch, src: str):
    namespace: dict = {"__name__": "snippet"}
    exec(compile(src, "<snippet>", "exec"), namespace)
    return namespace["Net"]()


def test_summary_with_several_models(run, here, keras):
    models = keras_models(keras, TWO_MODELS)
    write(here, "two.py", TWO_MODELS)
    unchosen = run("summary", "two.py")
    assert unchosen.exit_code == 2
    assert "small" in unchosen.stderr and "big_one" in unchosen.stderr and "--model" in unchosen.stderr
    for name, real in (("small", models["small"]), ("big_one", models["big"])):
        result = run("summary", "two.py", "--model", name, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["total_params"] == real.count_params()


def test_summary_unknown_model_names_the_models(run, here):
    write(here, "two.py", TWO_MODELS)
    result = run("summary", "two.py", "--model", "nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "small" in result.stderr and "big_one" in result.stderr


def test_summary_of_a_file_without_models(run, here):
    write(here, "empty.py", "import torch\nx = 1\n")
    result = run("summary", "empty.py")
    assert result.exit_code == 2
    assert "no Keras or PyTorch model" in result.stderr


def test_summary_of_a_file_with_an_error_shows_it(run, here):
    write(here, "model.py", LENET_28)
    result = run("summary", "model.py")
    assert result.exit_code == 1
    assert f"model.py:{line_of(LENET_28, 'self.fc1 =')}:" in result.stdout


def test_explain_one_layer(run, here, keras):
    real = keras_models(keras, TWO_MODELS)["small"]
    write(here, "two.py", TWO_MODELS)
    result = run("explain", "two.py", "--model", "small", "-l", "hidden")
    assert result.exit_code == 0, result.output
    assert "hidden (Dense)" in result.stdout
    assert f"params: {real.get_layer('hidden').count_params()}" in result.stdout
    assert "(None, 4)" in result.stdout
    assert "out (Dense)" not in result.stdout  # only the layer asked for
    missing = run("explain", "two.py", "--model", "small", "-l", "nope")
    assert missing.exit_code == 2 and "hidden" in missing.stderr


def test_explain_torch_layer(run, here):
    write(here, "model.py", LENET_32)
    result = run("explain", "model.py", "-l", "fc1")
    assert result.exit_code == 0, result.output
    assert "fc1 (Dense)" in result.stdout and "400" in result.stdout  # 16 * 5 * 5 features in


# ----------------------------------------------------------------------------------------------------------------
# import


def test_import_keras_file_writes_a_spec_check_accepts(run, here, keras):
    import_framework("tensorflow")
    real = keras_models(keras, KERAS_CNN)["model"]
    write(here, "cnn.py", KERAS_CNN)
    result = run("import", "cnn.py", "-o", "out.spec.yaml")
    assert result.exit_code == 0, result.output
    assert (here / "out.spec.yaml").exists()
    assert run("check", "out.spec.yaml").exit_code == 0
    summary = json.loads(run("summary", "out.spec.yaml", "--format", "json").stdout)
    assert summary["total_params"] == real.count_params()
    assert summary["layers"][-1]["output_shape"] == [None, 10]


def test_import_torch_file_with_input_shape(run, here, torch):
    assert torch_output(torch, LENET, "Net()", (1, 32, 32)) == (10,)
    write(here, "model.py", LENET)
    result = run("import", "model.py", "--input-shape", "1,32,32", "-o", "net.spec.yaml")
    assert result.exit_code == 0, result.output
    assert run("check", "net.spec.yaml").exit_code == 0
    summary = json.loads(run("summary", "net.spec.yaml", "--format", "json").stdout)
    assert summary["total_params"] == sum(p.numel() for p in torch_net(torch, LENET).parameters())
    assert summary["layers"][-1]["output_shape"] == [None, 10]
    assert "channels_first" in (here / "net.spec.yaml").read_text()


def test_import_torch_without_input_shape_fails(run, here):
    write(here, "model.py", LENET)
    result = run("import", "model.py", "-o", "net.spec.yaml")
    assert result.exit_code == 1
    assert "SB400" in result.output and not (here / "net.spec.yaml").exists()


def test_import_ceil_mode_is_sb400_at_its_line(run, here, torch):
    assert torch_output(torch, CEIL_MODULE, "Net()", (3, 9, 9)) == (4, 4, 4)  # 7 -> ceil(7 / 2) = 4
    write(here, "ceil.py", CEIL_MODULE)
    result = run("import", "ceil.py", "-o", "ceil.spec.yaml", "--format", "json")
    assert result.exit_code == 1
    (error,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "SB400"]
    assert "ceil_mode" in error["message"]
    # where the pool is written, or where forward applies it
    assert error["line"] in (line_of(CEIL_MODULE, "ceil_mode=True"), line_of(CEIL_MODULE, "self.pool(self.conv"))
    assert not (here / "ceil.spec.yaml").exists()
    text = run("import", "ceil.py", "-o", "ceil.spec.yaml")
    assert text.exit_code == 1 and f"ceil.py:{error['line']}:" in text.stdout


def test_import_ceil_mode_in_a_sequential_has_its_line(run, here, torch):
    src = textwrap.dedent("""\
        import torch.nn as nn

        # specbridge: input (3, 9, 9)
        net = nn.Sequential(
            nn.Conv2d(3, 4, 3),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Flatten(),
        )
    """)
    assert torch_output(torch, src, "net", (3, 9, 9)) == (64,)
    write(here, "ceil.py", src)
    result = run("import", "ceil.py", "--format", "json")
    assert result.exit_code == 1
    (error,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "SB400"]
    assert error["line"] == line_of(src, "ceil_mode=True")


def test_import_several_models_needs_model(run, here):
    write(here, "two.py", TWO_MODELS)
    assert run("import", "two.py").exit_code == 2
    result = run("import", "two.py", "--model", "big_one")
    assert result.exit_code == 0
    assert "name: big_one" in result.stdout


def test_import_nonexistent_py_is_a_usage_error(run, here):
    result = run("import", "missing.py")
    assert result.exit_code == 2


# ----------------------------------------------------------------------------------------------------------------
# --input-shape per model, and PyTorch's parameter counts in summary

BATCHNORM = textwrap.dedent("""\
    import torch.nn as nn


    # specbridge: input (3, 16, 16)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 4)
            self.features[0].requires_grad_(False)

        def forward(self, x):
            return self.fc(self.pool(self.features(x)).flatten(1))
""")


def test_check_input_shape_per_model(run, here, torch):
    encoder, decoder = (torch_output(torch, ENCODER_DECODER, name, shape) for name, shape in
                        (("Encoder()", (1, 28, 28)), ("Decoder()", (16,))))
    assert (encoder, decoder) == ((16,), (1, 28, 28))
    assert isinstance(torch_output(torch, ENCODER_DECODER, "Decoder()", (1, 28, 28)), RuntimeError)
    write(here, "model.py", ENCODER_DECODER)
    one = run("check", "model.py", "--input-shape", "1,28,28")  # one shape for both: the decoder cannot take it
    assert one.exit_code == 1 and f"model.py:{line_of(ENCODER_DECODER, 'nn.Linear(16, 28 * 28)')}:" in one.stdout
    both = run("check", "model.py", "--input-shape", "Encoder=1,28,28", "--input-shape", "Decoder=16")
    assert both.exit_code == 0, both.output
    assert "SB604" not in both.stdout  # each model has its input
    wrong = run("check", "model.py", "--input-shape", "Encoder=1,28,28", "--input-shape", "Decoder=1,28,28")
    assert wrong.exit_code == 1


@pytest.mark.parametrize("values,message", [
    (["Nope=1,28,28"], "no PyTorch model named 'Nope'"),
    (["Encoder=a,b"], "expected sizes"),
    (["Encoder=(1, 28, 28) int65"], "unknown dtype 'int65'"),
    (["Encoder=1,28,28", "Encoder=1,28,28"], "given twice for the model 'Encoder'"),
    (["1,28,28", "1,32,32"], "given twice without a model name"),
])
@pytest.mark.parametrize("command", ["check", "summary"])
def test_bad_input_shapes_are_usage_errors(run, here, values, message, command):
    write(here, "model.py", ENCODER_DECODER)
    args = [arg for value in values for arg in ("--input-shape", value)]
    result = run(command, "model.py", *args, *(["--model", "Encoder"] if command == "summary" else []))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_input_shape_for_a_keras_model_is_a_usage_error(run, here):
    write(here, "two.py", TWO_MODELS)
    result = run("check", "two.py", "--input-shape", "small=8")
    assert result.exit_code == 2 and "'small' is a Keras model" in result.stderr


def test_summary_of_a_torch_model_counts_as_pytorch_does(run, here, torch):
    namespace: dict = {}
    exec(compile(BATCHNORM, "<snippet>", "exec"), namespace)
    net = namespace["Net"]()
    total = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    buffers = sum(b.numel() for b in net.buffers())
    assert (total, trainable, buffers) == (276, 52, 17)  # the frozen conv's 224; BatchNorm: 16 + 17 buffers
    write(here, "model.py", BATCHNORM)
    document = json.loads(run("summary", "model.py", "--format", "json").stdout)
    assert (document["total_params"], document["trainable_params"], document["non_trainable_params"],
            document["buffers"]) == (total, trainable, total - trainable, buffers)
    layers = {layer["name"]: layer for layer in document["layers"]}
    modules = dict(net.named_modules())
    for name in ("features_0", "features_1", "fc"):
        module = modules[name.replace("_", ".")]
        assert layers[name]["params"] == sum(p.numel() for p in module.parameters()), name
        assert layers[name]["trainable_params"] == sum(p.numel() for p in module.parameters() if p.requires_grad)
    text = run("summary", "model.py")
    assert text.exit_code == 0, text.output
    assert f"Total params: {total:,} (1.08 KB)" in text.stdout
    assert f"Trainable params: {trainable:,} (208.00 B)" in text.stdout
    assert f"Non-trainable params: {total - trainable:,}" in text.stdout
    assert f"Buffers: {buffers} (72.00 B)" in text.stdout  # 16 float32 statistics and an int64 counter


def test_summary_of_keras_code_keeps_keras_counts(run, here, keras):
    real = keras_models(keras, KERAS_CNN)["model"]
    write(here, "cnn.py", KERAS_CNN)
    document = json.loads(run("summary", "cnn.py", "--format", "json").stdout)
    assert "buffers" not in document and document["total_params"] == real.count_params()
    assert "Buffers" not in run("summary", "cnn.py").stdout
