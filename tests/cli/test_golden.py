"""Golden files: the exact text and json output of check, summary and explain.

A change in wording or layout shows up as a diff of tests/golden/; rewrite with
`pytest tests/cli --update-golden` and review it.
"""

from __future__ import annotations

import pytest

CASES = [
    ("check_text.txt", ["check", "seed.spec.yaml", "broken.spec.yaml", "graph.spec.yaml"], 1),
    ("check_json.json", ["check", "-f", "json", "seed.spec.yaml", "broken.spec.yaml", "graph.spec.yaml"], 1),
    ("check_github.txt", ["check", "-f", "github", "broken.spec.yaml", "graph.spec.yaml"], 1),
    ("summary_text.txt", ["summary", "seed.spec.yaml"], 0),
    ("summary_json.json", ["summary", "-f", "json", "seed.spec.yaml"], 0),
    ("summary_graph_text.txt", ["summary", "graph.spec.yaml"], 0),
    ("explain_text.txt", ["explain", "seed.spec.yaml"], 0),
    ("explain_json.json", ["explain", "-f", "json", "seed.spec.yaml"], 0),
    ("explain_broken_text.txt", ["explain", "broken.spec.yaml"], 1),
]


@pytest.mark.parametrize(("name", "argv", "exit_code"), CASES, ids=[c[0] for c in CASES])
def test_output_matches_golden_file(run, in_specs, golden, name, argv, exit_code):
    result = run(*argv)
    assert result.exit_code == exit_code, result.output
    assert result.stderr == ""
    golden(name, result.stdout)
