"""`specbridge summary` and `specbridge explain`."""

from __future__ import annotations

import json


def test_summary_text_is_a_keras_style_table(run, in_specs):
    result = run("summary", "seed.spec.yaml")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == 'Model: "strided_stack"'
    header = next(ln for ln in lines if "Layer (type)" in ln)
    assert header.split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    row = next(ln for ln in lines if ln.startswith(" conv2d (Conv2D)"))
    assert row.split()[2:] == ["(None,", "61,", "61,", "24)", "4,632"]
    # Param # is right-aligned: every row's count ends in the same column as the header's "Param #".
    end = header.index("Param #") + len("Param #")
    for ln in lines[lines.index(header) + 2 : lines.index(header) + 8]:
        assert len(ln) == end, ln
    # 4,632 + 96 + 216,010 (cross-checked against Keras in test_against_keras.py); float32 = 4 bytes each
    assert " Total params: 220,738 (862.26 KB)" in lines
    assert " Trainable params: 220,690 (862.07 KB)" in lines
    assert " Non-trainable params: 48 (192.00 B)" in lines


def test_summary_json_has_one_entry_per_layer_in_spec_order(run, in_specs):
    result = run("summary", "--format", "json", "seed.spec.yaml")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert list(doc) == ["name", "layers", "total_params", "trainable_params", "non_trainable_params"]
    assert doc["name"] == "strided_stack"
    assert [(entry["name"], entry["type"]) for entry in doc["layers"]] == [
        ("conv2d", "Conv2D"), ("batch_normalization", "BatchNormalization"), ("max_pooling2d", "MaxPooling2D"),
        ("flatten", "Flatten"), ("dropout", "Dropout"), ("head", "Dense"),
    ]
    for entry in doc["layers"]:
        assert list(entry) == ["name", "type", "output_shape", "params", "trainable_params"]
        assert entry["output_shape"][0] is None  # the batch axis
    assert doc["layers"][0]["output_shape"] == [None, 61, 61, 24]
    assert doc["total_params"] == sum(entry["params"] for entry in doc["layers"])
    assert doc["trainable_params"] + doc["non_trainable_params"] == doc["total_params"]


def test_summary_of_a_graph_lists_inputs_and_connections(run, in_specs):
    result = run("summary", "graph.spec.yaml")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "Connected to" in next(ln for ln in lines if "Layer (type)" in ln)
    assert next(ln for ln in lines if ln.startswith(" image (InputLayer)")).split()[-1] == "-"
    assert next(ln for ln in lines if ln.startswith(" merged (Concatenate)")).endswith("pooled, meta_dense")
    # the unused-branch warning is shown after the table
    assert "SB103 warning" in result.stdout.split(" Total params")[1]
    json_doc = json.loads(run("summary", "-f", "json", "graph.spec.yaml").stdout)
    assert [entry["name"] for entry in json_doc["layers"]] == ["conv", "pooled", "meta_dense", "merged", "side", "out"]


def test_summary_of_a_spec_with_errors_shows_diagnostics_and_exits_1(run, in_specs):
    result = run("summary", "broken.spec.yaml")
    assert result.exit_code == 1
    assert "Layer (type)" not in result.stdout
    assert "broken.spec.yaml:7:5: SB200 error" in result.stdout
    as_json = run("summary", "-f", "json", "broken.spec.yaml")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["errors"] == 2


def test_explain_shows_the_seed_conv_arithmetic(run, in_specs):
    result = run("explain", "seed.spec.yaml", "--layer", "conv2d")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "conv2d (Conv2D)" in out
    assert "input:  (None, 128, 128, 3) from input_layer" in out
    assert out.count("floor((128 - 8) / 2) + 1 = 61") == 2  # rows and cols
    assert "each of the 24 filters spans all 3 input channels" in out and "8x8x3" in out
    assert "params = (8*8*3 + 1) * 24 = 4,632" in out
    assert "Keras (8, 8, 3, 24)" in out and "PyTorch (24, 3, 8, 8)" in out
    assert "output: (None, 61, 61, 24)" in out
    # --layer shows that layer only
    assert "flatten" not in out


