"""The SynSP network: shapes, gradients, cues, loss, overfitting, determinism."""

import pytest
import torch

from synsp.models.synsp import (
    OUTPUTS,
    SIZES,
    AccelerationBranch,
    PlainTransformer,
    PoseQualityEncoding,
    PositionBranch,
    RefinementStage,
    SynSP,
    SynSPConfig,
    SynSPOutput,
    _own_view_tokens,
    build_network,
    pose_quality,
    similarity_cue,
    synsp_loss,
)
from synsp.validation import SynspInputError

SMALL = dict(d_model=32, d_inner=32, n_layers=2, n_head=2, d_k=16, d_v=16)


@pytest.mark.parametrize("window", [8, 16, 32])
@pytest.mark.parametrize("views", [None, 1, 2, 3, 4])
def test_output_shapes_follow_the_input(window, views):
    model = SynSP(SynSPConfig(window=window, channels=12, **SMALL)).eval()
    shape = (5, window, 12) if views is None else (5, views, window, 12)
    out = model(torch.randn(shape))
    assert isinstance(out, SynSPOutput)
    assert all(o.shape == shape for o in out)


def test_official_parameter_count():
    # the notes count 2,795,289 trainable parameters (3,918,873 with the official unused ones)
    model = SynSP(SynSPConfig.official(channels=51))
    assert sum(p.numel() for p in model.parameters()) == 2_795_289


@pytest.mark.parametrize("variant", [{}, {"shared_last_layer": True}, {"plain": True},
                                     {"global_encoder": False}, {"mask_channels": 5}])
def test_gradients_reach_every_parameter(variant):
    torch.manual_seed(0)
    config = SynSPConfig(channels=12, **SMALL, **variant)
    model = build_network(config)
    x = torch.randn(4, 3, 8, 12)
    mask = torch.rand(4, 3, 8, config.mask_channels) if config.mask_channels else None
    loss, _ = synsp_loss(model(x, mask=mask), torch.randn_like(x))
    loss.backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead


def test_similarity_cue_is_one_for_a_single_view_and_symmetric():
    x = torch.randn(2, 1, 8, 6)
    assert torch.all(similarity_cue(x) == 1)
    s = similarity_cue(torch.randn(2, 3, 8, 6)).view(2, 3, 3, 8)
    assert torch.allclose(s, s.transpose(1, 2))
    assert torch.all(torch.diagonal(s, dim1=1, dim2=2) == 1)


def test_pose_quality_range_and_own_view_tokens():
    p, a = torch.randn(2, 3, 8, 6), torch.randn(2, 3, 8, 6)
    q = pose_quality(p, a)
    assert q.shape == (2, 3, 8)
    assert torch.all(q > torch.exp(torch.tensor(-1.0))) and torch.all(q < 1)
    same = pose_quality(p, p)  # no disagreement: exp(-1e-6 / 1e-5) = exp(-0.1)
    assert torch.allclose(same, torch.full_like(same, float(torch.exp(torch.tensor(-0.1)))))
    tokens = _own_view_tokens(q).view(2, 3, 3, 8)  # (B, P_i, P_j, W)
    for i in range(3):
        for j in range(3):
            if i != j:
                assert torch.all(tokens[:, i, j] == 0)
        assert torch.equal(tokens[:, i, i], q[:, i])


def test_loss_terms_follow_equation_4():
    gt = torch.randn(4, 8, 6)
    perfect = SynSPOutput(gt, gt, gt)
    total, terms = synsp_loss(perfect, gt)
    assert float(total) == 0
    # a constant-velocity error has zero acceleration error: only position terms remain
    drift = gt + torch.arange(8.0)[None, :, None] * 0.1
    total, terms = synsp_loss(SynSPOutput(drift, drift, drift), gt, w_pos=1.0, w_accel=5.0)
    pos = float((drift - gt).abs().mean())
    assert terms["position"] == pytest.approx(pos) and terms["acceleration"] == pytest.approx(pos, abs=1e-5)
    # a jittery output: the acceleration branch pays k = 1, the final output k = 0.5
    jitter = gt + torch.randn_like(gt)
    _, terms = synsp_loss(SynSPOutput(jitter, jitter, jitter), gt, w_pos=0.0, w_accel=1.0)
    assert terms["position"] == 0 and terms["final"] == pytest.approx(terms["acceleration"] / 2)


