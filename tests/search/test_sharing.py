"""Aligned weight sharing, per-slice initialisation, and weight steps that leave unsampled slices alone."""
import pytest
import torch
import torch.nn.functional as F

from lpgnas_pl import LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.nn.network import GNN
from lpgnas_pl.quant import get_quantizer
from lpgnas_pl.search.supernet import Supernet, smallest_candidate
from lpgnas_pl.search.unsampled import keep_unsampled

THREE_LAYERS = SearchSpace(num_layers=3, heads=[1, 2, 4], hidden=[4, 8, 16], attention=["gat", "cos", "gene-linear"],
                           aggregation=["sum", "max"], activation=["elu", "sigmoid"],
                           weight_options=["binary", "ternary", "fix2.6", "float32"],
                           activation_options=["fix4.4", "float32"])

LEARNED = SearchSpace(num_layers=3, heads=[1, 2, 4], hidden=[4, 8, 16], attention=["gat", "cos", "linear"],
                      aggregation=["sum", "mean"], activation=["relu", "elu"],
                      weight_options=["int2", "int4", "binary", "float32"],
                      activation_options=["uint4", "int8", "fix4.4"])


def graph():
    return SyntheticGraph(num_nodes=50, num_classes=3, num_features=12)[0]


@pytest.mark.parametrize("seed", range(6))
def test_a_paths_slices_in_the_fixed_network_give_the_same_logits(seed):
    torch.manual_seed(seed)
    data = graph()
    supernet = Supernet(THREE_LAYERS, 12, 3).eval()
    controller = LPGNASSearch(12, 3, space=THREE_LAYERS)
    architecture, paths = supernet.path(controller.sample(), None)
    fixed = GNN(architecture, supernet.num_features, supernet.num_classes).eval()
    fixed.load_state_dict(supernet.inherited(architecture))  # the slices of the path, as a derivation inherits
    with torch.no_grad():
        assert torch.equal(fixed(data.x, data.edge_index), supernet(data.x, data.edge_index, paths))


@pytest.mark.parametrize("seed", range(4))
def test_learned_step_sizes_are_inherited_with_the_slices(seed):
    """The supernet's steps of the path's options, trained away from their initial values, are what
    the fixed network starts from: same logits, and the fixed network does not initialise them again."""
    torch.manual_seed(seed)
    data = graph()
    supernet = Supernet(LEARNED, 12, 3).eval()
    architecture, paths = supernet.path(LPGNASSearch(12, 3, space=LEARNED).sample(), None)
    with torch.no_grad():
        supernet(data.x, data.edge_index, paths)  # sets every step of the path from its first tensor
        for block in supernet.blocks:
            for log_step in block.steps.parameters():
                log_step.add_(0.4)  # as if trained
        expected = supernet(data.x, data.edge_index, paths)
    state = supernet.inherited(architecture)
    learned = [name for name in state if ".steps." in name]
    assert learned and all(torch.isfinite(state[name]) for name in learned)
    fixed = GNN(architecture, supernet.num_features, supernet.num_classes).eval()
    fixed.load_state_dict(state)
    with torch.no_grad():
        assert torch.equal(fixed(data.x, data.edge_index), expected)


@pytest.mark.parametrize("space", [THREE_LAYERS, LEARNED], ids=["formats", "learned"])
@pytest.mark.parametrize("seed", range(4))
def test_the_mixture_has_the_sampled_paths_value_and_reaches_every_candidate(seed, space):
    torch.manual_seed(seed)
    data = graph()
    model = LPGNASSearch(12, 3, space=space).eval()
    samples = model.sample()
    _, single = model.supernet.path(samples, None)
    _, mixed = model.supernet.path(samples, "mixture")
    with torch.no_grad():
        expected = model.supernet(data.x, data.edge_index, single)
    logits = model.supernet(data.x, data.edge_index, mixed)
    # equal in exact arithmetic; the mixture's wider products sum in another order, which can move a
    # value across a later quantiser's rounding boundary (1 logit of 150, seed 3, on an AMD EPYC)
    assert torch.isclose(logits, expected, atol=1e-5).float().mean() >= 0.99
    F.cross_entropy(logits, data.y).backward()
    for controller in model.controllers:
        for key, logit in controller.logits.items():
            assert logit.grad is not None and bool((logit.grad != 0).all()), key  # every candidate has a say


