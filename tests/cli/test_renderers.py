"""The renderers on hand-made diagnostics: escaping, locations, wording of the totals line."""

from __future__ import annotations

from specbridge.diagnostics import codes
from specbridge.diagnostics.model import Location, Severity
from specbridge.diagnostics.render import github, sarif, text
from specbridge.diagnostics.render.styled import to_plain


def diag(message="output rows would be 0: floor((3 - 5) / 1) + 1 = -1", **kw):
    base = {"hint": "use padding 'same'", "layer": "conv2d_1", "location": Location(3, 7), "file": "m.spec.yaml"}
    return codes.NONPOSITIVE_SIZE(message, **{**base, **kw})


def test_text_diagnostic_with_snippet_and_hint():
    source = "a: 1\nb: 2\nlayers: [{type: Conv2D}]\n"
    out = to_plain(text.render_diagnostic(diag(), source.splitlines()))
    assert out == (
        "m.spec.yaml:3:7: SB201 error: output rows would be 0: floor((3 - 5) / 1) + 1 = -1\n"
        "  3 | layers: [{type: Conv2D}]\n"
        "    |       ^\n"
        "  hint: use padding 'same'\n"
    )


def test_text_diagnostic_without_source_or_location():
    out = to_plain(text.render_diagnostic(diag(location=Location(), hint=None)))
    assert out == "m.spec.yaml: SB201 error: output rows would be 0: floor((3 - 5) / 1) + 1 = -1\n"


def test_text_snippet_is_skipped_when_the_line_is_out_of_range():
    out = to_plain(text.render_diagnostic(diag(location=Location(99, 1)), ["only one line"]))
    assert "|" not in out


def test_totals_wording():
    def t(*args, **kw):
        return to_plain([text.totals(*args, **kw)]).strip()

    assert t(3, 0, 0) == "All 3 specs OK"
    assert t(1, 0, 0) == "1 spec OK"
    assert t(2, 0, 1) == "All 2 specs OK (1 warning)"
    assert t(3, 2, 1) == "Checked 3 files: 2 errors, 1 warning"
    assert t(1, 1, 0) == "Checked 1 file: 1 error, 0 warnings"
    assert t(1, 0, 2, strict=True) == "Checked 1 file: 0 errors, 2 warnings (--strict: warnings fail)"


def test_github_escapes_data_and_properties():
    d = diag(message="100% sure\nsecond line", hint=None, file="dir,x/a:b.spec.yaml")
    assert github.render_diagnostic(d) == (
        "::error file=dir%2Cx/a%3Ab.spec.yaml,line=3,col=7,title=SB201 nonpositive-size::100%25 sure%0Asecond line"
    )


def test_github_severity_commands_and_missing_location():
    warning = codes.UNUSED_LAYER("dead branch", file="m.yaml")
    assert github.render_diagnostic(warning) == "::warning file=m.yaml,title=SB103 unused-layer::dead branch"
    note = codes.UNUSED_LAYER("fyi", file="m.yaml", severity=Severity.INFO, location=Location(2, 0))
    assert github.render_diagnostic(note) == "::notice file=m.yaml,line=2,title=SB103 unused-layer::fyi"


def test_sarif_result_fields():
    doc = sarif.document([diag()], "9.9")
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "specbridge" and run["tool"]["driver"]["version"] == "9.9"
    (result,) = run["results"]
    assert result["message"]["text"] == "output rows would be 0: floor((3 - 5) / 1) + 1 = -1\nhint: use padding 'same'"
    assert result["properties"] == {"layer": "conv2d_1"}
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule == {
        "id": "SB201", "name": "nonpositive-size",
        "shortDescription": {"text": codes.NONPOSITIVE_SIZE.summary},
        "defaultConfiguration": {"level": "error"},
    }
