"""Int16Dropout: the cheaper LoRA dropout must still be dropout (rate, scaling, gradient, eval)."""

import torch
from torch import nn

from tuneops.lora_dropout import Int16Dropout, use_int16_dropout


def test_drop_rate_and_scaling_match_the_configured_probability():
    torch.manual_seed(0)
    layer = Int16Dropout(0.05).train()
    x = torch.ones(1_000_003)  # odd size: the two-per-draw split must cover every element
    y = layer(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.05) < 0.002  # 1M Bernoulli(0.05) draws: sd 0.0002
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - layer.p)))
    assert abs(y.mean().item() - 1.0) < 0.005  # unbiased
    assert abs(layer.p - 0.05) < 1 / 32768


def test_gradient_is_the_mask_and_eval_mode_is_identity():
    layer = Int16Dropout(0.3).train()
    x = torch.randn(64, 33, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / (1 - layer.p)))
    assert (x.grad[~kept] == 0).all() and 0.2 < (~kept).float().mean() < 0.4
    assert layer.eval()(x) is x and Int16Dropout(0.0).train()(x) is x


def test_masks_differ_between_calls_and_follow_the_seed():
    layer = Int16Dropout(0.5).train()
    x = torch.ones(4096)
    torch.manual_seed(1)
    first, second = layer(x), layer(x)
    torch.manual_seed(1)
    assert not torch.equal(first, second) and torch.equal(layer(x), first)


def test_replaces_every_lora_dropout_in_a_peft_model():
    from peft import LoraConfig, get_peft_model

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj, self.v_proj = nn.Linear(8, 8), nn.Linear(8, 8)

        def forward(self, x):
            return self.v_proj(self.q_proj(x))

    model = get_peft_model(Tiny(), LoraConfig(r=2, lora_dropout=0.1, target_modules=["q_proj", "v_proj"]))
    assert use_int16_dropout(model) == 2
    layers = [m for m in model.modules() if isinstance(m, Int16Dropout)]
    assert len(layers) == 2 and all(abs(layer.p - 0.1) < 1e-4 for layer in layers)
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())
