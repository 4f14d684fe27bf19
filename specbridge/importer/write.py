"""A spec dict as text: YAML with one flow-style line per layer (as specs are written by hand), or JSON."""

from __future__ import annotations

import json


def spec_text(spec: dict, syntax: str = "yaml") -> str:
    if syntax == "json":
        return json.dumps(spec, indent=2) + "\n"
    import yaml

    head = {k: v for k, v in spec.items() if k not in ("layers", "outputs", "inputs", "input")}
    lines = [yaml.safe_dump(head, sort_keys=False, default_flow_style=False).rstrip()]
    if "input" in spec:
        lines.append("input: " + _flow(spec["input"]))
    if "inputs" in spec:
        lines.append("inputs:")
        lines += ["  - " + _flow(entry) for entry in spec["inputs"]]
    lines.append("layers:")
    lines += ["  - " + _flow(layer) for layer in spec["layers"]]
    if "outputs" in spec:
        lines.append("outputs: " + _flow(spec["outputs"]))
    return "\n".join(lines) + "\n"


def _flow(value) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9).strip()
