"""The Python model-code corpus (fixtures/python/) judged by the real frameworks.

Every good file runs in Keras or PyTorch without error; every broken file is its good namesake with exactly one
line changed, marked `# planted: ...`, and raises a shape error in the framework. The harness that runs them
(groundtruth.py) is checked too: per-file isolation, a crashed worker, the error line and failing layer it
reports, the models it records and their order, and the fixtures/python/groundtruth.json snapshot being current.

The frameworks run in the harness's subprocess (all files in one worker, one TensorFlow import).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import textwrap

import pytest
from frameworks import import_framework
from groundtruth import (
    CORPUS,
    corpus_files,
    framework_of,
    input_comments,
    planted_lines,
    run_file,
    run_files,
)

GOOD = corpus_files("good")
BROKEN = corpus_files("broken")
# The styles the corpus must cover (file-name prefix -> at least this many good files).
STYLES = {"keras_list": 6, "keras_add": 6, "keras_fn": 6, "torch_seq": 5, "torch_mod": 9}
# A planted mistake must make the framework raise a shape error, not a typo's NameError or TypeError.
SHAPE_ERRORS = {"ValueError", "RuntimeError", "IndexError"}

def _style(path) -> str:
    return "_".join(path.stem.split("_")[:2])


def _module_level_run(source: str) -> bool:
    """Convention (a): module-level code (outside defs and classes) builds a literal input tensor."""
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("randn", "zeros", "ones", "randint", "rand"):
                return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# The corpus itself (no framework needed).


def test_corpus_covers_the_styles():
    assert len(GOOD) >= 32
    assert [p.name for p in BROKEN] == [p.name for p in GOOD], "every good file needs a broken namesake and back"
    counts = {style: sum(_style(p) == style for p in GOOD) for style in STYLES}
    assert all(_style(p) in STYLES for p in GOOD), [p.name for p in GOOD if _style(p) not in STYLES]
    assert all(counts[style] >= least for style, least in STYLES.items()), counts


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_file_conventions(path):
    source = path.read_text()
    assert source.startswith("# Architecture: "), "the first comment cites the architecture's source"
    assert not planted_lines(source)
    expected = "keras" if path.name.startswith("keras_") else "torch"
    assert framework_of(source) == expected
    if expected == "keras":
        assert any(s in source for s in ("input_shape=", "Input(shape=", "input_dim=", "Input((")), "no input shape"
        assert not input_comments(source)
    else:
        marked, run = bool(input_comments(source)), _module_level_run(source)
        assert marked != run, "a PyTorch file uses exactly one input convention: a module-level run or a comment"


def test_a_third_of_the_torch_files_use_the_input_comment():
    torch_files = [p for p in GOOD if p.name.startswith("torch_")]
    marked = [p for p in torch_files if input_comments(p.read_text())]
    assert len(torch_files) / 4 <= len(marked) <= len(torch_files) / 2, [p.name for p in marked]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_file_is_its_good_file_with_one_planted_line(path):
    good, broken = (CORPUS / "good" / path.name).read_text().splitlines(), path.read_text().splitlines()
    planted = planted_lines(path.read_text())
    assert len(planted) == 1, f"exactly one `# planted:` line, found {planted}"
    line, what = planted[0]
    assert what, "the planted comment says what was changed"
    assert len(good) == len(broken), "the mistake replaces one line; it adds or removes none"
    differ = [n for n, (a, b) in enumerate(zip(good, broken, strict=True), 1) if a != b]
    assert differ == [line], f"lines {differ} differ from the good file; only the planted line {line} may"


def test_readme_table_lists_every_file_with_its_planted_mistake():
    rows = [r for r in (CORPUS / "README.md").read_text().splitlines() if r.startswith("| `")]
    for path in BROKEN:
        matching = [r for r in rows if r.startswith(f"| `{path.name}` |")]
        assert len(matching) == 1, f"{path.name}: {len(matching)} README rows"
        (line, what), = planted_lines(path.read_text())
        assert f"line {line}: {what}" in matching[0], f"{path.name}: the README's planted mistake is out of date"
    assert len(rows) == len(GOOD)


# ---------------------------------------------------------------------------------------------------------------
# The harness on files without a framework: isolation, crash, syntax error (fast: no framework is imported).


def test_harness_isolates_files_and_survives_a_crashed_worker(tmp_path):
    files = {
        "defines.py": "LEAK = 1\n",
        "reads.py": "\n\nprint(LEAK)\n",  # another file's globals are not visible
        "crashes.py": "import os\nos._exit(3)\n",  # the worker process dies
        "syntax.py": "x = (1 +\n",
        "after.py": "VALUE = 2\n",  # runs in the restarted worker
    }
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    results = run_files(paths)
    got = {p.name: results[str(p)] for p in paths}
    assert got["defines.py"] == {"framework": None, "error": None, "models": []}
    assert got["reads.py"]["error"]["type"] == "NameError" and got["reads.py"]["error"]["line"] == 3
    assert got["crashes.py"]["error"]["type"] == "WorkerCrash"
    assert "code 3" in got["crashes.py"]["error"]["message"]
    assert got["syntax.py"]["error"]["type"] == "SyntaxError" and got["syntax.py"]["error"]["line"] == 1
    assert got["after.py"]["error"] is None


# ---------------------------------------------------------------------------------------------------------------
# The corpus and the harness's own cases in the real frameworks (one worker for all of them).

SYNTHETIC = {
    # Models listed by the line of their module-level assignment, not by creation; an alias is listed once.
    "keras_order.py": """
        import keras

        def make(name):
            return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name=name)

        built = [make("made_first"), make("made_second")]
        second = built[1]
        first = built[0]
        again = second
    """,
    # The error line is the innermost frame in the file (in the helper); the layer line is where it was built.
    "keras_helper_error.py": """
        import keras
        from keras import layers

        merge = layers.Concatenate(name="merge")
        a = keras.Input((3,))
        b = keras.Input((5, 2))
        def join(x, y):
            return merge([x, y])
        out = join(a, b)
    """,
    # Top-level calls only, the first call of each model; tuple outputs as nested shapes.
    "torch_calls.py": """
        import torch
        from torch import nn

        lstm = nn.LSTM(4, 8, batch_first=True)
        out, (h, c) = lstm(torch.randn(2, 5, 4))
        lstm(torch.randn(2, 7, 4))
        head = nn.Sequential(nn.Linear(8, 3), nn.ReLU())
        y = head(out[:, -1])
    """,
    # Convention (b): a Sequential and a class run by the harness; the class fails inside forward.
    "torch_marked.py": """
        import torch.nn as nn

        # specbridge: input (6,)
        mlp = nn.Sequential(nn.Linear(6, 4), nn.Tanh())

        # specbridge: input (3, 8, 8)
        class Bad(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)
                self.fc = nn.Linear(10, 2)

            def forward(self, x):
                x = self.conv(x).flatten(1)
                return self.fc(x)
    """,
    # An nn.Sequential failing in the harness's call: no frame in the file, but the failing layer's line.
    "torch_sequential_error.py": """
        from torch import nn

        # specbridge: input (1, 28, 28)
        net = nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.Flatten(),
            nn.Linear(4 * 28 * 28, 10),
        )
    """,
    # A misplaced input comment is the harness convention broken, reported as such.
    "torch_bad_comment.py": """
        import torch.nn as nn

        # specbridge: input (3, 32, 32)

        class Net(nn.Module):
            pass
    """,
}


def _require_frameworks() -> None:
    """The frameworks are imported only in the harness's subprocess (importing them here too would cost seconds for
    nothing); a missing one is a skip, or a failure under SPECBRIDGE_REQUIRE_FRAMEWORKS (tests/frameworks.py)."""
    for name in ("tensorflow", "keras", "torch"):
        if importlib.util.find_spec(name) is None:
            import_framework(name)


@pytest.fixture(scope="module")
def synthetic_paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pycode")
    paths = {}
    for name, text in SYNTHETIC.items():
        paths[name] = folder / name
        paths[name].write_text(textwrap.dedent(text).lstrip("\n"))
    return paths


@pytest.fixture(scope="module")
def results(synthetic_paths) -> dict[str, dict]:
    _require_frameworks()
    return run_files(GOOD + BROKEN + list(synthetic_paths.values()))


@pytest.mark.keras
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_file_runs(results, path):
    result = results[str(path)]
    assert result["error"] is None, result["error"]
    assert result["framework"] == ("keras" if path.name.startswith("keras_") else "torch")
    assert result["models"], "no model was built or run"
    if result["framework"] == "keras":
        for model in result["models"]:
            assert model["built"] and model["inputs"] and model["total_params"] > 0, model["name"]
            assert all(layer["output_shape"] is not None and layer["line"] for layer in model["layers"]), model
    else:
        for model in result["models"]:
            inputs = model["input_shape"] if isinstance(model["input_shape"][0], list) else [model["input_shape"]]
            assert model["output_shape"] is not None and all(shape[0] == 2 for shape in inputs), model["name"]
        marks = input_comments(path.read_text())
        if marks:  # convention (b): exactly the marked models ran, on the marked shapes
            assert [(m["target"], [2, *m["shape"]]) for m in marks] == \
                [(m["global"] or m["name"], m["input_shape"]) for m in result["models"]]


@pytest.mark.keras
@pytest.mark.torch
@pytest.mark.slow
@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_file_raises(results, path):
    result = results[str(path)]
    error = result["error"]
    assert error is not None, f"the planted mistake ({planted_lines(path.read_text())}) did not make the framework raise"
    assert error["type"] in SHAPE_ERRORS, error
    assert result["framework"] == results[str(CORPUS / "good" / path.name)]["framework"]
    layer_line = (error["layer"] or {}).get("line")
    assert error["line"] is not None or layer_line is not None, "the error points at no line of the file"
    length = len(path.read_text().splitlines())
    assert all(1 <= n <= length for n in (error["line"], layer_line) if n is not None), error


@pytest.mark.keras
@pytest.mark.torch
@pytest.mark.slow
def test_harness_records_models_errors_and_lines(results, synthetic_paths):
    got = {name: results[str(path)] for name, path in synthetic_paths.items()}

    order = got["keras_order.py"]
    assert order["error"] is None
    assert [(m["global"], m["name"]) for m in order["models"]] == [("second", "made_second"), ("first", "made_first")]
    assert order["models"][0]["inputs"] == [[None, 3]]
    assert order["models"][0]["layers"] == [
        {"name": "dense_1", "class": "Dense", "line": 4, "output_shape": [None, 2], "params": 8}]

    helper = got["keras_helper_error.py"]["error"]
    assert (helper["type"], helper["line"]) == ("ValueError", 8)
    assert helper["layer"] == {"class": "Concatenate", "name": "merge", "line": 4}

    calls = got["torch_calls.py"]
    assert calls["error"] is None
    lstm, head = calls["models"]
    assert (lstm["name"], lstm["global"], lstm["input_shape"]) == ("LSTM", "lstm", [2, 5, 4])
    assert lstm["output_shape"] == [[2, 5, 8], [[1, 2, 8], [1, 2, 8]]]
    assert (head["name"], head["input_shape"], head["output_shape"]) == ("head", [2, 8], [2, 3])
    assert head["layers"] == [{"name": "0", "class": "Linear", "line": 7, "output_shape": [2, 3]},
                              {"name": "1", "class": "ReLU", "line": 7, "output_shape": [2, 3]}]

    marked = got["torch_marked.py"]
    assert [(m["name"], m["global"], m["input_shape"], m["output_shape"]) for m in marked["models"]] == [
        ("mlp", "mlp", [2, 6], [2, 4]), ("Bad", None, [2, 3, 8, 8], None)]
    assert (marked["error"]["type"], marked["error"]["line"]) == ("RuntimeError", 15)
    assert marked["error"]["layer"] == {"class": "Linear", "name": "fc", "line": 11}

    sequential = got["torch_sequential_error.py"]["error"]
    assert sequential["line"] is None
    assert sequential["layer"] == {"class": "Linear", "name": "2", "line": 7}

    bad = got["torch_bad_comment.py"]["error"]
    assert (bad["type"], bad["line"]) == ("CorpusConventionError", 3)


@pytest.mark.torch
@pytest.mark.slow
def test_run_file_gives_the_batch_result(results):
    path = CORPUS / "broken" / "torch_mod_lenet_blitz.py"
    _require_frameworks()
    assert run_file(path) == results[str(path)]


@pytest.mark.keras
@pytest.mark.torch
@pytest.mark.slow
def test_groundtruth_json_is_current(results):
    snapshot = json.loads((CORPUS / "groundtruth.json").read_text())
    corpus = GOOD + BROKEN
    assert sorted(snapshot["files"]) == sorted(p.relative_to(CORPUS).as_posix() for p in corpus)
    stale = [p.relative_to(CORPUS).as_posix() for p in corpus
             if snapshot["files"][p.relative_to(CORPUS).as_posix()] != results[str(p)]]
    assert not stale, f"fixtures/python/groundtruth.json is stale for {stale}: run scripts/corpus_groundtruth.py"
    planted = {p.relative_to(CORPUS).as_posix(): dict(zip(("line", "what"), planted_lines(p.read_text())[0], strict=True))
               for p in BROKEN}
    assert snapshot["planted"] == planted
