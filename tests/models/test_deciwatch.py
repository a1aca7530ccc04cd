"""DeciWatch obeys the synsp network contract, samples one frame in `interval`, and learns."""

import pytest
import torch

from synsp.models.deciwatch import (
    PRESETS,
    DeciWatch,
    DeciWatchConfig,
    deciwatch_loss,
    interpolation_matrix,
    sinusoidal_positions,
)
from synsp.validation import SynspInputError

from sinusoids import noisy_sinusoids


def tiny_config(interval=4, q=2, channels=6, dropout=0.0, **kw):
    size = dict(embed_dim=16, heads=2, ffn=32, enc_layers=1, dec_layers=1) | kw
    return DeciWatchConfig(channels=channels, interval=interval, q=q, dropout=dropout, **size)




@pytest.mark.parametrize("interval, q", [(5, 1), (10, 2), (4, 2)])
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("channels", [2, 51])
def test_output_shapes(interval, q, batch, channels):
    cfg = tiny_config(interval, q, channels)
    assert cfg.window == interval * q + 1
    model = DeciWatch(cfg)
    x = torch.randn(batch, cfg.window, channels)
    assert model(x).shape == x.shape
    assert model(x, mask=torch.ones(batch, cfg.window, 1)).shape == x.shape  # mask accepted, ignored
    recovered, denoised = model(x, return_denoised=True)
    assert recovered.shape == x.shape
    assert denoised.shape == (batch, q + 1, channels)


def test_only_the_sampled_frames_are_looked_at():
    model = DeciWatch(tiny_config(interval=4, q=2)).eval()
    x = torch.randn(2, 9, 6)
    y = x.clone()
    keep = torch.zeros(9, dtype=torch.bool)
    keep[::4] = True
    y[:, ~keep] = 100 * torch.randn(2, int((~keep).sum()), 6)
    torch.testing.assert_close(model(y), model(x))


def test_interpolation_matrix_reproduces_samples_and_straight_lines():
    m = interpolation_matrix(interval=4, q=3)  # (13, 4)
    assert m.shape == (13, 4)
    torch.testing.assert_close(m.sum(1), torch.ones(13))
    torch.testing.assert_close(m[::4], torch.eye(4))
    line = 2.0 + 0.5 * torch.arange(13.0)
    torch.testing.assert_close(m @ line[::4], line)


def test_sinusoidal_positions_layout():
    pe = sinusoidal_positions(7, 6)
    assert pe.shape == (7, 6)
    torch.testing.assert_close(pe[0, 0::2], torch.zeros(3))
    torch.testing.assert_close(pe[0, 1::2], torch.ones(3))
    torch.testing.assert_close(pe[:, 0], torch.sin(torch.arange(7.0)))
    assert sinusoidal_positions(5, 5).shape == (5, 5)


def test_published_presets():
    h36m = DeciWatchConfig.preset("h36m", channels=51)
    assert (h36m.interval, h36m.q, h36m.window) == (10, 10, 101)
    assert (h36m.embed_dim, h36m.heads, h36m.ffn, h36m.enc_layers, h36m.dec_layers, h36m.dropout) == (
        128, 4, 256, 5, 5, 0.1,
    )
    assert DeciWatchConfig(channels=51) == h36m
    assert PRESETS["pw3d"]["embed_dim"] == 32
    model = DeciWatch(DeciWatchConfig.preset("pw3d", channels=42))
    assert model(torch.randn(1, 101, 42)).shape == (1, 101, 42)


