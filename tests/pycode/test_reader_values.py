"""What the reader makes of the values in model code, and of files that are hard or hostile to read.

Values: module constants, arithmetic, indexing, f-strings, dicts and comprehensions are evaluated as Python would;
a value that cannot be known statically (a parameter without default, len(data), argparse, an environment
variable, another module's constant) is an SB601 info at that expression, never an error, and nothing after it is
checked (so no follow-on error). Each snippet is also run with PyTorch or Keras: code that runs must get no error,
with the framework's shapes; the unknown values are given a value that runs, and one that fails, to show that only
the value decides.

Robustness: syntax errors, empty files, recursion, endless and enormous loops, star imports, unknown libraries:
read_python returns (never raises), quickly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest
from frameworks import import_framework

from specbridge.diagnostics.model import Severity
from specbridge.pycode import read_python

ROOT = Path(__file__).resolve().parents[2]
HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
QUICK = 5.0  # seconds: a hang guard only (a normal read takes milliseconds)


# ----------------------------------------------------------------------------------------------------------------
# helpers


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip("\n")


def read(src: str, input_shape=None):
    start = time.perf_counter()
    result = read_python(src, "model.py", input_shape)
    assert time.perf_counter() - start < QUICK
    return result


def line_of(src: str, marker: str) -> int:
    found = [i for i, text in enumerate(src.splitlines(), 1) if marker in text]
    assert len(found) == 1, (marker, found)
    return found[0]


def column_of(src: str, marker: str) -> int:
    return src.splitlines()[line_of(src, marker) - 1].index(marker) + 1


def errors(result) -> list[str]:
    return [f"{d.code} {d.line}:{d.column} {d.message}" for d in result.errors]


def not_evaluated(result) -> list:
    return [d for d in result.diagnostics if d.code == "SB601"]


@pytest.fixture(scope="module")
def torch():
    return import_framework("torch")


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


def run_torch(torch, src: str, model: str, shape: tuple, modules: dict | None = None):
    """(output shape without the batch, None) or (None, exception): the snippet run, then the model on a batch of 2.
    `modules`: fake modules the snippet imports (name -> attributes)."""
    saved = {name: sys.modules.get(name) for name in modules or {}}
    for name, attributes in (modules or {}).items():
        sys.modules[name] = types.SimpleNamespace(**attributes)
    try:
        namespace: dict = {"__name__": "snippet"}
        exec(compile(src, "<snippet>", "exec"), namespace)
        net = eval(model, namespace)
        with torch.no_grad():
            out = net.eval()(torch.randn(2, *shape))
        return tuple(out.shape[1:]), None
    except Exception as exc:  # noqa: BLE001 - the framework's verdict
        return None, exc
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def run_keras(keras, src: str, extra: str = ""):
    """(namespace, None) or (None, exception)."""
    keras.backend.clear_session()
    namespace: dict = {"__name__": "snippet"}
    try:
        exec(compile(src + extra, "<snippet>", "exec"), namespace)
    except Exception as exc:  # noqa: BLE001
        return None, exc
    return namespace, None


def output_shape(result, name: str | None = None):
    model = result.models[0] if name is None else result.model(name)
    out = model.outputs[0] if model.outputs else None
    return tuple(out.tensor.shape) if out is not None and out.tensor is not None else None


# ----------------------------------------------------------------------------------------------------------------
# values the reader evaluates


CONSTANTS = HEAD + code("""
    IMG = (1, 28, 28)
    C, H, W = IMG
    KERNEL = (5, 3)
    CFG = {"hidden": 64, "classes": 10, "widths": [6, 16]}
    FLAT = CFG["widths"][-1] * ((H - KERNEL[0] + 1) // 2 - KERNEL[1] + 1) ** 2
    SIZES = [CFG["hidden"] // 2 ** i for i in range(2)]

    # specbridge: input (1, 28, 28)
    class Net(nn.Module):
        def __init__(self, hidden=SIZES, drop=0.5 if CFG["classes"] > 2 else 0.0):
            super().__init__()
            self.conv1 = nn.Conv2d(C, CFG["widths"][0], kernel_size=KERNEL[0])
            self.conv2 = nn.Conv2d(CFG["widths"][0], CFG["widths"][1], KERNEL[1])
            self.fc1 = nn.Linear(FLAT, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[-1])
            self.out = nn.Linear(max(hidden[-1], 8), CFG["classes"] if drop else 2)

        def forward(self, x):
            x = F.max_pool2d(self.conv1(x), 2)
            x = self.conv2(x)
            x = torch.flatten(x, 1)
            return self.out(self.fc2(self.fc1(x)))
""")


def test_constants_arithmetic_indexing_and_comprehensions(torch):
    shape, exc = run_torch(torch, CONSTANTS, "Net()", (1, 28, 28))
    assert exc is None, exc
    result = read(CONSTANTS)
    assert not result.diagnostics, [d.message for d in result.diagnostics]  # every value known: no info either
    assert output_shape(result) == shape == (10,)
    fc1 = next(n for n in result.models[0].graph.nodes if n.name == "fc1")
    assert fc1.output.shape == (64,)  # hidden[0] = 64 // 2 ** 0


def test_a_computed_value_that_is_wrong_is_reported_where_it_is_used(torch):
    # FLAT forgets the pooling: 16 * 22 * 22 = 7744, where conv1 (24x24), the pool (12x12) and conv2 give 16 * 10 * 10
    src = CONSTANTS.replace("((H - KERNEL[0] + 1) // 2 - KERNEL[1] + 1) ** 2", "(H - KERNEL[0] + 1 - KERNEL[1] + 1) ** 2")
    src = src.replace("self.fc1 = nn.Linear(FLAT, hidden[0])", "self.fc1 = nn.Linear(FLAT, hidden[0])  # !")
    assert src.count("# !") == 1
    _, exc = run_torch(torch, src, "Net()", (1, 28, 28))
    assert exc is not None and "mat1 and mat2" in str(exc)
    result = read(src)
    assert [(d.code, d.line, d.column) for d in result.errors] == [("SB203", line_of(src, "# !"),
                                                                    column_of(src, "FLAT, hidden"))]
    assert "7744" in result.errors[0].message and "1600" in result.errors[0].message


def test_f_string_names_and_tuple_index_in_keras(keras):
    src = code("""
        import keras
        from keras import layers

        KERNEL = (3, 5)
        STAGES = 3
        inputs = keras.Input((32, 32, 3))
        x = inputs
        for i in range(STAGES):
            x = layers.Conv2D(8 * 2 ** i, KERNEL[i % 2], padding="same", name=f"stage{i}_conv")(x)
            x = layers.MaxPooling2D(name=f"stage{i}_pool")(x)
        x = layers.Flatten(name="flat")(x)
        model = keras.Model(inputs, layers.Dense(KERNEL[-1] * 2, name=f"head_{KERNEL[-1] * 2}")(x))
    """)
    namespace, exc = run_keras(keras, src)
    assert exc is None, exc
    real = namespace["model"]
    result = read(src)
    assert not result.diagnostics, [d.message for d in result.diagnostics]
    nodes = {n.name: n for n in result.models[0].graph.nodes}
    for layer in real.layers[1:]:
        assert layer.name in nodes, (layer.name, sorted(nodes))
        assert nodes[layer.name].output.shape == tuple(layer.output.shape[1:]), layer.name
    assert "head_10" in nodes


def test_values_from_closures_functions_and_mutated_lists(keras):
    src = code("""
        import keras
        from keras import layers

        def make(n):
            def dense():
                return layers.Dense(n)
            return dense

        def triple(n):
            n *= 3
            return n

        sizes = [4]
        sizes.append(triple(3))
        model = keras.Sequential([keras.Input((3,)), make(sizes[-1])(), layers.Reshape((3, 3))])
    """)
    _, exc = run_keras(keras, src)
    assert exc is None, exc
    result = read(src)
    assert not result.errors, errors(result)
    assert output_shape(result) == (3, 3)


# ----------------------------------------------------------------------------------------------------------------
# values the reader cannot know: an info at the expression, no error, nothing checked after it

UNKNOWN_KERAS = {
    # name: (source, the expression the info points at, code that makes the unknown value 9 when run)
    "parameter_without_default": (code("""
        import keras
        from keras import layers

        def build(n_units, input_dim=20):
            i = keras.Input((input_dim,))
            x = layers.Dense(64)(i)
            x = layers.Dense(n_units)(x)
            x = layers.Reshape((3, 3))(x)
            return keras.Model(i, x)
    """), "n_units)", "\nmodel = build({value})\n"),
    "len_of_data": (code("""
        import json
        import keras
        data = json.loads(TEXT)
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(len(data)), keras.layers.Reshape((3, 3))])
    """), "len(data)", None),
    "argparse": (code("""
        import argparse
        import keras
        parser = argparse.ArgumentParser()
        parser.add_argument("--units", type=int, default=DEFAULT)
        args = parser.parse_args([])
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(args.units), keras.layers.Reshape((3, 3))])
    """), "args.units", None),
    "environment_variable": (code("""
        import os
        import keras
        units = int(os.environ["SPECBRIDGE_TEST_UNITS"])
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(units), keras.layers.Reshape((3, 3))])
    """), "units)", None),
}


def _prepare(name: str, src: str, value: int, monkeypatch) -> tuple[str, str]:
    """The snippet as run with the unknown value set to `value` (the reader reads `src` as written)."""
    runnable, extra = src, ""
    if name == "parameter_without_default":
        extra = UNKNOWN_KERAS[name][2].format(value=value)
    elif name == "len_of_data":
        runnable = f"TEXT = {str(list(range(value)))!r}\n" + src
    elif name == "argparse":
        runnable = f"DEFAULT = {value}\n" + src
    elif name == "environment_variable":
        monkeypatch.setenv("SPECBRIDGE_TEST_UNITS", str(value))
    return runnable, extra


@pytest.mark.parametrize("name", list(UNKNOWN_KERAS))
def test_unknown_value_is_an_info_and_stops_checking(keras, monkeypatch, name):
    src, marker, _ = UNKNOWN_KERAS[name]
    # Keras: the Reshape((3, 3)) after it fits when the value is 9, fails when it is 32: only the value decides
    runnable, extra = _prepare(name, src, 9, monkeypatch)
    assert run_keras(keras, runnable, extra)[1] is None
    runnable, extra = _prepare(name, src, 32, monkeypatch)
    assert run_keras(keras, runnable, extra)[1] is not None
    result = read(src)
    assert not result.errors, errors(result)  # no follow-on error from the Reshape
    infos = not_evaluated(result)
    assert infos and all(d.severity is Severity.INFO for d in infos)
    assert infos[0].line == line_of(src, marker)
    assert 1 <= infos[0].column <= column_of(src, marker)  # at the expression, or at the call it is an argument of


def test_unknown_value_in_a_pytorch_module(torch):
    src = HEAD + code("""
        # specbridge: input (3, 8, 8)
        class M(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.conv = nn.Conv2d(3, hidden, 3)
                self.conv2 = nn.Conv2d(16, 4, 3)
                self.fc = nn.Linear(4 * 4 * 4, 2)

            def forward(self, x):
                return self.fc(torch.flatten(self.conv2(self.conv(x)), 1))
    """)
    assert run_torch(torch, src, "M(16)", (3, 8, 8))[1] is None
    assert run_torch(torch, src, "M(8)", (3, 8, 8))[1] is not None
    result = read(src)
    assert not result.errors, errors(result)
    (info,) = not_evaluated(result)
    assert (info.line, info.column) == (line_of(src, "hidden, 3)"), column_of(src, "hidden, 3)"))


def test_value_from_another_module_is_unknown(torch):
    src = HEAD + code("""
        from sb_test_config import UNITS
        import sb_test_config as cfg
        # specbridge: input (4,)
        net = nn.Sequential(nn.Linear(4, UNITS), nn.Linear(cfg.UNITS, 2), nn.Linear(3, 1))
    """)
    assert run_torch(torch, src, "net", (4,), {"sb_test_config": {"UNITS": 3}})[1] is not None  # 2 -> Linear(3)
    fits = src.replace("nn.Linear(3, 1)", "nn.Linear(2, 1)")
    assert run_torch(torch, fits, "net", (4,), {"sb_test_config": {"UNITS": 3}})[1] is None
    result = read(fits)
    assert not result.errors, errors(result)
    assert [d.line for d in not_evaluated(result)] == [line_of(fits, "nn.Sequential")] * 2


def test_info_for_an_imported_value_names_the_expression():
    src = HEAD + code("""
        from sb_test_config import UNITS
        # specbridge: input (4,)
        net = nn.Sequential(nn.Linear(4, UNITS))
    """)
    (info,) = not_evaluated(read(src))
    assert "UNITS" in info.message and "Ref" not in info.message


# ----------------------------------------------------------------------------------------------------------------
# values the reader gets wrong (false alarms on code that runs)


@pytest.mark.parametrize("mutation", ['cfg["in"] = 9', 'cfg["in"] += 5', 'alias = cfg\nalias["in"] = 9'])
def test_subscript_assignment_is_followed(torch, mutation):
    src = HEAD + 'cfg = {"in": 4}\n' + mutation + '\n# specbridge: input (9,)\nnet = nn.Sequential(nn.Linear(cfg["in"], 2))\n'
    assert run_torch(torch, src, "net", (9,))[1] is None
    result = read(src)
    assert not result.errors, errors(result)


def test_global_statement(keras):
    src = code("""
        import keras
        from keras import layers
        N = 4

        def configure():
            global N
            N = 9

        configure()
        model = keras.Sequential([keras.Input((3,)), layers.Dense(N), layers.Reshape((3, 3))])
    """)
    assert run_keras(keras, src)[1] is None
    assert not read(src).errors


def test_default_is_bound_at_definition(keras):
    src = code("""
        import keras
        from keras import layers
        N = 4

        def build(n=N):
            return keras.Sequential([keras.Input((3,)), layers.Dense(n), layers.Reshape((2, 2))])

        N = 9
        model = build()
    """)
    assert run_keras(keras, src)[1] is None
    assert not read(src).errors


# ----------------------------------------------------------------------------------------------------------------
# robustness: never an exception, always quick

SYNTAX_ERRORS = {
    "unclosed_paren": ("import keras\nmodel = keras.Sequential([\n    keras.layers.Dense(3)\n\nx = 1\n", None),
    "bad_def": ("import torch\n\ndef f(:\n    pass\n", 3),
    "indentation": ("import torch\nif True:\nx = 1\n", 3),
    "python2_print": ("import keras\nprint 'hello'\n", 2),
    "too_many_parentheses": ("import keras\nx = " + "(" * 300 + "1" + ")" * 300 + "\n", 2),
}


@pytest.mark.parametrize("name", list(SYNTAX_ERRORS))
def test_syntax_error_is_sb600_at_its_line(name):
    src, line = SYNTAX_ERRORS[name]
    try:
        compile(src, "model.py", "exec")
    except SyntaxError as exc:
        expected = exc.lineno
    else:
        pytest.fail("Python compiles it")
    result = read(src)
    assert [d.code for d in result.diagnostics] == ["SB600"]
    assert result.diagnostics[0].line == expected and (line is None or expected == line)
    assert not result.ok and not result.models


def test_null_byte_is_sb600():
    result = read("import keras\x00\n")
    assert [d.code for d in result.diagnostics] == ["SB600"]


@pytest.mark.parametrize("src", ["", "\n\n", "# only a comment\n", '"""docstring"""\n', "import numpy as np\n"
                                 "print(np.zeros(3))\n", "import keras\nimport torch\n"])
def test_files_without_models(src):
    result = read(src)
    assert result.models == [] and result.diagnostics == [] and result.ok


MODEL_AFTER = code("""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Conv2D(2, 2)])  # !
""")


def assert_model_after_is_read(prefix: str) -> None:
    """`prefix`, then a Keras model with a planted error: the reader gets past the prefix and reports it."""
    src = "import keras\n" + code(prefix) + MODEL_AFTER
    result = read(src)
    assert [(d.code, d.line) for d in result.errors] == [("SB200", line_of(src, "# !"))], errors(result)


ODD_CODE = {
    "infinite_recursion": """
        def f(n):
            return f(n + 1)
        f(0)
    """,
    "mutual_recursion": """
        def a(n):
            return b(n)
        def b(n):
            return a(n)
        x = a(1)
    """,
    "deeply_nested_functions": "".join("    " * i + f"def f{i}():\n" for i in range(90)) + "    " * 90 + "return 1\n",
    "long_call_chain": "".join(f"def f{i}(x):\n    return f{i + 1}(x)\n" for i in range(300)) + "def f300(x):\n"
                       "    return x\ny = f0(1)\n",
    "while_true_with_break": """
        n = 0
        while True:
            n += 1
            if n > 10:
                break
    """,
    "huge_range_loop": """
        out = []
        for i in range(10 ** 9):
            out.append(i)
    """,
    "huge_values": """
        a = [0] * 10 ** 12
        b = "x" * 10 ** 10
        c = 10 ** 10 ** 10
        d = 2 ** 64 ** 2
        e = list(range(10 ** 9))
        f = [i for i in range(10 ** 9)]
    """,
    "unknown_libraries": """
        import foo.bar as fb
        from baz import qux
        x = fb.make(qux(1, 2))[3].thing
        fb.train(x, epochs=qux.EPOCHS)
    """,
    "star_imports": """
        from keras.layers import *
        from torch.nn import *
        from os.path import *
        y = Dense(3)
    """,
    "unusual_statements": """
        import contextlib
        async def f():
            async with a as b:
                await b
            yield 1
        class A:
            pass
        a = A()
        a.x = 1
        del a
        match 3:
            case 1:
                pass
        x: int
        [y := 3 for _ in range(3)]
        try:
            raise ValueError
        except ValueError as exc:
            raise RuntimeError from exc
        finally:
            pass
        with contextlib.suppress(Exception), open("nope"):
            pass
        print(*[], **{})
        lambda: (yield)
    """,
    "class_instantiating_itself": """
        import torch.nn as nn
        class A(nn.Module):
            def __init__(self):
                super().__init__()
                self.child = A()
            def forward(self, x):
                return self.child(x)
    """,
    "forward_calling_itself": """
        import torch.nn as nn
        class B(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
            def forward(self, x):
                return self.forward(self.fc(x))
    """,
}


@pytest.mark.parametrize("name", list(ODD_CODE))
def test_odd_code_before_a_model_does_not_stop_the_reader(name):
    assert_model_after_is_read(ODD_CODE[name])


def test_odd_code_alone_never_raises():
    for name, prefix in ODD_CODE.items():
        result = read("import keras\nimport torch\n" + code(prefix))
        assert not result.errors, (name, errors(result))


def test_star_imports_of_the_frameworks_are_followed(keras):
    # `from keras.layers import *` names Keras's layers: the reader follows it, as Python does
    good = "from keras.layers import *\nfrom keras.models import *\nm = Sequential([Input((3,)), Dense(2)])\n"
    bad = "from keras.layers import *\nfrom keras.models import *\nm = Sequential([Input((3,)), Dense(2), Conv2D(2, 2)])\n"
    assert run_keras(keras, good)[1] is None and not read(good).diagnostics
    assert output_shape(read(good)) == (2,)
    assert run_keras(keras, bad)[1] is not None
    assert [(d.code, d.line) for d in read(bad).errors] == [("SB200", 3)]


def test_a_star_import_of_another_module_is_not_guessed():
    # a name from `from mylib import *` could be anything: no model is invented, nothing is reported wrong
    src = "from keras.layers import *\nfrom mylib import *\nimport keras\nm = keras.Sequential([Input((3,)), Dense(2)])\n"
    result = read(src)
    assert not result.errors


def test_sequential_holding_an_unknown_object_is_an_info():
    src = "import keras\nimport mylib\nmodel = keras.Sequential([keras.Input((3,)), mylib.Block(), keras.layers.Conv2D(2, 2)])\n"
    result = read(src)
    assert not result.errors, errors(result)
    assert [d.code for d in result.diagnostics] == ["SB602"]


def test_many_layers_and_a_long_literal_are_quick():
    src = "import keras\nm = keras.Sequential([keras.Input((4,))" + ", keras.layers.Dense(4)" * 2000 + "])\n"
    result = read(src)
    assert not result.diagnostics and len(result.models[0].graph.nodes) == 2000


@pytest.mark.parametrize("expression", ["+".join(["1"] * 5000), "keras" + ".a" * 5000])
def test_expression_too_deep_for_python(expression):
    src = "import keras\nx = " + expression + "\n"
    with pytest.raises(RecursionError):
        compile(src, "model.py", "exec")  # Python refuses it too
    result = read_python(src, "model.py")
    assert [d.code for d in result.diagnostics] == ["SB600"]


def test_model_after_long_preprocessing_loops_is_not_silently_lost():
    loops = "".join(f"for i{k} in range(100000):\n    pass\n" for k in range(3))
    src = "import keras\n" + loops + MODEL_AFTER
    result = read(src)
    assert result.models or result.diagnostics


# Hostile arithmetic: run in a subprocess with a time limit and an address-space limit, so that a hang or a memory
# explosion fails the test instead of the test run. The three children start together (a module fixture).
HOSTILE = {
    "nested_loops_of_arithmetic": "total = 0\nfor a in range(1000):\n    for b in range(1000):\n        total += a * b\n",
    "integer_squared_in_a_loop": "x = 3\nfor i in range(40):\n    x = x * x\n",
    "string_doubled_in_a_loop": "x = 'ab'\nfor i in range(100):\n    x = x + x\n",
    "doubling_recursion": "def f(n):\n    return f(n + 1) + f(n + 1)\nf(0)\n",
    "recursive_init_and_forward": "import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n"
                                  "        super().__init__()\n        self.child = A()\n    def forward(self, x):\n"
                                  "        return self.forward(self.child(x))\n",
}
# The child's address space is capped at 1 GiB: reading past it raises MemoryError (a failed child). ru_maxrss cannot
# measure it here: a child forked from a pytest worker that holds TensorFlow starts with the parent's high-water mark.
CHILD = """
import resource, sys, time
try:
    resource.setrlimit(resource.RLIMIT_AS, (2 ** 30, 2 ** 30))
except (ValueError, OSError):
    pass
from specbridge.pycode import read_python
text = sys.stdin.read() + "import keras\\nm = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\\n"
start = time.perf_counter()
result = read_python(text)
print(len(result.models), round(time.perf_counter() - start, 2))
"""
HOSTILE_SECONDS = 10  # a hang guard (five children on two cores), not a speed test: bench/ measures speed


@pytest.fixture(scope="module")
def hostile():
    """Each hostile file read in its own child process, all started together; a child still running after
    HOSTILE_SECONDS is killed (its outcome: not finished)."""
    if sys.platform == "win32":
        pytest.skip("resource limits are POSIX")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = {}
    for name, src in HOSTILE.items():
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        child.stdin.write("import keras\n" + src)
        child.stdin.close()
        children[name] = child
    deadline = time.monotonic() + HOSTILE_SECONDS
    outcomes = {}
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
            outcomes[name] = (child.returncode, child.stdout.read(), child.stderr.read())
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            outcomes[name] = (None, "", f"still running after {HOSTILE_SECONDS} s")
    return outcomes


def _hostile(outcomes, name: str) -> None:
    returncode, out, err = outcomes[name]
    assert returncode == 0, err[-500:]
    models, _seconds = out.split()
    assert int(models) >= 1  # the Keras model after the hostile code


def test_long_arithmetic_loops_are_quick(hostile):
    _hostile(hostile, "nested_loops_of_arithmetic")


def test_integer_growth_is_bounded(hostile):
    _hostile(hostile, "integer_squared_in_a_loop")


def test_branching_recursion_is_bounded(hostile):
    _hostile(hostile, "doubling_recursion")


def test_recursive_module_is_bounded(hostile):
    _hostile(hostile, "recursive_init_and_forward")


def test_sequence_growth_is_bounded(hostile):
    _hostile(hostile, "string_doubled_in_a_loop")
