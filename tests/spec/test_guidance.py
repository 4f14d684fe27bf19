"""Issue 6 point 5: each misleading or missing piece of guidance, on the exact case users hit."""

from __future__ import annotations

from specbridge.check import check_text
from specbridge.diagnostics.render.styled import to_plain
from specbridge.diagnostics.render.text import snippet

HEAD = "specbridge: 1\nname: t\n"


def _codes(result):
    return [(d.code, d.line) for d in result.diagnostics]


def test_a_misspelt_required_argument_is_one_error_with_the_suggestion():
    result = check_text(HEAD + "input: {shape: [28, 28, 1]}\nlayers:\n  - {type: Conv2D, filter: 32, kernel_size: 3}\n")
    assert _codes(result) == [("SB011", 5)]  # no follow-up "requires the argument `filters`"
    assert "did you mean `filters`?" in result.diagnostics[0].hint


def test_a_missing_argument_without_a_lookalike_is_still_reported():
    result = check_text(HEAD + "input: {shape: [28, 28, 1]}\nlayers:\n  - {type: Conv2D, kernel_size: 3, zzz: 1}\n")
    assert sorted(c for c, _ in _codes(result)) == ["SB011", "SB013"]


def test_a_written_batch_axis_is_named_as_such():
    result = check_text(HEAD + "input: {shape: [null, 28, 28, 1]}\nlayers:\n  - {type: Conv2D, filters: 2, kernel_size: 3}\n")
    (d,) = result.errors
    assert d.code == "SB200"
    assert "batch axis is never written" in d.hint and "[28, 28, 1]" in d.hint
    assert "TimeDistributed" not in d.hint


def test_a_real_sequence_of_images_still_gets_the_time_distributed_hint():
    result = check_text(HEAD + "input: {shape: [5, 28, 28, 1]}\nlayers:\n  - {type: Conv2D, filters: 2, kernel_size: 3}\n")
    assert "TimeDistributed" in result.errors[0].hint


def test_a_top_level_input_shape_points_to_input():
    result = check_text(HEAD + "input_shape: [28, 28, 1]\nlayers:\n  - {type: Dense, units: 2}\n")
    d = next(d for d in result.errors if d.code == "SB011")
    assert d.hint.startswith("did you mean `input`?") and "without the batch axis" in d.hint


def test_a_tab_is_named_and_shown():
    text = HEAD + "input: {shape: [8]}\nlayers:\n\t- {type: Dense, units: 2}\n"
    (d,) = check_text(text).diagnostics
    assert d.code == "SB001" and "tab" in d.message
    rendered = to_plain(snippet(text.splitlines()[d.line - 1], d.line, d.column))
    assert "→- {type: Dense" in rendered


def test_an_empty_file_says_it_is_empty():
    for text in ("", "\n\n", "   \n"):
        (d,) = check_text(text).diagnostics
        assert d.code == "SB002" and d.message == "the file is empty"


def test_dropout_rate_one_is_accepted_and_a_bound_error_names_the_bound():
    assert check_text(HEAD + "input: {shape: [8]}\nlayers:\n  - {type: Dropout, rate: 1.0}\n").ok
    (d,) = check_text(HEAD + "input: {shape: [8]}\nlayers:\n  - {type: Dropout, rate: 1.5}\n").errors
    assert "<= 1.0" in d.message and "got 1.5" in d.message