def test_every_parameter_gets_a_gradient():
    cfg = tiny_config(interval=4, q=2, dropout=0.1, enc_layers=2, dec_layers=2)
    model = DeciWatch(cfg).train()
    x, gt = noisy_sinusoids(4, cfg.window, cfg.channels, freq=(0.05, 0.2))
    deciwatch_loss(model(x, return_denoised=True), gt)[0].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_a_tiny_model_overfits_a_tiny_set():
    torch.manual_seed(0)
    cfg = tiny_config(interval=4, q=2, channels=3)
    model = DeciWatch(cfg).train()
    x, gt = noisy_sinusoids(16, cfg.window, cfg.channels, freq=(0.05, 0.2))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss, _ = deciwatch_loss(model(x, return_denoised=True), gt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_same_seed_same_model_and_same_training_output():
    x = torch.randn(2, 9, 6)
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = DeciWatch(tiny_config(dropout=0.3)).train()
        outs.append((model.state_dict(), model(x)))
    for k, v in outs[0][0].items():
        torch.testing.assert_close(outs[1][0][k], v, rtol=0, atol=0)
    torch.testing.assert_close(outs[1][1], outs[0][1], rtol=0, atol=0)


def test_eval_mode_switches_dropout_off():
    model = DeciWatch(tiny_config(dropout=0.3))
    x = torch.randn(2, 9, 6)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


def test_window_that_is_not_interval_times_q_plus_one_is_rejected():
    with pytest.raises(SynspInputError, match="101"):
        DeciWatchConfig(channels=51, interval=10, q=10, window=100)
    assert DeciWatchConfig(channels=51, interval=10, q=10, window=101).window == 101
    model = DeciWatch(tiny_config(interval=4, q=2))
    with pytest.raises(SynspInputError, match="9 frames"):
        model(torch.randn(2, 8, 6))
    with pytest.raises(SynspInputError, match="C = 6"):
        model(torch.randn(2, 9, 5))
    with pytest.raises(SynspInputError, match=r"\(B, W, C\)"):
        model(torch.randn(9, 6))


@pytest.mark.parametrize(
    "field, value",
    [("interval", 0), ("q", 0), ("channels", 0), ("heads", 3), ("recover_kernel", 4), ("dropout", -0.1)],
)
def test_bad_config_is_an_input_error(field, value):
    kw = dict(channels=6, embed_dim=16, heads=2)
    kw[field] = value
    with pytest.raises(SynspInputError, match=field if field != "heads" else "divisible"):
        DeciWatchConfig(**kw)


def test_loss_of_a_perfect_prediction_is_zero():
    gt = torch.randn(3, 21, 6)
    total, terms = deciwatch_loss((gt.clone(), gt[:, ::10].clone()), gt)
    assert total.item() == 0 and terms["denoise"].item() == 0 and terms["recover"].item() == 0


def test_loss_terms_and_weights():
    gt = torch.zeros(2, 9, 3)  # interval 4, q 2: sampled frames 0, 4, 8
    recovered = torch.zeros(2, 9, 3)
    recovered[:, 1] = 1.0  # an error on one non-sampled frame: recovery term only
    denoised = torch.zeros(2, 3, 3)
    denoised[:, 2] = 3.0  # an error on the last sampled frame
    total, terms = deciwatch_loss((recovered, denoised), gt, w_denoise=1.0, lamada=2.5)
    assert terms["recover"].item() == pytest.approx(1 / 9)
    assert terms["denoise"].item() == pytest.approx(3 / 3)
    assert total.item() == pytest.approx(1.0 + 2.5 / 9)


def test_loss_rejects_what_forward_did_not_produce():
    gt = torch.zeros(2, 9, 3)
    with pytest.raises(SynspInputError, match="return_denoised"):
        deciwatch_loss(gt, gt)
    with pytest.raises(SynspInputError, match="do not sample"):
        deciwatch_loss((gt, torch.zeros(2, 4, 3)), gt)  # 4 samples cannot span 9 frames evenly
    with pytest.raises(SynspInputError, match="shape"):
        deciwatch_loss((torch.zeros(2, 9, 4), torch.zeros(2, 3, 3)), gt)


def test_shipped_deciwatch_refines_corpus_motion_better_than_its_input():
    import numpy as np

    from synsp.data.corpus import embedded_corpus_path, load_corpus
    from synsp.metrics import summarize
    from synsp.noise import simulate
    from synsp.refiners import get_refiner

    net = get_refiner("deciwatch-h36m17-3d-w101")
    assert net.card.architecture == "deciwatch" and net.window == 101
    assert net.card.validation["val_mpjpe"] < net.card.validation["input_mpjpe"]
    clip = load_corpus(embedded_corpus_path(), skeleton="h36m17")[0].positions[:300].astype(float)
    sim = simulate(clip, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0)
    out = net(sim.pred, fps=30, confidence=sim.confidence)
    assert out.shape == clip.shape and np.isfinite(out).all()
    raw = np.where(np.isnan(sim.pred), clip, sim.pred)
    before, after = (summarize([x], [clip], root_joints=(0,), scale=1000.0) for x in (raw, out))
    assert after["accel"] < 0.3 * before["accel"]
