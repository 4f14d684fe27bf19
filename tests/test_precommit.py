"""The pre-commit hooks (specs, and Keras/PyTorch model code in .py files), run by the real pre-commit framework in
temporary git repositories.

pre-commit installs hooks from a committed revision, so the project's working tree is first copied into a
temporary repository and committed there; that copy is what `try-repo` and the config point at. Each hook
environment is a fresh virtualenv with `pip install .` (core dependencies only), which is also how we check that
the hook pulls in no framework.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specbridge.check import check_text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "keras", "torch", "onnx", "onnxruntime", "jax")

GOOD = """\
specbridge: 1
name: tiny_convnet
input: {shape: [28, 28, 1]}
layers:
  - {type: Conv2D, filters: 8, kernel_size: 3, activation: relu}
  - {type: MaxPooling2D, pool_size: 2}
  - {type: Flatten}
  - {type: Dense, units: 10, activation: softmax}
"""
# The classic mistake: a Conv2D fed a rank-3 (28, 28) image that lacks its channel axis.
BAD = GOOD.replace("shape: [28, 28, 1]", "shape: [28, 28]")
NOT_A_SPEC = "this: [is, not, a, spec\n"  # broken YAML, but not named *.spec.yaml: the hook must not look at it

# Model code for the Python hook: the same classic mistake in Keras, read statically (never imported or run).
GOOD_PY = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
"""
BAD_PY = GOOD_PY.replace("shape=(28, 28, 1)", "shape=(28, 28)")
# A .py file with no model in it: the Python hook passes it silently.
NO_MODEL_PY = """\
import os


def data_dir(root):
    return os.path.join(root, "data")
"""
# An executable script without the .py suffix: pre-commit tags it `python` (by its shebang), but it is no .py file,
# and `specbridge check` would read it as a spec and fail: the hook's `files:` (a .py suffix) keeps it out.
SCRIPT = "#!/usr/bin/env python\nimport sys\nprint(sys.argv)\n"
# A PyTorch module whose second Linear expects 10 features and gets 16; the fix says 16.
TORCH_BAD = """\
import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 16)
        self.out = nn.Linear(10, 5)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


model = Classifier()
logits = model(torch.randn(4, 20))
"""
TORCH_GOOD = TORCH_BAD.replace("nn.Linear(10, 5)", "nn.Linear(16, 5)")


def manifest_hooks() -> dict[str, dict]:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert len(by_id) == len(hooks), "hook ids must be unique"
    return by_id


def test_the_manifest_has_the_spec_hook_and_the_python_hook():
    assert sorted(manifest_hooks()) == ["specbridge-check", "specbridge-check-python"]


def test_the_manifest_selects_spec_files_by_name():
    hook = manifest_hooks()["specbridge-check"]
    assert hook["language"] == "python"
    assert hook["entry"].split() == ["specbridge", "check"]
    files = re.compile(hook["files"])
    for name in ("model.spec.yaml", "nets/a.spec.yml", "b.spec.json"):
        assert files.search(name), name
    for name in ("model.yaml", "spec.yaml", ".pre-commit-config.yaml", "a.spec.yaml.bak", "a.specyaml"):
        assert not files.search(name), name


def test_the_manifest_selects_python_files_by_type_and_suffix():
    hook = manifest_hooks()["specbridge-check-python"]
    assert hook["language"] == "python" and hook["types"] == ["python"]
    assert hook["entry"].split() == ["specbridge", "check"]  # a named .py file is read as model code
    files = re.compile(hook["files"])
    for name in ("model.py", "nets/train.py", "a.spec.py"):
        assert files.search(name), name
    # .pyi stubs are not code; `tool` stands for an executable script that pre-commit tags `python` by its shebang
    for name in ("stub.pyi", "tool", "model.py.bak", "model.spec.yaml", "notes.pyc"):
        assert not files.search(name), name


