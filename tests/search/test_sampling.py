"""Weight-step path sampling: the fair walk trains every candidate equally often; uniform ignores the controllers."""
from collections import Counter

import pytest
import pytorch_lightning as pl
import torch

from lpgnas_pl.search.sampling import PATH_SAMPLERS, fair_choice
from tests.configs import tiny_search


@pytest.mark.parametrize("num_candidates", [2, 3, 7])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_fair_walk_gives_every_candidate_once_per_cycle(num_candidates, seed):
    cycles = [[fair_choice(seed, 4, num_candidates, cycle * num_candidates + p) for p in range(num_candidates)]
              for cycle in range(6)]
    for walk in cycles:
        assert sorted(walk) == list(range(num_candidates))
    assert len({tuple(walk) for walk in cycles}) > 1  # a new permutation per cycle, not one fixed order
    assert fair_choice(seed, 4, num_candidates, 5) == fair_choice(seed, 4, num_candidates, 5)  # stateless: resumable
    other = [fair_choice(seed, 5, 7, step) for step in range(7)]  # decisions walk independently
    assert other != [fair_choice(seed, 4, 7, step) for step in range(7)]


def warmup_counts(tmp_path, sampling: str) -> dict[str, Counter]:
    """Candidate counts per decision over an all-warm-up search: 12 epochs x 2 weight steps."""
    pl.seed_everything(0)
    dm, model = tiny_search(warmup_epochs=12, warmup_sampling=sampling, weight_steps=2)
    counts: dict[str, Counter] = {}
    path = model.supernet.path

    def recording(samples, gradient="gated", reach=None):
        for key, one_hot in samples.items():
            counts.setdefault(key, Counter())[int(one_hot.argmax())] += 1
        return path(samples, gradient, reach)

    model.supernet.path = recording
    pl.Trainer(max_epochs=12, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, default_root_dir=tmp_path).fit(model, dm)
    sizes = {d.key: len(d.candidates) for c in model.controllers for d in c.decisions}
    return {key: [counts[key][i] for i in range(sizes[key])] for key in sizes}


def test_the_fair_warmup_trains_candidates_equally_often_and_uniform_does_not(tmp_path):
    fair, uniform = warmup_counts(tmp_path, "fair"), warmup_counts(tmp_path, "uniform")
    assert all(sum(c) == 24 for c in fair.values()) and all(sum(c) == 24 for c in uniform.values())
    for key, counts in fair.items():
        assert max(counts) - min(counts) <= 1, (key, counts)  # 24 steps: n-way walks, whole cycles or one short
        if 24 % len(counts) == 0:
            assert len(set(counts)) == 1, (key, counts)
    assert max(max(c) - min(c) for c in uniform.values()) >= 3  # chance alone leaves some candidate behind


def test_uniform_sampling_ignores_the_controllers_and_draws_what_they_draw_at_zero_logits():
    _, model = tiny_search()
    model.setup("fit")
    state = model.generator.get_state()
    at_zero = PATH_SAMPLERS.get("controller")(model, 0)
    model.generator.set_state(state)
    assert {k: v.argmax().item() for k, v in PATH_SAMPLERS.get("uniform")(model, 0).items()} == \
        {k: v.argmax().item() for k, v in at_zero.items()}  # the warm-up's stream is unchanged
    decision = model.architecture_controller.decisions[0]
    with torch.no_grad():
        model.architecture_controller.logits[decision.key].copy_(torch.tensor([12.0] + [0.0] * (len(decision.candidates) - 1)))
    draws = {name: Counter(int(PATH_SAMPLERS.get(name)(model, step)[decision.key].argmax()) for step in range(400))
             for name in ("controller", "uniform")}
    assert draws["controller"][0] >= 399  # p(0) = 1 - (n - 1) e^-12
    n = len(decision.candidates)
    assert all(400 / n - 45 <= draws["uniform"][i] <= 400 / n + 45 for i in range(n)), draws["uniform"]


def test_weight_steps_after_the_warmup_follow_weight_sampling(tmp_path):
    """With peaked controllers, ``controller`` weight steps train their favourite; ``uniform`` ones every candidate."""
    counts = {}
    for sampling in ("controller", "uniform"):
        pl.seed_everything(0)
        dm, model = tiny_search(warmup_epochs=0, weight_sampling=sampling, weight_steps=2)
        decision = model.architecture_controller.decisions[0]
        with torch.no_grad():
            model.architecture_controller.logits[decision.key][0] = 30.0  # 10 Adam steps of 0.01 leave it peaked
        seen, path = Counter(), model.supernet.path

        def recording(samples, gradient="gated", reach=None, seen=seen, key=decision.key):
            seen[int(samples[key].argmax())] += 1
            return path(samples, gradient, reach)

        model.supernet.path = recording
        pl.Trainer(max_epochs=10, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=tmp_path).fit(model, dm)
        counts[sampling] = seen
    assert set(counts["controller"]) == {0}  # weight steps, controller samples and validation argmax alike
    assert len(counts["uniform"]) == len(decision.candidates) and counts["uniform"][0] < sum(counts["uniform"].values())
