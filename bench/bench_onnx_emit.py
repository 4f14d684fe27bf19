"""How long does `specbridge emit --to onnx` take cold, next to `specbridge check` of the same spec?

    .venv/bin/python bench/bench_onnx_emit.py            # table + results/onnx_emit.json (about a minute)
    .venv/bin/python bench/bench_onnx_emit.py --quick    # 3 rounds
    .venv/bin/python bench/bench_onnx_emit.py --spec fixtures/valid/cifar10_convnet.spec.yaml

The fixture is the valid fixture with the most parameters (the sum of the CheckResult records' params), unless
--spec names one. Fresh processes (each a new interpreter; one untimed warm-up of each, then the commands in turn,
round after round, so that a change of load hits them alike):
  python -c pass                 interpreter start-up, the floor
  python -c 'import onnx'        for context: what `import onnx` alone costs (the emitter does not import it)
  specbridge check SPEC          the baseline of the ratio
  specbridge emit --to onnx      the console script: check, build, serialize and write the model (-o FILE)
  check_file + to_onnx           the library, in memory; the process times its phases (imports, check, the
                                 emitter's imports, to_onnx) and reports what sys.modules holds after: the run fails
                                 if tensorflow, keras, torch, onnxruntime or jax was imported, or the onnx package
The figures are medians with their range (min to max), of wall and of CPU time (user + system); the ratio is
emit / check within each round (its median and range), the steadier figure on a shared machine. The aim: the cold emit under AIM_S seconds. Timings depend on
the machine and its load, so nothing fails on a slow run; the script exits 1 only on a wrong import or output.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import resource
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
AIM_S = 0.5
FRAMEWORKS = ("tensorflow", "keras", "torch", "onnxruntime", "jax")
# Not frameworks, but what emitting needs no more: onnx's package (its __init__, helper, checker) and ml_dtypes.
NOT_NEEDED = ("onnx", "ml_dtypes")

# Emits in a fresh process (argv: the spec, then the module names to look for); prints its phase times and the
# watched top-level packages it imported, as JSON.
EMIT = """
import json, sys, time
start = time.perf_counter()
from specbridge.check import check_file
from specbridge.emit import to_onnx
imported = time.perf_counter()
result = check_file(sys.argv[1])
checked = time.perf_counter()
import numpy, specbridge.emit.onnx  # what to_onnx imports first: timed on its own
from specbridge.emit.onnx.proto import pb2
pb2()
emitter_imported = time.perf_counter()
model = to_onnx(result)
emitted = time.perf_counter()
assert model.graph.node, "empty ONNX graph"
print(json.dumps({"imports_s": imported - start, "check_s": checked - imported,
                  "emitter_import_s": emitter_imported - checked, "to_onnx_s": emitted - emitter_imported,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:]))}))
"""
PASS, IMPORT_ONNX = "python -c pass", "python -c 'import onnx'"
CHECK, EMIT_CLI, LIBRARY = "specbridge check SPEC", "specbridge emit --to onnx -o FILE", "check_file + to_onnx"
PHASES = ("imports_s", "check_s", "emitter_import_s", "to_onnx_s")


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


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one fresh process, and its stdout (exits if it fails). CPU time suffers less from
    other processes than wall time does (not nothing: they share the caches and the memory bus)."""
    start, cpu = time.perf_counter(), children_cpu_s()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
    elapsed, cpu = time.perf_counter() - start, children_cpu_s() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, cpu, proc.stdout


def commands(spec: Path, out: Path) -> dict[str, list[str]]:
    py = sys.executable
    cli = str(Path(py).with_name("specbridge"))
    return {
        PASS: [py, "-c", "pass"],
        IMPORT_ONNX: [py, "-c", "import onnx"],
        CHECK: [cli, "check", str(spec)],
        EMIT_CLI: [cli, "emit", str(spec), "--to", "onnx", "-o", str(out)],
        LIBRARY: [py, "-c", EMIT, str(spec), *FRAMEWORKS, *NOT_NEEDED],
    }