def test_explain_every_layer_in_spec_order_with_inputs_and_outputs(run, in_specs):
    result = run("explain", "seed.spec.yaml")
    assert result.exit_code == 0
    out = result.stdout
    titles = [ln for ln in out.splitlines() if ln and not ln.startswith(" ") and " (" in ln and ln.endswith(")")]
    assert titles == [
        "conv2d (Conv2D)", "batch_normalization (BatchNormalization)", "max_pooling2d (MaxPooling2D)",
        "flatten (Flatten)", "dropout (Dropout)", "head (Dense)",
    ]
    assert "input_layer (Input): (None, 128, 128, 3) float32" in out
    assert "params: 96 (48 trainable, 48 non-trainable" in out
    assert "params: 0 (this layer has no weights)" in out


def test_explain_unknown_layer_exits_2_with_did_you_mean(run, in_specs):
    result = run("explain", "seed.spec.yaml", "--layer", "conv2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("specbridge: error: no layer named 'conv2' in seed.spec.yaml; did you mean 'conv2d'?")
    assert result.stderr.count("\n") == 1


def test_explain_shows_problems_in_place_and_exits_1(run, in_specs):
    result = run("explain", "broken.spec.yaml")
    assert result.exit_code == 1
    out = result.stdout
    conv_block = out.split("conv2d (Conv2D)")[1]
    assert conv_block.startswith(": not computed, because of this problem:")
    assert "SB200 error" in conv_block.split("dense (Dense)")[0]


def test_explain_json(run, in_specs):
    result = run("explain", "-f", "json", "seed.spec.yaml", "--layer", "head")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    (layer,) = doc["layers"]
    assert layer["name"] == "head" and layer["type"] == "Dense"
    assert layer["inputs"] == [{"name": "dropout", "shape": [None, 21600]}]  # 30 * 30 * 24
    assert layer["output_shape"] == [None, 10] and layer["params"] == 21600 * 10 + 10
    acts, params, kernel = layer["steps"]
    assert params == {
        "topic": "params", "formula": "features * units + units", "values": {"features": 21600, "units": 10},
        "result": 216010, "text": "params = 21600*10 + 10 = 216,010",
    }
    assert acts["result"] == 10 and kernel["topic"] == "kernel shape"


def test_explain_json_steps_carry_the_numbers(run, in_specs):
    doc = json.loads(run("explain", "-f", "json", "seed.spec.yaml", "--layer", "conv2d").stdout)
    rows, cols, channels, params, kernel = doc["layers"][0]["steps"]
    assert rows == {
        "topic": "rows", "formula": "floor((L - k) / s) + 1", "values": {"L": 128, "k": 8, "s": 2}, "result": 61,
        "text": "rows: floor((128 - 8) / 2) + 1 = 61",
    }
    assert cols["topic"] == "cols" and cols["result"] == 61
    assert channels["values"]["window"] == [8, 8, 3]
    assert params["result"] == 4632 and params["text"] == "params = (8*8*3 + 1) * 24 = 4,632"
    assert kernel["values"] == {"keras": [8, 8, 3, 24], "pytorch": [24, 3, 8, 8]}


def test_single_spec_commands_report_missing_files_in_one_line(run, tmp_path):
    for command in ("summary", "explain"):
        result = run(command, str(tmp_path / "nope.spec.yaml"))
        assert result.exit_code == 2
        assert result.stderr == f"specbridge: error: no such file or directory: '{tmp_path / 'nope.spec.yaml'}'\n"
    directory = run("summary", str(tmp_path))
    assert directory.exit_code == 2
    assert "it is a directory" in directory.stderr


def test_explain_of_a_file_that_is_not_a_spec_prints_only_its_diagnostic(run, tmp_path):
    path = tmp_path / "x.spec.yaml"
    path.write_text("name: no version key\n")
    result = run("explain", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:1:1: SB002 error: not a specbridge spec")
    assert "Model" not in result.stdout


def test_explain_of_a_layer_downstream_of_an_error_says_so(run, tmp_path):
    path = tmp_path / "x.spec.yaml"
    path.write_text(
        "specbridge: 1\nname: x\ninput: {shape: [28, 28]}\nlayers:\n"
        "  - {type: Conv2D, filters: 4, kernel_size: 3}\n  - {type: Flatten}\n"
    )
    result = run("explain", str(path), "--layer", "flatten")
    assert result.exit_code == 1
    assert result.stdout == "flatten (Flatten): not computed: a layer it depends on has an error (`specbridge check` lists it)\n"
