"""HANet: kinematic inputs, the hierarchical encoder, the per-channel teacher of the loss, and the contract."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from synsp.models.hanet import (
    MAX_WIDTH,
    PRESETS,
    HANet,
    HANetConfig,
    HANetOutput,
    hanet_loss,
    kinematic_features,
    mutual_learning,
)
from synsp.validation import SynspInputError

from sinusoids import noisy_sinusoids


def tiny_config(interval=4, q=2, channels=6, dropout=0.0, **kw):
    size = dict(embed_dim=16, heads=2, ffn=32, enc_layers=3, dec_layers=1, width_growth=2) | kw
    return HANetConfig(channels=channels, interval=interval, q=q, dropout=dropout, **size)


# shapes and config --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dims, joints", [(2, 17), (3, 17)])  # coco17 2D, h36m17 3D (+ trajectory joint)
@pytest.mark.parametrize("batch", [1, 3])
def test_output_shapes_2d_and_3d(dims, joints, batch):
    channels = (joints + 1) * dims
    cfg = tiny_config(interval=5, q=20, channels=channels)  # the seed's 1+101 window
    assert cfg.window == 101
    model = HANet(cfg).eval()
    x = torch.randn(batch, 101, channels)
    assert model(x).shape == x.shape
    assert model(x, mask=torch.ones(batch, 101, 1)).shape == x.shape  # mask accepted, ignored
    out = model(x, return_encoder=True)
    assert isinstance(out, HANetOutput)
    assert out.final.shape == x.shape and out.encoder.shape == (batch, 21, channels)
    torch.testing.assert_close(out.final, model(x))


def test_defaults_are_the_seeds_window_and_the_released_h36m_config():
    cfg = HANetConfig(channels=54)
    assert (cfg.interval, cfg.q, cfg.window) == (5, 20, 101)
    assert cfg == HANetConfig.preset("h36m", channels=54)
    assert cfg.widths == (64, 128, 256, 512, 1024)
    assert (PRESETS["pw3d"]["embed_dim"], PRESETS["aist"]["embed_dim"]) == (128, 32)
    assert HANetConfig(channels=54, width_growth=1).widths == (64,) * 5


def test_only_the_sampled_frames_are_looked_at():
    model = HANet(tiny_config(interval=4, q=2)).eval()
    x = torch.randn(2, 9, 6)
    y = x.clone()
    keep = torch.zeros(9, dtype=torch.bool)
    keep[::4] = True
    y[:, ~keep] = 100 * torch.randn(2, int((~keep).sum()), 6)
    torch.testing.assert_close(model(y), model(x))


def test_config_is_frozen_and_validated():
    cfg = tiny_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.q = 3
    with pytest.raises(SynspInputError, match="101"):
        HANetConfig(channels=51, interval=5, q=20, window=100)
    assert HANetConfig(channels=51, interval=10, q=1, window=11).window == 11  # the Sub-JHMDB 1+11 setting
    with pytest.raises(SynspInputError, match=str(MAX_WIDTH)):
        HANetConfig(channels=51, embed_dim=64, enc_layers=12, width_growth=2)
    for field, value in [("interval", 0), ("q", 0), ("channels", 0), ("heads", 3), ("recover_kernel", 4),
                         ("dropout", -0.1), ("width_growth", 0), ("enc_layers", True), ("pre_norm", 1)]:
        with pytest.raises(SynspInputError, match=field if field != "heads" else "divisible"):
            HANetConfig(**(dict(channels=6, embed_dim=16, heads=2) | {field: value}))


def test_wrong_windows_are_input_errors():
    model = HANet(tiny_config(interval=4, q=2))
    with pytest.raises(SynspInputError, match="9 frames"):
        model(torch.randn(2, 8, 6))
    with pytest.raises(SynspInputError, match="C = 6"):
        model(torch.randn(2, 9, 5))
    with pytest.raises(SynspInputError, match=r"\(B, W, C\)"):
        model(torch.randn(9, 6))


# 1. velocity and acceleration inputs ---------------------------------------------------------------------

def test_kinematic_features_of_a_linear_and_a_quadratic_trajectory():
    k = torch.arange(6.0)[None, :, None]  # S = 6 sampled frames
    line = 2.0 + 0.5 * k * torch.tensor([1.0, -2.0, 0.0])  # (1, 6, 3)
    flow, v, a = kinematic_features(line)
    torch.testing.assert_close(v, 0.5 * torch.tensor([1.0, -2.0, 0.0]).expand(1, 6, 3))  # constant velocity
    torch.testing.assert_close(a, torch.zeros(1, 6, 3))  # no acceleration
    torch.testing.assert_close(flow[:, 1:-1], line[:, 1:-1])  # the 3-sample mean of a line is the line
    torch.testing.assert_close(flow[:, 0], (2 * line[:, 0] + line[:, 1]) / 3)  # ends repeat themselves
    parabola = 0.25 * k**2
    _, v, a = kinematic_features(parabola)
    torch.testing.assert_close(a, torch.full((1, 6, 1), 0.5))  # constant second difference
    torch.testing.assert_close(v[:, 1:], parabola[:, 1:] - parabola[:, :-1])  # first differences
    torch.testing.assert_close(v[:, 0], v[:, 1])
    _, v1, a1 = kinematic_features(line[:, :2])  # Q = 1 (Sub-JHMDB 1+11): no second difference
    torch.testing.assert_close(a1, torch.zeros(1, 2, 3))
    torch.testing.assert_close(v1, line[:, 1:2] - line[:, :1] + torch.zeros(1, 2, 3))


def test_the_decoder_gets_the_sampled_first_and_second_differences():
    """On a window moving linearly in time the decoder's kinematic input is the constant step between
    sampled frames (N times the per-frame velocity) and zero acceleration."""
    cfg = tiny_config(interval=4, q=3, channels=6)
    model = HANet(cfg).eval()
    seen = {}

    def keep_input(module, inp, out):
        seen["in"] = inp[0]

    model.decoder.kinematic_memory.register_forward_hook(keep_input)
    slope = torch.randn(2, 1, 6)
    x = 1.0 + slope * torch.arange(13.0)[None, :, None]  # (2, 13, 6), linear in time
    model(x)
    d = cfg.embed_dim
    kin = seen["in"]  # (B, S, D + 2C): [memory ; velocity ; acceleration]
    assert kin.shape == (2, 4, d + 12)
    torch.testing.assert_close(kin[..., d:d + 6], (4 * slope).expand(2, 4, 6))
    torch.testing.assert_close(kin[..., d + 6:], torch.zeros(2, 4, 6))
    seen.clear()
    x2 = x + 0.1 * torch.arange(13.0)[None, :, None] ** 2  # + a constant per-frame acceleration of 0.2
    model(x2)
    torch.testing.assert_close(seen["in"][..., d + 6:], torch.full((2, 4, 6), 0.2 * 16))  # N^2 frames^2


# 2. hierarchical encoder ---------------------------------------------------------------------------------

def test_memory_is_the_mean_of_every_layers_projection():
    torch.manual_seed(0)
    cfg = tiny_config(enc_layers=3, width_growth=2)
    enc = HANet(cfg).eval().encoder
    tokens = torch.randn(2, 5, cfg.embed_dim)
    memory, layers = enc(tokens, return_layers=True)
    assert [z.shape[-1] for z in layers] == [16, 32, 64]  # D g^(l-1)
    torch.testing.assert_close(memory, sum(p(z) for p, z in zip(enc.project, layers)) / 3)
    torch.testing.assert_close(layers[0], enc.layers[0](tokens))  # z_1 = Layer_1(e)
    for l in (1, 2):  # z_{l+1} = Layer_{l+1}(U_l z_l)
        torch.testing.assert_close(layers[l], enc.layers[l](enc.widen[l - 1](layers[l - 1])))


def test_the_output_depends_on_every_encoder_layer():
    torch.manual_seed(0)
    cfg = tiny_config(enc_layers=3)
    model = HANet(cfg).eval()
    x = torch.randn(2, cfg.window, cfg.channels)
    reference = model(x)
    for l in range(3):  # remove one layer's contribution to the memory: the result changes
        cut = HANet(cfg).eval()
        cut.load_state_dict(model.state_dict())
        with torch.no_grad():
            cut.encoder.project[l].weight.zero_()
            cut.encoder.project[l].bias.zero_()
        assert (cut(x) - reference).abs().max() > 1e-3, f"layer {l + 1} does not reach the output"
    # the first layer's output is used twice (its own contribution and the next layer's input): with the
    # later layers' projections removed the memory is P_1 z_1 / L
    with torch.no_grad():
        for l in (1, 2):
            model.encoder.project[l].weight.zero_()
            model.encoder.project[l].bias.zero_()
    tokens = torch.randn(2, 3, cfg.embed_dim)
    torch.testing.assert_close(model.encoder(tokens), model.encoder.project[0](model.encoder.layers[0](tokens)) / 3)


# 3. loss: per-channel teacher -----------------------------------------------------------------------------

def branches(final_err, encoder_err, interval=4, q=2, batch=2):
    """gt = 0; the decoder's sampled frames off by final_err[c] and the encoder off by encoder_err[c]."""
    C = len(final_err)
    W = interval * q + 1
    gt = torch.zeros(batch, W, C)
    final = torch.tensor(final_err).expand(batch, W, C).clone().requires_grad_(True)
    encoder = torch.tensor(encoder_err).expand(batch, q + 1, C).clone().requires_grad_(True)
    return final, encoder, gt


