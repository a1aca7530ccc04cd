"""The jitter floor of a pose sequence (synsp.noise_floor) and the universal model's noise cue built on it."""

import numpy as np
import pytest
import torch

from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.data.dataset import WindowDataset
from synsp.models.universal import UniversalConfig, UniversalSynSP, noise_cue
from synsp.noise_floor import noise_floor
from synsp.models.checkpoint import ModelCard
from synsp.refiners import NetworkRefiner
from synsp.validation import SynspInputError


def _clips(n=3):
    """Real motion: the embedded corpus's longest h36m17 clips (CMU mocap, metres)."""
    clips = [c.positions.astype(np.float64) for c in load_corpus(embedded_corpus_path(), skeleton="h36m17")]
    return sorted(clips, key=len, reverse=True)[:n]


def test_floor_reads_white_jitter_and_not_the_motion():
    rng = np.random.default_rng(0)
    for g in _clips():
        clean = np.median(noise_floor(g, 30.0))
        levels = [np.median(noise_floor(g + rng.normal(0, s, g.shape), 30.0)) for s in (0.005, 0.01, 0.02)]
        assert clean < 0.2 * levels[0]  # motion capture's floor is far below 5 mm of jitter
        assert levels[0] < levels[1] < levels[2]
        # per coordinate sigma s on 3 coordinates reads about 1.5 s (the median of a 3-dof chi-square)
        assert 1.0 < levels[1] / 0.01 < 2.0
    # a body played 3x faster reads a higher floor than at its own speed, still below 1 cm of jitter
    g = _clips(1)[0]
    assert np.median(noise_floor(g, 30.0)) < np.median(noise_floor(g[::3], 30.0)) < levels[1]


def test_floor_shapes_short_input_and_bad_input():
    g = _clips(1)[0][:120]
    assert noise_floor(g, 30.0).shape == (120,)
    two = np.stack([g, g + 0.01], axis=1)
    f = noise_floor(two, 30.0)
    assert f.shape == (120, 2) and np.allclose(f[:, 0], f[:, 1])  # a shift does not change the floor
    assert np.array_equal(noise_floor(g[:3], 30.0), np.zeros(3))
    assert np.array_equal(noise_floor(g[:, :1], 30.0), np.zeros(120))
    with pytest.raises(SynspInputError, match="NaN"):
        noise_floor(np.where(np.arange(17)[None, :, None] == 3, np.nan, g), 30.0)
    with pytest.raises(SynspInputError, match="shape"):
        noise_floor(g[0], 30.0)


def _pair(window=8):
    """A universal model without the cue and the same weights widened to take it."""
    torch.manual_seed(0)
    plain = UniversalSynSP(UniversalConfig(window=window, d_model=32, d_inner=64, d_k=8, d_v=8)).eval()
    for p in plain.parameters():  # heads start at zero (the identity); make them do something
        p.data += 0.05 * torch.randn_like(p)
    cued = UniversalSynSP(UniversalConfig(window=window, d_model=32, d_inner=64, d_k=8, d_v=8,
                                          noise_cue=True)).eval()
    cued.load_state_without_noise_cue(plain.state_dict())
    return plain, cued


def _cued_refiner():
    """A refiner over a widened model, and the list of the ``floor`` each forward pass was given."""
    _, cued = _pair(window=8)
    card = ModelCard(name="cue-test", architecture="universal", config=cued.config.to_dict(), skeleton="any",
                     dims=3, window=8, views=1, fps=30.0, root_joints=(0,), normalization="window-centroid-rms",
                     mask=True)
    seen = []
    forward = cued.forward
    cued.forward = lambda *a, **kw: seen.append(kw.get("floor")) or forward(*a, **kw)
    return NetworkRefiner(cued, card), seen


def test_a_widened_model_starts_as_its_source_and_then_reads_the_cue():
    plain, cued = _pair()
    x = torch.randn(5, 8, 18 * 3)
    with torch.no_grad():
        same = plain(x, dims=3).final
        assert torch.allclose(cued(x, dims=3).final, same, atol=1e-6)
        assert torch.allclose(cued(x, dims=3, floor=torch.full((5,), 0.05)).final, same, atol=1e-6)
        cued.embedding[0].weight[:, -1] = 1.0  # the cue column, once trained, changes the output
        assert not torch.allclose(cued(x, dims=3, floor=torch.full((5,), 0.05)).final,
                                  cued(x, dims=3, floor=torch.full((5,), 0.0005)).final)
    with pytest.raises(SynspInputError, match="noise cue"):
        plain.load_state_without_noise_cue(plain.state_dict())


