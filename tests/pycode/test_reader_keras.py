"""The static reader on Keras model code, judged by real Keras.

Every snippet is read with read_python() and also executed with Keras 3 in a fresh namespace (after
keras.backend.clear_session(), so layer names restart as they would in a fresh process). Code Keras builds must get
no error diagnostic and the same output shape, layer by layer (matched by Keras's layer name); code Keras refuses
must get an error at the line (and, for a keyword, the column) the test marks. The expected lines and columns are
computed from the snippet's text, never copied from specbridge's output.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.diagnostics.model import Severity
from specbridge.pycode import read_python

pytestmark = [pytest.mark.keras,
              pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")]

SNIPPET = "<snippet>"


# ----------------------------------------------------------------------------------------------------------------
# helpers


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip("\n")


def read(src: str, **kwargs):
    return read_python(src, "model.py", **kwargs)


def line_of(src: str, marker: str) -> int:
    """1-based line of the only line containing `marker`."""
    found = [i for i, text in enumerate(src.splitlines(), 1) if marker in text]
    assert len(found) == 1, (marker, found)
    return found[0]


def column_of(src: str, marker: str) -> int:
    """1-based column where `marker` starts on its line."""
    text = src.splitlines()[line_of(src, marker) - 1]
    return text.index(marker) + 1


def errors(result) -> list[str]:
    return [f"{d.code} {d.line}:{d.column} {d.message}" for d in result.errors]


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


@pytest.fixture(scope="module")
def tensorflow(keras):
    return import_framework("tensorflow")


def run_keras(keras, src: str, extra: str = ""):
    """(namespace, None) when the snippet (plus `extra`, appended) runs, else (None, exception)."""
    keras.backend.clear_session()
    namespace: dict = {"__name__": "snippet"}
    try:
        exec(compile(src + extra, SNIPPET, "exec"), namespace)
    except Exception as exc:  # noqa: BLE001 - the framework's verdict
        return None, exc
    return namespace, None


def real_models(keras, namespace: dict) -> dict:
    return {name: value for name, value in namespace.items()
            if isinstance(value, keras.Model) and not name.startswith("__")}


def shape(tensor_shape) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor_shape)


def find_model(result, variable: str, real):
    """The reader's model for Keras's `variable`: by name (the variable, or the name= given); a file with one model
    may name it after the factory's local variable."""
    names = {variable, real.name}
    found = [m for m in result.models if m.name in names]
    if not found and len(result.models) == 1:
        found = result.models
    assert found, (variable, real.name, [m.name for m in result.models])
    return found[0]


def assert_same_model(model, real) -> int:
    """The reader's model has Keras's output shapes, and every layer Keras named has the same output shape in
    the reader's graph. Returns how many layers were compared."""
    assert real.outputs, f"Keras did not build {real.name}"
    wanted = [shape(t.shape)[1:] for t in real.outputs]
    assert [tuple(o.tensor.shape) if o.tensor is not None else None for o in model.outputs] == wanted
    nodes = {n.name: n for n in model.graph.nodes} if model.graph else {}
    compared = 0
    for layer in real.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        try:
            out = layer.output
        except (AttributeError, ValueError):  # a layer called more than once: no single output
            continue
        assert layer.name in nodes, (layer.name, sorted(nodes))
        assert tuple(nodes[layer.name].output.shape) == shape(out.shape)[1:], layer.name
        compared += 1
    return compared


def assert_keras_builds_the_same(keras, src: str, extra: str = "", name: str | None = None):
    """Keras runs the snippet; the reader reports no error and the models Keras built, with the same shapes."""
    result = read(src)
    namespace, exc = run_keras(keras, src, extra)
    assert exc is None, f"Keras refused the snippet: {type(exc).__name__}: {exc}"
    assert not result.errors, errors(result)
    models = real_models(keras, namespace)
    if name is not None:
        models = {name: models[name]}
    assert models
    for variable, real in models.items():
        compared = assert_same_model(find_model(result, variable, real), real)
        assert compared > 0
    return result, namespace


