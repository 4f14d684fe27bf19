"""Robustness sweep of the static Python reader: read_python over every .py file under some directories.

    .venv/bin/python scripts/pycode_sweep.py                          # every .py in this venv's site-packages
    .venv/bin/python scripts/pycode_sweep.py DIR_OR_FILE ... --jobs 2 --slow 2 --timeout 60
    .venv/bin/python scripts/pycode_sweep.py --framework-only         # only files importing keras/tf/torch
    .venv/bin/python scripts/pycode_sweep.py --errors-of sweep.json   # print the findings of an earlier run again

Not a test and not run in CI: a way to find crashes, slow files and false alarms on real code. Library code is
correct code, so an ERROR diagnostic on it is almost certainly a false alarm (SB600, Python that does not parse
under this interpreter, is listed apart: that is a statement about the file, not a shape error).

Each file is read in a worker process (--jobs of them; a file is handed to whichever worker is free). A worker
reads the file as `specbridge check` does (UTF-8, universal newlines), times read_python, and answers with the
models found, the diagnostics, or the traceback of an exception that escaped read_python (a crash: a bug). A file
taking longer than --timeout is stopped in the worker (SIGALRM) and counted as a timeout; a worker that dies
(segfault, out of memory) is replaced and the file it was reading is reported as a crash. Files slower than --slow
seconds are listed. The full results go to --out (JSON); a summary is printed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_PREFIXES = ("import tensorflow", "from tensorflow", "import keras", "from keras", "import tf_keras",
                      "from tf_keras", "import torch", "from torch")
WARM_UP = """\
import keras
from keras import layers
import torch
from torch import nn
seq = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.LSTM(4), layers.Dense(10)])
inputs = keras.Input((32,))
fn = keras.Model(inputs, layers.Dense(2)(layers.BatchNormalization()(inputs)))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.gru = nn.GRU(8, 4, batch_first=True)
        self.fc = nn.Linear(8 * 26 * 26, 10)
    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))
Net()(torch.randn(2, 1, 28, 28))
"""
EXCERPT_LINES = 1  # lines of code shown on each side of a diagnostic's line


# ---------------------------------------------------------------- worker side


class Timeout(BaseException):
    """Raised by SIGALRM in the worker: BaseException, so that no `except Exception` in the reader swallows it."""


def _alarm(signum, frame):
    raise Timeout()


def read_text(path: str) -> str:
    """As `specbridge check` reads a file: UTF-8, universal newlines (raises UnicodeDecodeError otherwise)."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_one(path: str, timeout: float, input_shape) -> dict:
    from specbridge.pycode import read_python

    out: dict = {"path": path}
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        out["skipped"] = f"{type(exc).__name__}: {exc}"
        return out
    out["bytes"] = len(text)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        result = read_python(text, path, input_shape)
    except Timeout:
        out["timeout"] = True
        return out
    except BaseException as exc:  # anything escaping read_python is a bug (RecursionError and MemoryError too)
        signal.setitimer(signal.ITIMER_REAL, 0)
        out["crash"] = "".join(traceback.format_exception(exc))[-6000:]
        out["seconds"] = time.perf_counter() - start
        return out
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out["seconds"] = time.perf_counter() - start
    out["models"] = [[m.name, m.framework] for m in result.models]
    out["diagnostics"] = [[d.code, d.severity.value, d.line, d.column, d.message] for d in result.diagnostics]
    # .spec() of each model as `specbridge import` would make it: a crash there is a bug too.
    spec_problems = []
    for model in result.models:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            spec, problems = model.spec(path)
            spec_problems.extend([model.name, d.code, d.severity.value, d.line, d.message] for d in problems)
        except Timeout:
            out["spec_timeout"] = model.name
        except BaseException as exc:
            out["spec_crash"] = f"model {model.name}:\n" + "".join(traceback.format_exception(exc))[-6000:]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    if spec_problems:
        out["spec_problems"] = spec_problems
    return out


