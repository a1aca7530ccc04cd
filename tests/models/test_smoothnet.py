"""SmoothNet obeys the synsp network contract, has the published sizes, and learns."""

import pytest
import torch

from synsp.models.smoothnet import PRESETS, SmoothNet, SmoothNetConfig, smoothnet_loss
from synsp.validation import SynspInputError

from sinusoids import noisy_sinusoids


def tiny(window=16, dropout=0.0):
    return SmoothNet(SmoothNetConfig(window=window, hidden=32, res_hidden=8, num_blocks=2, dropout=dropout))




@pytest.mark.parametrize("window", [8, 16, 32])
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("channels", [2, 51, 99])
def test_output_shape_equals_input_shape_for_any_channel_count(window, batch, channels):
    model = SmoothNet(SmoothNetConfig(window=window))
    x = torch.randn(batch, window, channels)
    assert model(x).shape == (batch, window, channels)
    assert model(x, mask=torch.ones(batch, window, 1)).shape == x.shape  # mask accepted, ignored


def test_channels_are_refined_independently_with_shared_weights():
    model = tiny().eval()
    x = torch.randn(3, 16, 6)
    y = model(x)
    torch.testing.assert_close(model(x[:, :, 2:3]), y[:, :, 2:3])
    torch.testing.assert_close(model(x[:, :, [5, 0]]), y[:, :, [5, 0]])


@pytest.mark.parametrize(
    "preset, count, millions",
    [("h36m", 691_872, 0.69), ("aist", 691_872, 0.69), ("pw3d", 50_224, 0.05), ("mmpose", 822_048, 0.82)],
)
def test_parameter_counts_equal_the_published_ones_at_window_32(preset, count, millions):
    model = SmoothNet(SmoothNetConfig.preset(preset, window=32))
    n = sum(p.numel() for p in model.parameters())
    assert n == count
    assert round(n / 1e6, 2) == millions


def test_default_config_is_mmposes():
    cfg = SmoothNetConfig()
    assert (cfg.window, cfg.hidden, cfg.res_hidden, cfg.num_blocks, cfg.dropout) == (32, 512, 256, 3, 0.5)
    assert SmoothNetConfig.preset("mmpose") == cfg
    assert PRESETS["pw3d"]["res_hidden"] == 16


def test_every_parameter_gets_a_gradient():
    model = SmoothNet(SmoothNetConfig(window=16, num_blocks=2)).train()
    x, gt = noisy_sinusoids(4, 16, 6)
    smoothnet_loss(model(x), gt)[0].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_a_tiny_model_overfits_a_tiny_set():
    torch.manual_seed(0)
    model = tiny().train()
    x, gt = noisy_sinusoids(16, 16, 3)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss, _ = smoothnet_loss(model(x), gt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_same_seed_same_model_and_same_training_output():
    x = torch.randn(2, 16, 5)
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = tiny(dropout=0.5).train()
        outs.append((model.state_dict(), model(x)))
    for k, v in outs[0][0].items():
        torch.testing.assert_close(outs[1][0][k], v, rtol=0, atol=0)
    torch.testing.assert_close(outs[1][1], outs[0][1], rtol=0, atol=0)


def test_eval_mode_switches_dropout_off():
    model = tiny(dropout=0.5)
    x = torch.randn(2, 16, 5)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


def test_wrong_window_or_rank_or_channels_is_an_input_error():
    model = tiny(window=16)
    with pytest.raises(SynspInputError, match="16 frames"):
        model(torch.randn(2, 15, 3))
    with pytest.raises(SynspInputError, match=r"\(B, W, C\)"):
        model(torch.randn(16, 3))
    fixed = SmoothNet(SmoothNetConfig(window=8, channels=6, hidden=8, res_hidden=4, num_blocks=1))
    with pytest.raises(SynspInputError, match="C = 6"):
        fixed(torch.randn(1, 8, 5))


@pytest.mark.parametrize("field, value", [("window", 0), ("hidden", -1), ("num_blocks", -1), ("dropout", 1.0)])
def test_bad_config_is_an_input_error(field, value):
    with pytest.raises(SynspInputError, match=field):
        SmoothNetConfig(**{field: value})


def test_loss_of_a_perfect_prediction_is_zero():
    gt = torch.randn(3, 16, 6)
    total, terms = smoothnet_loss(gt.clone(), gt)
    assert total.item() == 0 and terms["pos"].item() == 0 and terms["accel"].item() == 0


def test_constant_velocity_error_has_zero_accel_term():
    gt = torch.randn(3, 16, 6, dtype=torch.float64)
    t = torch.arange(16, dtype=torch.float64)[None, :, None]
    offset, velocity = torch.randn(3, 1, 6, dtype=torch.float64), torch.randn(3, 1, 6, dtype=torch.float64)
    pred = gt + offset + velocity * t
    total, terms = smoothnet_loss(pred, gt, w_pos=1.0, w_accel=0.1)
    assert terms["accel"].item() == pytest.approx(0.0, abs=1e-12)
    assert terms["pos"].item() == pytest.approx((pred - gt).abs().mean().item())
    assert total.item() == pytest.approx(terms["pos"].item())


def test_loss_weights_and_accel_definition():
    gt = torch.zeros(1, 5, 1)
    pred = torch.zeros(1, 5, 1)
    pred[0, 2, 0] = 1.0  # one spike: accelerations (1, -2, 1) over 3 frames
    total, terms = smoothnet_loss(pred, gt, w_pos=2.0, w_accel=0.5)
    assert terms["pos"].item() == pytest.approx(1 / 5)
    assert terms["accel"].item() == pytest.approx(4 / 3)
    assert total.item() == pytest.approx(2.0 / 5 + 0.5 * 4 / 3)


def test_loss_rejects_mismatched_shapes():
    with pytest.raises(SynspInputError, match="shape"):
        smoothnet_loss(torch.zeros(1, 8, 3), torch.zeros(1, 8, 4))
