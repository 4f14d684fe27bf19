"""The real-model benchmark: keras.applications architectures imported, converted and verified (docs/applications.md).

    .venv/bin/python scripts/applications.py                        # every model, Keras 3 (~10 minutes)
    .venv/bin/python scripts/applications.py --models VGG16,MobileNetV2 --json results.json
    .venv/bin/python scripts/applications.py --keras2               # the same from tf_keras, as Keras 2 .h5 files

For each architecture (weights=None: nothing is downloaded): build it, give every variable a non-trivial random
("trained") value (non-zero biases, BatchNormalization statistics away from 0 and 1), save it as .keras and .h5
(--keras2: as a Keras 2 .h5 written by tf_keras), import each file (timed: reading the file, the spec and its check;
no TensorFlow involved), compare the spec's records with Keras's own summary layer by layer (output shape, params,
trainable, non-trainable), then convert to PyTorch and ONNX with the verification: the original model, loaded by
Keras from the file, against the written target, every layer, float32, the cross-check's tolerances; the worst
error is the largest over all layers. ConvNeXtTiny and InceptionResNetV2 have custom layers (LayerScale,
CustomScaleLayer): their import must be refused with one SB500 per custom layer, naming its class and place.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

CONVERTIBLE = ("VGG16", "ResNet50", "ResNet50V2", "MobileNet", "MobileNetV2", "MobileNetV3Small", "DenseNet121",
               "InceptionV3", "Xception", "EfficientNetB0", "EfficientNetV2B0", "NASNetMobile")
CUSTOM = {"ConvNeXtTiny": "LayerScale", "InceptionResNetV2": "CustomScaleLayer"}  # model -> its custom layer class
MODELS = CONVERTIBLE + tuple(CUSTOM)
# Input sizes: the application's own default; MobileNetV3's is (None, None, 3), so it gets the size it documents.
SIZES = {"InceptionV3": 299, "Xception": 299, "InceptionResNetV2": 299}
DEFAULT_SIZE = 224
TARGETS = ("pytorch", "onnx")
SUFFIX = {"pytorch": ".py", "onnx": ".onnx"}


@dataclass
class Target:
    seconds: float = 0.0
    ok: bool = False
    max_abs_error: Optional[float] = None
    max_rel_error: Optional[float] = None
    first_divergence: Optional[str] = None
    error: Optional[str] = None  # the conversion raised: why
    files: list[str] = field(default_factory=list)  # what the conversion wrote
    layout: dict = field(default_factory=dict)  # the written model's input and output layouts (Boundary.to_dict)


@dataclass
class Result:
    model: str
    keras: str  # "keras 3.x" or "tf_keras 2.x"
    size: int
    layers: int = 0
    params: int = 0
    summary_equal: Optional[bool] = None
    imported: bool = True  # False: the import refused the model (its errors are in summary_differences)
    summary_differences: list[str] = field(default_factory=list)
    spec_only: list[str] = field(default_factory=list)  # spec layers Keras's summary does not list (Keras ops)
    import_seconds: dict[str, float] = field(default_factory=dict)  # file format -> seconds
    targets: dict[str, Target] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # a custom-layer model: the errors of its import
    layer_types: list[str] = field(default_factory=list)  # in the model file's config (see layer_types())
    error: Optional[str] = None
    ok: bool = False
    seconds: float = 0.0  # the whole row: build, randomize, save, import, convert and verify


# ---------------------------------------------------------------- building


def framework(keras2: bool):
    import importlib

    from specbridge.extras import quiet_tensorflow

    quiet_tensorflow(force=True)
    return importlib.import_module("tf_keras" if keras2 else "keras")


def build(name: str, keras2: bool = False, size: Optional[int] = None):
    """The application `name` with no pretrained weights, for a size x size x 3 input."""
    fw = framework(keras2)
    fw.backend.clear_session()
    size = size or SIZES.get(name, DEFAULT_SIZE)
    return getattr(fw.applications, name)(weights=None, input_shape=(size, size, 3))


def randomize(model, seed: int = 0) -> int:
    """A non-trivial random value for every floating-point variable (Keras 3 or tf_keras), drawn by variable name
    (specbridge.emit.random_values: kernels on their fan-in, biases and offsets around 0, scales and variances
    around 1); Normalization layers then recompute what they derive from their statistics. Returns how many."""
    import numpy as np

    from specbridge.emit.random_values import random_value

    rng = np.random.default_rng(seed)
    count = 0
    for variable in model.weights:
        dtype = np.dtype(getattr(variable.dtype, "name", variable.dtype))
        if not np.issubdtype(dtype, np.floating):
            continue  # Normalization's count, seed states
        name = str(variable.name).split("/")[-1].split(":")[0]
        variable.assign(random_value(name, tuple(int(d) for d in variable.shape), rng).astype(dtype))
        count += 1
    for layer in model.layers:
        finalize = getattr(layer, "finalize_state", None)
        if callable(finalize):
            finalize()
    return count


def save(model, directory: Path, keras2: bool) -> dict[str, Path]:
    """The model saved whole: .keras and .h5 by Keras 3, a Keras 2 .h5 by tf_keras."""
    paths = {"h5": directory / f"{model.name}.h5"} if keras2 else \
        {"keras": directory / f"{model.name}.keras", "h5": directory / f"{model.name}.h5"}
    for path in paths.values():
        model.save(str(path))
    return paths


# ---------------------------------------------------------------- import and summary


def import_checked(path: Path):
    """(Imported, CheckResult or None, seconds): what `specbridge import` does, timed."""
    from specbridge.check import check_text
    from specbridge.importer import import_keras

    start = time.perf_counter()
    imported = import_keras(path)
    result = check_text(imported.text(), f"{imported.name}.spec.yaml") if imported.ok else None
    return imported, result, time.perf_counter() - start


def keras_rows(model) -> dict[str, tuple]:
    """Keras's summary, layer by layer: name -> (output shape without the batch axis, params, trainable,
    non-trainable)."""
    rows = {}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        params = layer.count_params()
        trainable = sum(int(_size(w.shape)) for w in layer.trainable_weights)
        rows[layer.name] = (tuple(layer.output.shape[1:]), params, trainable, params - trainable)
    return rows


def _size(shape) -> int:
    total = 1
    for d in shape:
        total *= int(d)
    return total


def spec_rows(result) -> dict[str, tuple]:
    return {r.name: (tuple(r.output_shape), r.params, r.trainable_params, r.non_trainable_params)
            for r in result.records}


def summary_differences(model, result) -> tuple[list[str], list[str]]:
    """(differences, spec-only layers): every Keras layer must be in the spec with Keras's shape and counts, and
    the totals equal. Spec-only layers are Keras operations in the model file (x + 3.0) that model.layers, and so
    Keras's summary, does not list."""
    expected, got = keras_rows(model), spec_rows(result)
    differences = [f"{name}: not in the spec" for name in expected if name not in got]
    differences += [f"{name}: spec {got[name]} != Keras {row} (shape, params, trainable, non-trainable)"
                    for name, row in expected.items() if name in got and got[name] != row]
    if result.total_params != model.count_params():
        differences.append(f"total params: spec {result.total_params:,} != Keras {model.count_params():,}")
    return differences, [name for name in got if name not in expected]


