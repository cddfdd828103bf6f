"""The identity cache behind the self-loops, sparse inputs and graph patterns."""
import torch

from lpgnas_pl.utils.tensor_cache import TensorCache


def test_cache_keeps_the_tensors_used_last_and_sees_in_place_edits():
    cache, calls = TensorCache(size=2), []

    def get(tensor, key=None):
        return cache.get(tensor, key, lambda: calls.append(tensor) or len(calls))

    a, b, c = torch.zeros(2), torch.zeros(2), torch.zeros(2)
    assert [get(a), get(b), get(a)] == [1, 2, 1]  # an equal tensor is another tensor
    assert get(c) == 3 and get(a) == 1  # a was used after b: b went, a stayed
    assert get(b) == 4
    assert get(a, key=5) == 5  # another key, another result
    a.add_(1)
    assert get(a, key=5) == 6  # edited in place: computed again
