"""The reader on the model-code corpus, in one table: recognized, checked, correct, missed, false alarms.

Reads fixtures/python/groundtruth.json (what Keras and PyTorch did with each file: scripts/corpus_groundtruth.py
writes it, and a test keeps it current) and compares read_python's findings with it. No framework is imported.

    .venv/bin/python scripts/pycode_corpus_report.py [--markdown]

- recognized: every model the framework built is found (Keras: by variable or name; PyTorch: by class or variable)
- checked: every layer of those models has a known shape (nothing left unknown)
- correct: every layer's shape (and Keras parameter count) equals the framework's
- broken files: caught at the planted line, caught at the line where the framework fails (downstream of the
  planted line: the layer that receives the bad tensor), or missed; a false alarm is an error on a good file or at
  any other line
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from specbridge.pycode import read_python  # noqa: E402
from specbridge.pycode.signatures import TORCH_POSITIONAL  # noqa: E402

CORPUS = ROOT / "fixtures" / "python"
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def good_row(name: str, truth: dict) -> dict:
    code = read_python((CORPUS / name).read_text(encoding="utf-8"), name)
    found = recognized = checked = correct = 0
    for real in truth["models"]:
        model = _match(code, real, truth["framework"])
        found += 1
        if model is None:
            continue
        recognized += 1
        nodes = {}
        for node in model.graph.nodes if model.graph else []:
            nodes.setdefault(node.location.line, []).append(node)
        known = all(o is not None and getattr(o, "known", False) for o in model.outputs) and not model.assumed_input
        checked += known
        correct += known and _same(nodes, real, truth["framework"])
    return {"file": name, "models": found, "recognized": recognized, "checked": checked, "correct": correct,
            "false_alarms": len(code.errors)}


def _match(code, real: dict, framework: str):
    for model in code.models:
        if model.framework != framework:
            continue
        if framework == "keras" and model.name in (real["global"], real["name"]):
            return model
        if framework == "torch" and real["name"] in (model.class_name, model.name):
            return model
    return None


def _same(nodes: dict, real: dict, framework: str) -> bool:
    by_line: dict = {}
    for layer in real.get("layers", []):
        leaf = "params" in layer or (layer["class"] in TORCH_POSITIONAL and layer["class"] not in CONTAINERS)
        if leaf and layer["class"] != "InputLayer" and layer.get("output_shape") is not None:
            by_line.setdefault(layer["line"], []).append(layer)
    for line, layers in by_line.items():
        mine = nodes.get(line, [])
        if framework == "keras" and len(mine) != len(layers):
            return False
        if framework == "torch":  # a PyTorch layer may be several spec steps (ZeroPadding + Conv): its last one
            if len(mine) > len(layers):
                mine = [n for n in mine if not (n.layer or {}).get("type", "").startswith("ZeroPadding")]
            if len(mine) != len(layers) or any(n.assumed for n in mine):
                continue  # a module applied on a path the reader did not follow, or a class built several times
        for node, layer in zip(mine, layers, strict=False):
            shape = layer["output_shape"]
            if isinstance(shape[0], list):
                continue  # an LSTM's (output, state)
            if list(node.output.shape) != list(shape[1:]):
                return False
    return True


def broken_row(name: str, truth: dict, planted: int) -> dict:
    code = read_python((CORPUS / name).read_text(encoding="utf-8"), name)
    error = truth["error"] or {}
    framework_lines = {error.get("line"), (error.get("layer") or {}).get("line")} - {None, planted}
    lines = {d.line for d in code.errors}
    return {"file": name, "at_planted": planted in lines, "at_framework": bool(lines & framework_lines),
            "missed": not lines, "false_alarms": len(lines - {planted} - framework_lines)}


def main() -> int:
    data = json.loads((CORPUS / "groundtruth.json").read_text(encoding="utf-8"))
    files, planted = data["files"], data["planted"]
    good = [good_row(n, t) for n, t in sorted(files.items()) if n.startswith("good/")]
    broken = [broken_row(n, t, _planted_line(planted, n)) for n, t in sorted(files.items()) if n.startswith("broken/")]
    for row in good:
        print(f"{row['file']:48} models {row['models']}  recognized {row['recognized']}  checked {row['checked']}  "
              f"correct {row['correct']}  false alarms {row['false_alarms']}")
    for row in broken:
        where = "planted line" if row["at_planted"] else ("framework's line" if row["at_framework"] else "MISSED")
        print(f"{row['file']:48} caught at {where}  false alarms {row['false_alarms']}")
    total = {k: sum(r[k] for r in good) for k in ("models", "recognized", "checked", "correct", "false_alarms")}
    print(f"\ngood files {len(good)}: models {total['models']}, recognized {total['recognized']}, checked "
          f"{total['checked']}, correct {total['correct']}, false alarms {total['false_alarms']}")
    print(f"broken files {len(broken)}: caught at the planted line {sum(r['at_planted'] for r in broken)}, at the "
          f"framework's failing line {sum(r['at_framework'] and not r['at_planted'] for r in broken)}, missed "
          f"{sum(r['missed'] for r in broken)}, false alarms {sum(r['false_alarms'] for r in broken)}")
    return 0


def _planted_line(planted, name: str) -> int:
    entry = planted[name] if isinstance(planted, dict) else None
    if isinstance(entry, dict):
        return entry["line"]
    if isinstance(entry, list):
        return entry[0][0] if isinstance(entry[0], list) else entry[0]
    text = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(text, 1) if "# planted:" in line)


if __name__ == "__main__":
    raise SystemExit(main())