def layer_types(imported) -> set[str]:
    """The layer types of a model file's config (nested models walked into); a Keras operation recorded in a
    functional graph (module keras.src.ops...) counts as ops.<Class>, apart from the layer of the same name."""
    found: set[str] = set()

    def walk(config: dict) -> None:
        for layer in config["config"]["layers"]:
            if layer.get("class_name") in ("Sequential", "Functional", "Model"):
                walk(layer)
            elif layer.get("class_name") != "InputLayer":
                ops = str(layer.get("module") or "").startswith("keras.src.ops")
                found.add(("ops." if ops else "") + str(layer.get("class_name")))

    walk(imported.source.config)
    return found


def refusals(imported, model, custom: str) -> tuple[list[str], list[str]]:
    """(error messages, problems): every `custom` layer of the model (as many as Keras's model.layers has) must have
    its SB500 naming the class and the layer's place in the file (its index in the config's layers, which also
    lists Keras operations). Other errors are listed with the messages, not held against the model."""
    sb500 = [d.message for d in imported.errors if d.code == "SB500"]
    config = imported.source.config["config"]
    places = [f"layer {layer['config']['name']!r} at layers[{index}] of model {config['name']!r}"
              for index, layer in enumerate(config["layers"])
              if str(layer.get("class_name")).split(">")[-1] == custom]  # tf_keras: 'Custom>CustomScaleLayer'
    problems = [f"no SB500 naming {custom} for {place}" for place in places
                if not any(m.startswith(place) and f"{custom}'" in m for m in sb500)]
    in_keras = sum(type(layer).__name__ == custom for layer in model.layers)
    if len(places) != in_keras:
        problems.append(f"{len(places)} {custom} layers in the file, {in_keras} in the model")
    if imported.ok:
        problems.append("imported without errors")
    return [f"{d.code}: {d.message}" for d in imported.errors], problems


# ---------------------------------------------------------------- conversion


