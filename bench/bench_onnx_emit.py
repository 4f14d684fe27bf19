"""How long does emitting ONNX take, with no framework imported? The issue's aim: under 1 s for the largest fixture.

    .venv/bin/python bench/bench_onnx_emit.py            # table + results/onnx_emit.json (about a minute)
    .venv/bin/python bench/bench_onnx_emit.py --quick    # 3 runs each
    .venv/bin/python bench/bench_onnx_emit.py --spec fixtures/valid/cifar10_convnet.spec.yaml

The fixture is the valid fixture with the most parameters (the sum of the CheckResult records' params), unless
--spec names one. Fresh processes (each a new interpreter; one untimed warm-up of each, then the commands in turn,
so that a change of load hits them alike; medians):
  python -c pass                 interpreter start-up, the floor
  python -c 'import onnx'        the one package that emitting ONNX needs beyond the check's
  check_file(SPEC)               the check alone, in a library call: the baseline of the ratio
  check_file + to_onnx           the library emitting the ONNX model (in memory); the process times its phases
                                 (imports, check, to_onnx) and reports which frameworks sys.modules holds after:
                                 the run fails if tensorflow, keras, torch, onnxruntime or jax was imported
  specbridge emit --to onnx      the console script, which also serializes the model and writes the file
The aim is met when check + to_onnx, a whole cold process, takes under 1 s.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine_load import OtherLoad

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "valid"
RESULTS = ROOT / "bench" / "results" / "onnx_emit.json"
AIM_S = 1.0
FRAMEWORKS = ("tensorflow", "keras", "torch", "onnxruntime", "jax")

# Emits in a fresh process (argv: the spec, then the framework modules to look for); prints its phase times and
# the frameworks it imported as JSON.
EMIT = """
import json, sys, time
start = time.perf_counter()
from specbridge.check import check_file
from specbridge.emit import to_onnx
imported = time.perf_counter()
result = check_file(sys.argv[1])
checked = time.perf_counter()
import onnx, specbridge.emit.onnx  # what to_onnx imports first: timed on its own
onnx_imported = time.perf_counter()
model = to_onnx(result)
emitted = time.perf_counter()
assert model.graph.node, "empty ONNX graph"
print(json.dumps({"imports_s": imported - start, "check_s": checked - imported, "onnx_import_s": onnx_imported - checked,
                  "to_onnx_s": emitted - onnx_imported,
                  "frameworks": sorted(m for m in sys.argv[2:] if m in sys.modules)}))
"""
EMIT_NAME = "check_file + to_onnx"
CHECK_NAME = "check_file(SPEC) (baseline)"
CHECK = "import sys; from specbridge.check import check_file; assert check_file(sys.argv[1]).ok"


def largest_fixture() -> tuple[Path, int]:
    """The valid fixture with the most parameters, and that count."""
    from specbridge.check import check_file

    sizes = {}
    for path in sorted(FIXTURES.glob("*.spec.*")):
        result = check_file(path)
        if result.ok:
            sizes[path] = sum(record.params for record in result.records)
    path = max(sizes, key=sizes.__getitem__)
    return path, sizes[path]


def run(argv: list[str]) -> tuple[float, str]:
    """Wall seconds of one fresh process, and its stdout (exits if it fails)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def interleaved(commands: dict[str, list[str]], repeat: int) -> tuple[dict[str, list[float]], list[dict]]:
    """Wall times of each command (one warm-up each, then one run of each in turn), and the emit runs' reports."""
    for argv in commands.values():
        run(argv)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    reports = []
    for _ in range(repeat):
        for name, argv in commands.items():
            wall, out = run(argv)
            walls[name].append(wall)
            if name == EMIT_NAME:
                reports.append(json.loads(out))
    return walls, reports