def worker(timeout: float, input_shape) -> int:
    """Reads one path per line from stdin, answers one JSON line per path on stdout."""
    from specbridge.pycode import read_python

    # Warm up: the reader imports its modules and the shape rules lazily; the first timed file should not pay that.
    for model in read_python(WARM_UP, "warm_up.py").models:
        model.spec("warm_up.py")
    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    answer = sys.stdout
    sys.stdout = sys.stderr  # nothing the reader might print can corrupt the protocol
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        answer.write(json.dumps(read_one(path, timeout, input_shape)) + "\n")
        answer.flush()
    return 0


# ---------------------------------------------------------------- parent side


def default_roots() -> list[Path]:
    return [Path(sysconfig.get_paths()["purelib"])]


def collect(roots: list[Path], framework_only: bool) -> list[str]:
    found: list[str] = []
    for root in roots:
        if root.is_file():
            found.append(str(root))
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            found.extend(os.path.join(dirpath, name) for name in sorted(filenames) if name.endswith(".py"))
    if framework_only:
        found = [p for p in found if _imports_framework(p)]
    return found


def _imports_framework(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return any(line.lstrip().startswith(FRAMEWORK_PREFIXES) for line in f)
    except OSError:
        return False


class Worker:
    def __init__(self, args):
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", "--timeout", str(args.timeout)]
        if args.input_shape:
            argv += ["--input-shape", args.input_shape]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1, env=env, cwd=str(ROOT))

    def ask(self, path: str, hard_timeout: float) -> dict:
        """The worker's answer, or a crash record when it dies (or hangs past the hard timeout and is killed)."""
        timer = threading.Timer(hard_timeout, self.proc.kill)
        timer.start()
        try:
            self.proc.stdin.write(path + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        finally:
            timer.cancel()
        if line:
            return json.loads(line)
        code = self.proc.wait()
        return {"path": path, "crash": f"the worker process died (exit status {code}) while reading this file",
                "worker_died": True}

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sweep(paths: list[str], args) -> list[dict]:
    todo: queue.Queue[str] = queue.Queue()
    for p in paths:
        todo.put(p)
    results: list[dict] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def run() -> None:
        w = Worker(args)
        try:
            while True:
                try:
                    path = todo.get_nowait()
                except queue.Empty:
                    return
                answer = w.ask(path, args.timeout + 30)
                if answer.get("worker_died"):
                    w = Worker(args)
                with lock:
                    results.append(answer)
                    n = len(results)
                    if args.progress and (n % 500 == 0 or n == len(paths)):
                        print(f"  {n:,}/{len(paths):,} files, {time.perf_counter() - started:.0f} s",
                              file=sys.stderr, flush=True)
        finally:
            w.close()

    threads = [threading.Thread(target=run) for _ in range(max(1, args.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.sort(key=lambda r: r["path"])
    return results


def excerpt(path: str, line: int) -> str:
    try:
        lines = read_text(path).split("\n")
    except (OSError, UnicodeDecodeError):
        return ""
    if not 1 <= line <= len(lines):
        return ""
    lo, hi = max(1, line - EXCERPT_LINES), min(len(lines), line + EXCERPT_LINES)
    return "\n".join(f"    {'>' if n == line else ' '}{n:>5} | {lines[n - 1]}" for n in range(lo, hi + 1))


def short(path: str) -> str:
    for root in (*default_roots(), ROOT):
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            continue
    return path


def report(results: list[dict], slow: float, top: int) -> None:
    read = [r for r in results if "seconds" in r and "crash" not in r]
    skipped = [r for r in results if "skipped" in r]
    crashes = [r for r in results if "crash" in r or "spec_crash" in r]
    timeouts = [r for r in results if r.get("timeout") or r.get("spec_timeout")]
    with_models = [r for r in read if r.get("models")]
    frameworks = collections.Counter(fw for r in read for _, fw in r.get("models", []))
    by_code: collections.Counter = collections.Counter()
    for r in read:
        for code, severity, *_ in r.get("diagnostics", []):
            by_code[(code, severity)] += 1
    errors = [(r, d) for r in read for d in r.get("diagnostics", []) if d[1] == "error" and d[0] != "SB600"]
    syntax = [(r, d) for r in read for d in r.get("diagnostics", []) if d[0] == "SB600"]
    total_s = sum(r.get("seconds", 0.0) for r in results)

    print(f"\n{len(results):,} files: {len(read):,} read, {len(skipped):,} skipped (not UTF-8 / unreadable), "
          f"{len(crashes):,} crashed, {len(timeouts):,} timed out; read_python time {total_s:.1f} s in all")
    print(f"{len(with_models):,} files define models: {sum(frameworks.values()):,} models "
          f"({', '.join(f'{fw} {n}' for fw, n in frameworks.most_common()) or 'none'})")
    print("diagnostics by code: " + (", ".join(f"{c} {s} x{n}" for (c, s), n in sorted(by_code.items())) or "none"))

    print(f"\nCRASHES ({len(crashes)}):")
    for r in crashes:
        print(f"  {short(r['path'])}")
        print("    " + (r.get("crash") or r.get("spec_crash", "")).rstrip().replace("\n", "\n    "))
    print(f"\nTIMEOUTS ({len(timeouts)}):")
    for r in timeouts:
        print(f"  {short(r['path'])}" + (f" (spec of {r['spec_timeout']})" if r.get("spec_timeout") else ""))

    print(f"\nERROR DIAGNOSTICS, SB600 aside ({len(errors)} in {len({r['path'] for r, _ in errors})} files):")
    for r, (code, _, line, column, message) in errors:
        print(f"  {short(r['path'])}:{line}:{column}: {code} {message}")
        text = excerpt(r["path"], line)
        if text:
            print(text)
    print(f"\nSB600, not valid Python here ({len(syntax)}):")
    for r, (_, _, line, column, message) in syntax:
        print(f"  {short(r['path'])}:{line}:{column}: {message}")
    spec_errors = collections.Counter((p[1], p[4].split(":")[-1].strip()[:90]) for r in read
                                      for p in r.get("spec_problems", []) if p[2] == "error")
    print(f"\nERRORS FROM CodeModel.spec(), what a spec cannot express ({sum(spec_errors.values())}, by message):")
    for (code, message), n in spec_errors.most_common(top):
        print(f"  {n:5} x {code} {message}")

    timed = sorted((r for r in results if "seconds" in r), key=lambda r: -r["seconds"])
    n_slow = sum(1 for r in timed if r["seconds"] > slow)
    print(f"\nSLOWEST FILES ({n_slow} over {slow:g} s; top {top}):")
    for r in timed[:top]:
        print(f"  {r['seconds']:7.3f} s  {r.get('bytes', 0) / 1024:8.1f} KiB  {short(r['path'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("roots", nargs="*", type=Path, help="directories or files (default: site-packages)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a file is stopped")
    parser.add_argument("--slow", type=float, default=2.0, help="list files slower than this (seconds)")
    parser.add_argument("--top", type=int, default=25, help="how many of the slowest files to list")
    parser.add_argument("--input-shape", help="passed to read_python, e.g. 1,28,28")
    parser.add_argument("--framework-only", action="store_true", help="only files that import keras/tf/torch")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "pycode_sweep.json",
                        help="where the results go (JSON; default: in the temporary directory)")
    parser.add_argument("--errors-of", type=Path, metavar="JSON", help="report an earlier run's results again")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    shape = tuple(int(p) for p in args.input_shape.split(",")) if args.input_shape else None
    if args.worker:
        return worker(args.timeout, shape)
    if args.errors_of:
        report(json.loads(args.errors_of.read_text())["results"], args.slow, args.top)
        return 0

    paths = collect(args.roots or default_roots(), args.framework_only)
    print(f"pycode sweep: {len(paths):,} .py files, {args.jobs} workers, timeout {args.timeout:g} s", flush=True)
    start = time.perf_counter()
    results = sweep(paths, args)
    wall = time.perf_counter() - start
    args.out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_s": wall,
                                    "roots": [str(r) for r in args.roots or default_roots()],
                                    "results": results}) + "\n")
    report(results, args.slow, args.top)
    print(f"\nwall time {wall:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