def test_the_better_branch_of_each_channel_is_the_teacher_and_only_the_student_moves():
    # the encoder is better on channels 0 and 1, the decoder on 2 and 3
    final, encoder, gt = branches([1.0, 0.5, 0.1, 0.2], [0.2, 0.1, 0.6, 1.0])
    mutual, encoder_teaches = mutual_learning(final[:, ::4], encoder, gt[:, ::4])
    assert encoder_teaches.tolist() == [True, True, False, False]
    torch.testing.assert_close(mutual, torch.tensor([0.8, 0.4, 0.5, 0.8]))  # |student - teacher|
    mutual.sum().backward()
    g_final, g_enc = final.grad, encoder.grad
    assert (g_final[:, ::4, :2] != 0).all() and (g_final[..., 2:] == 0).all()  # decoder learns on 0, 1
    assert (g_final[:, 1::4] == 0).all()  # only at the sampled frames
    assert (g_enc[..., 2:] != 0).all() and (g_enc[..., :2] == 0).all()  # encoder learns on 2, 3
    # the student is pulled toward the teacher: gradient descent moves it the right way
    assert (g_final[:, ::4, :2] > 0).all() and (g_enc[..., 2:] > 0).all()


def test_the_teacher_is_chosen_on_the_sampled_frames_only():
    final, encoder, gt = branches([0.1, 0.1], [0.3, 0.05])
    with torch.no_grad():
        final[:, 1:4] = 5.0  # the decoder is bad between samples, but better than the encoder at them on channel 0
    _, terms = hanet_loss((final, encoder), gt)
    assert terms["encoder_teaches"].tolist() == [False, True]


