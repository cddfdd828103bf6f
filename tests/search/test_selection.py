"""Candidate selection and inherited weights (DESIGN 2.6): the K most probable architectures, the
rules, the budget, test nodes untouched, and a derived network that starts where the search left it."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from lpgnas_pl import Architecture, FixedGNN, LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.nn.masked import masked_cross_entropy
from lpgnas_pl.nn.network import paths_of
from lpgnas_pl.search.selection import Candidate, choose, gather, most_probable, score
from lpgnas_pl.utils.errors import LPGNASError
from tests.search.test_choices import FIXED

SMALL = SearchSpace(num_layers=2, attention=["gcn", "gat"], aggregation=["sum", "max"], heads=[1, 2], hidden=[4, 8],
                    activation=["relu"], weight_options=["fix2.6", "float32"], activation_options=["float32"])


def data(num_nodes: int = 120):
    graph = SyntheticGraph(num_nodes=num_nodes, num_classes=4, num_features=12)[0]
    order = torch.randperm(num_nodes, generator=torch.Generator().manual_seed(0))
    graph.train_mask, graph.val_mask, graph.test_mask = (torch.zeros(num_nodes, dtype=torch.bool) for _ in range(3))
    graph.train_mask[order[:60]], graph.val_mask[order[60:90]], graph.test_mask[order[90:]] = True, True, True
    return graph


def random_logits(model: LPGNASSearch, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for controller in model.controllers:
            for logit in controller.logits.values():
                logit.copy_(torch.randn(logit.shape, generator=generator) * 2)


@pytest.mark.parametrize("seed", range(3))
def test_the_k_most_probable_are_the_top_of_every_choice(seed):
    model = LPGNASSearch(12, 4, space=SMALL)
    random_logits(model, seed)
    decisions = [(c, d) for c in model.controllers for d in c.decisions]
    tables = [c.logits[d.key].detach().log_softmax(-1).tolist() for c, d in decisions]
    every = []
    for indices in itertools.product(*(range(len(d.candidates)) for _, d in decisions)):
        log_p = sum(table[i] for table, i in zip(tables, indices))
        every.append((log_p, dict(zip((d.key for _, d in decisions), indices))))
    every.sort(key=lambda entry: -entry[0])  # 2^14 choices
    top = most_probable(model.controllers, 50)
    assert [choice for choice, _ in top] == [choice for _, choice in every[:50]]
    assert [log_p for _, log_p in top] == pytest.approx([log_p for log_p, _ in every[:50]])
    assert top[0][0] == {k: v for c in model.controllers for k, v in c.argmax().items()}


def test_gather_keeps_each_architecture_once_and_names_its_first_source():
    model = LPGNASSearch(12, 4, space=SMALL)
    random_logits(model, 0)
    argmax = model.argmax()
    found = gather(model.controllers, model.space, 20, 200, torch.Generator().manual_seed(0), [("pareto", argmax)])
    keys = [str(sorted(c.architecture.items())) for c in found]
    assert len(keys) == len(set(keys))
    assert found[0].source == "argmax" and found[0].architecture == argmax.to_dict()
    assert [c.source for c in found[:20]] == ["argmax"] + ["probable"] * 19
    assert {c.source for c in found[20:]} == {"sample"}  # the pareto point was the argmax: not again
    assert all(c.log_prob <= found[0].log_prob for c in found)


def rows(*values):
    return [Candidate("sample", 0.0, {}, acc, loss, kib, 1.0) for acc, loss, kib in values]


def test_the_rules_and_the_budget():
    candidates = rows((0.80, 0.6, 10.0), (0.85, 0.5, 40.0), (0.85, 0.4, 90.0), (0.70, 0.3, 5.0))
    assert choose(candidates, "accuracy") is candidates[2]  # ties on accuracy: lower loss
    assert choose(candidates, "accuracy", max_model_kib=50) is candidates[1]
    assert "within max_model_kib 50, of 3 candidates" in candidates[1].chosen
    assert choose(candidates, "loss") is candidates[3]
    assert choose(candidates, "accuracy", max_model_kib=1) is candidates[3]  # none fits: the smallest
    assert candidates[3].chosen == "none of 4 candidates is within max_model_kib 1: the smallest"
    with pytest.raises(LPGNASError, match="^unknown selection rule 'best'; allowed: accuracy, objective, loss, argmax$"):
        choose(candidates, "best")


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_the_objective_is_the_searchs_own_loss_on_the_whole_val_set(scale):
    graph = data()
    model = LPGNASSearch(12, 4, space=SMALL, beta=0.3, cost_scale=scale).eval()
    random_logits(model, 3)
    found = gather(model.controllers, model.space, 5, 0, torch.Generator())
    score(found, model, graph)
    for candidate, (choice, _) in zip(found, most_probable(model.controllers, 5)):
        one_hot = {d.key: F.one_hot(torch.tensor(choice[d.key]), len(d.candidates)).float()
                   for c in model.controllers for d in c.decisions}
        edges = model.supernet.self_looped(graph.edge_index, graph.num_nodes).size(1)
        cost = float(model.supernet.cost(one_hot, graph.num_nodes, edges, "model", scale))
        assert candidate.objective == pytest.approx(candidate.val_loss + 0.3 * cost, rel=1e-5)
    assert choose(found, "objective") is min(found, key=lambda c: c.objective)


def test_a_nan_score_never_wins_and_argmax_is_the_most_probable():
    candidates = rows((math.nan, math.nan, 1.0), (0.5, 1.0, 2.0), (0.6, math.nan, 3.0))
    assert choose(candidates, "accuracy") is candidates[2]
    assert choose(candidates, "loss") is candidates[1]
    ranked = [Candidate("probable", -3.0, {}), Candidate("argmax", -1.0, {}), Candidate("sample", -2.0, {})]
    assert choose(ranked, "argmax") is ranked[1]


def test_float_epochs_by_default():
    from lpgnas_pl.search.derivation import DerivationOptions, float_epochs_for

    assert float_epochs_for(200) == 50 and float_epochs_for(200, 7) == 7  # from scratch: a quarter
    assert DerivationOptions(200).warmup() == 0  # inherited (the default): no float32 warm-up
    assert DerivationOptions(200, init="scratch").warmup() == 50


def trained_supernet(space: SearchSpace, graph, steps: int = 150, **kwargs) -> LPGNASSearch:
    """Weight steps on uniformly sampled paths, as a search's warm-up."""
    torch.manual_seed(0)
    model = LPGNASSearch(graph.num_features, 4, space=space, dropout=0.0, **kwargs)
    optimizer = torch.optim.Adam(model.supernet.parameters(), lr=0.02)
    for _ in range(steps):
        _, paths = model.supernet.path(model.sample(), None)
        loss = masked_cross_entropy(model.supernet(graph.x, graph.edge_index, paths), graph.y, graph.train_mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_selection_picks_the_better_candidate_the_controllers_rank_last():
    """Four classes through a 1-wide hidden layer cannot be told apart, 16 wide they can: with the
    controllers set to prefer width 1, the argmax is the worse network and the selection is not."""
    graph = data()
    model = trained_supernet(SearchSpace(**{**FIXED, "hidden": [1, 16]}), graph)
    with torch.no_grad():
        model.architecture_controller.logits["layer0_hidden"].copy_(torch.tensor([3.0, 0.0]))
    found = gather(model.controllers, model.space, 4, 0, torch.Generator())
    score(found, model, graph)
    chosen = choose(found, "accuracy")
    by_width = {c.architecture["layers"][0]["hidden"]: c for c in found}
    assert found[0].architecture["layers"][0]["hidden"] == 1  # the argmax
    assert chosen is by_width[16] and by_width[16].val_acc >= by_width[1].val_acc + 0.3


@pytest.mark.parametrize("cost_target, max_model_kib, width", [("model", None, 1), ("model", 1e6, 16),
                                                                ("buffer", None, 16)])
def test_a_search_with_a_model_budget_selects_within_it(cost_target, max_model_kib, width):
    """The 16-wide network is the more accurate one; the search's cost_budget_kib, set between the two
    sizes, keeps the selection to the 1-wide one unless max_model_kib says otherwise (or the
    budget is on the buffer, which max_model_kib does not bound)."""
    from lpgnas_pl.search.derivation import DerivationOptions, select

    graph = data()
    found = score_widths(trained_supernet(SearchSpace(**{**FIXED, "hidden": [1, 16]}), graph), graph)
    budget = (found[1].model_kib + found[16].model_kib) / 2
    model = trained_supernet(SearchSpace(**{**FIXED, "hidden": [1, 16]}), graph, cost_budget_kib=budget,
                             cost_target=cost_target)
    options = DerivationOptions(selection="accuracy", candidates=4, samples=0, max_model_kib=max_model_kib)
    chosen, _ = select(model, graph, options, seed=0)
    assert chosen.architecture["layers"][0]["hidden"] == width


def score_widths(model: LPGNASSearch, graph) -> dict[int, Candidate]:
    found = gather(model.controllers, model.space, 4, 0, torch.Generator())
    score(found, model, graph)
    return {c.architecture["layers"][0]["hidden"]: c for c in found}


def test_scores_are_the_fixed_networks_and_test_labels_change_nothing():
    graph = data()
    model = trained_supernet(SMALL, graph, steps=30)
    random_logits(model, 1)
    found = gather(model.controllers, model.space, 8, 8, torch.Generator().manual_seed(0))
    score(found, model, graph)
    for candidate in found[:3]:  # the inherited fixed network scores the same
        architecture = Architecture.from_dict(candidate.architecture)
        fixed = FixedGNN(architecture, 12, 4).eval()
        fixed.net.load_state_dict(model.supernet.inherited(architecture))
        with torch.no_grad():
            logits = fixed(graph.x, graph.edge_index)[graph.val_mask]
        y = graph.y[graph.val_mask]
        assert candidate.val_acc == pytest.approx(float((logits.argmax(-1) == y).float().mean()))
        assert candidate.val_loss == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-5)
    shuffled = graph.clone()
    shuffled.y = graph.y.clone()
    shuffled.y[graph.test_mask] = (graph.y[graph.test_mask] + 1) % 4
    del shuffled.test_mask  # not even the mask is read
    again = gather(model.controllers, model.space, 8, 8, torch.Generator().manual_seed(0))
    model.train()
    score(again, model, shuffled)
    assert model.supernet.training  # scored in eval mode (the same scores), then left as it was
    assert [(c.val_acc, c.val_loss) for c in again] == [(c.val_acc, c.val_loss) for c in found]
    assert all(not math.isnan(c.model_kib) for c in found)


def test_an_inherited_network_starts_with_the_supernets_logits(tmp_path):
    graph = data()
    model = trained_supernet(SMALL, graph, steps=30).eval()
    random_logits(model, 2)
    architecture = model.argmax()
    path = tmp_path / "inherited.pt"
    torch.save(model.supernet.inherited(architecture), path)
    fixed = FixedGNN(architecture, 12, 4, init="search", init_weights=str(path)).eval()
    with torch.no_grad():
        expected = model.supernet(graph.x, graph.edge_index, paths_of(architecture, 4))
        assert torch.equal(fixed(graph.x, graph.edge_index), expected)
    other = model.space.architecture({**{k: v for c in model.controllers for k, v in c.argmax().items()},
                                      "layer0_hidden": 1 - model.architecture_controller.argmax()["layer0_hidden"]})
    with pytest.raises(LPGNASError, match=r"^init_weights: '.*inherited.pt' does not hold this architecture's weights "
                                          r"\(blocks.0.weight is \(\d+, 12\), the network's \(\d+, 12\)\)"):
        FixedGNN(other, 12, 4, init="search", init_weights=str(path))
