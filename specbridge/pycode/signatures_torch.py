"""PyTorch constructors and functions as data, for reading model code without importing torch.

The tables between `# BEGIN GENERATED` and `# END GENERATED` are written by scripts/gen_signatures.py from the
installed torch (2.13) and checked by tests/pycode/test_signatures.py. Keys are torch.nn class names
(TORCH_POSITIONAL, TORCH_DEFAULTS) or qualified function names (TORCH_FUNCTIONS).
"""

# The parameters that can be passed positionally, in order, without `device` and `dtype` (see
# TORCH_FACTORY_KWARGS). LSTM, GRU and RNN take (*args, **kwargs): their order is their @overload's (RNN's
# nonlinearity is 4th, after num_layers). Identity takes and ignores any arguments; Sigmoid, Tanh and Softsign
# take none; Sequential takes its modules as *args. MaxPool*d take return_indices before ceil_mode (F.max_pool*d the
# other way round). GRU and RNN pass a further positional argument on as proj_size, which only LSTM supports:
# GRU(4, 8, 1, True, False, 0.0, False, 3) builds a module whose forward fails.
# BEGIN GENERATED TORCH_POSITIONAL
TORCH_POSITIONAL: dict[str, tuple[str, ...]] = {
    "Conv1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
    "Conv3d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
    "ConvTranspose1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"),
    "ConvTranspose3d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"),
    "Linear": ("in_features", "out_features", "bias"),
    "Identity": (),
    "Flatten": ("start_dim", "end_dim"),
    "Unflatten": ("dim", "unflattened_size"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm3d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "InstanceNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "MaxPool1d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "MaxPool3d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool1d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "AvgPool3d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "AdaptiveAvgPool1d": ("output_size",),
    "AdaptiveAvgPool2d": ("output_size",),
    "AdaptiveMaxPool1d": ("output_size", "return_indices"),
    "AdaptiveMaxPool2d": ("output_size", "return_indices"),
    "Dropout": ("p", "inplace"),
    "Dropout1d": ("p", "inplace"),
    "Dropout2d": ("p", "inplace"),
    "Dropout3d": ("p", "inplace"),
    "AlphaDropout": ("p", "inplace"),
    "ReLU": ("inplace",),
    "ReLU6": ("inplace",),
    "LeakyReLU": ("negative_slope", "inplace"),
    "ELU": ("alpha", "inplace"),
    "SELU": ("inplace",),
    "CELU": ("alpha", "inplace"),
    "GELU": ("approximate",),
    "SiLU": ("inplace",),
    "Mish": ("inplace",),
    "Sigmoid": (),
    "Tanh": (),
    "Hardtanh": ("min_val", "max_val", "inplace", "min_value", "max_value"),
    "Hardswish": ("inplace",),
    "Hardsigmoid": ("inplace",),
    "Softplus": ("beta", "threshold"),
    "Softsign": (),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
    "PReLU": ("num_parameters", "init"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse", "_weight", "_freeze"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional"),
    "ZeroPad1d": ("padding",),
    "ZeroPad2d": ("padding",),
    "ConstantPad2d": ("padding", "value"),
    "Upsample": ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"),
    "UpsamplingNearest2d": ("size", "scale_factor"),
    "Sequential": (),
    "ModuleList": ("modules",),
    "ModuleDict": ("modules",),
}
# END GENERATED TORCH_POSITIONAL

