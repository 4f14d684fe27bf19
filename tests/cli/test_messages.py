"""Messages say what they mean: counts agree with their number, and summary names what stopped it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from specbridge.check import check_text

ROOT = Path(__file__).resolve().parents[2]
# Written out here, independently of specbridge.diagnostics.wording: "1 <plural>" is a wrong count.
WRONG_COUNT = re.compile(
    r"(?<![\w.,\-])1 (units|features|channels|filters|values|parameters|params|inputs|outputs|rows|columns|cols|"
    r"axes|entries|tensors|samples|layers|groups|cells|steps|elements|heads|weights|files|specs|errors|warnings|"
    r"kernels|strides|timesteps|times|bytes)\b"
)
ONE_EVERYWHERE = textwrap.dedent("""\
    specbridge: 1
    name: ones
    input: {shape: [5, 1]}
    layers:
      - {type: Conv1D, filters: 1, kernel_size: 1, strides: 1}
      - {type: LSTM, units: 1, return_sequences: true}
      - {type: Dense, units: 1}
      - {type: Flatten}
      - {type: Dense, units: 1, activation: sigmoid}
""")


def test_explain_counts_agree_with_one(run, tmp_path):
    path = tmp_path / "ones.spec.yaml"
    path.write_text(ONE_EVERYWHERE)
    result = run("explain", str(path))
    assert result.exit_code == 0, result.output
    assert "-> 1 unit" in result.stdout and "1 filter" in result.stdout, result.stdout
    assert not WRONG_COUNT.search(result.stdout), WRONG_COUNT.search(result.stdout).group(0)
    as_json = run("explain", str(path), "--format", "json")
    assert not WRONG_COUNT.search(as_json.stdout)


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").glob("*/*.spec.yaml")), ids=lambda p: p.name)
def test_no_message_or_explain_sentence_miscounts(path, run):
    text = path.read_text(encoding="utf-8")
    for diagnostic in check_text(text, path.name).diagnostics:
        for words in (diagnostic.message, diagnostic.hint or ""):
            assert not WRONG_COUNT.search(words), words
    explained = run("explain", str(path))
    assert not WRONG_COUNT.search(explained.stdout + explained.stderr)


def test_a_diagnostic_about_one_item_is_singular():
    text = ONE_EVERYWHERE.replace("{type: Flatten}", "{type: Dense, units: 1, expect: {shape: [5, 2]}}")
    messages = " ".join(d.message for d in check_text(text, "x.spec.yaml").diagnostics)
    assert messages and not WRONG_COUNT.search(messages), messages


def test_summary_of_code_says_what_stopped_it(run, tmp_path, monkeypatch):
    """A PyTorch forward through an operation the reader does not model: only an info says so, and summary's
    error names the layer and line where the model stops (was: "model has errors (see the other diagnostics)")."""
    code = textwrap.dedent("""\
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(8, 4)
                self.fc2 = nn.Linear(4, 2)

            def forward(self, x):
                x = self.fc1(x)
                x = torch.roll(x, 1, dims=1)
                return self.fc2(x)

        model = Net()
        model(torch.randn(2, 8))
    """)
    (tmp_path / "m.py").write_text(code)
    monkeypatch.chdir(tmp_path)
    result = run("summary", "m.py")
    assert result.exit_code == 1
    assert "SB602 info: torch.roll" in result.output
    assert "has errors (see the other diagnostics)" not in result.output
    assert "m.py:13:16: SB400 error: model 'model' stops at 'fc2' (line 13)" in result.output, result.output
