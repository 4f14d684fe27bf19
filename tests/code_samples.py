"""Model code that several test modules read: one copy of each sample."""

from __future__ import annotations

import textwrap

HEAD = "import torch\nimport torch.nn as nn\n"

# An encoder and a decoder with inputs of different shapes: --input-shape per model (NAME=SHAPE).
ENCODER_DECODER = HEAD + textwrap.dedent("""
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 26 * 26, 16)

        def forward(self, x):
            return self.fc(torch.flatten(self.conv(x), 1))


    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(16, 28 * 28)  # decoder fc

        def forward(self, z):
            return self.fc(z).view(-1, 1, 28, 28)
""")
