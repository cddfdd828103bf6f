"""Architecture: dict/YAML round trip and validation errors that name field, value and allowed values."""
import pytest

from lpgnas_pl import Architecture, ArchitectureError, LayerChoice

GAT = {"layers": [
    {"attention": "gat", "aggregation": "sum", "heads": 8, "hidden": 8, "activation": "elu"},
    {"attention": "gat", "aggregation": "sum", "heads": 1},
]}


def test_dict_and_yaml_round_trip(tmp_path):
    arch = Architecture.from_dict(GAT)
    assert arch.layers[0] == LayerChoice("gat", "sum", 8, 8, "elu")
    assert arch.to_dict() == GAT
    assert Architecture.from_yaml(arch.to_yaml()) == arch
    path = tmp_path / "arch.yaml"
    path.write_text(arch.to_yaml())
    assert Architecture.load(path) == arch
    all_components = ("linear.weight", "linear.input", "linear.output", "attention.weight", "attention.output",
                      "aggregate.output")
    quantised = Architecture(layers=GAT["layers"], quant={c: "fix4.12" for c in all_components})
    assert len(quantised.to_yaml()) > 255  # longer than a file name may be: never taken for a path
    assert Architecture.from_yaml(quantised.to_yaml()) == quantised


@pytest.mark.parametrize("layer, message", [
    ({"attention": "transformer"}, "layers[0].attention: 'transformer' is not allowed; allowed: const, gcn, gat"),
    ({"aggregation": "median"}, "layers[0].aggregation: 'median' is not allowed; allowed: sum, mean, max"),
    ({"activation": "gelu"}, "layers[0].activation: 'gelu' is not allowed; allowed: identity, sigmoid, tanh"),
    ({"heads": 0}, "layers[0].heads: 0 is not allowed; allowed: a positive integer"),
    ({"hidden": -4}, "layers[0].hidden: -4 is not allowed; allowed: a positive integer"),
    ({"hidden": None}, "layers[0].hidden: None is not allowed; allowed: a positive integer"),
    ({"width": 3}, "layers[0].width: unknown field; allowed: attention, aggregation, heads, hidden, activation"),
])
def test_hidden_layer_errors(layer, message):
    layers = [{**GAT["layers"][0], **layer}, GAT["layers"][1]]
    with pytest.raises(ArchitectureError) as err:
        Architecture(layers=layers)
    assert str(err.value).startswith(message)


def test_last_layer_takes_no_hidden_or_activation():
    with pytest.raises(ArchitectureError, match=r"layers\[1\]\.hidden: 16 is not allowed on the last layer"):
        Architecture(layers=[GAT["layers"][0], {**GAT["layers"][1], "hidden": 16}])
    with pytest.raises(ArchitectureError, match=r"layers\[0\]\.activation: 'relu' is not allowed on the last layer"):
        Architecture(layers=[{"attention": "gcn", "activation": "relu"}])


def test_empty_and_malformed():
    with pytest.raises(ArchitectureError, match=r"layers: \[\] is not allowed; allowed: at least one layer"):
        Architecture(layers=[])
    with pytest.raises(ArchitectureError, match="allowed: a mapping with 'layers' and optionally 'quant'"):
        Architecture.from_dict({"layer": []})
