"""The exported file (issue 22): codes by hand, every format reloads to the same logits bit for bit,
the file is the cost model's size plus a small header, integer inference, bad files."""
import pytest
import torch
import torch.nn.functional as F

from lpgnas_pl import GNN, Architecture, GraphDataModule, SyntheticGraph
from lpgnas_pl.export import export_network, integer_forward, load_exported
from lpgnas_pl.export.codes import decode, encode, pack, unpack
from lpgnas_pl.export.container import quantised_tensors
from lpgnas_pl.nn.sizes import model_size_bits
from lpgnas_pl.utils.errors import LPGNASError
from tests.configs import GAT, with_quant

WEIGHT_FORMATS = ["float32", "binary", "ternary", "fix1.3", "fix2.6", "fix4.12", "fix8.8", "int2", "int4", "int8",
                  "uint4"]
ACTIVATION_FORMATS = ["fix4.4", "int8", "uint8", "fix2.6", "float32", "int4", "fix8.8", "uint4", "int8", "fix4.12",
                      "int16"]
HEADER_ALLOWANCE = 4096


def test_codes_are_packed_lsb_first_at_their_bits():
    assert pack(torch.tensor([1, 0, 1, 1]), 1) == bytes([0b1101])
    assert pack(torch.tensor([3, 1]), 2) == bytes([0b0111])
    assert pack(torch.tensor([0, 15, 9]), 4) == bytes([0xF0, 0x09])
    assert pack(torch.tensor([300]), 9) == bytes([300 & 0xFF, 1])
    codes = torch.randint(0, 2 ** 13, (101,))
    assert torch.equal(unpack(pack(codes, 13), 13, 101), codes)
    with pytest.raises(ValueError, match="outside"):
        pack(torch.tensor([4]), 2)


def test_each_format_stores_the_codes_worked_out_by_hand():
    fixed, scale = encode("fix2.2", torch.tensor([-2.0, 1.75, 0.25]))
    assert (fixed, scale) == (bytes([0xF0, 0x09]), 0.25)  # codes -8, 7, 1 (+8: 0, 15, 9) at 4 bits
    binary, scale = encode("binary", torch.tensor([0.5, -0.5, 0.5]))
    assert (binary, scale) == (bytes([0b101]), 0.5)
    ternary, scale = encode("ternary", torch.tensor([0.0, -0.3, 0.3]))
    assert (ternary, scale) == (bytes([0b100001]), pytest.approx(0.3))  # codes 0, -1, 1 (+1: 1, 0, 2)
    integer, scale = encode("int4", torch.tensor([-0.8, 0.7, 0.0]), torch.tensor(0.1))
    assert integer == pack(torch.tensor([0, 15, 8]), 4) and scale == pytest.approx(0.1)  # -8, 7, 0 (+8)
    assert torch.equal(decode("fix2.2", fixed, (3,), 0.25), torch.tensor([-2.0, 1.75, 0.25]))


def trained(weight: str, activation: str) -> tuple[GNN, Architecture, object]:
    """A GAT of ``weight`` / ``activation`` options, a few Adam steps into training (learned steps moved)."""
    torch.manual_seed(0)
    data = GraphDataModule(SyntheticGraph(num_nodes=60, num_classes=3, num_features=10), split="random").data
    quant = {"linear.weight": weight, "attention.weight": weight, "linear.input": activation,
             "linear.output": activation, "attention.output": "fix1.7", "aggregate.output": activation}
    architecture = with_quant(GAT, quant, {"linear.weight": weight, "aggregate.output": activation})
    net = GNN(architecture, 10, 3)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(net(data.x, data.edge_index)[data.train_mask], data.y[data.train_mask]).backward()
        optimizer.step()
    return net.eval(), architecture, data


@pytest.mark.parametrize("weight,activation", zip(WEIGHT_FORMATS, ACTIVATION_FORMATS))
def test_the_reloaded_network_gives_the_same_logits_bit_for_bit_from_a_file_of_the_model_size(tmp_path, weight,
                                                                                               activation):
    net, architecture, data = trained(weight, activation)
    size = export_network(net, architecture, 10, 3, tmp_path / "net.lpq")
    loaded = load_exported(tmp_path / "net.lpq")
    stored = loaded.net.state_dict()
    for name, (_, values, _) in quantised_tensors(net).items():  # what the forward pass multiplies with
        assert torch.equal(stored[name], values), name
    with torch.no_grad():
        expected = net(data.x, data.edge_index)
        assert torch.equal(loaded(data.x, data.edge_index), expected)
    model_bytes = model_size_bits(architecture, 10, 3).bits / 8
    assert model_bytes <= size <= model_bytes + HEADER_ALLOWANCE


def test_integer_inference_is_within_one_step_of_the_output_format(tmp_path):
    net, architecture, data = trained("int4", "int8")
    export_network(net, architecture, 10, 3, tmp_path / "net.lpq")
    exported = load_exported(tmp_path / "net.lpq")
    with torch.no_grad():
        expected = exported(data.x, data.edge_index)
    integer = integer_forward(exported, data.x, data.edge_index)
    step = float(exported.net.blocks[1].steps.aggregate_output_int8.exp())  # the last block's output format
    assert (integer - expected).abs().max() <= step + 1e-6
    assert torch.equal(integer.argmax(-1), expected.argmax(-1))


def test_a_file_that_is_not_an_export_or_is_cut_short_is_refused_in_one_line(tmp_path):
    net, architecture, _ = trained("fix2.6", "fix4.4")
    path = tmp_path / "net.lpq"
    export_network(net, architecture, 10, 3, path)
    (tmp_path / "other.lpq").write_bytes(b"not an export")
    with pytest.raises(LPGNASError, match=r"^'.*other.lpq' is not allowed; allowed: a file written by lpgnas export"):
        load_exported(tmp_path / "other.lpq")
    (tmp_path / "cut.lpq").write_bytes(path.read_bytes()[:-5])
    with pytest.raises(LPGNASError, match=r"is cut short \(truncated file\)"):
        load_exported(tmp_path / "cut.lpq")