def test_loss_formula_on_a_small_example():
    final, encoder, gt = branches([1.0, 0.5, 0.1, 0.2], [0.2, 0.1, 0.6, 1.0])
    with torch.no_grad():
        final[:, 1] = 3.0  # a non-sampled frame: counts in the decoder's error only
    total, terms = hanet_loss((final, encoder), gt, w_final=2.0, w_encoder=1.0, w_mutual=0.5, w_hard=1.0)
    e_final = torch.tensor([1.0, 0.5, 0.1, 0.2]) * 8 / 9 + 3.0 / 9  # (8 frames at the offset + 1 at 3) / 9
    e_enc = torch.tensor([0.2, 0.1, 0.6, 1.0])
    mutual = torch.tensor([0.8, 0.4, 0.5, 0.8])
    per_channel = (2.0 * e_final + e_enc + 0.5 * mutual) / 4
    hard = per_channel.topk(2).values.mean()  # k = 2 floor(C / 4) = 2
    assert total.item() == pytest.approx((per_channel.sum() + hard).item(), rel=1e-6)
    assert terms["final"].item() == pytest.approx(e_final.mean().item(), rel=1e-6)
    assert terms["encoder"].item() == pytest.approx(e_enc.mean().item(), rel=1e-6)
    assert terms["mutual"].item() == pytest.approx(mutual.mean().item(), rel=1e-6)
    assert terms["hard"].item() == pytest.approx(hard.item(), rel=1e-6)