def assert_keras_refuses(keras, src: str, code: str, marker: str, column_marker: str | None = None):
    """Keras raises on the snippet; the reader has an error of `code` at the marked line, and no other error."""
    _, exc = run_keras(keras, src)
    assert exc is not None, "Keras built the snippet: the test's premise is wrong"
    result = read(src)
    wanted = line_of(src, marker)
    found = [d for d in result.errors if d.code == code and d.line == wanted]
    assert found, (code, wanted, errors(result))
    if column_marker is not None:
        assert found[0].column == column_of(src, column_marker), (found[0].column, errors(result))
    assert all(d.line == wanted for d in result.errors), errors(result)
    return result, exc


# ----------------------------------------------------------------------------------------------------------------
# import spellings and argument forms Keras accepts: no error, Keras's shapes

GOOD = {
    "from_tensorflow_import_keras_positional": """
        from tensorflow import keras
        model = keras.Sequential([
            keras.layers.Conv2D(32, (3, 3), (2, 2), 'same', input_shape=(28, 28, 1)),
            keras.layers.MaxPooling2D((2, 2), 2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, 'relu'),
        ])
    """,
    "import_tensorflow_as_tf": """
        import tensorflow as tf
        model = tf.keras.Sequential([
            tf.keras.Input(shape=(20, 20, 3)),
            tf.keras.layers.Conv2D(8, 3, activation=tf.nn.relu),
            tf.keras.layers.MaxPooling2D(2, 2, 'same'),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(5, activation='softmax'),
        ])
    """,
    "tensorflow_keras_layers_aliased": """
        from tensorflow.keras.layers import Conv2D as C, Flatten, Dense as D
        from tensorflow.keras.models import Sequential
        net = Sequential()
        net.add(C(4, 3, input_shape=(10, 12, 3)))
        net.add(C(6, (3, 5), (1, 2)))
        net.add(Flatten())
        net.add(D(3))
    """,
    "keras_layers_as_L_functional": """
        import keras
        from keras import layers as L
        inp = keras.Input((16, 3))
        x = L.Conv1D(8, 5, 2)(inp)
        x = L.LSTM(4, 'tanh', return_sequences=True)(x)
        x = L.Flatten()(x)
        out = L.Dense(2)(x)
        clf = keras.Model(inp, out)
    """,
    "import_keras_build": """
        import keras
        mlp = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
        mlp.build((None, 7))
    """,
    "input_dim_first_layer": """
        import keras
        mlp = keras.Sequential([keras.layers.Dense(4, input_dim=7), keras.layers.Dense(2, 'sigmoid')])
    """,
    "keras_models_sequential_keras2_names": """
        from keras.models import Sequential
        from keras.layers import Convolution2D, MaxPool2D, Flatten
        cnn = Sequential([Convolution2D(8, 3, input_shape=(9, 9, 1)), MaxPool2D(), Flatten()])
    """,
    "keras_src_submodule": """
        import keras
        from keras.src.layers.convolutional.conv2d import Conv2D
        net = keras.Sequential([keras.Input((11, 11, 2)), Conv2D(3, 3, 2), keras.layers.Flatten()])
    """,
    "keras_input_first_in_list_with_positional_pool_padding": """
        import keras
        from keras import layers
        m = keras.Sequential([
            keras.Input(shape=(15, 15, 3)),
            layers.Conv2D(4, 3, 1, 'valid', 'channels_last', (2, 2)),
            layers.AveragePooling2D(3, 2, 'same'),
            layers.Conv2D(5, (1, 3)),
        ])
    """,
    "tensorflow_keras_layers_and_models_modules": """
        from tensorflow.keras import layers, models
        m = models.Sequential([layers.Input((5,)), layers.Dense(3), layers.Dense(1)])
    """,
    "import_tensorflow_keras_layers_as_kl": """
        import tensorflow as tf
        import tensorflow.keras.layers as kl
        i = tf.keras.layers.Input((4, 6))
        m = tf.keras.models.Model(inputs=i, outputs=kl.GlobalAveragePooling1D()(kl.Conv1D(2, 3)(i)))
    """,
    "from_keras_import_sequential_input": """
        from keras import Sequential, Input
        from keras.layers import Dense
        m = Sequential([Input((4,)), Dense(2)])
    """,
    "keras_src_models": """
        import keras
        from keras.src.models import Sequential
        m = Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    """,
    "input_batch_shape": """
        import keras
        i = keras.Input(batch_shape=(None, 10))
        o = keras.layers.Dense(3)(keras.layers.Dense(6)(i))
        m = keras.Model(inputs=i, outputs=o)
    """,
    "conv_lstm_1d_and_3d_positional": """
        import keras
        from keras import layers
        signals = keras.Sequential([
            keras.Input((None, 9, 2)),
            layers.ConvLSTM1D(3, 3, 2, 'same', return_sequences=True),
            layers.ConvLSTM1D(2, (2,), 1, 'valid', 'channels_last', 1, 'relu', 'hard_sigmoid', False),
        ])
        volumes = keras.Sequential([
            keras.Input((3, 2, 5, 4, 6)),
            layers.ConvLSTM3D(2, 3, (1, 2, 2), 'same', 'channels_first', return_sequences=True, go_backwards=True),
            layers.ConvLSTM3D(1, (2, 1, 2), data_format='channels_first', dilation_rate=(1, 2, 1)),
        ])
    """,
}