def test_noise_cue_encoding_and_its_window_estimate():
    assert noise_cue(torch.zeros(1, 4, 3, 8), torch.tensor([0.01 - 1e-4])).item() == pytest.approx(0.0, abs=1e-5)
    assert noise_cue(torch.zeros(1, 4, 3, 8), torch.tensor([1e9])).item() == 2.0  # clamped
    # from the window itself: still joints read -2 (nothing), jittered joints read their level
    still = torch.zeros(2, 6, 3, 16)
    assert torch.allclose(noise_cue(still), torch.full((2,), -2.0))
    torch.manual_seed(1)
    noisy = 0.02 * torch.randn(200, 6, 3, 16)
    assert noise_cue(noisy).median().item() == pytest.approx(np.log10(0.02 * 1.54 + 1e-4) + 2.0, abs=0.15)


def test_the_refiner_gives_the_network_the_sequences_floor():
    refiner, seen = _cued_refiner()
    g = _clips(1)[0][:90]
    every_frame = NetworkRefiner(refiner.model, refiner.card, stride=1)
    out = every_frame(g + np.random.default_rng(2).normal(0, 0.01, g.shape))
    assert out.shape == g.shape and np.isfinite(out).all()
    floors = torch.cat([f for f in seen if f is not None])
    assert len(floors) == 90 - 8 + 1 and torch.isfinite(floors).all() and (floors > 0).all()


def test_training_windows_carry_the_floor_of_their_chunk():
    clips = load_corpus(embedded_corpus_path(), skeleton="h36m17")[:3]
    ds = WindowDataset(clips, window=8, skeleton="h36m17", preset="mixed", augment=False, seed=0, floors=True)
    item = ds[0]
    assert item["floor"].shape == () and torch.isfinite(item["floor"]) and item["floor"] > 0
    # only when asked (a noise-cue model), and only where a window has views of its own chunk
    assert "floor" not in WindowDataset(clips, window=8, preset="mixed", augment=False, seed=0)[0]
    with pytest.raises(SynspInputError, match="floors"):
        WindowDataset(clips, window=8, mode="random", views=2, floors=True)


def test_a_stream_reads_the_cue_from_each_window_alone():
    refiner, seen = _cued_refiner()
    g = _clips(1)[0][:40]
    online = refiner.online()
    state = online.start()
    out = []
    for frame in g:
        out += online.step([state], [frame], [np.zeros(len(frame), dtype=bool)])[0]
    out += online.finish([state])[0]
    assert len(out) == 40 and np.isfinite(np.asarray(out)).all()
    assert seen and all(f is None for f in seen)  # no floor given: the model estimates it from the window


def test_a_cued_universal_model_trains_on_the_windows_floors(tmp_path, monkeypatch):
    from synsp.models.checkpoint import load_model
    from synsp.training import TrainConfig, train

    seen = []
    forward = UniversalSynSP.forward
    monkeypatch.setattr(UniversalSynSP, "forward",
                        lambda self, *a, **kw: seen.append(kw.get("floor")) or forward(self, *a, **kw))
    stem = train(TrainConfig(name="cued", architecture="universal", window=8, corpus=str(embedded_corpus_path()),
                             train_split="test", val_split="test", epochs=1, windows_per_epoch=64, batch_size=32,
                             val_frames=150, out=str(tmp_path / "run"), preset="mixed",
                             model=dict(d_model=16, d_inner=16, n_layers=1, n_refine_layers=1, n_head=2, d_k=8,
                                        d_v=8, noise_cue=True)), progress=False)
    model, card = load_model(stem)
    assert model.config.noise_cue and card.config["noise_cue"]
    given = [f for f in seen if f is not None]
    assert len(given) >= 2 and all(torch.isfinite(f).all() and (f >= 0).all() for f in given)  # training + validation