def test_loss_of_a_perfect_prediction_is_zero_and_bad_pairs_are_refused():
    gt = torch.randn(3, 21, 6)
    total, _ = hanet_loss((gt.clone(), gt[:, ::10].clone()), gt)
    assert total.item() == 0
    with pytest.raises(SynspInputError, match="return_encoder"):
        hanet_loss(gt, gt)
    with pytest.raises(SynspInputError, match="do not sample"):
        hanet_loss((gt, torch.zeros(3, 4, 6)), gt)  # 4 samples cannot span 21 frames evenly
    with pytest.raises(SynspInputError, match="shape"):
        hanet_loss((torch.zeros(3, 21, 5), torch.zeros(3, 3, 6)), gt)


def test_every_parameter_gets_a_gradient_and_a_tiny_model_learns():
    torch.manual_seed(0)
    cfg = tiny_config(interval=4, q=2, channels=3, enc_layers=2, dec_layers=2)
    model = HANet(cfg).train()
    x, gt = noisy_sinusoids(16, cfg.window, cfg.channels, freq=(0.05, 0.2))
    hanet_loss(model(x, return_encoder=True), gt)[0].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(120):
        opt.zero_grad()
        loss, _ = hanet_loss(model(x, return_encoder=True), gt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


# training, checkpoint, contract ---------------------------------------------------------------------------

TINY = dict(interval=5, q=4, embed_dim=16, heads=2, ffn=32, enc_layers=2, dec_layers=1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from synsp.data.corpus import embedded_corpus_path
    from synsp.training import TrainConfig, train

    out = tmp_path_factory.mktemp("hanet") / "run"
    config = TrainConfig(name="hanet-tiny", architecture="hanet", model=TINY, corpus=str(embedded_corpus_path()),
                         train_split="test", val_split="test", epochs=1, windows_per_epoch=64, batch_size=32,
                         val_frames=150, out=str(out))
    return train(config, progress=False)


def test_smoke_training_saves_a_checkpoint_whose_card_validates(trained):
    from synsp.models.checkpoint import ModelCard, load_model

    card = ModelCard.from_dict(json.loads(trained.with_suffix(".json").read_text()), "best.json")
    assert card.architecture == "hanet" and card.window == 21 and card.skeleton == "h36m17" and not card.mask
    assert card.config == {"channels": 54, **TINY}
    assert np.isfinite(card.validation["val_mpjpe"]) and card.validation["input_mpjpe"] > 0
    model, loaded = load_model(trained)
    assert isinstance(model, HANet) and model.config.window == 21 and loaded == card
    bad = json.loads(trained.with_suffix(".json").read_text()) | {"window": 101}
    with pytest.raises(SynspInputError, match="interval"):  # a card whose window is not its config's
        ModelCard.from_dict(bad, "bad.json")


def test_refine_with_the_trained_checkpoint_keeps_the_shape(trained):
    import synsp

    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(scale=0.01, size=(90, 17, 3)), axis=0)
    out = synsp.refine(x, model=str(trained))
    assert out.shape == x.shape and np.isfinite(out).all()
    short = synsp.refine(x[:12], model=str(trained))  # shorter than the window: one padded window
    assert short.shape == (12, 17, 3) and np.isfinite(short).all()
    gaps = x.copy()
    gaps[10:14, 3] = np.nan  # missing joints are filled
    out, filled = synsp.refine(gaps, model=str(trained), fps=60, return_filled=True)  # another frame rate
    assert out.shape == x.shape and np.isfinite(out).all() and filled[10:14, 3].all()
    persons = synsp.refine(np.stack([x, x + 1.0], axis=1), model=str(trained))
    assert persons.shape == (90, 2, 17, 3) and np.isfinite(persons).all()


def test_cli_train_accepts_the_hanet_architecture(capsys):
    from synsp.cli import main

    code = main(["train", "--architecture", "hanet", "--epochs", "0"])  # refused by the config check, not click
    err = capsys.readouterr().err
    assert code == 2 and "epochs" in err and "Invalid value" not in err
