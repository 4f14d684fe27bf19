"""The README, run top to bottom as a new user would, in a fresh directory: every file it says to save is saved,
every `$ command` runs and prints what the README shows, every Python block runs, and a value a line's comment
shows (`result.total_params  # 34826`) is the value that line computes.

What differs between machines is written as a bound, never as digits (TensorFlow's oneDNN kernels, on by default
on CPUs with AVX-512/AMX, change low-order digits): `<1e-05` in shown output or `# < 1e-06` in a comment matches a
number below it, `~1.76` a number within 5% of it (training, too, differs in its last digits). .ci/run runs this with oneDNN off and on.

Two sections have their own tests, which run them in more depth: the model-code section
(tests/pycode/test_readme_code.py) and the pre-commit hook (tests/test_precommit.py).
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest
from frameworks import import_framework

ROOT = Path(__file__).resolve().parent.parent
OWN_TESTS = ("## Check Keras and PyTorch model code (.py)", "## As a pre-commit hook")
SAVE_AS = re.compile(r"Save this as `([^`]+)`:?\s*$")
# Files the README describes in words rather than in a block: (name, made from, replace, by).
DESCRIBED = {"broken.spec.yaml": ("mnist.spec.yaml", "shape: [28, 28, 1]", "shape: [28, 28]")}
NOT_RUN = ("netron",)  # a viewer the README mentions, not part of specbridge
NUMBER = r"[-+]?(?:\d[\d,]*\.?\d*(?:e[-+]?\d+)?|inf|nan)"


@dataclass
class Block:
    kind: str  # yaml, json, console, python, bash, ...
    text: str
    before: str  # the paragraph just above the block
    section: str


def readme_blocks() -> list[Block]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks, section = [], ""
    pattern = re.compile(r"^```(\w*)\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)
    position = 0
    for match in pattern.finditer(text):
        prose = text[position:match.start()]
        headings = re.findall(r"^## .*$", prose, flags=re.MULTILINE)
        section = headings[-1] if headings else section
        paragraph = prose.rstrip().split("\n\n")[-1]
        blocks.append(Block(match.group(1), match.group(2), paragraph, section))
        position = match.end()
    return [b for b in blocks if b.section not in OWN_TESTS]


# ------------------------------------------------------------------ shown output, with bounds for what varies


def token_matches(shown: str, actual: str) -> bool:
    """One whitespace-separated token: equal, or a bound (`<1e-05`, `~1.76`) that the actual number meets."""
    bound = re.fullmatch(rf"([<~])({NUMBER})(\W*)", shown)
    if bound is None:
        return shown == actual
    kind, limit, tail = bound.groups()
    number = re.fullmatch(rf"({NUMBER})(\W*)", actual)
    if number is None or number.group(2) != tail:
        return False
    value, limit = float(number.group(1).replace(",", "")), float(limit.replace(",", ""))
    return value < limit if kind == "<" else abs(value - limit) <= 0.05 * abs(limit)


def output_matches(shown: str, actual: str) -> bool:
    shown_lines, actual_lines = shown.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n")
    if len(shown_lines) != len(actual_lines):
        return False
    for want, got in zip(shown_lines, actual_lines, strict=True):
        if "<" not in want and "~" not in want:
            if want != got:
                return False
            continue
        want_tokens, got_tokens = want.split(), got.split()
        if len(want_tokens) != len(got_tokens) or not all(map(token_matches, want_tokens, got_tokens)):
            return False
    return True


def commands(console: str) -> list[tuple[str, str]]:
    """(command, shown output) for every `$ ` line of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in console.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            out.append((line[2:].split("  #")[0].strip(), []))
        elif out:
            out[-1][1].append(line)
    return [(command, "\n".join(shown)) for command, shown in out]


# ------------------------------------------------------------------ Python blocks with their shown values


CHECKER = '''
import re as _re
def __readme_check(value, shown, line):
    bound = _re.fullmatch(r"\\s*<\\s*(\\S+)\\s*", shown)
    if bound:
        assert float(value) < float(bound.group(1)), f"README line {line}: {value!r} is not < {bound.group(1)}"
        return
    import ast as _ast
    assert value == _ast.literal_eval(shown), f"README line {line}: {value!r}, the README shows {shown}"
'''


