"""How fast is `specbridge check model.py`? The aim: a 1,000-line Python file with three models in under 0.5 s
cold, with no framework imported.

    .venv/bin/python bench/bench_pycode.py                # table + results/pycode.json
    .venv/bin/python bench/bench_pycode.py --quick        # fewer repetitions, smaller scaling sizes
    .venv/bin/python bench/bench_pycode.py --profile      # also cProfile read_python on the 1,000-line file

The file is tests/pycode/bigfile.py's big_model_file(): a training script (argparse, NumPy data loading and
augmentation, metrics, a Keras fit and a PyTorch training loop) with a Keras Sequential VGG (46 layers), a functional
Keras ResNet with a second input (74 layers) and a PyTorch nn.Module (29 modules), each layer its own
line; tests/pycode/test_pycode_imports.py checks the same file.

Part 1, cold processes (each a fresh interpreter, median of --repeat runs after one warm-up; the commands run in
turn, so a change of load hits them all alike; wall and CPU time of the child):
  `python -c pass`                      interpreter start-up, the floor
  `python -c "import ast; ast.parse"`   parsing the file, the least any static reader of it pays
  `specbridge check SPEC`               the baseline: the console script on a small spec fixture
  library read_python(FILE)             the reader without the CLI (what the check pays for reporting: the rest)
  `specbridge check train.py`           the measured command; the ratio against the baseline is printed
Then one more cold run of the check that reports which frameworks it left in sys.modules (none, by design).
Part 2, in-process read_python on the same script padded to --sizes lines (the models stay the same; the filler
grows): time per 1,000 lines should stay flat.

The "others" figure is how many CPUs other processes kept busy during part 1 (machine_load.py): near 0 means the
timings are this machine's, well above 0.1 on a 2-CPU machine means they measured other jobs too. It is a
benchmark, not a test: nothing fails on a slow run.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_check import specbridge_command
from machine_load import OtherLoad

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "pycode"))
from bigfile import N_MODELS, big_model_file  # noqa: E402  (the one generator, shared with the test)

RESULTS = ROOT / "bench" / "results" / "pycode.json"
BASELINE_SPEC = ROOT / "fixtures" / "valid" / "mnist_deep_cnn.spec.yaml"
AIM_S = 0.5
FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "onnx", "onnxruntime", "jax")

PROBE = """\
import json, sys
from specbridge.cli.app import main
try:
    main(["check", sys.argv[1]])
except SystemExit as exc:
    code = exc.code or 0