def _env(pre_commit_home: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_AUTHOR_NAME="specbridge tests",
        GIT_AUTHOR_EMAIL="tests@specbridge.invalid",
        GIT_COMMITTER_NAME="specbridge tests",
        GIT_COMMITTER_EMAIL="tests@specbridge.invalid",
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
    )


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600)


def _git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd, env)


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is required for the pre-commit tests")
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory, pre_commit_home) -> Path:
    """A committed copy of what `pip install .` needs from the working tree, with the hook manifest."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "specbridge", repo / "specbridge",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    env = _env(pre_commit_home)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "specbridge under test"]):
        proc = _git(repo, env, *args)
        assert proc.returncode == 0, proc.stderr
    return repo


def _user_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir()
    assert _git(path, env, "init", "-q").returncode == 0
    return path


def test_try_repo_passes_a_good_spec_and_skips_other_yaml(tmp_path, hook_repo, pre_commit_home):
    env = _env(pre_commit_home)
    user = _user_repo(tmp_path / "user", env)
    (user / "model.spec.yaml").write_text(GOOD)
    (user / "notes.yaml").write_text(NOT_A_SPEC)
    _git(user, env, "add", "-A")

    proc = _pre_commit(user, env, "try-repo", str(hook_repo), "specbridge-check",
                       "--files", "model.spec.yaml", "notes.yaml", "--verbose")
    out = proc.stdout + proc.stderr
    # Exit 0 also shows notes.yaml was left alone: checking its broken YAML would have failed.
    assert proc.returncode == 0, out
    assert "specbridge check" in out and "Passed" in out, out


def test_try_repo_rejects_a_broken_spec_with_the_diagnostic(tmp_path, hook_repo, pre_commit_home):
    env = _env(pre_commit_home)
    user = _user_repo(tmp_path / "user", env)
    (user / "model.spec.yaml").write_text(GOOD)
    (user / "broken.spec.yml").write_text(BAD)
    _git(user, env, "add", "-A")
    expected = check_text(BAD, "broken.spec.yml").errors
    assert expected, "the broken spec should have errors"

    proc = _pre_commit(user, env, "try-repo", str(hook_repo), "specbridge-check",
                       "--files", "model.spec.yaml", "broken.spec.yml")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Failed" in out, out
    first = expected[0]
    assert f"broken.spec.yml:{first.line}:{first.column}" in out, out
    assert first.code in out, out
    assert "Traceback" not in out, out


def test_try_repo_python_hook_passes_good_code_and_code_without_a_model(tmp_path, hook_repo, pre_commit_home):
    env = _env(pre_commit_home)
    user = _user_repo(tmp_path / "user", env)
    (user / "model.py").write_text(GOOD_PY)
    (user / "helpers.py").write_text(NO_MODEL_PY)
    (user / "notes.yaml").write_text(NOT_A_SPEC)
    (user / "tool").write_text(SCRIPT)
    (user / "tool").chmod(0o755)
    _git(user, env, "add", "-A")

    proc = _pre_commit(user, env, "try-repo", str(hook_repo), "specbridge-check-python",
                       "--files", "model.py", "helpers.py", "notes.yaml", "tool", "--verbose")
    out = proc.stdout + proc.stderr
    # Exit 0 also shows that notes.yaml and the extensionless script were left alone: read as specs, both fail.
    assert proc.returncode == 0, out
    assert "specbridge check (model code)" in out and "Passed" in out, out
    assert "Traceback" not in out, out


def test_try_repo_python_hook_rejects_broken_model_code_with_the_diagnostic(tmp_path, hook_repo, pre_commit_home):
    from specbridge.pycode import read_python

    env = _env(pre_commit_home)
    user = _user_repo(tmp_path / "user", env)
    (user / "model.py").write_text(GOOD_PY)
    (user / "broken.py").write_text(BAD_PY)
    _git(user, env, "add", "-A")
    expected = read_python(BAD_PY, "broken.py").errors
    assert expected, "the broken model code should have errors"

    proc = _pre_commit(user, env, "try-repo", str(hook_repo), "specbridge-check-python",
                       "--files", "model.py", "broken.py")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Failed" in out, out
    first = expected[0]
    assert f"broken.py:{first.line}:{first.column}: {first.code}" in out, out
    assert "model.py:" not in out, out  # the good file has nothing to report
    assert "Traceback" not in out, out


@pytest.fixture(scope="session")
def committing_repo(tmp_path_factory, hook_repo, pre_commit_home) -> Path:
    """A user repository with the hook installed from a .pre-commit-config.yaml (environment built once)."""
    env = _env(pre_commit_home)
    user = _user_repo(tmp_path_factory.mktemp("committer") / "repo", env)
    head = _git(hook_repo, env, "rev-parse", "HEAD").stdout.strip()
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {head}\n    hooks:\n      - id: specbridge-check\n"
        "      - id: specbridge-check-python\n"
    )
    for args in (["install"], ["install-hooks"]):
        proc = _pre_commit(user, env, *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    _git(user, env, "add", ".pre-commit-config.yaml")
    assert _git(user, env, "commit", "-q", "-m", "config").returncode == 0
    return user


def _commit_count(repo: Path, env: dict[str, str]) -> int:
    return int(_git(repo, env, "rev-list", "--count", "HEAD").stdout)


def test_a_broken_spec_blocks_the_commit_and_the_fix_goes_through(committing_repo, pre_commit_home):
    env = _env(pre_commit_home)
    user = committing_repo
    before = _commit_count(user, env)
    (user / "classifier.spec.json").write_text('{"specbridge": 1, "name": "c", "input": {"shape": [20]},\n'
                                               ' "layers": [{"type": "Dense", "units": 5, "in_features": 10}]}\n')
    _git(user, env, "add", "classifier.spec.json")
    blocked = _git(user, env, "commit", "-m", "add a classifier")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert _commit_count(user, env) == before
    expected = check_text((user / "classifier.spec.json").read_text(), "classifier.spec.json").errors
    assert expected and f"classifier.spec.json:{expected[0].line}:{expected[0].column}" in out, out
    assert "in_features" in out, out

    (user / "classifier.spec.json").write_text('{"specbridge": 1, "name": "c", "input": {"shape": [20]},\n'
                                               ' "layers": [{"type": "Dense", "units": 5, "in_features": 20}]}\n')
    _git(user, env, "add", "classifier.spec.json")
    passed = _git(user, env, "commit", "-m", "add a classifier")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert _commit_count(user, env) == before + 1


def test_broken_model_code_blocks_the_commit_and_the_fix_goes_through(committing_repo, pre_commit_home):
    from specbridge.pycode import read_python

    env = _env(pre_commit_home)
    user = committing_repo
    before = _commit_count(user, env)
    (user / "classifier.py").write_text(TORCH_BAD)
    (user / "helpers.py").write_text(NO_MODEL_PY)
    _git(user, env, "add", "classifier.py", "helpers.py")
    blocked = _git(user, env, "commit", "-m", "add a classifier")
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, out
    assert _commit_count(user, env) == before
    expected = read_python(TORCH_BAD, "classifier.py").errors
    assert expected and f"classifier.py:{expected[0].line}:{expected[0].column}: {expected[0].code}" in out, out
    assert "helpers.py:" not in out, out

    (user / "classifier.py").write_text(TORCH_GOOD)
    _git(user, env, "add", "classifier.py")
    passed = _git(user, env, "commit", "-m", "add a classifier")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert _commit_count(user, env) == before + 1


def test_the_hook_environment_has_no_framework(committing_repo, pre_commit_home):
    envs = sorted(pre_commit_home.glob("repo*/py_env-*"))
    assert envs, f"no python hook environment under {pre_commit_home}"
    for venv in envs:
        python = venv / "bin" / "python"
        proc = subprocess.run(
            [str(python), "-c",
             "from importlib import metadata; print('\\n'.join(sorted(d.metadata['Name'].lower() "
             "for d in metadata.distributions())))"],
            capture_output=True, text=True, timeout=60,
        )
        installed = set(proc.stdout.split())
        assert "specbridge" in installed, proc.stdout + proc.stderr
        assert installed.isdisjoint(FRAMEWORK_DISTRIBUTIONS), sorted(installed & set(FRAMEWORK_DISTRIBUTIONS))


def readme_precommit_config() -> str:
    """The `.pre-commit-config.yaml` block of the README's "As a pre-commit hook" section, exactly as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## As a pre-commit hook\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    configs = [block for block in blocks if block.startswith("# .pre-commit-config.yaml\n")]
    assert len(configs) == 1, "the README's pre-commit section should show one `# .pre-commit-config.yaml` block"
    return configs[0]