def interleaved(argvs: dict[str, list[str]], out: Path, repeat: int) -> tuple[dict, dict, list, set]:
    """Wall and CPU times of each command (one warm-up each, then one run of each in turn, `repeat` rounds), the
    library runs' reports, and the digests of the files the emits wrote (one, if the output is deterministic)."""
    for argv in argvs.values():
        run(argv)
    walls: dict[str, list[float]] = {name: [] for name in argvs}
    cpus: dict[str, list[float]] = {name: [] for name in argvs}
    reports, digests = [], set()
    for _ in range(repeat):
        for name, argv in argvs.items():
            wall, cpu, stdout = run(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
            if name == LIBRARY:
                reports.append(json.loads(stdout))
            elif name == EMIT_CLI:
                digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    return walls, cpus, reports, digests


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def per_round(times: dict[str, list[float]], a: str, b: str) -> dict[str, float]:
    return spread([x / y for x, y in zip(times[a], times[b], strict=True)])


def summarize(walls: dict[str, list[float]], cpus: dict[str, list[float]], reports: list[dict]) -> dict:
    loaded = sorted({m for r in reports for m in r["loaded"]})
    emit_s = statistics.median(walls[EMIT_CLI])
    return {
        "cold_s": {name: spread(times) for name, times in walls.items()}, "cold_runs_s": walls,
        "cold_cpu_s": {name: spread(times) for name, times in cpus.items()},
        "emit_over_check": per_round(walls, EMIT_CLI, CHECK), "emit_over_check_cpu": per_round(cpus, EMIT_CLI, CHECK),
        "library_emit_over_check": per_round(walls, LIBRARY, CHECK),
        "emit_extra_over_check_s": emit_s - statistics.median(walls[CHECK]),
        "library_phases_s": {key: spread([r[key] for r in reports]) for key in PHASES},
        "loaded": loaded, "aim_s": AIM_S, "meets_aim": emit_s < AIM_S and not loaded,
    }


def report(spec: Path, params: int, s: dict, repeat: int, load: float) -> None:
    print(f"ONNX emit, {spec.name} ({params:,} params), cold processes, {repeat} rounds")
    print(f"  {'command':36} {'wall s':>6} {'range':>13}   {'CPU s':>6} {'range':>13}")
    for name, t in s["cold_s"].items():
        c = s["cold_cpu_s"][name]
        print(f"  {name:36} {t['median']:>6.3f} {t['min']:>6.3f}-{t['max']:.3f}   "
              f"{c['median']:>6.3f} {c['min']:>6.3f}-{c['max']:.3f}")
    p = s["library_phases_s"]
    print("  inside check_file + to_onnx (medians): " + ", ".join(
        f"{label} {p[key]['median']:.3f} s" for label, key in
        (("import specbridge", "imports_s"), ("check", "check_s"), ("import numpy + the emitter", "emitter_import_s"),
         ("to_onnx", "to_onnx_s"))))
    r, rc, lr = s["emit_over_check"], s["emit_over_check_cpu"], s["library_emit_over_check"]
    print(f"  emit / check, per round: wall {r['median']:.2f}x (range {r['min']:.2f}-{r['max']:.2f}), "
          f"CPU {rc['median']:.2f}x (range {rc['min']:.2f}-{rc['max']:.2f}); emit - check = "
          f"{s['emit_extra_over_check_s']:+.3f} s; library check_file + to_onnx / check: {lr['median']:.2f}x")
    verdict = "met" if s["meets_aim"] else "NOT met"
    print(f"  watched packages imported by emitting: {', '.join(s['loaded']) or 'none'}; "
          f"aim (cold emit < {AIM_S} s, none imported): {verdict}")
    print(f"  other processes kept {load:.2f} of {os.cpu_count()} CPUs busy meanwhile "
          "(well above 0.1: the run measured them too)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=None, help="a spec (default: the valid fixture with most params)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 11, quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 11)
    if args.spec is None:
        spec, params = largest_fixture()
    else:
        from specbridge.check import check_file

        spec, params = args.spec.resolve(), check_file(args.spec).total_params
    # Measure the package as installed, byte-compiled (see bench_check.py).
    compileall.compile_dir(str(ROOT / "specbridge"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="specbridge-bench-") as workdir:
        out = Path(workdir) / "model.onnx"
        with OtherLoad() as load:
            walls, cpus, reports, digests = interleaved(commands(spec, out), out, repeat)
        size = out.stat().st_size
    summary = summarize(walls, cpus, reports)
    summary["other_cpus_busy"] = load.cpus
    report(spec, params, summary, repeat, load.cpus)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
        "platform": platform.platform(), "cpus": os.cpu_count(),
        "spec": str(spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec), "params": params,
        "onnx_file_bytes": size, "repeat": repeat, **summary,
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    if summary["loaded"]:
        raise SystemExit(f"emitting ONNX imported {summary['loaded']}")
    if len(digests) != 1:
        raise SystemExit(f"the emitted file differed between runs: {len(digests)} different files")


if __name__ == "__main__":
    main()