def test_multiview_loss_differences_along_time_not_views():
    gt = torch.zeros(2, 3, 8, 6)
    ramp_over_time = gt + torch.arange(8.0)[None, None, :, None]  # linear in time, not across views
    _, terms = synsp_loss(SynSPOutput(*(ramp_over_time,) * 3), gt, w_pos=0.0)
    assert terms["acceleration"] == 0


def test_tiny_model_overfits_tiny_set():
    torch.manual_seed(0)
    model = SynSP(SynSPConfig(channels=6, dropout=0.0, attn_dropout=0.0, **SMALL))
    t = torch.linspace(0, 1, 8)
    gt = torch.stack([torch.sin(2 * t + k)[:, None].repeat(1, 6) for k in range(16)])
    noisy = gt + 0.1 * torch.randn_like(gt)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for _ in range(60):
        loss, _ = synsp_loss(model(noisy), gt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_determinism_and_eval_mode():
    torch.manual_seed(1)
    a = SynSP(SynSPConfig(channels=6, **SMALL))
    torch.manual_seed(1)
    b = SynSP(SynSPConfig(channels=6, **SMALL))
    x = torch.randn(3, 8, 6)
    a.eval(), b.eval()
    assert torch.equal(a(x).final, b(x).final)
    assert torch.equal(a(x).final, a(x).final)


def test_official_shared_branches_agree_in_eval_when_heads_agree():
    model = SynSP(SynSPConfig.official(channels=6, **SMALL)).eval()
    model.acceleration_head.load_state_dict(model.position_head.state_dict())
    out = model(torch.randn(3, 8, 6))
    assert torch.allclose(out.position, out.acceleration)


def test_wrong_shapes_raise():
    model = SynSP(SynSPConfig(channels=6, **SMALL))
    with pytest.raises(SynspInputError, match=r"\(B, 8, 6\)"):
        model(torch.randn(3, 7, 6))
    with pytest.raises(SynspInputError, match="window"):
        SynSPConfig(window=0)


def test_learnability_variants_start_as_identity_and_train_every_parameter():
    torch.manual_seed(0)
    config = SynSPConfig(channels=12, input_residual=True, frequency_output=True, query_positions=True,
                         spectral_skip=True, **SMALL)
    model = SynSP(config)
    for head in (model.position_head, model.acceleration_head, model.refinement_head):
        for p in head[-1].parameters():
            torch.nn.init.zeros_(p)
    x = torch.randn(3, 2, 8, 12)
    out = model.eval()(x)
    for o in out:  # gains 1 and zero heads: the input comes back exactly
        torch.testing.assert_close(o, x, atol=1e-5, rtol=1e-5)
    model = SynSP(config).train()
    loss, _ = synsp_loss(model(x), torch.randn_like(x))
    loss.backward()
    assert model.spectral_gain.grad is not None and model.spectral_gain.grad.abs().sum() > 0
    dead = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead


def test_causal_loss_only_sees_the_last_frame():
    gt = torch.randn(4, 8, 6)
    y = gt + 0.1 * torch.randn_like(gt)
    base, _ = synsp_loss(SynSPOutput(y, y, y), gt, causal=True)
    early = y.clone()
    early[:, :5] += 3.0  # frames before the last three do not count
    same, _ = synsp_loss(SynSPOutput(early, early, early), gt, causal=True)
    torch.testing.assert_close(same, base)
    late = y.clone()
    late[:, -1] += 3.0
    worse, _ = synsp_loss(SynSPOutput(late, late, late), gt, causal=True)
    assert worse > base + 3.0


def test_view_mean_skip_starts_every_view_from_the_mean_of_the_views():
    import torch

    from synsp.models.synsp import SynSP, SynSPConfig

    cfg = SynSPConfig(window=8, channels=6, d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8,
                      dropout=0.0, attn_dropout=0.0, input_residual=True, view_mean_skip=True)
    model = SynSP(cfg).eval()
    for head in (model.position_head, model.acceleration_head, model.refinement_head):
        torch.nn.init.zeros_(head[1].weight)
        torch.nn.init.zeros_(head[1].bias)
    x = torch.randn(2, 3, 8, 6)
    out = model(x)
    for y in out:
        torch.testing.assert_close(y, x.mean(dim=1, keepdim=True).expand_as(x))


def test_refine_branches_corrects_the_mean_of_the_two_branches():
    import torch

    from synsp.models.synsp import SynSP, SynSPConfig

    cfg = SynSPConfig(window=8, channels=6, d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8,
                      dropout=0.0, attn_dropout=0.0, input_residual=True, frequency_output=True,
                      refine_branches=True)
    model = SynSP(cfg).eval()
    torch.nn.init.zeros_(model.refinement_head[1].weight)
    torch.nn.init.zeros_(model.refinement_head[1].bias)
    out = model(torch.randn(3, 8, 6))
    torch.testing.assert_close(out.final, (out.position + out.acceleration) / 2)


def test_the_papers_parts_are_modules_and_the_heads_keep_their_earlier_names():
    model = SynSP(SynSPConfig(channels=6, **SMALL))
    assert isinstance(model.position_branch, PositionBranch) and isinstance(model.acceleration_branch,
                                                                             AccelerationBranch)
    assert isinstance(model.pose_quality_encoding, PoseQualityEncoding)
    assert isinstance(model.refinement, RefinementStage)
    assert model.position_head is model.position_branch.head and model.refinement_head is model.refinement.head
    assert model.acceleration_head is model.acceleration_branch.head
    assert SynSP(SynSPConfig(channels=6, pose_quality_encoding=False, **SMALL)).pose_quality_encoding is None
    official = SynSP(SynSPConfig.official(channels=6, **SMALL))  # the branches run the base decoder's last layer
    assert official.position_branch.last is None and official.acceleration_branch.last is None
    assert not any(k.startswith(("position_branch.last", "acceleration_branch.last")) for k in official.state_dict())


def test_the_plain_ablation_is_its_own_class_with_the_earlier_tensor_names():
    config = SynSPConfig(channels=6, plain=True, **SMALL)
    model = build_network(config)
    assert type(model) is PlainTransformer and type(build_network(SynSPConfig(channels=6, **SMALL))) is SynSP
    assert {k.split(".")[0] for k in model.state_dict()} == {"embedding", "local_encoder", "decoder", "head"}
    with pytest.raises(SynspInputError, match="build_network"):
        SynSP(config)
    with pytest.raises(SynspInputError, match="plain=True"):
        PlainTransformer(SynSPConfig(channels=6, **SMALL))
    out = model.eval()(torch.randn(3, 2, 8, 6))
    assert out.position is out.acceleration is out.final and out.final.shape == (3, 2, 8, 6)


def test_a_plain_card_loads_as_the_plain_transformer(tmp_path):
    from synsp.models.checkpoint import ModelCard, load_model, save_model

    config = SynSPConfig(channels=54, mask_channels=18, plain=True, input_residual=True, **SMALL)
    model = build_network(config).eval()
    card = ModelCard(name="plain", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=3,
                     window=8, mask=True)
    loaded, _ = load_model(save_model(tmp_path / "plain", model, card))
    x, mask = torch.randn(2, 8, 54), torch.zeros(2, 8, 18)
    assert type(loaded) is PlainTransformer
    assert torch.equal(loaded(x, mask=mask).final, model(x, mask=mask).final)


def test_each_output_has_its_own_spectral_gain_by_name():
    """``spectral_gain[OUTPUTS.index(name)]`` is the gain of output ``name``: with zero heads every output is its
    gain applied to the input, so zeroing the acceleration gain zeroes the Acceleration Branch only."""
    assert OUTPUTS == ("position", "acceleration", "final")
    config = SynSPConfig(channels=6, input_residual=True, spectral_skip=True, zero_heads=True, **SMALL)
    model = SynSP(config).eval()
    with torch.no_grad():
        model.spectral_gain[OUTPUTS.index("acceleration")] = 0.0
    x = torch.randn(3, 8, 6)
    out = model(x)
    torch.testing.assert_close(out.position, x, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.final, x, atol=1e-5, rtol=1e-5)
    assert torch.all(out.acceleration == 0)


def test_named_sizes_are_the_configurations_synsp_train_builds():
    small = SynSPConfig.named("small", channels=54, mask_channels=18, input_residual=True)
    assert (small.d_model, small.n_layers, small.d_k) == (64, 3, 16)
    assert small.frequency_output and small.query_positions and small.spectral_skip and small.input_residual
    assert not SynSPConfig.named("small-plain").frequency_output
    assert SynSPConfig.named("official") == SynSPConfig()  # the official sizes, the paper's separate branch layers
    assert SynSPConfig.named("small", d_model=32).d_model == 32
    assert set(SIZES) == {"small", "small-plain", "official"}
    # the shipped models are the small size (plus the residual, the mask and their own switches)
    assert 400_000 < sum(p.numel() for p in SynSP(small).parameters()) < 600_000
    with pytest.raises(SynspInputError, match="small"):
        SynSPConfig.named("huge")