def test_the_gated_estimator_gives_a_sampled_float32_option_no_accuracy_gradient():
    """The old estimator, for the record: a float32 option has no rounding error to gate, so its
    sample gets no gradient from the loss at all (the mixture's does: the test above)."""
    data = graph()
    model = LPGNASSearch(12, 3, space=THREE_LAYERS).eval()
    samples = model.sample()
    samples["layer0_linear_output"] = torch.tensor([0.0, 1.0], requires_grad=True)  # float32 sampled
    _, gated = model.supernet.path(samples, "gated")
    F.cross_entropy(model.supernet(data.x, data.edge_index, gated), data.y).backward()
    assert samples["layer0_linear_output"].grad is None


def test_smallest_candidate_of_every_channel():
    assert smallest_candidate(8, [2, 4, 8]).tolist() == [2, 2, 4, 4, 8, 8, 8, 8]
    assert smallest_candidate(5, [1]).tolist() == [1, 5, 5, 5, 5]


def test_each_slice_starts_at_the_glorot_scale_of_its_own_network_and_no_option_is_all_zero():
    torch.manual_seed(0)
    space = SearchSpace(heads=[1, 2, 4, 8], hidden=[4, 8, 16, 32, 64, 128, 256])
    supernet = Supernet(space, 1433, 7)  # Cora's shapes
    weight = supernet.blocks[0].shared_weight()
    smallest = weight[:1, :4].reshape(4, 1433)  # the 1 x 4 candidate: fan 4 + 1433
    assert smallest.abs().max() <= (6 / (4 + 1433)) ** 0.5
    assert smallest.abs().max() > 0.95 * (6 / (4 + 1433)) ** 0.5
    widest_only = weight[4:, 128:]  # held only by the 8 x 256 candidate
    assert widest_only.abs().max() <= (6 / (2048 + 1433)) ** 0.5
    second = supernet.blocks[1].shared_weight()  # 7 classes x input (8 x 256)
    assert 0.8 * (6 / (7 + 4)) ** 0.5 < second[:1, :, :1, :4].abs().max() <= (6 / (7 + 4)) ** 0.5  # 28 draws
    for heads in space.heads:
        for hidden in space.hidden:
            for option in ("fix1.3", "fix2.2"):
                assert get_quantizer(option)(second[:heads, :, :heads, :hidden]).abs().sum() > 0, (heads, hidden)
            assert get_quantizer("fix1.3")(weight[:heads, :hidden]).abs().sum() > 0, (heads, hidden)
    # fix2.2 rounds every first-block weight to 0 at any Glorot scale of fan-in 1433 (bound <= 0.065,
    # half a step 0.125), in the supernet as in the derived network: learned-scale formats are the fix
    assert get_quantizer("fix2.2")(weight[:1, :4]).abs().sum() == 0


def test_a_weight_step_leaves_unsampled_slices_and_their_adam_moments_exactly_unchanged():
    torch.manual_seed(0)
    data = graph()
    model = LPGNASSearch(12, 3, space=THREE_LAYERS)
    supernet = model.supernet
    optimizer = torch.optim.Adam(supernet.parameters(), lr=0.01, weight_decay=5e-4)
    samples = model.sample()
    for key, index in (("layer0_heads", 0), ("layer0_hidden", 1), ("layer1_heads", 1), ("layer1_hidden", 0),
                       ("layer2_heads", 2), ("layer0_attention", 0)):
        samples[key] = F.one_hot(torch.tensor(index), len(samples[key])).float()
    block1 = supernet.blocks[1]
    for step in range(2):  # the second step has Adam state to keep
        architecture, paths = supernet.path(samples, None)
        before = {name: p.detach().clone() for name, p in supernet.named_parameters()}
        moments = {id(p): {k: v.clone() for k, v in optimizer.state[p].items()} for p in supernet.parameters()
                   if p in optimizer.state}
        optimizer.zero_grad()
        F.cross_entropy(supernet(data.x, data.edge_index, paths), data.y).backward()
        with keep_unsampled(optimizer, supernet.sampled_slices(paths)):
            optimizer.step()
        weight = block1.shared_weight()  # 4 x 16 x 4 x 16; the path ran [:2, :4, :1, :8]
        old = before["blocks.1.weight"].view(weight.shape)
        assert not torch.equal(weight[:2, :4, :1, :8], old[:2, :4, :1, :8])
        outside = torch.ones_like(weight, dtype=torch.bool)
        outside[:2, :4, :1, :8] = False
        assert torch.equal(weight[outside], old[outside])
        state = optimizer.state[block1.weight]
        for name in ("exp_avg", "exp_avg_sq"):
            expected = moments[id(block1.weight)][name] if step else torch.zeros_like(state[name])
            assert torch.equal(state[name].view(weight.shape)[outside], expected.view(weight.shape)[outside])
            assert state[name].view(weight.shape)[:2, :4, :1, :8].abs().sum() > 0
        assert torch.equal(supernet.blocks[0].attentions["cos"].att_l, before["blocks.0.attentions.cos.att_l"])
        samples["layer0_hidden"] = F.one_hot(torch.tensor(1), 3).float()


