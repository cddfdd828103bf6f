"""Weight steps that leave every unsampled slice, and its optimiser state, exactly unchanged (DESIGN 2.4).

A slice that did not run gets a zero gradient, not none, so Adam's moments and weight decay would
still move it. ``keep_unsampled`` saves what a step may change outside the sampled slices of
each shared parameter and puts it back after the step: the parameter and every optimiser state
tensor of its shape (state created by this step is reset to zero outside the slices, as if the
unsampled entries had never been stepped).
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterable, Iterator, Optional, Sequence

import torch
from torch import Tensor

SharedSlice = tuple[Tensor, Sequence[int], Sequence[int]]  # parameter, its shared view's shape, the sampled prefix


@lru_cache(maxsize=256)
def prefix_mask(shape: tuple[int, ...], sizes: tuple[int, ...], device: torch.device = torch.device("cpu")) -> Tensor:
    """True on ``[:sizes[0], :sizes[1], ...]`` of a tensor of ``shape`` (cached: a search samples the
    same few slices again and again; callers must not modify it)."""
    mask = torch.zeros(shape, dtype=torch.bool, device=device)
    mask[tuple(slice(size) for size in sizes)] = True
    return mask


def _state_tensors(optimizer: torch.optim.Optimizer, param: Tensor) -> dict[str, Tensor]:
    state = optimizer.state.get(param, {})
    return {k: v for k, v in state.items() if torch.is_tensor(v) and v.shape == param.shape}


@contextmanager
def keep_unsampled(optimizer: torch.optim.Optimizer, slices: Iterable[SharedSlice]) -> Iterator[None]:
    """Around ``optimizer.step()``: every entry outside the sampled prefixes of each parameter in
    ``slices`` (and its state) ends as it was before. A parameter listed several times (the paths
    of several DDP ranks) keeps what lies outside all of its prefixes."""
    masks: dict[int, tuple[Tensor, Optional[Tensor]]] = {}  # None: the whole parameter ran
    for param, shape, sizes in slices:
        if param.grad is None:
            continue
        mask = None if tuple(sizes) == tuple(shape) else prefix_mask(tuple(shape), tuple(sizes), param.device)
        if id(param) in masks:
            other = masks[id(param)][1]
            mask = None if mask is None or other is None else mask | other.view(mask.shape)
        masks[id(param)] = (param, mask)
    saved = [(param, mask.view(param.shape), param.detach().clone(),
              {k: v.detach().clone() for k, v in _state_tensors(optimizer, param).items()})
             for param, mask in masks.values() if mask is not None]
    yield
    with torch.no_grad():
        for param, mask, value, state in saved:
            param.copy_(torch.where(mask, param, value))
            for key, tensor in _state_tensors(optimizer, param).items():
                tensor.copy_(torch.where(mask, tensor, state[key] if key in state else torch.zeros_like(tensor)))
