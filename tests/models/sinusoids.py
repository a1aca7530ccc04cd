"""Toy data for the network tests: smooth sinusoids and a noisy copy."""

import torch


def noisy_sinusoids(n, window, channels, seed=0, freq=(0.1, 0.3)):
    """``n`` windows of smooth sinusoids (gt) and the same plus white noise (input)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(window, dtype=torch.float32)[None, :, None]  # (1, W, 1)
    phase = 6.3 * torch.rand(n, 1, channels, generator=g)  # (n, 1, C)
    rate = freq[0] + (freq[1] - freq[0]) * torch.rand(n, 1, channels, generator=g)
    gt = torch.sin(rate * t + phase)  # (n, W, C)
    return gt + 0.2 * torch.randn(gt.shape, generator=g), gt