def convert_to(path: Path, to: str, directory: Path, samples: int, seed: int = 0) -> Target:
    from specbridge.importer.convert import convert

    start = time.perf_counter()
    try:
        converted = convert(path, to, directory / f"{path.stem}_{path.suffix[1:]}{SUFFIX[to]}", samples=samples,
                            seed=seed)
    except Exception as exc:  # a benchmark row, not a crash: the reason goes in the table
        return Target(time.perf_counter() - start, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    report = converted.report
    return Target(time.perf_counter() - start, report.ok, report.max_abs_error, report.max_rel_error,
                  report.first_divergence, files=[str(p) for p in converted.files], layout=converted.boundary.to_dict())


def run_model(name: str, keras2: bool, directory: Path, size: Optional[int] = None, samples: int = 2,
              targets: tuple[str, ...] = TARGETS) -> Result:
    fw = framework(keras2)
    model = build(name, keras2, size)
    randomize(model)
    result = Result(name, f"{fw.__name__} {fw.__version__}", int(model.input_shape[1]), len(model.layers),
                    model.count_params())
    paths = save(model, directory, keras2)
    checked = {}
    for kind, path in paths.items():
        imported, check, seconds = import_checked(path)
        result.import_seconds[kind] = round(seconds, 3)
        checked[kind] = (imported, check)
    result.layer_types = sorted(layer_types(checked[next(iter(paths))][0]))
    if name in CUSTOM:
        for imported, _ in checked.values():
            result.refused, problems = refusals(imported, model, CUSTOM[name])
            result.summary_differences += problems
        result.ok = not result.summary_differences
        return result
    _summary(result, model, checked)
    source = paths.get("keras", paths["h5"])
    for to in targets:
        result.targets[to] = convert_to(source, to, directory, samples)
    result.ok = bool(result.summary_equal) and all(t.ok for t in result.targets.values())
    return result


def _summary(result: Result, model, checked: dict) -> None:
    texts = set()
    for kind, (imported, check) in checked.items():
        if not imported.ok or check is None or not check.ok:
            errors = imported.errors if not imported.ok else check.errors
            result.imported = False
            result.summary_differences += [f"{kind}: {d.code}: {d.message}" for d in errors[:5]]
            continue
        texts.add(imported.text())
        differences, result.spec_only = summary_differences(model, check)
        result.summary_differences += [f"{kind}: {d}" for d in differences]
    if len(texts) > 1:
        result.summary_differences.append("the .keras and .h5 files import as different specs")
    result.summary_equal = not result.summary_differences


# ---------------------------------------------------------------- output


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1e}"


def table_rows(results: list[Result]) -> list[list[str]]:
    rows = [["model", "layers", "params", "summary = Keras", "import .keras / .h5",
             *[f"{to} s" for to in TARGETS], *[f"{to} worst abs / rel err" for to in TARGETS], "total s", "result"]]
    for r in results:
        imports = " / ".join(f"{r.import_seconds[k]:.2f}s" if k in r.import_seconds else "-" for k in ("keras", "h5"))
        summary = "SB500 (custom)" if r.model in CUSTOM else \
            ("yes" if r.summary_equal else "NO" if r.imported else "not imported")
        seconds = [f"{r.targets[to].seconds:.1f}" if to in r.targets and r.imported else "-" for to in TARGETS]
        errors = [_target_error(r.targets.get(to)) for to in TARGETS]
        verdict = ("pass" if r.ok else "FAIL") + (" (refused as expected)" if r.model in CUSTOM and r.ok else "")
        rows.append([r.model, str(r.layers), f"{r.params:,}", summary, imports, *seconds, *errors, f"{r.seconds:.0f}",
                     verdict])
    return rows


def _target_error(target: Optional[Target]) -> str:
    if target is None:
        return "-"
    if target.error:
        return target.error.split(":")[0]  # the exception: NotExpressible, NotImportable...
    return f"{_num(target.max_abs_error)} / {_num(target.max_rel_error)}" + \
        ("" if target.ok else f" at {target.first_divergence}")


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines) + "\n"


def details(results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        for text in r.summary_differences[:10]:
            lines.append(f"{r.model}: {text}")
        for to, t in r.targets.items():
            if t.error:
                lines.append(f"{r.model} -> {to}: {t.error}")
        if r.refused:
            codes = sorted({text.split(":")[0] for text in r.refused})
            example = next((text for text in r.refused if f"{CUSTOM.get(r.model)}'" in text), r.refused[0])
            lines.append(f"{r.model}: {len(r.refused)} errors ({', '.join(codes)}), e.g. {example}")
            others = [text for text in r.refused if f"{CUSTOM.get(r.model)}'" not in text]
            lines += [f"{r.model}: also refused: {text}" for text in others[:3]]
        if r.spec_only:
            lines.append(f"{r.model}: spec layers Keras's summary does not list (operations): {', '.join(r.spec_only)}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help=f"comma-separated subset of {', '.join(MODELS)}")
    parser.add_argument("--keras2", action="store_true", help="tf_keras.applications saved as Keras 2 .h5 files")
    parser.add_argument("--size", type=int, help="input size (default: each application's own, 224 or 299)")
    parser.add_argument("--samples", type=int, default=2, help="verification batch size (default 2)")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="specbridge-apps-") as directory:
        for name in names:
            start = time.perf_counter()
            try:
                result = run_model(name, args.keras2, Path(directory), args.size, args.samples)
            except Exception as exc:  # noqa: BLE001 - one broken model must not hide the others' rows
                result = Result(name, "", 0, error=f"{type(exc).__name__}: {str(exc)[:300]}")
                result.summary_differences.append(result.error)
            result.seconds = round(time.perf_counter() - start, 1)
            print(f"{name}: {'pass' if result.ok else 'FAIL'} ({result.seconds:.0f}s)", file=sys.stderr, flush=True)
            results.append(result)
    rows = table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(markdown(rows) if args.markdown else
          "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows))
    for line in details(results):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
