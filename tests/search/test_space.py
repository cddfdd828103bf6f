"""The search space: validation of its lists and the architecture of a choice."""
import pytest

from lpgnas_pl import SearchSpace
from lpgnas_pl.search.space import SearchSpaceError
from tests.configs import SMALL


@pytest.mark.parametrize("kwargs, message", [
    ({"num_layers": 0}, "num_layers: 0 is not allowed; allowed: an integer >= 1"),
    ({"attention": []}, "attention: [] is not allowed; allowed: a non-empty list of const, gcn"),
    ({"attention": ["gcn", "transformer"]}, "attention: 'transformer' is not allowed; allowed: const, gcn"),
    ({"heads": [1, 0]}, "heads: 0 is not allowed; allowed: positive integers"),
    ({"hidden": [16, 16]}, "hidden: [16, 16] repeats a candidate; allowed: distinct values"),
    ({"weight_options": ["fix4.4", "int1"]}, "weight_options: 'int1' is not allowed; allowed: float32, binary"),
    ({"aggregation": ["sum", "median"]}, "aggregation: 'median' is not allowed; allowed: sum, mean, max"),
])
def test_search_space_errors(kwargs, message):
    with pytest.raises(SearchSpaceError) as err:
        SearchSpace(**kwargs)
    assert str(err.value).startswith(message)


def test_space_decisions_and_architecture():
    space = SearchSpace(num_layers=3, **SMALL)
    keys = [d.key for d in space.architecture_decisions()]
    assert keys[:5] == ["layer0_attention", "layer0_aggregation", "layer0_heads", "layer0_hidden", "layer0_activation"]
    assert keys[-3:] == ["layer2_attention", "layer2_aggregation", "layer2_heads"]  # last layer: no hidden
    assert len(space.quantisation_decisions()) == 3 * 6
    choice = {d.key: len(d.candidates) - 1 for d in space.architecture_decisions() + space.quantisation_decisions()}
    arch = space.architecture(choice)
    assert arch.layers[0].attention == "const" and arch.layers[0].hidden == 8 and arch.layers[0].activation == "elu"
    assert arch.layers[2].quant["linear.weight"] == "float32" and arch.layers[2].hidden is None
