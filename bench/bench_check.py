"""How fast is `specbridge check`? Cold-process time next to two baselines, and scaling with spec size.

    .venv/bin/python bench/bench_check.py                 # full run (about a minute), table + results/latest.json
    .venv/bin/python bench/bench_check.py --quick         # fewer repetitions
    .venv/bin/python bench/bench_check.py --profile       # also cProfile the 10,000-layer check

Part 1, cold processes (each a fresh interpreter, median of --repeat runs after one warm-up):
  `python -c "pass"`            interpreter start-up, the floor
  `python -c "from pydantic import BaseModel; import yaml"` the aim's baseline: `specbridge check` within 2x of it
  (for context: `from pydantic import BaseModel` alone, and the library's check_file without the CLI)
  `specbridge check SPEC`       the console script on a fixture
  Keras build                   what a user would otherwise run: import keras, build the same model, count params;
                                the aim is to be at least 20x faster than this
Part 2, generated specs of 1k, 2k, 5k and 10k layers: check_text in-process (load = parse + validate; the rest is
shape inference + lint) and the cold CLI; the aim is under 1 s for 10k layers, growing linearly.
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
DEFAULT_SPEC = ROOT / "fixtures" / "valid" / "mnist_deep_cnn.spec.yaml"
SIZES = (1_000, 2_000, 5_000, 10_000)
BASELINE = "python -c 'from pydantic import BaseModel; import yaml'"

# Used when the fixture is missing, so the bench runs on any checkout. Keras's MNIST convnet example.
FALLBACK_SPEC = """\
specbridge: 1
name: mnist_convnet
input: {shape: [28, 28, 1]}
layers:
  - {type: Conv2D, filters: 32, kernel_size: 3, activation: relu}
  - {type: MaxPooling2D, pool_size: 2}
  - {type: Conv2D, filters: 64, kernel_size: 3, activation: relu}
  - {type: MaxPooling2D, pool_size: 2}
  - {type: Flatten}
  - {type: Dropout, rate: 0.5}
  - {type: Dense, units: 10, activation: softmax}
"""

# Builds a Sequential spec in Keras from the plain YAML: the keys specbridge adds to Keras's arguments are dropped.
KERAS_BUILD = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import yaml, keras
SPEC_ONLY = {"type", "expect", "inputs", "in_channels", "in_features", "input_size"}
def make(entry):
    args = {k: v for k, v in entry.items() if k not in SPEC_ONLY}
    if isinstance(args.get("layer"), dict):
        args["layer"] = make(args["layer"])
    return getattr(keras.layers, entry["type"])(**args)
spec = yaml.safe_load(open(sys.argv[1]))
(source,) = spec["inputs"] if "inputs" in spec else [spec["input"]]
model = keras.Sequential([keras.Input(shape=tuple(source["shape"]))] + [make(e) for e in spec["layers"]])
print(model.count_params(), [tuple(layer.output.shape) for layer in model.layers][-1])
"""

# One block of the generated specs: every layer keeps the (64, 16) shape, so blocks repeat without limit.
BLOCK = (
    "  - {type: Conv1D, filters: 16, kernel_size: 3, padding: same, activation: relu}\n"
    "  - {type: BatchNormalization}\n"
    "  - {type: Dense, units: 16}\n"
    "  - {type: Activation, activation: relu}\n"
    "  - {type: Dropout, rate: 0.1}\n"
)
BLOCK_LAYERS = BLOCK.count("\n")