@pytest.mark.parametrize("name", list(GOOD))
def test_keras_accepts_and_the_reader_agrees(keras, tensorflow, name):
    assert_keras_builds_the_same(keras, code(GOOD[name]))


@pytest.mark.parametrize("keras2", [
    "from keras.layers.convolutional import Conv2D\nfrom keras.layers.core import Dense, Flatten",
    "from tensorflow.keras.layers.convolutional import Conv2D\nfrom tensorflow.python.keras.layers.core import Dense, "
    "Flatten",
])
def test_keras2_submodule_paths_read_as_the_keras3_layers(keras, keras2):
    """Keras 2 module paths (keras.layers.convolutional) no longer import in Keras 3; the reader resolves them to the
    same layers, whose shapes are those of the Keras 3 spelling."""
    body = code("""
        import keras
        m = keras.Sequential([keras.Input((12, 12, 2)), Conv2D(4, 3, 2), Flatten(), Dense(5)])
    """)
    keras3 = "from keras.layers import Conv2D, Dense, Flatten\n" + body
    result = read(keras2 + "\n" + body)
    namespace, exc = run_keras(keras, keras3)
    assert exc is None, exc
    assert not result.errors, errors(result)
    assert assert_same_model(result.models[0], namespace["m"]) == 3


FUNCTIONAL = code("""
    import keras
    from keras import layers

    def conv_block(x, filters):
        x = layers.Conv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input(shape=(32, 32, 3))
    a = conv_block(inputs, 16)
    b = conv_block(inputs, 8)
    c = layers.Concatenate()([a, b])
    d = layers.concatenate([a, c])
    e = layers.add([a, a])
    f = layers.multiply([a, e])
    g = a + f
    for i in range(3):
        g = layers.Conv2D(16 * (i + 1), 3, padding="same", name=f"stage_{i}")(g)
    side = layers.GlobalMaxPooling2D()(d)
    h = layers.GlobalAveragePooling2D()(g)
    h = layers.Concatenate(axis=-1)([h, side])
    out = layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, out, name="net")
""")


def test_functional_graph_with_branches_merges_helpers_and_loops(keras):
    result, namespace = assert_keras_builds_the_same(keras, FUNCTIONAL)
    model = result.model("net")
    assert model is not None and model.framework == "keras"
    names = {n.name for n in model.graph.nodes}
    assert {"stage_0", "stage_1", "stage_2"} <= names  # the f-string names, one per loop iteration
    # the helper function called twice made two separate conv layers, each with its own filters
    real = namespace["model"]
    assert shape(real.get_layer("conv2d").output.shape)[-1] == 16
    assert shape(real.get_layer("conv2d_1").output.shape)[-1] == 8


def test_factory_called_with_arguments_at_module_level(keras):
    src = code("""
        import keras
        from keras import layers

        def build(units=8, depth=2, input_dim=20):
            model = keras.Sequential()
            model.add(keras.Input(shape=(input_dim,)))
            for _ in range(depth):
                model.add(layers.Dense(units, activation="relu"))
            model.add(layers.Dense(1))
            return model

        m = build(32, depth=3)
    """)
    result, namespace = assert_keras_builds_the_same(keras, src)
    assert len(result.models) == 1
    assert len(result.models[0].graph.nodes) == len(namespace["m"].layers) == 4


