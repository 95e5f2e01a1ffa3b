"""A cheaper dropout for LoRA inputs on CPU.

peft applies ``nn.Dropout`` to the input of every LoRA module: with LoRA on all seven projections
of SmolLM2-135M that is 210 dropout masks per step, and on CPU ``bernoulli_`` draws one random
number per element from the Mersenne Twister. It took 19% of a training step's CPU time in the
profile (docs/benchmarks.md). ``Int16Dropout`` instead splits each 31-bit random integer into
two 15-bit uniforms: half the draws and no floating-point conversion. Its saved mask is a bool
tensor where ``nn.Dropout`` saves a float32 one.

The drop probability is rounded to a multiple of 1/32768 (0.05 becomes 0.04999), and kept
values are scaled by ``1 / (1 - p)`` for that rounded ``p``, so the layer stays unbiased.
"""

from __future__ import annotations

import torch
from torch import nn

_LEVELS = 32768  # 15-bit uniforms


class Int16Dropout(nn.Module):
    """Inverted dropout with masks from 15-bit uniform integers (see the module docstring).

    Args:
        p: Drop probability, rounded to a multiple of 1/32768.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.drop_levels = round(p * _LEVELS)
        self.p = self.drop_levels / _LEVELS
        self.scale = 1.0 / (1.0 - self.p) if self.p < 1 else 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_levels == 0:
            return x
        count = x.numel()
        # random_() fills int32 with 31 random bits: the low int16 half has 16, the high half 15
        # (its sign bit is 0), so masking both to 15 bits gives two uniforms in [0, 32768) per draw.
        draws = torch.empty((count + 1) // 2, dtype=torch.int32, device=x.device).random_()
        uniforms = draws.view(torch.int16)[:count].view(x.shape) & 0x7FFF
        keep = uniforms >= self.drop_levels
        return (x * keep).mul_(self.scale)  # in place: one float temporary fewer per LoRA module

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_int16_dropout(model: nn.Module) -> int:
    """Replace the ``nn.Dropout`` of every peft LoRA module with ``Int16Dropout``; return how many."""
    replaced = 0
    for module in model.modules():
        dropouts = getattr(module, "lora_dropout", None)
        if isinstance(dropouts, nn.ModuleDict):
            for name, layer in list(dropouts.items()):
                if isinstance(layer, nn.Dropout):
                    dropouts[name] = Int16Dropout(layer.p)
                    replaced += 1
    return replaced