# The literal defaults of the constructor's parameters, keyword-only ones included (BatchNorm's bias), without
# `device` and `dtype`. Together with TORCH_POSITIONAL and TORCH_FACTORY_KWARGS: every keyword it accepts.
# BEGIN GENERATED TORCH_DEFAULTS
TORCH_DEFAULTS: dict[str, dict[str, object]] = {
    "Conv1d": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"},
    "Conv2d": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"},
    "Conv3d": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"},
    "ConvTranspose1d": {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True, "dilation": 1, "padding_mode": "zeros"},
    "ConvTranspose2d": {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True, "dilation": 1, "padding_mode": "zeros"},
    "ConvTranspose3d": {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True, "dilation": 1, "padding_mode": "zeros"},
    "Linear": {"bias": True},
    "Identity": {},
    "Flatten": {"start_dim": 1, "end_dim": -1},
    "Unflatten": {},
    "BatchNorm1d": {"eps": 1e-05, "momentum": 0.1, "affine": True, "track_running_stats": True, "bias": True},
    "BatchNorm2d": {"eps": 1e-05, "momentum": 0.1, "affine": True, "track_running_stats": True, "bias": True},
    "BatchNorm3d": {"eps": 1e-05, "momentum": 0.1, "affine": True, "track_running_stats": True, "bias": True},
    "LayerNorm": {"eps": 1e-05, "elementwise_affine": True, "bias": True},
    "GroupNorm": {"eps": 1e-05, "affine": True, "bias": True},
    "InstanceNorm2d": {"eps": 1e-05, "momentum": 0.1, "affine": False, "track_running_stats": False, "bias": True},
    "MaxPool1d": {"stride": None, "padding": 0, "dilation": 1, "return_indices": False, "ceil_mode": False},
    "MaxPool2d": {"stride": None, "padding": 0, "dilation": 1, "return_indices": False, "ceil_mode": False},
    "MaxPool3d": {"stride": None, "padding": 0, "dilation": 1, "return_indices": False, "ceil_mode": False},
    "AvgPool1d": {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True},
    "AvgPool2d": {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "AvgPool3d": {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "AdaptiveAvgPool1d": {},
    "AdaptiveAvgPool2d": {},
    "AdaptiveMaxPool1d": {"return_indices": False},
    "AdaptiveMaxPool2d": {"return_indices": False},
    "Dropout": {"p": 0.5, "inplace": False},
    "Dropout1d": {"p": 0.5, "inplace": False},
    "Dropout2d": {"p": 0.5, "inplace": False},
    "Dropout3d": {"p": 0.5, "inplace": False},
    "AlphaDropout": {"p": 0.5, "inplace": False},
    "ReLU": {"inplace": False},
    "ReLU6": {"inplace": False},
    "LeakyReLU": {"negative_slope": 0.01, "inplace": False},
    "ELU": {"alpha": 1.0, "inplace": False},
    "SELU": {"inplace": False},
    "CELU": {"alpha": 1.0, "inplace": False},
    "GELU": {"approximate": "none"},
    "SiLU": {"inplace": False},
    "Mish": {"inplace": False},
    "Sigmoid": {},
    "Tanh": {},
    "Hardtanh": {"min_val": -1.0, "max_val": 1.0, "inplace": False, "min_value": None, "max_value": None},
    "Hardswish": {"inplace": False},
    "Hardsigmoid": {"inplace": False},
    "Softplus": {"beta": 1.0, "threshold": 20.0},
    "Softsign": {},
    "Softmax": {"dim": None},
    "LogSoftmax": {"dim": None},
    "PReLU": {"num_parameters": 1, "init": 0.25},
    "Embedding": {"padding_idx": None, "max_norm": None, "norm_type": 2.0, "scale_grad_by_freq": False, "sparse": False, "_weight": None, "_freeze": False},
    "LSTM": {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0, "bidirectional": False, "proj_size": 0},
    "GRU": {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0, "bidirectional": False},
    "RNN": {"num_layers": 1, "nonlinearity": "tanh", "bias": True, "batch_first": False, "dropout": 0.0, "bidirectional": False},
    "ZeroPad1d": {},
    "ZeroPad2d": {},
    "ConstantPad2d": {},
    "Upsample": {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None, "recompute_scale_factor": None},
    "UpsamplingNearest2d": {"size": None, "scale_factor": None},
    "Sequential": {},
    "ModuleList": {"modules": None},
    "ModuleDict": {"modules": None},
}
# END GENERATED TORCH_DEFAULTS

# The classes whose constructor also takes `device` and `dtype` (factory keywords, default None).
# BEGIN GENERATED TORCH_FACTORY_KWARGS
TORCH_FACTORY_KWARGS: frozenset[str] = frozenset({"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Embedding", "GRU", "GroupNorm", "InstanceNorm2d", "LSTM", "LayerNorm", "Linear", "PReLU", "RNN"})
# END GENERATED TORCH_FACTORY_KWARGS

# The positional parameters of the functional calls, in order. C++ builtins (F.gelu, F.avg_pool1d/2d,
# F.adaptive_avg_pool1d, and every torch.* here) have no Python signature: their order is their ATen schema's
# (self named input), every overload merged (torch.mean: input, dim, keepdim). F.max_pool1d/2d and
# F.adaptive_max_pool2d dispatch on return_indices: their order is their branches'. Docstrings disagree: F.gelu's
# shows approximate positional (it is keyword-only), torch.softmax's shows dtype keyword-only (it is the third
# positional). F.softmax's third is _stacklevel: F.softmax(x, 1, torch.float64) returns float32.
# BEGIN GENERATED TORCH_FUNCTIONS
TORCH_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "torch.nn.functional.relu": ("input", "inplace"),
    "torch.nn.functional.relu6": ("input", "inplace"),
    "torch.nn.functional.leaky_relu": ("input", "negative_slope", "inplace"),
    "torch.nn.functional.elu": ("input", "alpha", "inplace"),
    "torch.nn.functional.gelu": ("input",),
    "torch.nn.functional.silu": ("input", "inplace"),
    "torch.nn.functional.sigmoid": ("input",),
    "torch.nn.functional.tanh": ("input",),
    "torch.nn.functional.softmax": ("input", "dim", "_stacklevel", "dtype"),
    "torch.nn.functional.log_softmax": ("input", "dim", "_stacklevel", "dtype"),
    "torch.nn.functional.dropout": ("input", "p", "training", "inplace"),
    "torch.nn.functional.dropout2d": ("input", "p", "training", "inplace"),
    "torch.nn.functional.max_pool1d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "torch.nn.functional.max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "torch.nn.functional.avg_pool1d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "torch.nn.functional.avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "torch.nn.functional.adaptive_avg_pool1d": ("input", "output_size"),
    "torch.nn.functional.adaptive_avg_pool2d": ("input", "output_size"),
    "torch.nn.functional.adaptive_max_pool2d": ("input", "output_size", "return_indices"),
    "torch.nn.functional.interpolate": ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"),
    "torch.nn.functional.pad": ("input", "pad", "mode", "value"),
    "torch.flatten": ("input", "start_dim", "end_dim"),
    "torch.cat": ("tensors", "dim"),
    "torch.concat": ("tensors", "dim"),
    "torch.stack": ("tensors", "dim"),
    "torch.relu": ("input",),
    "torch.sigmoid": ("input",),
    "torch.tanh": ("input",),
    "torch.softmax": ("input", "dim", "dtype"),
    "torch.mean": ("input", "dim", "keepdim"),
    "torch.squeeze": ("input", "dim"),
    "torch.unsqueeze": ("input", "dim"),
    "torch.transpose": ("input", "dim0", "dim1"),
    "torch.permute": ("input", "dims"),
    "torch.reshape": ("input", "shape"),
}
# END GENERATED TORCH_FUNCTIONS
