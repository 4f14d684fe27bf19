"""Generated from the layer classes by specbridge.spec.catalog.write_index(): do not edit.

Each family module's type names (canonical Keras name first, then aliases), so that a check imports only the
families its spec uses. `pytest tests/spec --update-golden` rewrites it; a test fails when it is stale.
"""

FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
    'conv': (
        ('Conv1D', 'Convolution1D'),
        ('Conv2D', 'Convolution2D'),
        ('Conv3D', 'Convolution3D'),
        ('Conv1DTranspose', 'Convolution1DTranspose'),
        ('Conv2DTranspose', 'Convolution2DTranspose'),
        ('Conv3DTranspose', 'Convolution3DTranspose'),
        ('DepthwiseConv1D',),
        ('DepthwiseConv2D',),
        ('SeparableConv1D', 'SeparableConvolution1D'),
        ('SeparableConv2D', 'SeparableConvolution2D'),
    ),
    'pooling': (
        ('MaxPooling1D', 'MaxPool1D'),
        ('MaxPooling2D', 'MaxPool2D'),
        ('MaxPooling3D', 'MaxPool3D'),
        ('AveragePooling1D', 'AvgPool1D'),
        ('AveragePooling2D', 'AvgPool2D'),
        ('AveragePooling3D', 'AvgPool3D'),
        ('GlobalMaxPooling1D', 'GlobalMaxPool1D'),
        ('GlobalMaxPooling2D', 'GlobalMaxPool2D'),
        ('GlobalMaxPooling3D', 'GlobalMaxPool3D'),
        ('GlobalAveragePooling1D', 'GlobalAvgPool1D'),
        ('GlobalAveragePooling2D', 'GlobalAvgPool2D'),
        ('GlobalAveragePooling3D', 'GlobalAvgPool3D'),
    ),
    'core': (
        ('Dense',),
        ('Embedding',),
        ('Dropout',),
        ('SpatialDropout1D',),
        ('SpatialDropout2D',),
        ('SpatialDropout3D',),
        ('Activation',),
        ('ReLU',),
        ('LeakyReLU',),
        ('ELU',),
        ('Softmax',),
    ),
    'normalization': (
        ('BatchNormalization',),
        ('LayerNormalization',),
    ),
    'reshaping': (
        ('ZeroPadding1D',),
        ('ZeroPadding2D',),
        ('ZeroPadding3D',),
        ('Cropping1D',),
        ('Cropping2D',),
        ('Cropping3D',),
        ('UpSampling1D',),
        ('UpSampling2D',),
        ('UpSampling3D',),
        ('Flatten',),
        ('Reshape',),
        ('Permute',),
        ('RepeatVector',),
    ),
    'recurrent': (
        ('SimpleRNN',),
        ('LSTM',),
        ('GRU',),
        ('Bidirectional',),
    ),
    'merging': (
        ('Concatenate',),
        ('Add',),
        ('Subtract',),
        ('Multiply',),
        ('Average',),
        ('Maximum',),
        ('Minimum',),
    ),
    'wrappers': (
        ('TimeDistributed',),
    ),
}
