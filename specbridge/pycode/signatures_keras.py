"""Keras 3 layer constructors as data, for reading model code without importing Keras.

The tables between `# BEGIN GENERATED` and `# END GENERATED` are written by scripts/gen_signatures.py from the
installed Keras (3.15) and checked by tests/pycode/test_signatures.py; the Keras 1 tables below them are written
by hand from Keras 2's legacy interfaces. Keys are the layer type names of specbridge.spec.catalog.TYPE_NAMES
that exist in keras.layers, aliases included (Convolution2D has Conv2D's entry).

What a constructor call does with an argument the tables do not know:
- an unknown keyword raises. Through the base Layer: `ValueError: Unrecognized keyword arguments passed to
  Conv2D: {'foo': 1}`; SpatialDropout1D/2D/3D have no **kwargs: `TypeError: SpatialDropout2D.__init__() got an
  unexpected keyword argument 'foo'`.
- too many positional arguments: `TypeError: Conv2D.__init__() takes from 3 to 17 positional arguments but 18
  were given` (self counted).
Some accepted keywords are deprecated and ignored or renamed with a warning: Embedding(input_length=...)
("Argument `input_length` is deprecated. Just remove it."), LeakyReLU(alpha=...) (-> negative_slope),
LayerNormalization(rms_scaling=...). `input_dim=n` is accepted by every layer with **kwargs and means
input_shape=(n,), also on the recurrent layers and Conv1D, where Keras 2 read it as input_shape=(input_length, n):
Sequential([LSTM(32, input_dim=8)]) fails in Keras 3 ("expected ndim=3, found ndim=2").
"""

