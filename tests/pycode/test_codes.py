"""Every code of the model-code reader (SB6xx) has a file that triggers it, at the expected line, and the fix the
code's documentation gives clears it (docs/codes.md renders report/code_examples.py)."""

from __future__ import annotations

import pytest

from specbridge.diagnostics.codes import REGISTRY
from specbridge.pycode import read_python

KERAS = "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
TORCH = "import torch\nimport torch.nn as nn\n"
# code -> (file, line of the diagnostic, the file fixed as the example's fix says)
CASES = {
    "SB600": (KERAS + "model = keras.Sequential([\n    keras.Input((4,)), layers.Dense(3)\n", 3,
              KERAS + "model = keras.Sequential([\n    keras.Input((4,)), layers.Dense(3)])\n"),
    "SB601": (KERAS + "def build(num_classes):\n    return keras.Sequential([keras.Input((4,)), "
              "layers.Dense(num_classes)])\n", 4,
              KERAS + "NUM_CLASSES = 3\n\ndef build(num_classes=NUM_CLASSES):\n    return keras.Sequential("
              "[keras.Input((4,)), layers.Dense(num_classes)])\n"),
    "SB602": (KERAS + "model = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda x: x * 2), "
              "layers.Dense(3)])\n", 3,
              KERAS + "model = keras.Sequential([keras.Input((4,)), layers.Rescaling(2.0), layers.Dense(3)])\n"),
    "SB603": (KERAS + "model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, border_mode='same')])\n",
              3, KERAS + "model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, padding='same')])\n"),
    "SB604": (TORCH + "\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n", 4,
              TORCH + "\n# specbridge: input (4,)\nclass Net(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n"
              "        return self.fc(x)\n"),
}


def test_every_reader_code_has_a_case():
    assert set(CASES) == {c for c in REGISTRY if c.startswith("SB6")}


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_file_triggers_exactly_its_code_and_the_fix_clears_it(code):
    broken, line, fixed = CASES[code]
    found = read_python(broken, "model.py").diagnostics
    assert [(d.code, d.line) for d in found] == [(code, line)], [(d.code, d.line, d.message) for d in found]
    assert read_python(fixed, "model.py").diagnostics == []
