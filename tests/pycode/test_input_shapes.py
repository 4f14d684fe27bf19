"""The inputs a user states for PyTorch models: per model (--input-shape NAME=...), in the comment (with dtypes and
several inputs), and for all. Each case is judged by PyTorch run on tensors of the stated shapes and dtypes.
"""

from __future__ import annotations

import textwrap

import pytest
from code_samples import ENCODER_DECODER, HEAD
from frameworks import import_framework

from specbridge.pycode import read_python
from specbridge.pycode.inputs import Input, InputError, InputShapes, parse_inputs, parse_option

pytestmark = pytest.mark.torch


PAIR = HEAD + textwrap.dedent("""
    # specbridge: input (16,) int64, (12,) long
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(100, 8)
            self.fc = nn.Linear(28 * 8, 2)

        def forward(self, a, b):
            x = torch.cat([self.emb(a), self.emb(b)], dim=1)
            return self.fc(x.flatten(1))
""")


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


def torch_run(torch, src: str, model: str, inputs: list[Input]):
    """The model's output shape (batch dropped) on a batch of 2 of the inputs, or PyTorch's exception."""
    namespace: dict = {"__name__": "snippet"}
    exec(compile(src, "<snippet>", "exec"), namespace)
    net = namespace[model]().eval()
    tensors = [torch.randint(0, 10, (2, *i.shape)) if i.dtype.startswith("int") else
               torch.randn(2, *i.shape, dtype=getattr(torch, i.dtype)) for i in inputs]
    try:
        with torch.no_grad():
            return tuple(net(*tensors).shape[1:])
    except Exception as exc:  # noqa: BLE001 - PyTorch's verdict
        return exc


def outputs(result, name: str):
    (model,) = [m for m in result.models if m.class_name == name]
    return [tuple(o.tensor.shape) if o.known else None for o in model.outputs], model


def test_each_model_gets_its_own_input(torch):
    encoder, decoder = [Input((1, 28, 28))], [Input((16,))]
    shapes = InputShapes(named={"Encoder": encoder, "Decoder": decoder})
    result = read_python(ENCODER_DECODER, "model.py", shapes)
    assert not result.errors, [d.message for d in result.errors]
    assert outputs(result, "Encoder")[0] == [torch_run(torch, ENCODER_DECODER, "Encoder", encoder)] == [(16,)]
    assert outputs(result, "Decoder")[0] == [torch_run(torch, ENCODER_DECODER, "Decoder", decoder)] == [(1, 28, 28)]
    assert result.matched_inputs == {"Encoder", "Decoder"}


def test_one_shape_for_all_models_cannot_fit_both(torch):
    one = [Input((1, 28, 28))]
    assert isinstance(torch_run(torch, ENCODER_DECODER, "Decoder", one), RuntimeError)
    result = read_python(ENCODER_DECODER, "model.py", (1, 28, 28))
    assert [(d.code, d.line) for d in result.errors] == [
        ("SB203", ENCODER_DECODER.splitlines().index("        self.fc = nn.Linear(16, 28 * 28)  # decoder fc") + 1)]


def test_a_named_shape_beats_the_default_and_the_comment(torch):
    src = ENCODER_DECODER.replace("class Decoder", "# specbridge: input (28,)\nclass Decoder")
    assert isinstance(torch_run(torch, src, "Decoder", [Input((28,))]), RuntimeError)
    named = InputShapes([Input((1, 28, 28))], {"Decoder": [Input((16,))]})
    result = read_python(src, "model.py", named)
    assert not result.errors
    assert outputs(result, "Decoder")[0] == [torch_run(torch, src, "Decoder", [Input((16,))])]
    assert read_python(src, "model.py", (1, 28, 28)).errors  # the comment (28,) wins over the default: PyTorch fails


def test_a_comment_with_dtypes_and_two_inputs(torch):
    inputs = parse_inputs("(16,) int64, (12,) long")
    assert inputs == [Input((16,), "int64", True), Input((12,), "int64", True)]
    result = read_python(PAIR, "model.py")
    assert not result.errors
    shapes, model = outputs(result, "Pair")
    assert shapes == [torch_run(torch, PAIR, "Pair", inputs)] == [(2,)]
    spec, problems = model.spec("model.py")
    assert not problems and [i["dtype"] for i in spec["inputs"]] == ["int64", "int64"]


def test_a_float_stated_for_an_embedding_is_an_error_as_in_pytorch(torch):
    src = PAIR.replace("(16,) int64, (12,) long", "(16,) float32, (12,) int64")
    assert isinstance(torch_run(torch, src, "Pair", parse_inputs("(16,) float32, (12,) int64")), RuntimeError)
    (error,) = read_python(src, "model.py").errors
    assert error.code == "SB207"


def test_more_inputs_than_forward_takes_is_an_info(torch):
    src = PAIR.replace("(16,) int64, (12,) long", "(16,) int64")
    assert isinstance(torch_run(torch, src, "Pair", parse_inputs("(16,) int64")), TypeError)
    result = read_python(src, "model.py")
    assert not result.errors
    assert any(d.code == "SB601" and "Pair.forward, which takes 2" in d.message for d in result.diagnostics)


@pytest.mark.parametrize("comment,why", [("(16,) int65", "unknown dtype 'int65'"), ("(0, 4)", "positive"),
                                         ("(a, 4)", "expected sizes"), ("(16, 4", "unbalanced")])
def test_a_malformed_comment_is_an_info_that_says_why(torch, comment, why):
    src = PAIR.replace("(16,) int64, (12,) long", comment)
    result = read_python(src, "model.py")
    assert not result.errors
    (info,) = [d for d in result.diagnostics if d.code == "SB601" and "specbridge: input" in d.message]
    assert why in info.message
    assert torch_run(torch, src, "Pair", [Input((16,), "int64"), Input((12,), "int64")]) == (2,)  # the code is fine


@pytest.mark.parametrize("text,expected", [
    ("1,28,28", (None, [Input((1, 28, 28))])), ("1x28x28", (None, [Input((1, 28, 28))])),
    ("(1, 28, 28)", (None, [Input((1, 28, 28))])), ("Encoder=1,28,28", ("Encoder", [Input((1, 28, 28))])),
    ("Pair=(16,) int64, (12,) torch.long", ("Pair", [Input((16,), "int64", True), Input((12,), "int64", True)])),
    ("16 half", (None, [Input((16,), "float16", True)])), ("[3, 8]", (None, [Input((3, 8))])),
])
def test_the_option_grammar(text, expected):
    assert parse_option(text) == expected


@pytest.mark.parametrize("text", ["", "a,b", "0,28,28", "1,-2", "(1, 28, 28) int65", "Encoder=", "(1, 2", "(1.5, 2)",
                                  "(True,)", "()"])
def test_bad_values_raise_input_error(text):
    with pytest.raises(InputError):
        parse_option(text)


def test_a_model_given_twice_is_refused():
    shapes = InputShapes()
    shapes.add("Encoder", [Input((1,))])
    with pytest.raises(InputError, match="twice"):
        shapes.add("Encoder", [Input((2,))])
    shapes.add(None, [Input((1,))])
    with pytest.raises(InputError, match="twice"):
        shapes.add(None, [Input((1,))])