def test_factory_never_called_is_read_with_its_defaults(keras):
    src = code("""
        import keras
        from keras import layers

        def build(units=8, depth=2, input_dim=20):
            model = keras.Sequential()
            model.add(keras.Input(shape=(input_dim,)))
            for _ in range(depth):
                model.add(layers.Dense(units, activation="relu"))
            model.add(layers.Dense(1))
            return model
    """)
    result = read(src)
    assert not result.errors, errors(result)
    assert len(result.models) == 1
    namespace, exc = run_keras(keras, src, "\n__built__ = build()\n")
    assert exc is None
    real = namespace["__built__"]
    assert assert_same_model(result.models[0], real) == 3  # dense, dense_1 (units=8), dense_2


def test_functional_model_inside_uncalled_function_with_broken_layer_is_caught(keras):
    src = code("""
        import keras
        from keras import layers

        def make(size=(8, 8, 3)):
            i = keras.Input(size)
            x = layers.Dense(4)(i)
            x = layers.Conv1D(2, 9)(x)  # !
            return keras.Model(i, x)
    """)
    result = read(src)
    _, exc = run_keras(keras, src, "\nmake()\n")
    assert exc is not None  # (8, 8, 4) is 3-D for Conv1D, but its 8 steps are shorter than the kernel of 9
    assert [d.line for d in result.errors] == [line_of(src, "# !")], errors(result)


def test_model_functions_with_different_arguments_are_two_models(keras):
    src = code("""
        import keras

        def mlp(n_in, n_out, name):
            i = keras.Input((n_in,))
            o = keras.layers.Dense(n_out)(i)
            return keras.Model(i, o, name=name)

        small = mlp(4, 2, "small")
        large = mlp(64, 10, "large")
    """)
    result, _ = assert_keras_builds_the_same(keras, src)
    assert sorted(m.name for m in result.models) == ["large", "small"]


# ----------------------------------------------------------------------------------------------------------------
# code Keras refuses: an error at the line (and column) of the mistake, nothing else


def test_misspelt_keyword_is_rejected_at_its_column(keras):
    src = code("""
        import keras
        m = keras.Sequential([
            keras.Input((9, 9, 1)),
            keras.layers.Conv2D(8, kernal_size=3),
            keras.layers.Dense(3),
        ])
    """)
    result, _ = assert_keras_refuses(keras, src, "SB603", "kernal_size", "kernal_size")
    assert "kernel_size" in (result.errors[0].hint or "")


def test_misspelt_keyword_that_keras_reports_as_unrecognized(keras):
    src = code("""
        import keras
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activaton="relu")])
    """)
    _, exc = assert_keras_refuses(keras, src, "SB603", "activaton", "activaton")
    assert "Unrecognized keyword arguments" in str(exc)


def test_a_catalog_alias_keras_layers_does_not_export_is_rejected(keras):
    """The spec format takes GroupedQueryAttention as an alias; keras.layers exports only GroupQueryAttention."""
    src = code("""
        import keras
        q = keras.Input((5, 8))
        att = keras.layers.GroupedQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=1)(q, q)
        m = keras.Model(q, att)
    """)
    result, exc = assert_keras_refuses(keras, src, "SB603", "GroupedQueryAttention", "keras.layers.Grouped")
    assert isinstance(exc, AttributeError) and "GroupedQueryAttention" in str(exc)
    assert result.errors[0].hint == "write layers.GroupQueryAttention"
    fixed = read(src.replace("GroupedQueryAttention", "GroupQueryAttention"))
    assert fixed.ok and not fixed.errors, errors(fixed)


def test_keras1_border_mode_is_rejected_with_the_new_name(keras):
    src = code("""
        from keras.models import Sequential
        from keras.layers import Conv2D, Flatten
        model = Sequential()
        model.add(Conv2D(16, (3, 3), input_shape=(28, 28, 1)))
        model.add(Conv2D(16, (3, 3), border_mode='same'))
        model.add(Flatten())
    """)
    result, exc = assert_keras_refuses(keras, src, "SB603", "border_mode", "border_mode")
    assert "border_mode" in str(exc)
    assert "padding" in (result.errors[0].hint or "")