def shown_value(comment: str):
    """The value a comment shows: `# (10,)`, `# < 1e-06`, `# True: no errors` (True); None for prose."""
    text = comment.lstrip("#").strip()
    if re.fullmatch(r"<\s*\S+", text):
        return text
    for candidate in (text, text.split(":")[0], text.split(";")[0]):
        try:
            ast.literal_eval(candidate)
        except (ValueError, SyntaxError):
            continue
        return candidate
    return None


def instrumented(code: str) -> str:
    """`code` with each top-level expression whose line shows a value turned into a check of that value."""
    comments = {tok.start[0]: tok.string for tok in tokenize.generate_tokens(io.StringIO(code).readline)
                if tok.type == tokenize.COMMENT}
    lines = code.split("\n")
    for statement in reversed(ast.parse(code).body):
        shown = shown_value(comments.get(statement.end_lineno, ""))
        if shown is None or not isinstance(statement, ast.Expr):
            continue
        value = statement.value
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "print" and len(value.args) == 1:
            value = value.args[0]
        check = f"__readme_check({ast.unparse(value)}, {shown!r}, {statement.lineno})"
        lines[statement.lineno - 1:statement.end_lineno] = [check]
    return CHECKER + "\n".join(lines)


# ------------------------------------------------------------------ the walk


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "SPECBRIDGE_DEBUG", "TF_CPP_MIN_LOG_LEVEL")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    return env


def run_command(command: str, cwd: Path) -> subprocess.CompletedProcess:
    assert command.startswith(("specbridge ", "cat ")), f"the README runs {command!r}: teach this test about it"
    words = command.split()
    if words[0] == "specbridge":
        words = [sys.executable, "-m", "specbridge", *words[1:]]
    return subprocess.run(words, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)


def save_files(block: Block, cwd: Path) -> None:
    saved = SAVE_AS.search(block.before)
    if saved:
        (cwd / saved.group(1)).write_text(block.text, encoding="utf-8")
        for name, (source, old, new) in DESCRIBED.items():
            if source == saved.group(1):
                assert old in block.text, f"the README describes {name} as {source} with {old!r} changed"
                (cwd / name).write_text(block.text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    import_framework("keras")
    import_framework("torch")
    import_framework("onnxruntime")
    path = tmp_path_factory.mktemp("readme")
    os.symlink(ROOT / "fixtures", path / "fixtures")
    return path


def test_the_readme_runs_as_written(workdir):
    ran = []
    for block in readme_blocks():
        save_files(block, workdir)
        if block.kind == "console":
            for command, shown in commands(block.text):
                if command.split()[0] in NOT_RUN:
                    continue
                done = run_command(command, workdir)
                printed = done.stdout + done.stderr
                assert output_matches(shown, printed), f"$ {command}\n--- README:\n{shown}\n--- printed:\n{printed}"
                ran.append(command)
        elif block.kind == "python" and not SAVE_AS.search(block.before):
            script = workdir / f"readme_block_{len(ran)}.py"
            script.write_text(instrumented(block.text), encoding="utf-8")
            done = subprocess.run([sys.executable, str(script)], cwd=workdir, env=environment(),
                                  capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, f"README python block:\n{block.text}\n--- stderr:\n{done.stderr}"
            ran.append(f"python block {len(ran)}")
    assert any(c.startswith("specbridge crosscheck") for c in ran) and any("convert" in c for c in ran), ran


@pytest.mark.parametrize(
    ("shown", "actual", "ok"),
    [("<1e-05", "3.81e-06", True), ("<1e-05", "2.1e-05", False), ("<1e-05,", "3.8e-06,", True),
     ("<1e-05,", "3.8e-06", False), ("~1.76", "1.80", True), ("~1.76", "1.90", False), ("ok", "ok", True),
     ("<1e-05", "ok", False)],
)
def test_bounds_match_numbers_below_them_only(shown, actual, ok):
    assert token_matches(shown, actual) is ok


def test_a_shown_value_is_checked():
    code = instrumented("x = 2\nx + 1      # 3\nprint(x / 1e9)   # < 1e-06\nx > 1   # True: a prose note\n")
    namespace: dict = {}
    exec(compile(code, "<readme>", "exec"), namespace)
    wrong = instrumented("x = 2\nx + 1      # 4\n")
    with pytest.raises(AssertionError, match="the README shows 4"):
        exec(compile(wrong, "<readme>", "exec"), {})
