"""Spec -> PyTorch source: one nn.Module class with one submodule per spec layer (framework-free: writes text).

layout.py      conversions between the two tensor layouts ("keras", "channels_first": specbridge/layouts.py, which also
               decides the model's inputs' and outputs'), Keras axis -> torch dim, padding arithmetic
activations.py Keras activation names -> modules
stage.py       the emitter table EMITTERS (keyed by layer class), Ctx and Built; load_stage()
conv.py, pooling.py, core.py, normalization.py, reshaping.py, recurrent.py, merging.py, preprocessing.py,
wrappers.py    the emitters of each layer family, mirroring spec/layers/<family>.py
ops.py         tensor operations: expressions in forward() (Inline), no submodule; ops_dtypes.py their dtypes (Keras's)
assemble.py    the emitted file: the model class, its forward(), its docstring stating the layouts, line wrapping
masks.py       Keras's implicit masks computed explicitly in forward() and passed to the layers that read them
runtime.py     the helper nn.Modules emitted files include (a real module, imported only by tests), and
runtime_*.py   those of the recurrent, preprocessing, normalization, attention, ... layers
helpers.py     reads their classes as text for the emitted files
"""

from .assemble import torch_source
from .stage import EMITTERS, emitter_for, load_stage

__all__ = ["EMITTERS", "emitter_for", "load_stage", "torch_source"]
