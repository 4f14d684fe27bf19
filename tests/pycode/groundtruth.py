"""Ground truth for the Python model-code corpus (fixtures/python/): run each file in the real framework.

    run_file("fixtures/python/broken/torch_mod_lenet_blitz.py")
    -> {"framework": "torch",
        "error": {"line": 23, "type": "RuntimeError", "message": "mat1 and mat2 shapes cannot be multiplied (2x256 and
                  400x120)", "layer": {"class": "Linear", "name": "fc1", "line": 15}},
        "models": [{"name": "Net", "global": "net", "input_shape": [2, 1, 28, 28], "output_shape": None,
                    "layers": [{"name": "conv1", "class": "Conv2d", "line": 13, "output_shape": [2, 6, 24, 24]}, ...]}]}

A file runs in a subprocess (`sys.executable` running this module with --worker): TensorFlow and PyTorch are
imported there, never in the caller. `run_files` runs many files in ONE subprocess, each in its own fresh namespace
(`keras.backend.clear_session()` before each Keras file, `torch.manual_seed(0)` before each PyTorch file); an
exception in a file is that file's result, and a worker that dies (a crash in native code) costs only the file it
was running: the worker is restarted for the rest.

What is recorded
- framework: "keras" or "torch", from the file's imports (read with `ast`, before running).
- error: None, or the exception that escaped the file: {"line", "type", "message", "layer"}. `line` is the 1-based
  line of the innermost traceback frame in the corpus file (Keras's and PyTorch's own frames are skipped). Python
  3.11 gives a call spanning several lines the line where the call starts, so a Keras `Sequential([...])` that
  raises while building reports the `model = Sequential([` line, and an nn.Sequential run by the harness (no frame
  in the file) reports None. `layer` (None when no layer call raised) is the innermost Keras layer or PyTorch
  module whose call raised: its class, its name (Keras's layer name; for PyTorch the attribute path in the model
  that was running, None for the model itself) and `line`, the corpus line where that layer object was constructed
  (the `self.fc1 = nn.Linear(...)` line, the layer's line inside a Sequential([...]) list). For an error raised by
  a tensor operation in forward (view, cat, +=) it is the module whose forward that is. `message` has Keras's ANSI
  colour codes removed and its KerasTensor names (keras_tensor_<n>, a process-wide counter) written keras_tensor_N,
  so that a file's result does not depend on the files run before it in the same worker. Types the harness makes:
  WorkerCrash (the worker process died in this file), CorpusConventionError (a `# specbridge: input` comment
  that is not a tuple of ints directly above a class or an nn.Sequential assignment), HarnessError: ... .
- models, Keras: every keras.Model bound to a module-level variable after the run (also when the run failed later:
  a Sequential whose `.add` failed is listed with `built` false and the layers it has), ordered by the line of the
  module-level assignment of that variable (read with `ast`; the last one when a name is bound more than once;
  a model bound to two names is listed once, under the first). Each: name, global, built, inputs (shapes with None
  for the batch; None when not built), layers (InputLayers left out; each with name, class, line where it was
  constructed, output_shape: a list, or a list of lists for several outputs or a layer called more than once;
  None when unknown; params: count_params()), total_params, trainable_params.
- models, PyTorch: every nn.Module called from outside any other module call (module-level code such as
  `out = net(x)`, or the harness for a `# specbridge: input (...)` comment), its first call only: name (class name;
  for an nn.Sequential the variable it is bound to), global (the variable, or None), input_shape (the shape of the
  one tensor argument, or a list of shapes for several), output_shape (a shape, or nested lists for tuples such as
  an LSTM's (output, (h, c)); None when the call raised), layers (every submodule's first call during that run, in
  call order: name = attribute path from named_modules(), class, line where constructed, output_shape).

Convention (b) of the corpus: a comment `# specbridge: input (C, H, W)` (shape without the batch axis) directly
above `class X(nn.Module):` or `name = nn.Sequential(` makes the harness, after running the module, build X() (or
take the variable) in eval mode and run `torch.randn(2, *shape)` through it under torch.no_grad().
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "python"
GOOD = CORPUS / "good"
BROKEN = CORPUS / "broken"

BATCH = 2
INPUT_COMMENT = re.compile(r"^\s*#\s*specbridge:\s*input\s*(\(.*\))\s*$")
PLANTED = re.compile(r"#\s*planted:\s*(.+?)\s*$")
_TARGET = re.compile(r"^\s*(?:class\s+(\w+)\s*\(|(\w+)\s*=\s*(?:[\w.]+\.)?Sequential\s*\()")
_MESSAGE_LIMIT = 2000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_TENSOR = re.compile(r"\bkeras_tensor_\d+\b")
_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "KERAS_BACKEND": "tensorflow"}


# --------------------------------------------------------------------------------------------------------------
# Static facts about a corpus file (no framework needed).


def corpus_files(kind: str) -> list[Path]:
    """The corpus files of `kind` ("good" or "broken"), sorted by name."""
    return sorted((CORPUS / kind).glob("*.py"))


def framework_of(source: str) -> str | None:
    """"torch" or "keras" (keras or tensorflow imported), whichever the file imports first; None for neither."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots = [node.module.split(".")[0]]
        else:
            continue
        for root in roots:
            if root == "torch":
                return "torch"
            if root in ("keras", "tensorflow"):
                return "keras"
    return None


