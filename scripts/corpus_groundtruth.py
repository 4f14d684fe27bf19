"""Run the Python model-code corpus in the real frameworks and write fixtures/python/groundtruth.json.

    .venv/bin/python scripts/corpus_groundtruth.py            # rewrite the snapshot
    .venv/bin/python scripts/corpus_groundtruth.py --check    # exit 1 when the snapshot is not current

The snapshot is a quick reference for the linter's authors: for every corpus file, what tests/pycode/groundtruth.py
records (framework, error with its line and the innermost failing layer, every model's layer shapes), plus the
planted line of every broken file. tests/pycode/test_corpus_runs.py runs the frameworks live and checks the
snapshot against what they report.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "pycode"))

import groundtruth  # noqa: E402

OUTPUT = groundtruth.CORPUS / "groundtruth.json"


def corpus_paths() -> list[Path]:
    return groundtruth.corpus_files("good") + groundtruth.corpus_files("broken")


def relative(path: Path | str) -> str:
    return Path(path).resolve().relative_to(groundtruth.CORPUS).as_posix()


def versions() -> dict[str, str | None]:
    found = {"python": platform.python_version()}
    for name, dists in {"keras": ["keras"], "tensorflow": ["tensorflow-cpu", "tensorflow"], "torch": ["torch"]}.items():
        found[name] = None
        for dist in dists:
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def snapshot(results: dict[str, dict]) -> dict:
    """The file's content: versions, the planted line of each broken file, and the harness result per file."""
    planted = {}
    for path in groundtruth.corpus_files("broken"):
        (line, what), = groundtruth.planted_lines(path.read_text()) or [(None, None)]
        planted[relative(path)] = {"line": line, "what": what}
    return {
        "about": "written by scripts/corpus_groundtruth.py from tests/pycode/groundtruth.py; see fixtures/python/README.md",
        "versions": versions(),
        "planted": planted,
        "files": {relative(path): result for path, result in results.items()},
    }


def dumps(data: dict) -> str:
    """JSON with one entry per line, except that a shape, a list of shapes and a record of plain values (a layer)
    stay on one line each."""
    text = _dumps(data, 0)
    assert json.loads(text) == data
    return text + "\n"


def _flat(value) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, (list, dict)) or (isinstance(v, list) and _flat(v)) for v in value)
    if isinstance(value, dict):
        return all(not isinstance(v, (list, dict)) or (isinstance(v, list) and _flat(v)) for v in value.values())
    return True


def _dumps(value, level: int) -> str:
    if _flat(value):
        return json.dumps(value)
    pad, inner = " " * level, " " * (level + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_dumps(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    return "[\n" + ",\n".join(f"{inner}{_dumps(v, level + 1)}" for v in value) + f"\n{pad}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the existing file instead of writing it")
    args = parser.parse_args(argv)

    paths = corpus_paths()
    results = groundtruth.run_files(paths)
    text = dumps(snapshot(results))
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if json.loads(current or "{}").get("files") != json.loads(text)["files"]:
            print(f"{OUTPUT.relative_to(ROOT)} is not current: run {Path(__file__).relative_to(ROOT)}", file=sys.stderr)
            return 1
        print(f"{OUTPUT.relative_to(ROOT)} is current ({len(paths)} files)")
        return 0
    OUTPUT.write_text(text)
    failed_good = [relative(p) for p in groundtruth.corpus_files("good") if results[str(p)]["error"]]
    quiet_broken = [relative(p) for p in groundtruth.corpus_files("broken") if not results[str(p)]["error"]]
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(paths)} files")
    for label, names in (("good files that raised", failed_good), ("broken files that ran", quiet_broken)):
        if names:
            print(f"{label}: {', '.join(names)}", file=sys.stderr)
    return 1 if failed_good or quiet_broken else 0


if __name__ == "__main__":
    sys.exit(main())
