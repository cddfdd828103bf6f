"""Weight steps that leave every unsampled slice, and its optimiser state, exactly unchanged (DESIGN 2.4).

A slice that did not run gets a zero gradient, not none, so Adam's moments and weight decay would
still move it. ``keep_unsampled`` steps each shared parameter on its sampled slice alone: for the
step, the optimiser holds a parameter of the slice's shape (with the slice's gradient and state),
whose result is written back into the slice. Nothing outside the slice is read or written (state
created by this step is zero outside it, as if the unsampled entries had never been stepped), and
the step costs what the slice costs, not what the widest candidate does (Cora's first weight is
2048 x 1433: Adam on it, then restoring all but the slice, was most of a weight step).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Sequence

import torch
from torch import Tensor, nn

SharedSlice = tuple[Tensor, Sequence[int], Sequence[int]]  # parameter, its shared view's shape, the sampled prefix


def _state_tensors(state: dict, param: Tensor) -> dict[str, Tensor]:
    return {k: v for k, v in state.items() if torch.is_tensor(v) and v.shape == param.shape}


def _regions(slices: Iterable[SharedSlice]) -> dict[int, tuple[Tensor, tuple[int, ...], list[tuple[int, ...]]]]:
    """Per parameter with a gradient: its shared view's shape and the distinct prefixes that ran."""
    regions: dict[int, tuple[Tensor, tuple[int, ...], list[tuple[int, ...]]]] = {}
    for param, shape, sizes in slices:
        if param.grad is not None:
            prefixes = regions.setdefault(id(param), (param, tuple(shape), []))[2]
            if tuple(sizes) not in prefixes:
                prefixes.append(tuple(sizes))
    return regions


def _ran(shape: tuple[int, ...], prefixes: list[tuple[int, ...]]) -> Tensor:
    """True on every entry of ``shape`` inside one of ``prefixes``."""
    mask = torch.zeros(shape, dtype=torch.bool)
    for sizes in prefixes:
        mask[tuple(slice(size) for size in sizes)] = True
    return mask


@dataclass
class Swap:
    """One parameter stepped on its box: where it sits in the optimiser, the proxy that stands in for
    it, and (several prefixes) which box entries ran, with the box as it was before the step."""

    group: dict
    position: int
    param: Tensor
    shape: tuple[int, ...]
    box: tuple[slice, ...]
    proxy: nn.Parameter
    state: dict
    ran: Optional[Tensor] = None
    before: dict = field(default_factory=dict)

    def restore(self, optimizer: torch.optim.Optimizer) -> None:
        """The proxy's result into the box (only where a prefix ran), its state into the parameter's."""
        stepped = optimizer.state.pop(self.proxy, {})
        values = {"param": self.proxy.detach(), **_state_tensors(stepped, self.proxy)}
        if self.ran is not None:  # box entries that no prefix ran keep what they held
            values = {k: torch.where(self.ran, v, self.before[k]) if k in self.before else
                      torch.where(self.ran, v, torch.zeros_like(v)) for k, v in values.items()}
        self.param.detach().view(self.shape)[self.box] = values.pop("param")
        for key, value in stepped.items():
            if key in values:
                full = self.state.get(key)
                full = torch.zeros_like(self.param) if full is None else full
                full.view(self.shape)[self.box] = values[key]
                stepped[key] = full
        optimizer.state[self.param] = stepped
        self.group["params"][self.position] = self.param


@contextmanager
def keep_unsampled(optimizer: torch.optim.Optimizer, slices: Iterable[SharedSlice]) -> Iterator[None]:
    """Around ``optimizer.step()``: each parameter in ``slices`` is stepped on its sampled prefix only;
    everything outside it (values and optimiser state) ends as it was. A parameter listed with
    several prefixes (the paths of several DDP ranks) is stepped on the box holding them all, and
    the box entries none of them ran are put back."""
    swaps: list[Swap] = []
    regions = _regions(slices)
    for group in optimizer.param_groups:
        for position, param in enumerate(group["params"]):
            if id(param) not in regions:
                continue
            _, shape, prefixes = regions[id(param)]
            sizes = tuple(max(column) for column in zip(*prefixes))
            if sizes == shape:
                continue
            box = tuple(slice(size) for size in sizes)
            proxy = nn.Parameter(param.detach().view(shape)[box].clone())
            proxy.grad = param.grad.view(shape)[box].clone()
            state = optimizer.state.pop(param, {})
            tensors = _state_tensors(state, param)
            optimizer.state[proxy] = {k: tensors[k].view(shape)[box].clone() if k in tensors else v
                                      for k, v in state.items()}
            swap = Swap(group, position, param, shape, box, proxy, state)
            if len(prefixes) > 1:
                swap.ran = _ran(sizes, prefixes).to(param.device)
                swap.before = {"param": proxy.detach().clone(), **{k: v.clone() for k, v in
                                                                  _state_tensors(optimizer.state[proxy], proxy).items()}}
            group["params"][position] = proxy
            swaps.append(swap)
    try:
        yield
    finally:
        with torch.no_grad():
            for swap in swaps:
                swap.restore(optimizer)