frameworks = sys.argv[2].split(",")
print("LOADED=" + json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in frameworks)]))
"""


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """As bench_check.interleaved (one run of each command in turn), but exit 1 (problems found) is a timing too."""
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for argv in commands.values():
        _exit_ok(argv)  # warm-up, and the exit status checked once
    for _ in range(repeat):
        for name, argv in commands.items():
            out[name].append(_once(argv))
    return out


def _exit_ok(argv: list[str]) -> int:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.returncode


def _once(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process, whatever its exit status (bench_check's cold_runs wants 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process(sizes: list[int], repeat: int) -> list[dict]:
    from specbridge.pycode import read_python

    read_python(big_model_file(300), "warm_up.py")  # the reader's lazy imports, not timed
    rows = []
    for n in sizes:
        text = big_model_file(n)
        times, result = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            result = read_python(text, "train.py")
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        lines = text.count("\n")
        rows.append({"lines": lines, "read_s": seconds, "ms_per_1000_lines": seconds / lines * 1e6,
                     "models": len(result.models), "errors": len(result.errors)})
    return rows


def profile(text: str, top: int = 25) -> str:
    from specbridge.pycode import read_python

    read_python(big_model_file(300), "warm_up.py")
    profiler = cProfile.Profile()
    profiler.enable()
    read_python(text, "train.py")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9, help="cold runs per command (median)")
    parser.add_argument("--lines", type=int, default=1000, help="length of the generated script for part 1")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000],
                        help="script lengths for part 2 (the models and the training code alone are ~700 lines)")
    parser.add_argument("--quick", action="store_true", help="3 runs each; part 2 up to 4,000 lines")
    parser.add_argument("--profile", action="store_true", help="cProfile read_python on the part 1 script")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.sizes = 3, [s for s in args.sizes if s <= 4000]

    workdir = Path(tempfile.mkdtemp(prefix="specbridge-bench-pycode-"))
    script = workdir / "train.py"
    script.write_text(big_model_file(args.lines), encoding="utf-8")
    n_lines = script.read_text(encoding="utf-8").count("\n")
    spec = BASELINE_SPEC
    sb = specbridge_command()
    py = sys.executable
    # As installed: byte-compiled (see bench_check.py; PYTHONDONTWRITEBYTECODE would otherwise recompile each run).
    compileall.compile_dir(str(ROOT / "specbridge"), quiet=1)

    print(f"specbridge pycode bench: python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{script.name} {n_lines} lines / {script.stat().st_size / 1024:.1f} KiB, baseline spec {spec.name}")
    baseline = f"specbridge check {spec.name}"
    measured_name = f"specbridge check {script.name}"
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import ast; ast.parse(FILE)'": [
            py, "-c", "import ast, sys; ast.parse(open(sys.argv[1], encoding='utf-8').read())", str(script)],
        baseline: [*sb, "check", str(spec)],
        "library: read_python(FILE), no CLI": [
            py, "-c", "import sys; from specbridge.pycode import read_python; "
                      "read_python(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1])", str(script)],
        measured_name: [*sb, "check", str(script)],
    }
    with OtherLoad() as load:
        measured = interleaved(commands, args.repeat)
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in measured.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in measured.items()}
    check_exit = _exit_ok([*sb, "check", str(script)])
    probe = subprocess.run([py, "-c", PROBE, str(script), ",".join(FRAMEWORKS)], capture_output=True, text=True, cwd=ROOT)
    marker = [line for line in probe.stdout.splitlines() if line.startswith("LOADED=")]
    loaded = json.loads(marker[-1][len("LOADED="):])[1] if marker else None

    print(f"\nPart 1: cold processes (medians of {args.repeat}; others kept {load.cpus:.2f} CPUs busy)")
    print(f"  {'command':<48} {'wall s':>7} {'cpu s':>7}")
    for name in commands:
        print(f"  {name:<48} {wall[name]:>7.3f} {cpu[name]:>7.3f}")
    ratio_wall = wall[measured_name] / wall[baseline]
    ratio_cpu = cpu[measured_name] / cpu[baseline]
    print(f"  check {script.name} / check {spec.name} = {ratio_wall:.2f}x wall, {ratio_cpu:.2f}x cpu")
    verdict = "met" if wall[measured_name] < AIM_S else "NOT met"
    print(f"  check {script.name}: {wall[measured_name]:.3f} s wall (aim: < {AIM_S} s cold: {verdict}); "
          f"exit status {check_exit}")
    print(f"  frameworks in sys.modules after the check: {loaded if loaded is not None else 'probe failed'}")

    print("\nPart 2: read_python in-process (median of 3; the same three models, more filler)")
    print(f"  {'lines':>6} {'read s':>8} {'ms/1000 lines':>14} {'models':>7} {'errors':>7}")
    scaling = in_process(args.sizes, repeat=3)
    for row in scaling:
        print(f"  {row['lines']:>6} {row['read_s']:>8.3f} {row['ms_per_1000_lines']:>14.1f} "
              f"{row['models']:>7} {row['errors']:>7}")
    first, last = scaling[0], scaling[-1]
    growth = (last["read_s"] / first["read_s"]) / (last["lines"] / first["lines"])
    print(f"  growth vs linear from {first['lines']} to {last['lines']} lines: {growth:.2f} (1.00 = linear)")
    found = next((r["models"] for r in scaling if r["lines"] == n_lines), None)
    if found is not None and found != N_MODELS:
        print(f"  note: read_python found {found} models in the {n_lines}-line script, {N_MODELS} expected")

    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "script_lines": n_lines,
        "baseline_spec": str(spec.relative_to(ROOT)),
        "other_load_cpus": load.cpus,
        "cold_s": wall,
        "cold_cpu_s": cpu,
        "cold_runs_s": {name: [w for w, _ in runs] for name, runs in measured.items()},
        "ratio_check_py_over_check_spec": {"wall": ratio_wall, "cpu": ratio_cpu},
        "aim_s": AIM_S,
        "check_exit": check_exit,
        "frameworks_loaded": loaded,
        "scaling": scaling,
        "growth_vs_linear": growth,
    }
    if args.profile:
        report = profile(script.read_text(encoding="utf-8"))
        print(f"\ncProfile of read_python on {n_lines} lines (cumulative):\n{report}")
        results["profile_top"] = report
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