def test_keras1_model_input_output_keywords(keras):
    src = code("""
        import keras
        i = keras.Input((3,))
        o = keras.layers.Dense(2)(i)
        m = keras.Model(input=i, output=o)
    """)
    _, exc = run_keras(keras, src)
    assert exc is not None and "Unrecognized keyword arguments" in str(exc)
    result = read(src)
    rejected = [d for d in result.errors if d.code == "SB603"]
    assert {(d.line, d.column) for d in rejected} == {
        (line_of(src, "input=i"), column_of(src, "input=i")),
        (line_of(src, "output=o"), column_of(src, "output=o"))}
    assert not [d for d in result.errors if d.code != "SB603"], errors(result)


@pytest.mark.parametrize("keyword", ["batch_input_shape=(None, 7)", "batch_size=3, input_shape=(7,)"])
def test_keras2_input_keywords_keras3_refuses(keras, keyword):
    src = code(f"""
        import keras
        m = keras.Sequential([keras.layers.Dense(4, {keyword}), keras.layers.Dense(2)])
    """)
    bad = keyword.split("=")[0]
    _, exc = assert_keras_refuses(keras, src, "SB603", bad, bad)
    assert bad in str(exc)


def test_keras3_keywords_of_the_base_layer_are_accepted(keras):
    src = code("""
        import keras
        m = keras.Sequential([keras.layers.Dense(4, input_shape=(7,), dtype="float32", trainable=False,
                                                 name="first"), keras.layers.Dense(2)])
    """)
    assert_keras_builds_the_same(keras, src)


