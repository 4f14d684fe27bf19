"""Every layer type, alone and in small stacks: the Keras, PyTorch and ONNX emitted models compute the same function.

Each case runs specbridge.crosscheck: it randomizes every Keras weight (non-zero biases, BatchNorm moving
statistics), copies them into PyTorch with keras_to_torch (or the other way round) and into the ONNX model's
initializers, runs the same random input (ONNX in onnxruntime) and compares every spec layer's output, pairwise,
within the package's DEFAULT_TOLERANCES. A default cross-check leaves ONNX out silently when the ONNX emitter
refuses a layer, so each case also asserts that ONNX was compared, or that it is a listed refusal (ONNX_REFUSES)
which the ONNX emitter does refuse. Cases PyTorch cannot express (TORCH_REFUSES) compare Keras with ONNX alone.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck import TORCH_TO_KERAS, CrosscheckReport
from specbridge.crosscheck.dims import choose_dims
from specbridge.emit import NotExpressible, to_onnx, torch_source
from specbridge.spec.base import ACTIVATIONS

from .specs import crosscheck, spec, why

CASES: dict[str, tuple[str, list]] = {
    # convolutions
    "conv2d_valid": ("{type: Conv2D, filters: 4, kernel_size: 3}", [9, 9, 3]),
    "conv2d_same_s2_symmetric": ("{type: Conv2D, filters: 4, kernel_size: 3, strides: 2, padding: same}", [9, 9, 3]),
    "conv2d_same_s2_asymmetric": ("{type: Conv2D, filters: 4, kernel_size: 3, strides: 2, padding: SAME}", [8, 8, 3]),
    "conv2d_same_even_kernel": ("{type: Conv2D, filters: 4, kernel_size: 4, padding: same}", [8, 7, 3]),
    "conv2d_same_s2_k4_mixed": ("{type: Conv2D, filters: 4, kernel_size: [4, 3], strides: [2, 3], padding: same}", [9, 10, 2]),
    "conv2d_dilated_same": ("{type: Conv2D, filters: 4, kernel_size: 3, dilation_rate: 2, padding: same}", [9, 9, 2]),
    "conv2d_groups": ("{type: Conv2D, filters: 6, kernel_size: 3, groups: 2, activation: relu}", [7, 7, 4]),
    "conv2d_int_padding": ("{type: Conv2D, filters: 4, kernel_size: 3, padding: 1, strides: 2}", [8, 8, 3]),
    "conv2d_list_padding": ("{type: Conv2D, filters: 4, kernel_size: 3, padding: [1, 2], use_bias: false}", [6, 6, 3]),
    "conv2d_softmax_channels": ("{type: Conv2D, filters: 5, kernel_size: 1, activation: softmax}", [4, 4, 3]),
    "conv1d_causal_dilated": ("{type: Conv1D, filters: 4, kernel_size: 3, padding: causal, dilation_rate: 2}", [12, 3]),
    "conv1d_same_s2": ("{type: Conv1D, filters: 4, kernel_size: 5, strides: 2, padding: same}", [12, 3]),
    "conv1d_unknown_length": ("{type: Conv1D, filters: 4, kernel_size: 3, padding: same}", [None, 3]),
    "conv3d_same_s2": ("{type: Conv3D, filters: 3, kernel_size: 3, strides: 2, padding: same}", [5, 6, 7, 2]),
    "conv1d_transpose_same": ("{type: Conv1DTranspose, filters: 3, kernel_size: 3, strides: 2, padding: same}", [5, 2]),
    "conv2d_transpose_valid": ("{type: Conv2DTranspose, filters: 3, kernel_size: 3, strides: 2}", [5, 4, 2]),
    "conv2d_transpose_valid_wide_stride": ("{type: Conv2DTranspose, filters: 3, kernel_size: 2, strides: 3}", [4, 4, 2]),
    "conv2d_transpose_same_k3": ("{type: Conv2DTranspose, filters: 3, kernel_size: 3, strides: 2, padding: same}", [5, 4, 2]),
    "conv2d_transpose_same_k4": ("{type: Conv2DTranspose, filters: 3, kernel_size: 4, strides: 2, padding: same}", [5, 4, 2]),
    "conv2d_transpose_same_k5_s3": ("{type: Conv2DTranspose, filters: 3, kernel_size: 5, strides: 3, padding: same}", [4, 3, 2]),
    "conv2d_transpose_output_padding": (
        "{type: Conv2DTranspose, filters: 3, kernel_size: 3, strides: 2, padding: same, output_padding: 1}", [4, 4, 2]),
    "conv2d_transpose_valid_output_padding": (
        "{type: Conv2DTranspose, filters: 3, kernel_size: 3, strides: 2, output_padding: 1}", [4, 4, 2]),
    "conv3d_transpose": ("{type: Conv3DTranspose, filters: 2, kernel_size: 2, strides: 2, padding: same}", [3, 3, 3, 2]),
    "depthwise2d": ("{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2, strides: 2, padding: same}", [8, 8, 3]),
    "depthwise1d": ("{type: DepthwiseConv1D, kernel_size: 3, activation: relu}", [10, 3]),
    "separable2d": ("{type: SeparableConv2D, filters: 5, kernel_size: 3, depth_multiplier: 2, padding: same}", [7, 7, 3]),
    "separable1d": ("{type: SeparableConv1D, filters: 5, kernel_size: 3, strides: 2, padding: same}", [10, 3]),
    # pooling
    "maxpool2d_valid": ("{type: MaxPooling2D, pool_size: 2}", [9, 9, 3]),
    "maxpool2d_same_odd": ("{type: MaxPooling2D, pool_size: 3, strides: 2, padding: same}", [7, 7, 3]),
    "maxpool2d_same_even": ("{type: MaxPool2D, pool_size: 2, padding: same}", [7, 8, 3]),
    "maxpool1d_same_s1": ("{type: MaxPooling1D, pool_size: 2, strides: 1, padding: same}", [7, 3]),
    "maxpool3d_same": ("{type: MaxPooling3D, pool_size: 2, padding: same}", [3, 5, 4, 2]),
    "avgpool2d_valid": ("{type: AveragePooling2D, pool_size: [2, 3]}", [8, 9, 3]),
    "avgpool2d_same_symmetric": ("{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}", [7, 7, 3]),
    "avgpool2d_same_asymmetric": ("{type: AveragePooling2D, pool_size: 3, strides: 2, padding: same}", [8, 6, 3]),
    "avgpool1d_same_s1_even": ("{type: AveragePooling1D, pool_size: 2, strides: 1, padding: same}", [7, 3]),
    "avgpool3d_same": ("{type: AvgPool3D, pool_size: 2, padding: same}", [3, 5, 4, 2]),
    "global_max1d": ("{type: GlobalMaxPooling1D}", [7, 3]),
    "global_avg2d": ("{type: GlobalAveragePooling2D}", [5, 6, 3]),
    "global_avg2d_keepdims": ("{type: GlobalAveragePooling2D, keepdims: true}", [5, 6, 3]),
    "global_max3d": ("{type: GlobalMaxPooling3D}", [3, 4, 5, 2]),
    "global_avg1d_unknown": ("{type: GlobalAveragePooling1D}", [None, 3]),
    # core
    "dense": ("{type: Dense, units: 5, activation: tanh}", [7]),
    "dense_rank3": ("{type: Dense, units: 5, activation: softmax}", [4, 7]),
    "einsum_dense": ("{type: EinsumDense, equation: 'ab,bc->ac', output_shape: 5, bias_axes: c, activation: tanh}",
                     [7]),
    "einsum_dense_heads": ("{type: EinsumDense, equation: 'abc,cde->abde', output_shape: [null, 2, 3], bias_axes: de}\n"
                           "{type: EinsumDense, equation: 'abcd,cde->abe', output_shape: [null, 4], bias_axes: e}", [5, 4]),
    "einsum_dense_ellipsis_left": (
        "{type: EinsumDense, equation: '...b,bc->...c', output_shape: 3, bias_axes: c, activation: relu}", [2, 4, 5]),
    "einsum_dense_ellipsis_right": ("{type: EinsumDense, equation: 'ab...,bc->ac...', output_shape: 6, bias_axes: c}",
                                    [4, 3, 2]),
    "einsum_dense_partial_bias_no_bias": ("{type: EinsumDense, equation: 'abc,cde->abde', output_shape: [5, 2, 3], "
                                          "bias_axes: d}\n{type: EinsumDense, equation: 'abcd,dc->ab', output_shape: "
                                          "[5]}", [5, 4]),
    "einsum_dense_transposed_kernel_unknown_length": (
        "{type: EinsumDense, equation: 'abc,dc->abd', output_shape: [null, 6], bias_axes: d}", [None, 4]),
    "dense_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 3}\n{type: Dense, units: 4}", [6, 6, 2]),
    "flatten_dense": ("{type: Conv2D, filters: 3, kernel_size: 3}\n{type: Flatten}\n{type: Dense, units: 4}", [6, 5, 2]),
    "flatten_channels_first_arg": ("{type: Flatten, data_format: channels_first}\n{type: Dense, units: 4}", [3, 4, 2]),
    "dropouts": (
        "{type: Dropout, rate: 0.5}\n{type: SpatialDropout2D, rate: 0.3}\n{type: Conv2D, filters: 2, kernel_size: 1}",
        [4, 4, 3]),
    "spatial_dropout1d": ("{type: SpatialDropout1D, rate: 0.3}\n{type: Dense, units: 2}", [5, 3]),
    "spatial_dropout3d": ("{type: SpatialDropout3D, rate: 0.3}", [2, 3, 4, 2]),
    "relu_max": ("{type: ReLU, max_value: 0.5}", [6]),
    # Found by the differential campaign: max_value 0 gives zeros in Keras; PyTorch's Hardtanh(0, 0) refuses it.
    "relu_max_zero": ("{type: ReLU, max_value: 0.0}", [6]),
    "relu6": ("{type: ReLU, max_value: 6}", [6]),
    "relu_slope": ("{type: ReLU, negative_slope: 0.1}", [6]),
    "relu_threshold": ("{type: ReLU, threshold: 0.3, negative_slope: 0.2, max_value: 1.0}", [6]),
    "leaky_relu_default": ("{type: LeakyReLU}", [6]),
    "leaky_relu_slope": ("{type: LeakyReLU, negative_slope: 0.05}", [6]),
    "elu_alpha": ("{type: ELU, alpha: 0.7}", [6]),
    "prelu": ("{type: PReLU}", [4, 5, 3]),
    "prelu_shared_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: PReLU, shared_axes: [1, 2]}", [4, 5, 2]),
    "prelu_shared_unknown": ("{type: PReLU, shared_axes: 1}", [None, 3]),
    "softmax_axis": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: Softmax, axis: 1}", [4, 5, 2]),
    "embedding": ("{type: Embedding, input_dim: 20, output_dim: 4}\n{type: Flatten}", [6]),
    # normalization
    "batch_norm_conv": ("{type: Conv2D, filters: 3, kernel_size: 3}\n{type: BatchNormalization, momentum: 0.9, epsilon: 0.01}", [6, 6, 2]),
    "batch_norm_dense": ("{type: Dense, units: 4}\n{type: BatchNormalization}", [5]),
    "batch_norm_sequence": ("{type: BatchNormalization}", [5, 4]),
    "batch_norm_no_affine": ("{type: BatchNormalization, center: false, scale: false}", [4, 4, 3]),
    "batch_norm_center_only_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: BatchNormalization, scale: false}",
                                    [4, 4, 2]),  # InceptionV3's
    "batch_norm_scale_only": ("{type: BatchNormalization, center: false}", [5, 3]),
    "layer_norm": ("{type: LayerNormalization}", [5, 4]),
    "layer_norm_two_axes": ("{type: LayerNormalization, axis: [-2, -1], epsilon: 0.0001}", [3, 5, 4]),
    "layer_norm_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: LayerNormalization, center: false}", [4, 4, 2]),
    "layer_norm_plain": ("{type: LayerNormalization, center: false, scale: false}", [6]),
    "group_norm": ("{type: GroupNormalization, groups: 4}", [5, 6, 8]),
    "group_norm_instance_rank2": ("{type: GroupNormalization, groups: -1, epsilon: 0.01}", [6]),
    "group_norm_axis1": ("{type: GroupNormalization, groups: 2, axis: 1}", [4, 6, 5]),
    "group_norm_after_conv_no_affine": (
        "{type: Conv2D, filters: 6, kernel_size: 3}\n{type: GroupNormalization, groups: 3, center: false, scale: false}",
        [6, 7, 2]),
    "unit_norm": ("{type: UnitNormalization}", [5, 4]),
    "unit_norm_axes_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: UnitNormalization, axis: [1, 2]}",
                                  [4, 5, 2]),  # PyTorch's channels-first tensor: the norm over its dims 2 and 3
    "unit_norm_channels_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: UnitNormalization}", [4, 5, 2]),
    "unit_norm_unknown_steps": ("{type: UnitNormalization, axis: [-2, -1]}", [None, 4]),
    "rms_norm": ("{type: RMSNormalization}", [5, 4]),
    "rms_norm_two_axes_after_conv": (
        "{type: Conv2D, filters: 3, kernel_size: 1}\n{type: RMSNormalization, axis: [-2, -1], epsilon: 0.001}", [4, 5, 2]),
    "rms_norm_unknown_steps": ("{type: RMSNormalization, axis: 2}", [None, 4]),
    "identity_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: Identity}\n{type: Dense, units: 2}",
                            [4, 5, 2]),
    # reshaping
    "zero_padding1d": ("{type: ZeroPadding1D, padding: [1, 2]}", [5, 3]),
    "zero_padding2d": ("{type: ZeroPadding2D, padding: [[1, 2], [0, 3]]}\n{type: Conv2D, filters: 2, kernel_size: 2}", [4, 4, 3]),
    "zero_padding3d": ("{type: ZeroPadding3D, padding: 1}", [2, 3, 4, 2]),
    "cropping1d": ("{type: Cropping1D, cropping: [1, 2]}", [6, 3]),
    "cropping2d": ("{type: Conv2D, filters: 2, kernel_size: 1}\n{type: Cropping2D, cropping: [[1, 0], [2, 1]]}", [6, 6, 3]),
    "cropping3d": ("{type: Cropping3D, cropping: 1}", [4, 4, 4, 2]),
    "upsampling1d": ("{type: UpSampling1D, size: 3}", [4, 3]),
    "upsampling2d": ("{type: UpSampling2D, size: [2, 3]}", [3, 4, 2]),
    "upsampling2d_bilinear": ("{type: UpSampling2D, size: 2, interpolation: bilinear}", [3, 4, 2]),
    "upsampling3d": ("{type: UpSampling3D, size: 2}", [2, 3, 2, 2]),
    "reshape_after_conv": ("{type: Conv2D, filters: 4, kernel_size: 3}\n{type: Reshape, target_shape: [-1, 4]}", [5, 5, 2]),
    "reshape_to_image": ("{type: Reshape, target_shape: [3, 4, 2]}\n{type: Conv2D, filters: 2, kernel_size: 2}", [24]),
    "permute": ("{type: Permute, dims: [2, 1]}\n{type: Dense, units: 3}", [4, 5]),
    "permute_after_conv": ("{type: Conv2D, filters: 3, kernel_size: 1}\n{type: Permute, dims: [3, 1, 2]}", [4, 5, 2]),
    "repeat_vector": ("{type: Dense, units: 3}\n{type: RepeatVector, n: 4}", [5]),
    # recurrent
    "simple_rnn": ("{type: SimpleRNN, units: 4}", [6, 3]),
    "simple_rnn_relu_sequences": ("{type: SimpleRNN, units: 4, activation: relu, return_sequences: true}", [6, 3]),
    "lstm_sequences": ("{type: LSTM, units: 4, return_sequences: true}\n{type: LSTM, units: 3}", [6, 3]),
    "lstm_go_backwards": ("{type: LSTM, units: 4, return_sequences: true, go_backwards: true}", [6, 3]),
    "lstm_no_bias": ("{type: LSTM, units: 4, use_bias: false}", [6, 3]),
    "gru": ("{type: GRU, units: 4, return_sequences: true}", [6, 3]),
    "gru_last": ("{type: GRU, units: 4}", [6, 3]),
    "gru_reset_before": ("{type: GRU, units: 4, reset_after: false, return_sequences: true}", [6, 3]),
    "gru_reset_before_last": ("{type: GRU, units: 4, reset_after: false}", [6, 3]),
    "gru_reset_before_relu": ("{type: GRU, units: 4, reset_after: false, activation: relu}", [6, 3]),
    # Found by the differential campaign: an axis activation must see each gate on its own, over (batch, units).
    "gru_reset_before_sparsemax": (
        "{type: GRU, units: 3, reset_after: false, recurrent_activation: sparsemax, return_sequences: true}", [5, 2]),
    "gru_reset_before_softmax": (
        "{type: GRU, units: 3, reset_after: false, recurrent_activation: softmax, activation: softmax}", [5, 2]),
    "gru_reset_before_softplus": ("{type: GRU, units: 3, reset_after: false, activation: softplus}", [5, 2]),
    "gru_go_backwards": ("{type: GRU, units: 4, go_backwards: true}", [6, 3]),
    "rnn_unknown_steps": ("{type: LSTM, units: 4}", [None, 3]),
    "conv_lstm2d": ("{type: ConvLSTM2D, filters: 3, kernel_size: 3}", [4, 7, 6, 2]),
    "conv_lstm2d_sequences_same": (
        "{type: ConvLSTM2D, filters: 3, kernel_size: 3, padding: same, return_sequences: true}", [4, 6, 5, 2]),
    "conv_lstm2d_same_s2_asymmetric_backwards": (
        "{type: ConvLSTM2D, filters: 2, kernel_size: 3, strides: 2, padding: same, return_sequences: true, "
        "go_backwards: true}", [3, 8, 8, 2]),
    "conv_lstm2d_even_kernel_activations": (
        "{type: ConvLSTM2D, filters: 2, kernel_size: [2, 4], padding: same, activation: relu, "
        "recurrent_activation: hard_sigmoid, use_bias: false}", [3, 5, 6, 2]),
    "conv_lstm2d_dilated_softmax": (
        "{type: ConvLSTM2D, filters: 2, kernel_size: 3, dilation_rate: 2, activation: softmax}", [3, 7, 8, 2]),
    "conv_lstm2d_unknown_steps_stack": (
        "{type: ConvLSTM2D, filters: 4, kernel_size: 3, padding: same, return_sequences: true}\n"
        "{type: BatchNormalization}\n{type: ConvLSTM2D, filters: 2, kernel_size: 1}", [None, 6, 5, 1]),
    "conv_lstm2d_channels_first": (
        "{type: ConvLSTM2D, filters: 3, kernel_size: 3, strides: 2, padding: same, data_format: channels_first}", [3, 2, 7, 6]),
    "conv_lstm1d": ("{type: ConvLSTM1D, filters: 3, kernel_size: 3}", [4, 9, 2]),
    "conv_lstm1d_same_s2_sequences_backwards": (
        "{type: ConvLSTM1D, filters: 3, kernel_size: 4, strides: 2, padding: same, return_sequences: true, "
        "go_backwards: true}", [4, 9, 2]),
    "conv_lstm1d_dilated_unknown_steps": (
        "{type: ConvLSTM1D, filters: 2, kernel_size: 3, dilation_rate: 2, padding: same, use_bias: false, "
        "recurrent_activation: hard_sigmoid}", [None, 10, 3]),
    # the output length equals filters: where TF's channels_first Conv1D adds its bias wrongly (REFERENCE.md)
    "conv_lstm1d_channels_first_softmax": (
        "{type: ConvLSTM1D, filters: 3, kernel_size: 3, data_format: channels_first, activation: softmax, "
        "return_sequences: true}", [4, 2, 5]),
    "conv_lstm3d": ("{type: ConvLSTM3D, filters: 2, kernel_size: [2, 3, 2]}", [3, 4, 5, 4, 2]),
    "conv_lstm3d_same_s2_sequences_relu": (
        "{type: ConvLSTM3D, filters: 2, kernel_size: 3, strides: [2, 1, 2], padding: same, activation: relu, "
        "return_sequences: true}", [3, 5, 4, 5, 2]),
    "conv_lstm3d_channels_first_backwards": (
        "{type: ConvLSTM3D, filters: 2, kernel_size: 2, padding: same, data_format: channels_first, "
        "go_backwards: true, return_sequences: true}", [3, 2, 4, 3, 5]),
    "conv_lstm3d_reshaped_into_conv_lstm1d": (
        "{type: ConvLSTM3D, filters: 2, kernel_size: 1, return_sequences: true}\n"
        "{type: Reshape, target_shape: [3, 6, 4]}\n{type: ConvLSTM1D, filters: 2, kernel_size: 3}", [3, 2, 3, 2, 1]),
    # wrappers
    "time_distributed_dense": ("{type: TimeDistributed, layer: {type: Dense, units: 3}}", [5, 4]),
    "time_distributed_conv": (
        "{type: TimeDistributed, layer: {type: Conv2D, filters: 3, kernel_size: 3, padding: same, strides: 2}}\n"
        "{type: TimeDistributed, layer: {type: MaxPooling2D}}\n"
        "{type: TimeDistributed, layer: {type: Flatten}}\n"
        "{type: LSTM, units: 4}", [3, 8, 8, 2]),
    "time_distributed_batch_norm": ("{type: TimeDistributed, layer: {type: BatchNormalization}}", [3, 4, 4, 2]),
    # preprocessing (Keras rounds the constants it takes as Python numbers to float32, even in float64)
    "rescaling": ("{type: Rescaling, scale: 0.00392156862745098, offset: -0.1}", [4, 5, 3]),
    "rescaling_per_channel_uint8": (
        "{type: Rescaling, scale: [0.1, 0.02, 0.003], offset: [0.5, 0.25, -1]}\n{type: Conv2D, filters: 2, kernel_size: 2}",
        [4, 5, 3]),
    "normalization": ("{type: Normalization}", [4, 5, 3]),
    "normalization_axes": ("{type: Normalization, axis: [1, 2]}", [4, 5, 3]),
    "normalization_axis_none_invert": ("{type: Normalization, axis: null, invert: true}", [4, 3]),
    "normalization_axis1_then_conv_int32": (
        "{type: Normalization, axis: 1}\n{type: Conv2D, filters: 2, kernel_size: 1}", [3, 4, 2]),
    # A zero and a tiny variance: Keras divides by max(sqrt(variance), 1e-7), not by sqrt(variance + epsilon).
    "normalization_constants_epsilon": ("{type: Normalization, mean: [0.5, -1, 2], variance: [4, 0, 1.0e-16]}", [4, 3]),
    "normalization_constants_aligned_right": (
        "{type: Normalization, axis: [1, 2], mean: [0.1, 0.2, 0.3], variance: [0.5, 1.5, 2], invert: true}", [4, 3]),
    "augmentation": (
        "{type: RandomFlip}\n{type: RandomRotation, factor: 0.1}\n{type: RandomZoom, height_factor: 0.2}\n"
        "{type: RandomContrast, factor: 0.2}\n{type: RandomTranslation, height_factor: 0.1, width_factor: 0.1}\n"
        "{type: RandomCrop, height: 5, width: 6}\n{type: Conv2D, filters: 2, kernel_size: 3}", [5, 6, 3]),
    "augmentation_channels_first": (
        "{type: RandomFlip, mode: vertical, data_format: channels_first}\n"
        "{type: RandomCrop, height: 5, width: 6, data_format: channels_first}", [3, 5, 6]),
    "augmentation_uint8_then_rescaling": (
        "{type: RandomFlip, mode: horizontal}\n{type: RandomContrast, factor: 0.5}\n{type: Rescaling, scale: 0.5}",
        [5, 6, 3]),
    "time_distributed_normalization": ("{type: TimeDistributed, layer: {type: Normalization}}", [3, 4, 5]),
    "time_distributed_augmentation_uint8": (
        "{type: TimeDistributed, layer: {type: RandomFlip}}\n{type: TimeDistributed, layer: {type: Rescaling, scale: 0.5}}",
        [2, 4, 5, 3]),
    "augmentation_uint8_then_conv": ("{type: RandomZoom, height_factor: 0.1}\n{type: Conv2D, filters: 2, kernel_size: 1}",
                                     [5, 6, 3]),
    # Resizing (tf.image.resize) and CenterCrop: the modes PyTorch and onnxruntime compute alike (emit/preprocessing.py)
    "resizing_bilinear_up": ("{type: Resizing, height: 11, width: 13}", [9, 7, 3]),
    "resizing_bilinear_antialias_down": ("{type: Resizing, height: 4, width: 3, antialias: true}", [9, 7, 3]),
    "resizing_nearest_channels_first": (
        "{type: Resizing, height: 4, width: 10, interpolation: nearest, data_format: channels_first}", [3, 9, 7]),
    "resizing_bicubic_antialias_pad": (
        "{type: Resizing, height: 3, width: 8, pad_to_aspect_ratio: true, fill_value: 0.5, interpolation: bicubic, "
        "antialias: true}", [9, 7, 3]),
    "resizing_crop_then_dense": (
        "{type: Resizing, height: 6, width: 3, crop_to_aspect_ratio: true}\n{type: Dense, units: 2}", [9, 7, 3]),
    "resizing_unknown_size": ("{type: Resizing, height: 5, width: 6}", [None, None, 2]),
    "resizing_nearest_uint8_then_rescaling": (
        "{type: Resizing, height: 5, width: 4, interpolation: nearest}\n{type: Rescaling, scale: 0.5}", [9, 7, 3]),
    "center_crop": ("{type: CenterCrop, height: 5, width: 4}", [9, 8, 3]),
    "center_crop_smaller_then_dense": ("{type: CenterCrop, height: 7, width: 10}\n{type: Dense, units: 2}", [9, 8, 3]),
    "center_crop_channels_first_uint8": ("{type: CenterCrop, height: 3, width: 12, data_format: channels_first}",
                                         [2, 9, 8]),
    "center_crop_unknown_size": ("{type: CenterCrop, height: 5, width: 4}", [None, None, 3]),
    # Dot: batch_dot of two branches (input_layer is the spec's input)
    "dot_axes_pair": ("{type: Dense, units: 4, name: a}\n{type: Dense, units: 4, name: b, inputs: [input_layer]}\n"
                      "{type: Dot, axes: [2, 2], inputs: [a, b]}", [5, 3]),
    "dot_normalize_axis1": ("{type: Dense, units: 4, name: a}\n{type: Dot, axes: 1, normalize: true, inputs: [a, input_layer]}",
                            [5, 3]),
    "dot_rank2_to_batch_1": ("{type: Dense, units: 4, name: a}\n{type: Dense, units: 4, name: b, inputs: [input_layer]}\n"
                             "{type: Dot, axes: -1, inputs: [a, b]}", [6]),
    "dot_rank4_with_rank2": ("{type: Reshape, target_shape: [2, 3, 4], name: r}\n{type: Dense, units: 2, name: d, inputs: [input_layer]}\n"
                             "{type: Flatten, name: f, inputs: [d]}\n{type: Dense, units: 3, name: v, inputs: [f]}\n"
                             "{type: Dot, axes: [2, 1], inputs: [r, v]}", [24]),
}

for _mode in ("concat", "sum", "mul", "ave"):
    for _kind in ("LSTM", "GRU", "SimpleRNN"):
        for _seq in ("true", "false"):
            CASES[f"bidirectional_{_kind}_{_mode}_seq_{_seq}"] = (
                f"{{type: Bidirectional, merge_mode: {_mode}, layer: {{type: {_kind}, units: 3, return_sequences: {_seq}}}}}",
                [5, 4],
            )
# attention (self-attention: the input read twice; masks, cross-attention and scores: test_attention_crosscheck.py)
CASES.update({
    "mha_self_causal": (
        "{type: MultiHeadAttention, num_heads: 2, key_dim: 4, use_causal_mask: true, inputs: [input_layer, input_layer]}",
        [5, 8]),  # nn.MultiheadAttention
    "mha_value_dim_after_dense": (
        "{type: Dense, units: 6, name: d}\n"
        "{type: MultiHeadAttention, num_heads: 3, key_dim: 2, value_dim: 3, output_shape: 4, inputs: [d, d]}", [5, 7]),
    "mha_rank4_axis2": (
        "{type: MultiHeadAttention, num_heads: 2, key_dim: 3, attention_axes: [2], inputs: [input_layer, input_layer]}",
        [3, 4, 6]),  # a rank-4 output: channels first at the model's boundary
    "mha_rank4_all_axes_causal_rows": (
        "{type: MultiHeadAttention, num_heads: 2, key_dim: 3, attention_axes: 1, use_causal_mask: true, "
        "inputs: [input_layer, input_layer]}", [4, 3, 6]),
    "gqa_self_causal": (
        "{type: GroupQueryAttention, head_dim: 3, num_query_heads: 4, num_key_value_heads: 2, use_causal_mask: true, "
        "inputs: [input_layer, input_layer]}", [6, 8]),
    "attention_dot_scale_causal": (
        "{type: Attention, use_scale: true, use_causal_mask: true, inputs: [input_layer, input_layer]}", [5, 4]),
    "attention_concat": (
        "{type: Attention, use_scale: true, score_mode: concat, inputs: [input_layer, input_layer]}", [5, 4]),
    "additive_attention_causal": (
        "{type: AdditiveAttention, use_causal_mask: true, inputs: [input_layer, input_layer]}", [5, 4]),
})
CASES["bidirectional_gru_reset_before"] = (
    "{type: Bidirectional, layer: {type: GRU, units: 3, reset_after: false, return_sequences: true}}\n"
    "{type: Bidirectional, merge_mode: ave, layer: {type: GRU, units: 2, reset_after: false}}", [5, 4])

for _act in ACTIVATIONS:
    if _act != "threshold":
        CASES[f"activation_{_act}"] = (f"{{type: Activation, activation: {_act}}}", [3, 4])


# Cases PyTorch cannot express (its emitter refuses them with SB400, the reason's words here): Keras and ONNX
# alone compute them, and are compared with each other.
TORCH_REFUSES: dict[str, tuple[str, list, str]] = {
    "lstm_relu": ("{type: LSTM, units: 4, activation: relu}", [6, 3], "fixed to tanh and sigmoid"),
    "lstm_hard_sigmoid_sequences": (
        "{type: LSTM, units: 4, recurrent_activation: hard_sigmoid, return_sequences: true}", [6, 3],
        "fixed to tanh and sigmoid"),
    "lstm_elu_linear": ("{type: LSTM, units: 4, activation: elu, recurrent_activation: linear}", [6, 3],
                        "fixed to tanh and sigmoid"),
    "gru_relu": ("{type: GRU, units: 4, activation: relu, return_sequences: true}", [6, 3], "fixed to tanh and sigmoid"),
    "gru_softsign_leaky_relu": ("{type: GRU, units: 4, activation: softsign, recurrent_activation: leaky_relu}",
                                [6, 3], "fixed to tanh and sigmoid"),
    "bidirectional_gru_hard_sigmoid": (
        "{type: Bidirectional, merge_mode: sum, layer: {type: GRU, units: 3, recurrent_activation: hard_sigmoid}}",
        [5, 4], "fixed to tanh and sigmoid"),
    "simple_rnn_elu": ("{type: SimpleRNN, units: 4, activation: elu}", [6, 3], "tanh and relu only"),
    "simple_rnn_linear_sequences": ("{type: SimpleRNN, units: 4, activation: linear, return_sequences: true}", [6, 3],
                                    "tanh and relu only"),
    "simple_rnn_sigmoid": ("{type: SimpleRNN, units: 4, activation: sigmoid}", [6, 3], "tanh and relu only"),
    "simple_rnn_softsign": ("{type: SimpleRNN, units: 4, activation: softsign}", [6, 3], "tanh and relu only"),
    "conv2d_same_s2_unknown": ("{type: Conv2D, filters: 2, kernel_size: 3, strides: 2, padding: same}", [None, 8, 2],
                               "axis of unknown size"),
    "conv1d_same_s2_unknown": ("{type: Conv1D, filters: 2, kernel_size: 4, strides: 2, padding: same}", [None, 2],
                               "axis of unknown size"),
    "avgpool1d_same_unknown": ("{type: AveragePooling1D, pool_size: 3, strides: 2, padding: same}", [None, 2],
                               "axis of unknown size"),
    "avgpool2d_same_unknown": ("{type: AveragePooling2D, pool_size: 2, padding: same}", [None, 5, 2],
                               "axis of unknown size"),
    "layer_norm_center_only": ("{type: LayerNormalization, scale: false}", [5, 4], "no bias-only form"),
    "layer_norm_axis1": ("{type: LayerNormalization, axis: 1}", [3, 5, 4], "trailing axes only"),
    "group_norm_scale_only": ("{type: GroupNormalization, groups: 2, center: false}", [4], "center and scale differ"),
    "group_norm_axis2": ("{type: GroupNormalization, groups: 2, axis: 2}", [3, 4, 5], "GroupNorm groups axis 1"),
    "time_distributed_time_distributed": (
        "{type: TimeDistributed, layer: {type: TimeDistributed, layer: {type: Dense, units: 2}}}", [3, 4, 5],
        "TimeDistributed(TimeDistributed) is not supported"),
    "time_distributed_bidirectional": (
        "{type: TimeDistributed, layer: {type: Bidirectional, layer: {type: GRU, units: 2}}}", [3, 4, 5],
        "TimeDistributed(Bidirectional) is not supported"),
    # Neither PyTorch nor ONNX (ONNX_REFUSES says why not ONNX).
    "lstm_softplus": ("{type: LSTM, units: 3, activation: softplus}", [5, 4], "fixed to tanh and sigmoid"),
    "conv2d_transpose_unknown": ("{type: Conv2DTranspose, filters: 2, kernel_size: 3, strides: 2}", [None, 4, 2],
                                 "its crop depends on the size"),
    # Keras 3.15 builds it for 3x4 but returns the image uncropped at inference: no translation can match.
    "random_crop_smaller": ("{type: RandomCrop, height: 3, width: 4}", [5, 6, 3], "keras-team/keras#21868"),
    # tf.image.resize kernels with no exact PyTorch (or ONNX) counterpart: neither emitter translates them.
    **{f"resizing_{_mode}": (f"{{type: Resizing, height: 4, width: 5, interpolation: {_mode}}}", [9, 7, 3],
                             "no exact PyTorch or ONNX equivalent") for _mode in ("bicubic", "area", "lanczos3")},
    "resizing_lanczos5_antialias": ("{type: Resizing, height: 4, width: 5, interpolation: lanczos5, antialias: true}",
                                    [9, 7, 3], "no exact PyTorch or ONNX equivalent"),
    # Keras rounds the float32 resize of an integer image: an x.5 rounds by float32's last bit (off by 1 measured).
    "resizing_bilinear_uint8": ("{type: Resizing, height: 5, width: 4}", [9, 7, 3], "rounds TensorFlow's float32 result"),
}

# Cases (of CASES or TORCH_REFUSES) the ONNX emitter refuses (SB400), with the reason's words. Bidirectional with
# merge_mode null is refused too, but no spec reaches it: the spec check already rejects it (one output per layer).
ONNX_REFUSES: dict[str, str] = {
    "activation_sparsemax": "the sparsemax activation has no ONNX op",
    "gru_reset_before_sparsemax": "ONNX's GRU op takes elu, hard_sigmoid",
    "gru_reset_before_softmax": "ONNX's GRU op takes elu, hard_sigmoid",
    "gru_reset_before_softplus": "onnxruntime's RNN-op Softplus is log(1 + exp(x))",
    "lstm_softplus": "onnxruntime's RNN-op Softplus is log(1 + exp(x))",
    "conv2d_transpose_unknown": "a transposed convolution over an axis of unknown size",
    "random_crop_smaller": "returns the image uncropped at inference (keras-team/keras#21868)",
    **{f"resizing_{_mode}": "no exact PyTorch or ONNX equivalent" for _mode in ("bicubic", "area", "lanczos3")},
    "resizing_lanczos5_antialias": "no exact PyTorch or ONNX equivalent",
    "resizing_bilinear_uint8": "rounds TensorFlow's float32 result",
    "center_crop_unknown_size": "CenterCrop of an image of unknown height or width",
}


def dtype_of(case: str) -> str:
    for marker in ("uint8", "int32"):
        if case.endswith(marker) or f"_{marker}_" in case:
            return marker
    return "int32" if case.startswith("embedding") else "float32"


def case_text(case: str) -> str:
    layers, shape = CASES[case] if case in CASES else TORCH_REFUSES[case][:2]
    return spec(layers, shape, dtype=dtype_of(case))


def assert_onnx_compared(case: str, report: CrosscheckReport) -> None:
    """ONNX was one of the backends compared, unless the case is a listed refusal, which the ONNX emitter must make."""
    import_framework("onnxruntime")  # without the onnx extra, no ONNX to compare (a failure where it is required)
    if case in ONNX_REFUSES:
        assert "onnx" not in report.backends, f"{case}: ONNX ran, but ONNX_REFUSES lists it"
        with pytest.raises(NotExpressible, match=re.escape(ONNX_REFUSES[case])):
            to_onnx(case_text(case))
    else:
        assert "onnx" in report.backends, f"{case}: ONNX was not compared: {report.unavailable.get('onnx')}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches(case):
    report = crosscheck(case_text(case))
    assert report.ok, f"{case}: {why(report)}"
    assert_onnx_compared(case, report)


@pytest.mark.parametrize("case", sorted(TORCH_REFUSES))
def test_layer_pytorch_cannot_express_matches_onnx(case):
    """PyTorch refuses it (as listed); Keras and ONNX agree on it (at two sizes of an unknown axis: an odd and an
    even one, as TF's 'same' split depends on it), or ONNX refuses it too (as listed)."""
    text = case_text(case)
    with pytest.raises(NotExpressible, match=re.escape(TORCH_REFUSES[case][2])):
        torch_source(text)
    import_framework("onnxruntime")
    if case in ONNX_REFUSES:
        with pytest.raises(NotExpressible, match=re.escape(ONNX_REFUSES[case])):
            to_onnx(text)
        return
    chosen = choose_dims(check_text(text, lint=False))
    for dims in (chosen, [dataclasses.replace(d, size=d.size + 1, given=True) for d in chosen]) if chosen else [None]:
        report = crosscheck(text, backends=["keras", "onnx"], dims=dims)
        assert report.backends == ["keras", "onnx"] and report.ok, f"{case} {dims}: {why(report)}"


@pytest.mark.parametrize("case", ["conv2d_same_s2_asymmetric", "separable2d", "batch_norm_conv", "lstm_sequences",
                                  "gru", "gru_reset_before", "bidirectional_LSTM_concat_seq_false",
                                  "time_distributed_conv", "depthwise2d", "conv2d_transpose_same_k4",
                                  "layer_norm_after_conv", "embedding", "group_norm", "prelu_shared_after_conv",
                                  "conv_lstm2d_sequences_same", "conv_lstm2d_same_s2_asymmetric_backwards",
                                  "conv_lstm1d_same_s2_sequences_backwards", "conv_lstm3d_same_s2_sequences_relu",
                                  "conv_lstm3d_channels_first_backwards",
                                  "normalization", "normalization_axes", "normalization_axis_none_invert",
                                  "mha_self_causal", "mha_value_dim_after_dense", "gqa_self_causal", "attention_concat",
                                  "additive_attention_causal", "rms_norm_two_axes_after_conv",
                                  "unit_norm_axes_after_conv", "dot_normalize_axis1", "dot_axes_pair",
                                  "resizing_crop_then_dense", "center_crop_smaller_then_dense",
                                  "einsum_dense_heads", "einsum_dense_ellipsis_left", "einsum_dense_ellipsis_right",
                                  "einsum_dense_partial_bias_no_bias"])
def test_torch_to_keras(case):
    """Weights drawn for PyTorch: copied into Keras, and into ONNX from the PyTorch model."""
    report = crosscheck(case_text(case), TORCH_TO_KERAS)
    assert report.ok, f"{case}: {why(report)}"
    assert_onnx_compared(case, report)