def generated_spec(n_layers: int) -> str:
    assert n_layers % BLOCK_LAYERS == 0
    head = f"specbridge: 1\nname: generated_{n_layers}\ninput: {{shape: [64, 16]}}\nlayers:\n"
    return head + BLOCK * (n_layers // BLOCK_LAYERS)


def cold(argv: list[str], repeat: int, *, expect_ok: bool = True) -> list[float]:
    """Wall times of `repeat` fresh processes (after one untimed warm-up that fills the OS file cache)."""
    return [wall for wall, _ in cold_runs(argv, repeat, expect_ok=expect_ok)]


def cold_runs(argv: list[str], repeat: int, *, expect_ok: bool = True) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of `repeat` fresh processes after one untimed warm-up. CPU time (user + system of the
    child) is steadier than wall time on a loaded machine."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    runs = []
    for i in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if expect_ok and proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        if i:
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            runs.append((elapsed, cpu))
    return runs


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """cold_runs of every command, one run of each in turn, so that a change of load hits them all alike."""
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for argv in commands.values():
        cold_runs(argv, 0)  # warm-up
    for _ in range(repeat):
        for name, argv in commands.items():
            out[name].extend(cold_runs(argv, 1))
    return out


def in_process(text: str, repeat: int) -> dict[str, float]:
    from specbridge.check import check_text
    from specbridge.spec.loader import load_text

    result = check_text(text, "generated.spec.yaml")
    if not result.ok:
        raise SystemExit(f"the generated spec has errors: {[d.message for d in result.errors][:3]}")
    load, total = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        load_text(text, "generated.spec.yaml")
        load.append(time.perf_counter() - start)
        start = time.perf_counter()
        check_text(text, "generated.spec.yaml")
        total.append(time.perf_counter() - start)
    return {"load_s": statistics.median(load), "check_s": statistics.median(total)}


def profile(text: str, top: int = 25) -> str:
    from specbridge.check import check_text

    profiler = cProfile.Profile()
    profiler.enable()
    check_text(text, "generated.spec.yaml")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def specbridge_command() -> list[str]:
    script = Path(sys.executable).parent / "specbridge"
    return [str(script)] if script.exists() else [sys.executable, "-m", "specbridge"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="a Sequential spec for part 1")
    parser.add_argument("--repeat", type=int, default=9, help="cold runs per command (median)")
    parser.add_argument("--keras-repeat", type=int, default=3, help="cold Keras builds (median)")
    parser.add_argument("--quick", action="store_true", help="3 runs each, 1 Keras build")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest generated spec")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras build (no TensorFlow installed)")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.keras_repeat = 3, 1

    workdir = Path(tempfile.mkdtemp(prefix="specbridge-bench-"))
    spec = args.spec
    if not spec.exists():
        spec = workdir / "mnist_convnet.spec.yaml"
        spec.write_text(FALLBACK_SPEC)
    sb = specbridge_command()
    py = sys.executable
    # Measure the package as installed: byte-compiled, like pydantic in site-packages (an edited module's .pyc is
    # stale, and with PYTHONDONTWRITEBYTECODE set Python would compile it again in every process).
    compileall.compile_dir(str(ROOT / "specbridge"), quiet=1)

    print(f"specbridge bench: python {platform.python_version()}, {os.cpu_count()} CPUs, spec {spec.name}")
    check_name = f"specbridge check {spec.name}"
    commands = {
        "python -c pass": [py, "-c", "pass"],
        # Context: pydantic's package import is lazy; defining any model loads pydantic-core.
        "python -c 'from pydantic import BaseModel'": [py, "-c", "from pydantic import BaseModel"],
        # The aim's baseline: what any pydantic + PyYAML tool pays before doing anything.
        BASELINE: [py, "-c", "from pydantic import BaseModel; import yaml"],
        "library: check_file(SPEC), no CLI": [
            py, "-c", "import sys; from specbridge.check import check_file; check_file(sys.argv[1])", str(spec)],
        check_name: [*sb, "check", str(spec)],
    }
    measured = interleaved(commands, args.repeat)
    if not args.no_keras:
        measured["Keras: import + build + count_params"] = cold_runs([py, "-c", KERAS_BUILD, str(spec)], args.keras_repeat)
    runs = {name: [wall for wall, _ in r] for name, r in measured.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in measured.items()}
    cold_results = {name: statistics.median(t) for name, t in runs.items()}
    check_s, baseline_s = cold_results[check_name], cold_results[BASELINE]
    keras_s = cold_results.get("Keras: import + build + count_params")

    print("\nPart 1: cold processes (medians; the commands run in turn, so a change of load hits them alike)")
    print(f"  {'command':<56} {'wall s':>7} {'cpu s':>7}  {'runs':>4}")
    for name, seconds in cold_results.items():
        print(f"  {name:<56} {seconds:>7.3f} {cpu[name]:>7.3f}  {len(runs[name]):>4}")
    print(f"  check / baseline = {check_s / baseline_s:.2f}x wall, {cpu[check_name] / cpu[BASELINE]:.2f}x cpu"
          "   (aim: <= 2x)")
    if keras_s is not None:
        print(f"  Keras build / check = {keras_s / check_s:.1f}x   (aim: >= 20x)")

    print("\nPart 2: generated specs")
    print(f"  {'layers':>6} {'load s':>8} {'check s':>8} {'us/layer':>9} {'cold CLI s':>10}")
    scaling = []
    for n in SIZES:
        text = generated_spec(n)
        path = workdir / f"generated_{n}.spec.yaml"
        path.write_text(text)
        timings = in_process(text, repeat=3 if n <= 2_000 else 2)
        cli_s = statistics.median(cold([*sb, "check", str(path)], max(1, min(args.repeat, 3))))
        row = {"layers": n, **timings, "us_per_layer": timings["check_s"] / n * 1e6, "cold_cli_s": cli_s}
        scaling.append(row)
        print(f"  {n:>6} {row['load_s']:>8.3f} {row['check_s']:>8.3f} {row['us_per_layer']:>9.1f} {cli_s:>10.3f}")
    first, last = scaling[0], scaling[-1]
    growth = (last["check_s"] / first["check_s"]) / (last["layers"] / first["layers"])
    print(f"  {last['layers']:,} layers in-process: {last['check_s']:.3f} s (aim: < 1 s); "
          f"growth vs linear from {first['layers']:,}: {growth:.2f} (1.00 = linear)")

    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "spec": str(spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec.name),
        "cold_s": cold_results,
        "cold_cpu_s": cpu,
        "cold_runs_s": runs,
        "ratios": {"check_over_baseline": check_s / baseline_s,
                   "check_over_baseline_cpu": cpu[check_name] / cpu[BASELINE],
                   "keras_build_over_check": (keras_s / check_s) if keras_s is not None else None},
        "scaling": scaling,
        "growth_vs_linear": growth,
    }
    if args.profile:
        report = profile(generated_spec(SIZES[-1]))
        print(f"\ncProfile of check_text on {SIZES[-1]:,} layers (cumulative):\n{report}")
        results["profile_top"] = report
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