def planted_lines(source: str) -> list[tuple[int, str]]:
    """(line, what) of every line carrying a `# planted: what` comment."""
    return [(number, m.group(1)) for number, text in enumerate(source.splitlines(), 1) if (m := PLANTED.search(text))]


def input_comments(source: str) -> list[dict]:
    """Every `# specbridge: input (...)` comment: {"line", "shape", "kind": "class"|"sequential", "target"}.

    Raises ValueError for a comment that is not a tuple literal of ints or is not directly above a class or an
    `x = ...Sequential(` line: a harness convention broken is an error, not a silently skipped model."""
    lines = source.splitlines()
    found = []
    for index, text in enumerate(lines):
        match = INPUT_COMMENT.match(text)
        if not match:
            continue
        try:
            shape = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"line {index + 1}: specbridge input comment is not a tuple literal: {text!r}") from exc
        if not isinstance(shape, tuple) or not all(isinstance(d, int) and d > 0 for d in shape):
            raise ValueError(f"line {index + 1}: specbridge input comment needs a tuple of positive ints: {text!r}")
        below = lines[index + 1] if index + 1 < len(lines) else ""
        target = _TARGET.match(below)
        if not target:
            raise ValueError(f"line {index + 1}: specbridge input comment is not directly above a class or a "
                             f"`name = nn.Sequential(` line")
        kind = "class" if target.group(1) else "sequential"
        found.append({"line": index + 1, "shape": list(shape), "kind": kind, "target": target.group(1) or target.group(2)})
    return found