# BEGIN GENERATED KERAS_POSITIONAL
KERAS_POSITIONAL: dict[str, tuple[str, ...]] = {
    "Conv1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv3D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution3D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv1DTranspose": ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution1DTranspose": ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv2DTranspose": ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution2DTranspose": ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv3DTranspose": ("filters", "kernel_size", "strides", "padding", "data_format", "output_padding", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Convolution3DTranspose": ("filters", "kernel_size", "strides", "padding", "data_format", "output_padding", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "DepthwiseConv1D": ("kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "bias_constraint"),
    "DepthwiseConv2D": ("kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "bias_constraint"),
    "SeparableConv1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "SeparableConvolution1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "SeparableConv2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "SeparableConvolution2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"),
    "MaxPooling1D": ("pool_size", "strides", "padding", "data_format", "name"),
    "MaxPool1D": ("pool_size", "strides", "padding", "data_format", "name"),
    "MaxPooling2D": ("pool_size", "strides", "padding", "data_format", "name"),
    "MaxPool2D": ("pool_size", "strides", "padding", "data_format", "name"),
    "MaxPooling3D": ("pool_size", "strides", "padding", "data_format", "name"),
    "MaxPool3D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AveragePooling1D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AvgPool1D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AveragePooling2D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AvgPool2D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AveragePooling3D": ("pool_size", "strides", "padding", "data_format", "name"),
    "AvgPool3D": ("pool_size", "strides", "padding", "data_format", "name"),
    "GlobalMaxPooling1D": ("data_format", "keepdims"),
    "GlobalMaxPool1D": ("data_format", "keepdims"),
    "GlobalMaxPooling2D": ("data_format", "keepdims"),
    "GlobalMaxPool2D": ("data_format", "keepdims"),
    "GlobalMaxPooling3D": ("data_format", "keepdims"),
    "GlobalMaxPool3D": ("data_format", "keepdims"),
    "GlobalAveragePooling1D": ("data_format", "keepdims"),
    "GlobalAvgPool1D": ("data_format", "keepdims"),
    "GlobalAveragePooling2D": ("data_format", "keepdims"),
    "GlobalAvgPool2D": ("data_format", "keepdims"),
    "GlobalAveragePooling3D": ("data_format", "keepdims"),
    "GlobalAvgPool3D": ("data_format", "keepdims"),
    "Dense": ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank", "lora_alpha", "quantization_config"),
    "EinsumDense": ("equation", "output_shape", "activation", "bias_axes", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint", "lora_rank", "lora_alpha", "gptq_unpacked_column_size", "quantization_config"),
    "Embedding": ("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint", "mask_zero", "weights", "lora_rank", "lora_alpha", "quantization_config"),
    "Masking": ("mask_value",),
    "Dropout": ("rate", "noise_shape", "seed"),
    "SpatialDropout1D": ("rate", "seed", "name", "dtype"),
    "SpatialDropout2D": ("rate", "data_format", "seed", "name", "dtype"),
    "SpatialDropout3D": ("rate", "data_format", "seed", "name", "dtype"),
    "Activation": ("activation",),
    "ReLU": ("max_value", "negative_slope", "threshold"),
    "LeakyReLU": ("negative_slope",),
    "ELU": ("alpha",),
    "PReLU": ("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"),
    "Softmax": ("axis",),
    "Identity": (),
    "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum", "synchronized"),
    "LayerNormalization": ("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
    "GroupNormalization": ("groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
    "UnitNormalization": ("axis",),
    "RMSNormalization": ("axis", "epsilon"),
    "ZeroPadding1D": ("padding", "data_format"),
    "ZeroPadding2D": ("padding", "data_format"),
    "ZeroPadding3D": ("padding", "data_format"),
    "Cropping1D": ("cropping",),
    "Cropping2D": ("cropping", "data_format"),
    "Cropping3D": ("cropping", "data_format"),
    "UpSampling1D": ("size",),
    "UpSampling2D": ("size", "data_format", "interpolation"),
    "UpSampling3D": ("size", "data_format"),
    "Flatten": ("data_format",),
    "Reshape": ("target_shape",),
    "Permute": ("dims",),
    "RepeatVector": ("n",),
    "SimpleRNN": ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "seed"),
    "LSTM": ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "use_cudnn"),
    "GRU": ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "reset_after", "use_cudnn"),
    "Bidirectional": ("layer", "merge_mode", "weights", "backward_layer"),
    "ConvLSTM1D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful"),
    "ConvLSTM2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful"),
    "ConvLSTM3D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful"),
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes", "sliding_window", "flash_attention", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "use_gate", "seed"),
    "GroupQueryAttention": ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "sliding_window", "flash_attention", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "use_gate", "seed"),
    "Attention": ("use_scale", "score_mode", "dropout", "seed"),
    "AdditiveAttention": ("use_scale", "dropout"),
    "Concatenate": ("axis",),
    "Add": (),
    "Subtract": (),
    "Multiply": (),
    "Average": (),
    "Maximum": (),
    "Minimum": (),
    "Dot": ("axes", "normalize"),
    "Rescaling": ("scale", "offset"),
    "Normalization": ("axis", "mean", "variance", "invert"),
    "RandomFlip": ("mode", "seed", "data_format"),
    "RandomRotation": ("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomZoom": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomContrast": ("factor", "value_range", "seed"),
    "RandomTranslation": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomCrop": ("height", "width", "seed", "data_format", "name"),
    "Resizing": ("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "antialias", "data_format"),
    "CenterCrop": ("height", "width", "data_format"),
    "TimeDistributed": ("layer",),
}
# END GENERATED KERAS_POSITIONAL

# The keywords keras.layers.Layer.__init__ itself accepts (named, or popped from **kwargs: input_shape, input_dim).
# Keras 2's base Layer also took batch_input_shape, batch_size, weights, implementation and dynamic: Keras 3
# rejects them (Embedding and Bidirectional name `weights` themselves; LSTM and GRU pop `implementation`).
# BEGIN GENERATED KERAS_BASE_KEYWORDS
KERAS_BASE_KEYWORDS: frozenset[str] = frozenset({"activity_regularizer", "autocast", "dtype", "input_dim", "input_shape", "name", "trainable"})
# END GENERATED KERAS_BASE_KEYWORDS

# Every keyword the constructor accepts without raising: its named parameters, and for a layer with **kwargs what
# reaches a base class that takes it (KERAS_BASE_KEYWORDS, plus a base class's own: BaseConv's lora_rank) or is
# popped on the way (Embedding's input_length). Each one beyond the named parameters was tried, with a real value:
# RandomFlip passes `factor` to a base class that takes only None ("Layer RandomFlip does not take a `factor`
# argument"), so it is not listed there.
# BEGIN GENERATED KERAS_KEYWORDS
KERAS_KEYWORDS: dict[str, frozenset[str]] = {
    "Conv1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Convolution1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Conv2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Convolution2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Conv3D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Convolution3D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "groups", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "lora_alpha", "lora_rank", "padding", "strides", "use_bias"}),
    "Conv1DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "Convolution1DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "Conv2DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "Convolution2DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "Conv3DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "Convolution3DTranspose": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "filters", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "output_padding", "padding", "strides", "use_bias"}),
    "DepthwiseConv1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "kernel_size", "padding", "strides", "use_bias"}),
    "DepthwiseConv2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "kernel_size", "padding", "strides", "use_bias"}),
    "SeparableConv1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "filters", "kernel_size", "padding", "pointwise_constraint", "pointwise_initializer", "pointwise_regularizer", "strides", "use_bias"}),
    "SeparableConvolution1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "filters", "kernel_size", "padding", "pointwise_constraint", "pointwise_initializer", "pointwise_regularizer", "strides", "use_bias"}),
    "SeparableConv2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "filters", "kernel_size", "padding", "pointwise_constraint", "pointwise_initializer", "pointwise_regularizer", "strides", "use_bias"}),
    "SeparableConvolution2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "depth_multiplier", "depthwise_constraint", "depthwise_initializer", "depthwise_regularizer", "dilation_rate", "filters", "kernel_size", "padding", "pointwise_constraint", "pointwise_initializer", "pointwise_regularizer", "strides", "use_bias"}),
    "MaxPooling1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "MaxPool1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "MaxPooling2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "MaxPool2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "MaxPooling3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "MaxPool3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AveragePooling1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AvgPool1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AveragePooling2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AvgPool2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AveragePooling3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "AvgPool3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding", "pool_size", "strides"}),
    "GlobalMaxPooling1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalMaxPool1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalMaxPooling2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalMaxPool2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalMaxPooling3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalMaxPool3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAveragePooling1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAvgPool1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAveragePooling2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAvgPool2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAveragePooling3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "GlobalAvgPool3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "keepdims"}),
    "Dense": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "lora_alpha", "lora_rank", "quantization_config", "units", "use_bias"}),
    "EinsumDense": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_axes", "bias_constraint", "bias_initializer", "bias_regularizer", "equation", "gptq_unpacked_column_size", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "lora_alpha", "lora_rank", "output_shape", "quantization_config"}),
    "Embedding": KERAS_BASE_KEYWORDS | frozenset({"embeddings_constraint", "embeddings_initializer", "embeddings_regularizer", "input_length", "lora_alpha", "lora_rank", "mask_zero", "output_dim", "quantization_config", "weights"}),
    "Masking": KERAS_BASE_KEYWORDS | frozenset({"mask_value"}),
    "Dropout": KERAS_BASE_KEYWORDS | frozenset({"noise_shape", "rate", "seed"}),
    "SpatialDropout1D": frozenset({"dtype", "name", "rate", "seed"}),
    "SpatialDropout2D": frozenset({"data_format", "dtype", "name", "rate", "seed"}),
    "SpatialDropout3D": frozenset({"data_format", "dtype", "name", "rate", "seed"}),
    "Activation": KERAS_BASE_KEYWORDS | frozenset({"activation"}),
    "ReLU": KERAS_BASE_KEYWORDS | frozenset({"max_value", "negative_slope", "threshold"}),
    "LeakyReLU": KERAS_BASE_KEYWORDS | frozenset({"alpha", "negative_slope"}),
    "ELU": KERAS_BASE_KEYWORDS | frozenset({"alpha"}),
    "PReLU": KERAS_BASE_KEYWORDS | frozenset({"alpha_constraint", "alpha_initializer", "alpha_regularizer", "shared_axes"}),
    "Softmax": KERAS_BASE_KEYWORDS | frozenset({"axis"}),
    "Identity": KERAS_BASE_KEYWORDS | frozenset(),
    "BatchNormalization": KERAS_BASE_KEYWORDS | frozenset({"axis", "beta_constraint", "beta_initializer", "beta_regularizer", "center", "epsilon", "gamma_constraint", "gamma_initializer", "gamma_regularizer", "momentum", "moving_mean_initializer", "moving_variance_initializer", "renorm", "renorm_clipping", "renorm_momentum", "scale", "synchronized"}),
    "LayerNormalization": KERAS_BASE_KEYWORDS | frozenset({"axis", "beta_constraint", "beta_initializer", "beta_regularizer", "center", "epsilon", "gamma_constraint", "gamma_initializer", "gamma_regularizer", "rms_scaling", "scale"}),
    "GroupNormalization": KERAS_BASE_KEYWORDS | frozenset({"axis", "beta_constraint", "beta_initializer", "beta_regularizer", "center", "epsilon", "gamma_constraint", "gamma_initializer", "gamma_regularizer", "groups", "scale"}),
    "UnitNormalization": KERAS_BASE_KEYWORDS | frozenset({"axis"}),
    "RMSNormalization": KERAS_BASE_KEYWORDS | frozenset({"axis", "epsilon"}),
    "ZeroPadding1D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding"}),
    "ZeroPadding2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding"}),
    "ZeroPadding3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "padding"}),
    "Cropping1D": KERAS_BASE_KEYWORDS | frozenset({"cropping"}),
    "Cropping2D": KERAS_BASE_KEYWORDS | frozenset({"cropping", "data_format"}),
    "Cropping3D": KERAS_BASE_KEYWORDS | frozenset({"cropping", "data_format"}),
    "UpSampling1D": KERAS_BASE_KEYWORDS | frozenset({"size"}),
    "UpSampling2D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "interpolation", "size"}),
    "UpSampling3D": KERAS_BASE_KEYWORDS | frozenset({"data_format", "size"}),
    "Flatten": KERAS_BASE_KEYWORDS | frozenset({"data_format"}),
    "Reshape": KERAS_BASE_KEYWORDS | frozenset({"target_shape"}),
    "Permute": KERAS_BASE_KEYWORDS | frozenset({"dims"}),
    "RepeatVector": KERAS_BASE_KEYWORDS | frozenset({"n"}),
    "SimpleRNN": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "dropout", "go_backwards", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful", "units", "unroll", "use_bias", "zero_output_for_mask"}),
    "LSTM": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "dropout", "go_backwards", "implementation", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "recurrent_activation", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful", "unit_forget_bias", "units", "unroll", "use_bias", "use_cudnn", "zero_output_for_mask"}),
    "GRU": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "dropout", "go_backwards", "implementation", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "recurrent_activation", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "reset_after", "return_sequences", "return_state", "seed", "stateful", "units", "unroll", "use_bias", "use_cudnn", "zero_output_for_mask"}),
    "Bidirectional": KERAS_BASE_KEYWORDS | frozenset({"backward_layer", "layer", "merge_mode", "weights"}),
    "ConvLSTM1D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "dropout", "filters", "go_backwards", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "padding", "recurrent_activation", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful", "strides", "unit_forget_bias", "unroll", "use_bias", "zero_output_for_mask"}),
    "ConvLSTM2D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "dropout", "filters", "go_backwards", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "padding", "recurrent_activation", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful", "strides", "unit_forget_bias", "unroll", "use_bias", "zero_output_for_mask"}),
    "ConvLSTM3D": KERAS_BASE_KEYWORDS | frozenset({"activation", "bias_constraint", "bias_initializer", "bias_regularizer", "data_format", "dilation_rate", "dropout", "filters", "go_backwards", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "kernel_size", "padding", "recurrent_activation", "recurrent_constraint", "recurrent_dropout", "recurrent_initializer", "recurrent_regularizer", "return_sequences", "return_state", "seed", "stateful", "strides", "unit_forget_bias", "unroll", "use_bias", "zero_output_for_mask"}),
    "MultiHeadAttention": KERAS_BASE_KEYWORDS | frozenset({"attention_axes", "bias_constraint", "bias_initializer", "bias_regularizer", "dropout", "flash_attention", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "key_dim", "num_heads", "output_shape", "seed", "sliding_window", "use_bias", "use_gate", "value_dim"}),
    "GroupQueryAttention": KERAS_BASE_KEYWORDS | frozenset({"bias_constraint", "bias_initializer", "bias_regularizer", "dropout", "flash_attention", "head_dim", "kernel_constraint", "kernel_initializer", "kernel_regularizer", "num_key_value_heads", "num_query_heads", "seed", "sliding_window", "use_bias", "use_gate"}),
    "Attention": KERAS_BASE_KEYWORDS | frozenset({"dropout", "score_mode", "seed", "use_scale"}),
    "AdditiveAttention": KERAS_BASE_KEYWORDS | frozenset({"dropout", "score_mode", "seed", "use_scale"}),
    "Concatenate": KERAS_BASE_KEYWORDS | frozenset({"axis"}),
    "Add": KERAS_BASE_KEYWORDS | frozenset(),
    "Subtract": KERAS_BASE_KEYWORDS | frozenset(),
    "Multiply": KERAS_BASE_KEYWORDS | frozenset(),
    "Average": KERAS_BASE_KEYWORDS | frozenset(),
    "Maximum": KERAS_BASE_KEYWORDS | frozenset(),
    "Minimum": KERAS_BASE_KEYWORDS | frozenset(),
    "Dot": KERAS_BASE_KEYWORDS | frozenset({"axes", "normalize"}),
    "Rescaling": KERAS_BASE_KEYWORDS | frozenset({"offset", "scale"}),
    "Normalization": KERAS_BASE_KEYWORDS | frozenset({"axis", "invert", "mean", "variance"}),
    "RandomFlip": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "mode", "seed"}),
    "RandomRotation": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "factor", "fill_mode", "fill_value", "interpolation", "seed"}),
    "RandomZoom": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "fill_mode", "fill_value", "height_factor", "interpolation", "seed", "width_factor"}),
    "RandomContrast": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "factor", "seed", "value_range"}),
    "RandomTranslation": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "fill_mode", "fill_value", "height_factor", "interpolation", "seed", "width_factor"}),
    "RandomCrop": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "factor", "height", "seed", "width"}),
    "Resizing": KERAS_BASE_KEYWORDS | frozenset({"antialias", "bounding_box_format", "crop_to_aspect_ratio", "data_format", "fill_mode", "fill_value", "height", "interpolation", "pad_to_aspect_ratio", "width"}),
    "CenterCrop": KERAS_BASE_KEYWORDS | frozenset({"bounding_box_format", "data_format", "height", "width"}),
    "TimeDistributed": KERAS_BASE_KEYWORDS | frozenset({"layer"}),
}
# END GENERATED KERAS_KEYWORDS