@pytest.mark.parametrize("reach", [0, 1])
def test_a_mixture_within_reach_has_the_same_value_and_reaches_every_candidate(reach):
    torch.manual_seed(reach)
    data = graph()
    model = LPGNASSearch(12, 3, space=THREE_LAYERS).eval()
    samples = model.sample()
    samples["layer0_hidden"] = F.one_hot(torch.tensor(0), 3).float().requires_grad_()  # 4 of [4, 8, 16]
    _, single = model.supernet.path(samples, None)
    _, mixed = model.supernet.path(samples, "mixture", reach)
    assert mixed[0].reach[1] == [4, 8][reach] and mixed[0].reach[2:] == (1, 12)
    with torch.no_grad():
        expected = model.supernet(data.x, data.edge_index, single)
    logits = model.supernet(data.x, data.edge_index, mixed)
    assert torch.allclose(logits, expected, atol=1e-5)
    F.cross_entropy(logits, data.y).backward()
    grad = samples["layer0_hidden"].grad
    assert grad[0] != grad[1] if reach else grad[0] == grad[1]  # 8 is beyond a reach of 0
    assert grad[2] == grad[1]  # 16 is beyond the reach: it shares the widest run's mask


def test_a_step_on_several_prefixes_moves_what_one_of_them_ran_as_a_full_step_would_and_nothing_else():
    """Two ranks' prefixes [:2, :4] and [:4, :2] of an 8 x 8 weight (stepped on their 4 x 4 box): the
    entries either ran get exactly the full Adam step's values and moments (weight decay and momentum
    included); every other entry, [2:4, 2:4] of the box among them, keeps its value and moments."""
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(8, 8))
    reference = torch.nn.Parameter(weight.detach().clone())
    optimizers = [torch.optim.Adam([p], lr=0.1, weight_decay=0.01) for p in (weight, reference)]
    ran = torch.zeros(8, 8, dtype=torch.bool)
    ran[:2, :4] = ran[:4, :2] = True
    for step in range(3):
        grad = torch.randn(8, 8) * ran
        before = weight.detach().clone()
        moments = {k: v.clone() for k, v in optimizers[0].state[weight].items()} if step else None
        weight.grad, reference.grad = grad.clone(), grad.clone()
        with keep_unsampled(optimizers[0], [(weight, (8, 8), (2, 4)), (weight, (8, 8), (4, 2))]):
            optimizers[0].step()
        optimizers[1].step()
        assert optimizers[0].param_groups[0]["params"][0] is weight
        assert torch.equal(weight[ran], reference[ran]) and not torch.equal(weight[ran], before[ran])
        assert torch.equal(weight[~ran], before[~ran])
        for name in ("exp_avg", "exp_avg_sq"):
            state = optimizers[0].state[weight][name]
            assert state.shape == (8, 8) and torch.equal(state[ran], optimizers[1].state[reference][name][ran])
            assert torch.equal(state[~ran], moments[name][~ran] if step else torch.zeros(int((~ran).sum())))
        with torch.no_grad():
            reference.copy_(weight)  # the full step moved the entries that did not run; start level again
        for name in ("exp_avg", "exp_avg_sq"):
            optimizers[1].state[reference][name].copy_(optimizers[0].state[weight][name])