def commands(spec: Path, workdir: Path) -> dict[str, list[str]]:
    py = sys.executable
    cli = Path(py).with_name("specbridge")
    return {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import onnx'": [py, "-c", "import onnx"],
        CHECK_NAME: [py, "-c", CHECK, str(spec)],
        EMIT_NAME: [py, "-c", EMIT, str(spec), *FRAMEWORKS],
        "specbridge emit --to onnx -o FILE": [str(cli), "emit", "--to", "onnx", "-o", str(workdir / "out.onnx"),
                                               str(spec)],
    }


def summarize(walls: dict[str, list[float]], reports: list[dict]) -> dict:
    median = {name: statistics.median(times) for name, times in walls.items()}
    emit_s, check_s = median[EMIT_NAME], median[CHECK_NAME]
    phases = {key: statistics.median(r[key] for r in reports) for key in ("imports_s", "check_s", "onnx_import_s", "to_onnx_s")}
    frameworks = sorted({m for r in reports for m in r["frameworks"]})
    return {
        "cold_s": median, "cold_runs_s": walls, "emit_phases_s": phases,
        "frameworks_imported": frameworks,
        "ratios": {"emit_over_check": emit_s / check_s,
                   "emit_over_import_onnx": emit_s / median["python -c 'import onnx'"],
                   "emit_extra_over_check_s": emit_s - check_s},
        "aim_s": AIM_S, "meets_aim": emit_s < AIM_S and not frameworks,
    }


def report(spec: Path, params: int, s: dict, repeat: int) -> None:
    print(f"ONNX emit, {spec.name} ({params:,} params, the largest valid fixture unless --spec), "
          f"cold processes, medians of {repeat}")
    print(f"  {'command':40} {'median s':>8} {'best s':>7}")
    for name, seconds in s["cold_s"].items():
        print(f"  {name:40} {seconds:>8.3f} {min(s['cold_runs_s'][name]):>7.3f}")
    p = s["emit_phases_s"]
    print(f"  inside check_file + to_onnx: import specbridge {p['imports_s']:.3f} s, check {p['check_s']:.3f} s, "
          f"import onnx + the emitter {p['onnx_import_s']:.3f} s, to_onnx {p['to_onnx_s']:.3f} s")
    r = s["ratios"]
    print(f"  emit / check_file = {r['emit_over_check']:.2f}x (+{r['emit_extra_over_check_s']:.3f} s); "
          f"emit / import onnx = {r['emit_over_import_onnx']:.2f}x")
    imported = ", ".join(s["frameworks_imported"]) or "none"
    verdict = "met" if s["meets_aim"] else "NOT met"
    print(f"  frameworks in sys.modules after emitting: {imported}; aim (< {AIM_S:.0f} s, no framework): {verdict}")
    print(f"  other processes kept {s['other_cpus_busy']:.2f} of {os.cpu_count()} CPUs busy meanwhile "
          "(well above 0.1: the run measured them too)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=None, help="a spec (default: the largest valid fixture)")
    parser.add_argument("--repeat", type=int, default=None, help="cold runs per command (default 9, quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 9)
    if args.spec is None:
        spec, params = largest_fixture()
    else:
        from specbridge.check import check_file

        spec, params = args.spec.resolve(), check_file(args.spec).total_params
    # Measure the package as installed, byte-compiled (see bench_check.py).
    compileall.compile_dir(str(ROOT / "specbridge"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="specbridge-bench-") as workdir:
        with OtherLoad() as load:
            walls, reports = interleaved(commands(spec, Path(workdir)), repeat)
    summary = summarize(walls, reports)
    summary["other_cpus_busy"] = load.cpus
    if summary["frameworks_imported"]:
        print(f"emitting ONNX imported {summary['frameworks_imported']}", file=sys.stderr)
    report(spec, params, summary, repeat)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
        "platform": platform.platform(), "cpus": os.cpu_count(),
        "spec": str(spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec), "params": params,
        "repeat": repeat, **summary,
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    if summary["frameworks_imported"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