def test_the_readme_config_is_the_local_hooks_over_the_installed_command():
    import yaml

    (repo,) = yaml.safe_load(readme_precommit_config())["repos"]
    assert repo["repo"] == "local" and "rev" not in repo  # nothing to resolve: no tag that does not exist
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    manifest = manifest_hooks()
    assert sorted(hooks) == sorted(manifest)
    for hook_id, hook in hooks.items():
        assert hook["entry"] == "specbridge check" and hook["language"] == "system", hook_id
        # The same files as the manifest's hook: `files:` and `types:` both (the python type alone would also
        # select executable scripts without the .py suffix, which `specbridge check` reads as specs).
        assert hook.get("files") == manifest[hook_id].get("files"), hook_id
        assert hook.get("types") == manifest[hook_id].get("types"), hook_id


def test_the_readme_config_as_written_blocks_a_broken_spec_and_passes_the_fix(tmp_path, pre_commit_home):
    """A fresh repository, the README's YAML verbatim, and specbridge installed (this venv's console script)."""
    env = _env(pre_commit_home)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    assert shutil.which("specbridge", path=env["PATH"]), "the installed specbridge command is needed on PATH"
    user = _user_repo(tmp_path / "fresh", env)
    (user / ".pre-commit-config.yaml").write_text(readme_precommit_config())
    for args in (["install"], ["install-hooks"]):
        proc = _pre_commit(user, env, *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    _git(user, env, "add", ".pre-commit-config.yaml")
    assert _git(user, env, "commit", "-q", "-m", "config").returncode == 0

    (user / "model.spec.yaml").write_text(BAD)
    (user / "notes.yaml").write_text(NOT_A_SPEC)  # not a spec name: the hook must not open it
    _git(user, env, "add", "-A")
    blocked = _git(user, env, "commit", "-m", "a broken model")
    out = blocked.stdout + blocked.stderr
    first = check_text(BAD, "model.spec.yaml").errors[0]
    assert blocked.returncode != 0, out
    assert f"model.spec.yaml:{first.line}:{first.column}: {first.code}" in out, out
    assert _commit_count(user, env) == 1

    (user / "model.spec.yaml").write_text(GOOD)
    _git(user, env, "add", "-A")
    passed = _git(user, env, "commit", "-m", "the fixed model")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "specbridge check" in passed.stdout + passed.stderr and _commit_count(user, env) == 2

    # Model code: the second hook blocks broken Keras code at its line, passes the fix, a .py file without a
    # model, and leaves an executable script without the .py suffix alone.
    from specbridge.pycode import read_python

    (user / "train.py").write_text(BAD_PY)
    (user / "helpers.py").write_text(NO_MODEL_PY)
    (user / "tool").write_text(SCRIPT)
    (user / "tool").chmod(0o755)
    _git(user, env, "add", "-A")
    blocked = _git(user, env, "commit", "-m", "broken model code")
    out = blocked.stdout + blocked.stderr
    first = read_python(BAD_PY, "train.py").errors[0]
    assert blocked.returncode != 0, out
    assert f"train.py:{first.line}:{first.column}: {first.code}" in out, out
    assert "helpers.py:" not in out and "tool:" not in out, out
    assert _commit_count(user, env) == 2

    (user / "train.py").write_text(GOOD_PY)
    _git(user, env, "add", "-A")
    passed = _git(user, env, "commit", "-m", "the fixed model code")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert _commit_count(user, env) == 3