# keras.layers functional merge interfaces: name -> (the layer class it builds, its positional parameters).
# Every other keyword goes to that class's constructor.
# BEGIN GENERATED KERAS_FUNCTIONS
KERAS_FUNCTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "add": ("Add", ("inputs",)),
    "subtract": ("Subtract", ("inputs",)),
    "multiply": ("Multiply", ("inputs",)),
    "average": ("Average", ("inputs",)),
    "maximum": ("Maximum", ("inputs",)),
    "minimum": ("Minimum", ("inputs",)),
    "concatenate": ("Concatenate", ("inputs", "axis")),
    "dot": ("Dot", ("inputs", "axes")),
}
# END GENERATED KERAS_FUNCTIONS

# ---------------------------------------------------------------- Keras 1 arguments (hand-written)
# Keras 2.0-2.2 translated these Keras 1 keywords with a warning (keras/legacy/interfaces.py; atrous_rate: the
# AtrousConvolution1D/2D functions of keras/legacy/layers.py); Keras 3 rejects them. nb_row/nb_col and
# kernel_dim1/2/3 were combined into one kernel_size tuple. A name that is a keyword of the layer at hand
# (KERAS_KEYWORDS: Embedding's output_dim, LSTM's dropout) is not a legacy one there.
KERAS1_ARGUMENTS: dict[str, str] = {
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "nb_row": "kernel_size",
    "nb_col": "kernel_size",
    "kernel_dim1": "kernel_size",
    "kernel_dim2": "kernel_size",
    "kernel_dim3": "kernel_size",
    "subsample": "strides",
    "subsample_length": "strides",
    "stride": "strides",  # pooling 1D
    "border_mode": "padding",
    "dim_ordering": "data_format",
    "atrous_rate": "dilation_rate",
    "pool_length": "pool_size",
    "output_dim": "units",  # Dense and the recurrent layers
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "forget_bias_init": "unit_forget_bias",  # only "one" became unit_forget_bias=True; other values were dropped
    "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "beta_init": "beta_initializer",  # BatchNormalization
    "gamma_init": "gamma_initializer",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "consume_less": "implementation",
    "p": "rate",  # Dropout, SpatialDropout*, GaussianDropout
    "length": "size",  # UpSampling1D
    "sigma": "stddev",  # GaussianNoise
}

