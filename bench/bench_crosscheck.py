"""Do the emitted models run as fast as hand-written ones, and how long does a cold `specbridge crosscheck` take?

    .venv/bin/python bench/bench_crosscheck.py            # full run (a few minutes), table + results/crosscheck.json
    .venv/bin/python bench/bench_crosscheck.py --quick    # fewer rounds

Part 1, inference throughput in one process: for two fixtures (a conv net and an LSTM model), the PyTorch and
Keras models that specbridge emits against what an engineer would write by hand for the same architecture
(same layers and parameter counts; written the framework's natural way: in PyTorch an NCHW Flatten and a Linear
on the whole sequence instead of folding time into the batch). Emitted and hand-written rounds alternate, so drift in machine load hits
both; the figure is the best round's time per batch (as timeit reports). The aim: emitted throughput >= 0.95x hand-written.
Part 2, cold `specbridge crosscheck FIXTURE` in a fresh process (median of --repeat runs), next to the floor that
any cross-check pays: importing TensorFlow/Keras and torch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "crosscheck.json"
CONV = ROOT / "fixtures" / "valid" / "cifar10_convnet.spec.yaml"
LSTM = ROOT / "fixtures" / "valid" / "seq2seq_embedding_lstm.spec.yaml"
AIM = 0.95


# ---------------------------------------------------------------- hand-written equivalents


def hand_torch_conv():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(2304, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10), nn.Softmax(dim=1),
    ).eval()


def hand_torch_lstm():
    from torch import nn

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(5000, 64)
            self.lstm = nn.LSTM(64, 128, batch_first=True)
            self.head = nn.Linear(128, 5000)

        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.head(out).softmax(dim=-1)

    return Seq2Seq().eval()


def hand_keras_conv():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Dropout(0.25),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Dropout(0.25),
        layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def hand_keras_lstm():
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((20,), dtype="int32"),
        layers.Embedding(5000, 64), layers.LSTM(128, return_sequences=True),
        # The spec's TimeDistributed(Dense), as a Keras user writes it (Keras 3 loops over the steps; a Dense on
        # the whole sequence is the same function and faster, but a different architecture).
        layers.TimeDistributed(layers.Dense(5000, activation="softmax")),
    ])


CASES = {
    # name: (fixture, hand torch, hand keras, batch size, Keras-layout input maker)
    "conv net (cifar10_convnet)": (CONV, hand_torch_conv, hand_keras_conv, 64, "image"),
    "LSTM (seq2seq_embedding_lstm)": (LSTM, hand_torch_lstm, hand_keras_lstm, 32, "ids"),
}


def make_input(kind: str, batch: int):
    import numpy as np

    rng = np.random.default_rng(0)
    if kind == "image":
        return rng.normal(size=(batch, 32, 32, 3)).astype("float32")
    return rng.integers(0, 5000, (batch, 20)).astype("int32")


# ---------------------------------------------------------------- timing


def per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def alternate(emitted, hand, rounds: int, calls: int) -> tuple[float, float]:
    """Best seconds per call of each over `rounds`, after a warm-up, in rounds ordered ABBA so neither always goes
    first. The best round, as timeit reports it: on a shared machine the slower rounds measure the other jobs."""
    for fn in (emitted, hand):
        per_call(fn, 3)
    times: dict[str, list[float]] = {"emitted": [], "hand": []}
    for i in range(rounds):
        order = (("emitted", emitted), ("hand", hand))
        for key, fn in order if i % 2 == 0 else reversed(order):
            times[key].append(per_call(fn, calls))
    return min(times["emitted"]), min(times["hand"])


def torch_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def bench_throughput(rounds: int, calls: int) -> list[dict]:
    rows = []
    for case, (fixture, hand_torch, hand_keras, batch, kind) in CASES.items():
        rows += bench_case(case, fixture, hand_torch, hand_keras, make_input(kind, batch), rounds, calls)
    return rows


def bench_case(case: str, fixture: Path, hand_torch, hand_keras, x, rounds: int, calls: int) -> list[dict]:
    """PyTorch then Keras: the emitted model against the hand-written one on the same Keras-layout batch `x`."""
    import numpy as np
    import torch

    from specbridge.emit import to_keras, to_torch

    emitted_t, hand_t = to_torch(fixture), hand_torch()
    assert torch_params(emitted_t) == torch_params(hand_t), "the hand-written PyTorch model differs in size"
    image = x.dtype.kind == "f"
    tx = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)) if image else x.astype("int64"))

    def run_torch(model):
        with torch.inference_mode():
            model(tx)

    t_emitted, t_hand = alternate(lambda: run_torch(emitted_t), lambda: run_torch(hand_t), rounds, calls)
    rows = [row(case, "PyTorch", len(x), t_emitted, t_hand)]

    emitted_k, hand_k = to_keras(fixture), hand_keras()
    assert emitted_k.count_params() == hand_k.count_params(), "the hand-written Keras model differs in size"
    t_emitted, t_hand = alternate(lambda: emitted_k.predict_on_batch(x), lambda: hand_k.predict_on_batch(x),
                                  rounds, calls)
    return rows + [row(case, "Keras", len(x), t_emitted, t_hand)]


def row(case: str, framework: str, batch: int, t_emitted: float, t_hand: float) -> dict:
    return {
        "model": case, "framework": framework, "batch": batch,
        "emitted_ms_per_batch": t_emitted * 1e3, "hand_ms_per_batch": t_hand * 1e3,
        "emitted_samples_per_s": batch / t_emitted, "hand_samples_per_s": batch / t_hand,
        "throughput_ratio": t_hand / t_emitted, "meets_aim": t_hand / t_emitted >= AIM,
    }


def cold(cmd: list[str], repeat: int) -> tuple[float, int]:
    """Median wall seconds of `cmd` in fresh processes, and its (last) exit status."""
    times, status = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        status = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), status


def bench_cold(repeat: int) -> list[dict]:
    specbridge = str(Path(sys.executable).with_name("specbridge"))
    runs = [("import tensorflow, keras, torch (floor)", [sys.executable, "-c", "import tensorflow, keras, torch"])]
    for fixture in (CONV, LSTM):
        for dtype in ("float32", "float64"):
            name = f"specbridge crosscheck {fixture.name.split('.')[0]} --dtype {dtype}"
            runs.append((name, [specbridge, "crosscheck", str(fixture.relative_to(ROOT)), "--dtype", dtype]))
    out = []
    for name, cmd in runs:
        seconds, status = cold(cmd, repeat)
        out.append({"command": name, "seconds": seconds, "exit_status": status})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="cold runs per command (default 3, quick 1)")
    args = parser.parse_args()
    rounds, calls = (3, 5) if args.quick else (15, 10)
    repeat = args.repeat or (1 if args.quick else 3)

    throughput = bench_throughput(rounds, calls)
    print(f"Inference throughput, emitted vs hand-written (best of {rounds} alternating rounds of {calls} calls)")
    print(f"  {'model':32} {'framework':9} {'batch':>5} {'emitted ms':>11} {'hand ms':>9} {'ratio':>6}")
    for r in throughput:
        flag = "" if r["meets_aim"] else f"  below the {AIM}x aim"
        print(f"  {r['model']:32} {r['framework']:9} {r['batch']:>5} {r['emitted_ms_per_batch']:>11.2f} "
              f"{r['hand_ms_per_batch']:>9.2f} {r['throughput_ratio']:>5.2f}x{flag}")

    cold_runs = bench_cold(repeat)
    print(f"\nCold processes (median of {repeat})")
    for r in cold_runs:
        status = "" if r["exit_status"] == 0 else f"  (exit {r['exit_status']})"
        print(f"  {r['command']:62} {r['seconds']:>6.2f} s{status}")

    import keras
    import torch

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "keras": keras.__version__, "torch": torch.__version__},
        "aim_throughput_ratio": AIM,
        "throughput": throughput,
        "cold": cold_runs,
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