def global_assignment_lines(source: str) -> dict[str, int]:
    """Module-level variable -> line of its last module-level binding (assignments, for/with targets, walrus; not
    inside functions, classes, lambdas or comprehensions)."""
    lines: dict[str, int] = {}

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
                             ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            lines[node.id] = max(lines.get(node.id, 0), node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in ast.parse(source).body:
        visit(statement)
    return lines


# --------------------------------------------------------------------------------------------------------------
# The caller's side: run files in a worker subprocess.


def run_file(path: str | os.PathLike, timeout: float = 300) -> dict:
    """Run one corpus file in a fresh subprocess; see the module docstring for the result."""
    return run_files([path], timeout=timeout)[str(path)]


def run_files(paths, timeout: float = 600) -> dict[str, dict]:
    """Run the files in one worker subprocess (restarted after a crash); result per path, keyed by str(path) as
    given. `timeout` bounds each worker run; a file that hangs is reported like a crash."""
    keys = {str(p): str(Path(p).resolve()) for p in paths}
    results: dict[str, dict] = {}
    pending = list(dict.fromkeys(keys.values()))
    while pending:
        done, crash = _run_worker(pending, timeout)
        results.update(done)
        pending = [p for p in pending if p not in results]
        if not pending:
            break
        # The worker died inside the first file it had not finished: that file's result is the crash.
        culprit = pending.pop(0)
        results[culprit] = {"framework": _framework_or_none(culprit), "error": {
            "line": None, "type": "WorkerCrash", "message": crash, "layer": None}, "models": []}
    return {key: results[absolute] for key, absolute in keys.items()}


def _framework_or_none(path: str) -> str | None:
    try:
        return framework_of(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return None


def _run_worker(paths: list[str], timeout: float) -> tuple[dict[str, dict], str]:
    env = {**os.environ, **_ENV}
    with tempfile.TemporaryDirectory(prefix="specbridge-groundtruth-") as tmp:
        out = Path(tmp) / "results.jsonl"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(out), *paths]
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
            crash = f"worker exited with code {proc.returncode}: {proc.stderr[-_MESSAGE_LIMIT:]}"
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            crash = f"worker timed out after {timeout} s: {stderr[-_MESSAGE_LIMIT:]}"
        done = {}
        if out.exists():
            for text in out.read_text().splitlines():
                try:
                    record = json.loads(text)
                except json.JSONDecodeError:  # the last line of a worker killed while writing it
                    continue
                done[record["path"]] = record["result"]
    return done, crash


# --------------------------------------------------------------------------------------------------------------
# The worker's side (runs in the subprocess).


class _Trace:
    """What the patched framework classes record while a file runs."""

    def __init__(self) -> None:
        self.filename = ""  # the corpus file running now (its code objects' co_filename)
        self.depth = 0  # nesting of nn.Module calls
        self.runs: list[dict] = []  # PyTorch top-level calls, in order
        self.seen: set[int] = set()
        self.current: dict | None = None  # the top-level run in progress
        self.keep: list = []  # modules recorded this file: kept alive so that id() values stay unique

    def reset(self, filename: str) -> None:
        self.__init__()
        self.filename = filename


TRACE = _Trace()


def _construction_line(obj) -> int | None:
    """The corpus line that constructed `obj`: the innermost corpus frame outside obj's own __init__ methods."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == TRACE.filename and frame.f_locals.get("self") is not obj:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _tag(exc: BaseException, layer: dict) -> None:
    """Remember the innermost failing layer on the exception (once: inner calls tag first), also across the
    re-raised copies Keras makes (their __context__ is the original)."""
    chain = exc
    while chain is not None:
        if getattr(chain, "_specbridge_layer", None) is not None:
            layer = chain._specbridge_layer
            break
        chain = chain.__context__
    try:
        exc._specbridge_layer = layer
    except AttributeError:
        pass


def _shape_of(value):
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (list, tuple, dict)):
        try:
            return [None if d is None else int(d) for d in shape]
        except TypeError:
            return None
    if isinstance(value, (list, tuple)):
        return [_shape_of(v) for v in value]
    return None


def _patch_torch() -> None:
    import torch

    module_cls = torch.nn.Module
    original_init, original_call = module_cls.__init__, module_cls.__call__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.__dict__["_specbridge_line"] = _construction_line(self)

    def __call__(self, *args, **kwargs):
        record = None
        if TRACE.depth == 0:
            if id(self) not in TRACE.seen:
                TRACE.seen.add(id(self))
                TRACE.keep.append(self)
                tensors = [a for a in args if isinstance(a, torch.Tensor)]
                shapes = [_shape_of(t) for t in tensors]
                record = {"module": self, "input_shape": shapes[0] if len(shapes) == 1 else shapes,
                          "output_shape": None, "layers": [],
                          "names": {id(m): name for name, m in self.named_modules() if name}, "seen": set()}
                TRACE.runs.append(record)
                TRACE.current = record
        elif TRACE.current is not None and id(self) not in TRACE.current["seen"]:
            TRACE.current["seen"].add(id(self))
            record = {"name": TRACE.current["names"].get(id(self)), "class": type(self).__name__,
                      "line": self.__dict__.get("_specbridge_line"), "output_shape": None}
            TRACE.current["layers"].append(record)
        TRACE.depth += 1
        try:
            out = original_call(self, *args, **kwargs)
        except BaseException as exc:
            names = TRACE.current["names"] if TRACE.current is not None else {}
            _tag(exc, {"class": type(self).__name__, "name": names.get(id(self)),
                       "line": self.__dict__.get("_specbridge_line")})
            raise
        finally:
            TRACE.depth -= 1
            if TRACE.depth == 0:
                TRACE.current = None
        if record is not None:
            record["output_shape"] = _shape_of(out)
        return out

    module_cls.__init__ = __init__
    module_cls.__call__ = __call__


def _patch_keras() -> None:
    from keras.src.layers.layer import Layer

    original_init, original_call = Layer.__init__, Layer.__call__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        object.__setattr__(self, "_specbridge_line", _construction_line(self))

    def __call__(self, *args, **kwargs):
        try:
            return original_call(self, *args, **kwargs)
        except BaseException as exc:
            _tag(exc, {"class": type(self).__name__, "name": self.name,
                       "line": getattr(self, "_specbridge_line", None)})
            raise

    Layer.__init__ = __init__
    Layer.__call__ = __call__


_PATCHED: set[str] = set()


def _framework(name: str):
    if name not in _PATCHED:
        (_patch_torch if name == "torch" else _patch_keras)()
        _PATCHED.add(name)
    if name == "torch":
        import torch

        return torch
    import keras

    return keras


def _describe(exc: BaseException, filename: str) -> dict:
    line = exc.lineno if isinstance(exc, SyntaxError) and exc.filename in (filename, "<unknown>") else None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    message = _KERAS_TENSOR.sub("keras_tensor_N", _ANSI.sub("", str(exc)))
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + " ..."
    return {"line": line, "type": type(exc).__name__, "message": message,
            "layer": getattr(exc, "_specbridge_layer", None)}


def _keras_layer(layer) -> dict:
    try:
        output = _shape_of(layer.output)
    except Exception:  # a layer called more than once (Keras refuses .output): one shape per call
        nodes = getattr(layer, "_inbound_nodes", [])
        output = [_shape_of(node.outputs if len(node.outputs) > 1 else node.outputs[0]) for node in nodes] or None
    try:
        params = int(layer.count_params())
    except Exception:  # not built
        params = None
    return {"name": layer.name, "class": type(layer).__name__, "line": getattr(layer, "_specbridge_line", None),
            "output_shape": output, "params": params}


def _keras_models(keras, namespace: dict, source: str) -> list[dict]:
    order = global_assignment_lines(source)
    candidates = [(order.get(name, float("inf")), name, value) for name, value in namespace.items()
                  if isinstance(value, keras.Model) and not name.startswith("__")]
    models, seen = [], set()
    for _, name, model in sorted(candidates, key=lambda c: (c[0], c[1])):
        if id(model) in seen:
            continue
        seen.add(id(model))
        try:
            inputs = [_shape_of(t) for t in model.inputs]
        except Exception:  # a Sequential that was never built
            inputs = None
        layers = [_keras_layer(layer) for layer in model.layers if type(layer).__name__ != "InputLayer"]
        try:
            total = int(model.count_params())
            trainable = sum(int(_prod(w.shape)) for w in model.trainable_weights)
        except Exception:
            total = trainable = None
        models.append({"name": model.name, "global": name, "built": bool(model.built), "inputs": inputs, "layers": layers,
                       "total_params": total, "trainable_params": trainable})
    return models


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _torch_models(torch, namespace: dict) -> list[dict]:
    globals_by_id = {}
    for name, value in namespace.items():
        if isinstance(value, torch.nn.Module) and not name.startswith("__"):
            globals_by_id.setdefault(id(value), name)
    models = []
    for run in TRACE.runs:
        module = run["module"]
        variable = globals_by_id.get(id(module))
        is_sequential = type(module) is torch.nn.Sequential
        models.append({"name": variable if is_sequential and variable else type(module).__name__,
                       "global": variable, "input_shape": run["input_shape"], "output_shape": run["output_shape"],
                       "layers": run["layers"]})
    return models


def _run_marked(torch, namespace: dict, source: str) -> None:
    """Convention (b): run every model marked with a `# specbridge: input (...)` comment."""
    for mark in input_comments(source):
        target = namespace[mark["target"]]
        model = target() if mark["kind"] == "class" else target
        model.eval()
        with torch.no_grad():
            model(torch.randn(BATCH, *mark["shape"]))


def _run_one(path: str) -> dict:
    import contextlib
    import io
    import warnings

    filename = str(Path(path).resolve())
    result: dict = {"framework": None, "error": None, "models": []}
    try:
        source = Path(filename).read_text()
        result["framework"] = framework_of(source)
    except (OSError, SyntaxError, ValueError) as exc:
        result["error"] = _describe(exc, filename)
        return result
    name = result["framework"]
    if name == "torch":
        try:
            input_comments(source)
        except ValueError as exc:
            line = int(re.match(r"line (\d+)", str(exc)).group(1))
            result["error"] = {"line": line, "type": "CorpusConventionError", "message": str(exc), "layer": None}
            return result
    framework = _framework(name) if name else None
    TRACE.reset(filename)
    if name == "keras":
        framework.backend.clear_session()
    elif name == "torch":
        framework.manual_seed(0)
    namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": __builtins__}
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, filename, "exec"), namespace)
            if name == "torch":
                _run_marked(framework, namespace, source)
    except (Exception, SystemExit) as exc:  # the file's own failure is its result; KeyboardInterrupt stops the worker
        result["error"] = _describe(exc, filename)
    if name == "keras":
        result["models"] = _keras_models(framework, namespace, source)
    elif name == "torch":
        result["models"] = _torch_models(framework, namespace)
    TRACE.reset("")
    return result


def _worker(out_path: str, paths: list[str]) -> int:
    with open(out_path, "a") as out:
        for path in paths:
            try:
                result = _run_one(path)
            except Exception as exc:  # a harness failure on this file: still one result per file
                result = {"framework": None, "models": [],
                          "error": {"line": None, "type": f"HarnessError: {type(exc).__name__}",
                                    "message": str(exc)[:_MESSAGE_LIMIT], "layer": None}}
            out.write(json.dumps({"path": path, "result": result}, default=str) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        for key, value in _ENV.items():
            os.environ.setdefault(key, value)
        sys.exit(_worker(sys.argv[2], sys.argv[3:]))
    print(json.dumps(run_files(sys.argv[1:]), indent=1))