# Where a layer's translation differs from KERAS1_ARGUMENTS: layer -> {Keras 1 name: its Keras 2 names}; () means
# Keras 2 dropped the argument (Embedding's dropout with a warning; BatchNormalization's mode only when 0).
KERAS1_LAYER_ARGUMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Embedding": {"init": ("embeddings_initializer",), "W_regularizer": ("embeddings_regularizer",),
                  "W_constraint": ("embeddings_constraint",), "dropout": ()},
    "PReLU": {"init": ("alpha_initializer",)},
    "SeparableConv2D": {"init": ("depthwise_initializer", "pointwise_initializer")},
    "SeparableConvolution2D": {"init": ("depthwise_initializer", "pointwise_initializer")},
    "BatchNormalization": {"mode": ()},
    "Conv2DTranspose": {"output_shape": ()},  # Keras 1's Deconvolution2D
    "Convolution2DTranspose": {"output_shape": ()},
}

# The values Keras 2 translated along with the name (value_conversions in keras/legacy/interfaces.py).
KERAS1_VALUES: dict[str, dict[str, object]] = {
    "dim_ordering": {"tf": "channels_last", "th": "channels_first", "default": None},
    "consume_less": {"cpu": 0, "mem": 1, "gpu": 2},
    "forget_bias_init": {"one": True},
}