BROKEN = {
    "conv_after_dense_ndim": ("SB200", """
        import keras
        m = keras.Sequential([
            keras.Input((7,)),
            keras.layers.Dense(16),
            keras.layers.Conv2D(2, 3),  # !
        ])
    """),
    "kernel_larger_than_input": ("SB201", """
        import keras
        m = keras.Sequential([
            keras.Input((3, 3, 1)),
            keras.layers.Conv2D(2, 5),  # !
        ])
    """),
    "reshape_wrong_size": ("SB202", """
        import keras
        from keras import layers
        i = keras.Input((6, 5))
        x = layers.Reshape((4, 8))(i)  # !
        m = keras.Model(i, x)
    """),
    "concatenate_mismatch": ("SB204", """
        import keras
        from keras import layers
        i = keras.Input((8, 8, 3))
        a = layers.Conv2D(4, 3)(i)
        b = layers.Conv2D(4, 3, padding="same")(i)
        c = layers.Concatenate()([a, b])  # !
        m = keras.Model(i, c)
    """),
    "add_helper_mismatch": ("SB204", """
        import keras
        from keras import layers
        i = keras.Input((10,))
        a = layers.Dense(4)(i)
        b = layers.Dense(5)(i)
        s = layers.add([a, b])  # !
        m = keras.Model(i, s)
    """),
    "input_shape_is_a_number": ("SB012", """
        import keras
        m = keras.Sequential([keras.layers.Dense(4, input_shape=784)])  # !
    """),
    "wrong_layer_in_loop": ("SB201", """
        import keras
        from keras import layers
        x = i = keras.Input((16, 16, 1))
        for k in (3, 5, 7, 9):
            x = layers.Conv2D(4, k)(x)  # !
        m = keras.Model(i, x)
    """),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_keras_refuses_and_the_reader_reports_the_line(keras, name):
    wanted, src = BROKEN[name]
    assert_keras_refuses(keras, code(src), wanted, "# !")


def test_plus_of_mismatched_keras_tensors_is_an_error(keras):
    src = code("""
        import keras
        from keras import layers
        i = keras.Input((8, 8, 3))
        a = layers.Conv2D(4, 3)(i)
        b = layers.Conv2D(4, 3, padding="same")(i)
        c = a + b  # !
        m = keras.Model(i, c)
    """)
    assert_keras_refuses(keras, src, "SB204", "# !")


def test_plus_of_mismatched_keras_tensors_speaks_of_keras():
    src = code("""
        import keras
        i = keras.Input((8, 8, 3))
        a = keras.layers.Conv2D(4, 3)(i)
        b = keras.layers.Conv2D(4, 3, padding="same")(i)
        m = keras.Model(i, a + b)
    """)
    (error,) = read(src).errors
    assert "PyTorch" not in error.message


def test_rejected_keyword_stops_checking_without_follow_on_errors(keras):
    # after a layer Keras refuses, a wrong layer further down is not reported: Keras never gets there
    src = code("""
        import keras
        m = keras.Sequential([
            keras.Input((4, 4, 1)),
            keras.layers.Conv2D(2, 3, border_mode="valid"),
            keras.layers.Conv2D(2, 7),
        ])
    """)
    result = read(src)
    assert [d.code for d in result.errors] == ["SB603"], errors(result)
    _, exc = run_keras(keras, src)
    assert "border_mode" in str(exc)


def test_sequential_without_input_shape_is_info_only(keras):
    src = code("""
        import keras
        m = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
    """)
    namespace, exc = run_keras(keras, src)
    assert exc is None and not namespace["m"].built  # Keras defers: nothing is wrong
    result = read(src)
    assert not result.errors, errors(result)
    assert [d.code for d in result.diagnostics] == ["SB604"]
    assert result.diagnostics[0].severity is Severity.INFO


def test_code_the_reader_does_not_model_is_never_an_error(keras):
    # a subclassed keras.Model and a custom layer: Keras builds them; the reader says nothing wrong about them
    src = code("""
        import keras

        class Block(keras.layers.Layer):
            def call(self, x):
                return x

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = keras.layers.Dense(3)

            def call(self, x):
                return self.d(x)

        net = Net()
        seq = keras.Sequential([keras.Input((4,)), Block(), keras.layers.Dense(2), keras.layers.Reshape((2, 1))])
    """)
    _, exc = run_keras(keras, src)
    assert exc is None, exc
    result = read(src)
    assert not result.errors, errors(result)
    assert all(d.severity is Severity.INFO for d in result.diagnostics)


def test_conv_rank_hint_names_a_real_layer(keras):
    src = code("""
        import keras
        m = keras.Sequential([keras.Input((7,)), keras.layers.Conv2D(2, 3)])  # !
    """)
    result, _ = assert_keras_refuses(keras, src, "SB200", "# !")
    assert "Conv0D" not in (result.errors[0].hint or "")


def test_sequential_second_positional_is_trainable(keras):
    src = code("""
        import keras
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], "named")
    """)
    _, exc = run_keras(keras, src)
    assert exc is not None and "trainable" in str(exc)
    result = read(src)
    assert result.errors or [m.name for m in result.models] != ["named"]


# ----------------------------------------------------------------------------------------------------------------
# a layer object called more than once shares its weights


SHARED_SOURCES = {
    "siamese-dense": """
        import keras
        from keras import layers
        a = keras.Input((8,))
        b = keras.Input((8,))
        encode = layers.Dense(4, activation="relu")
        model = keras.Model([a, b], layers.Subtract()([encode(a), encode(b)]))
    """,
    "siamese-conv-three-calls": """
        import keras
        from keras import layers
        inputs = [keras.Input((12, 12, 3)) for _ in range(3)]
        conv = layers.Conv2D(5, 3)
        pool = layers.GlobalAveragePooling2D()
        model = keras.Model(inputs, layers.Concatenate()([pool(conv(x)) for x in inputs]))
    """,
}


@pytest.mark.parametrize("name", sorted(SHARED_SOURCES))
def test_a_layer_called_again_shares_its_weights_as_keras_counts_them(keras, name):
    src = code(SHARED_SOURCES[name])
    namespace, failure = run_keras(keras, src)
    assert failure is None, failure
    result = read(src)
    assert not result.errors, errors(result)
    (model,) = result.models
    spec, problems = model.spec()
    assert spec is not None, [p.message for p in problems]
    shared = [layer for layer in spec["layers"] if "shares" in layer]
    assert shared and all(layer["name"].endswith(("_call_2", "_call_3")) for layer in shared), shared
    checked = check_text(json.dumps(spec), "back.spec.json")
    assert checked.ok, [d.message for d in checked.errors]
    assert checked.total_params == namespace["model"].count_params()
