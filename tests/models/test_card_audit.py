"""Model cards and checkpoints that an audit of model loading found to crash, allocate or mislead: each is now
refused before anything big is built, in one SynspInputError naming the file and what is wrong."""

import hashlib
import json
import shutil
import time

import pytest
import torch

from synsp.models.checkpoint import MAX_JOINTS, ModelCard, load_model, save_model
from synsp.models.synsp import SynSP, SynSPConfig
from synsp.models.universal import UniversalConfig
from synsp.refiners import WEIGHTS_DIR
from synsp.skeletons import Skeleton, get_skeleton
from synsp.validation import SynspInputError

pytestmark = pytest.mark.usefixtures("clean_skeleton_registry")

SYNSP = "synsp-h36m17-3d-w8"
TINY = dict(d_model=8, d_inner=8, n_layers=1, n_head=1, d_k=4, d_v=4)


def shipped(name: str = SYNSP) -> dict:
    return json.loads((WEIGHTS_DIR / f"{name}.json").read_text())


def crafted(tmp_path, card, base: str = SYNSP, stem: str = "m"):
    """A checkpoint pair in tmp_path: ``card`` (a dict, or the JSON text) beside a shipped model's weights."""
    (tmp_path / f"{stem}.json").write_text(card if isinstance(card, str) else json.dumps(card))
    shutil.copy(WEIGHTS_DIR / f"{base}.safetensors", tmp_path / f"{stem}.safetensors")
    return tmp_path / stem


def tiny_synsp(seed: int = 0) -> tuple[SynSP, ModelCard]:
    torch.manual_seed(seed)
    config = SynSPConfig(window=8, channels=54, mask_channels=18, **TINY)
    card = ModelCard(name="tiny", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=3,
                     window=8, mask=True)
    return SynSP(config).eval(), card


# f01 --------------------------------------------------------------------------------------------------------

def test_a_card_holding_an_integer_of_5000_digits_is_an_unreadable_card(tmp_path):
    text = json.dumps(shipped()).replace('"window": 8,', '"window": ' + "9" * 5000 + ",", 1)
    stem = crafted(tmp_path, text)
    with pytest.raises(SynspInputError, match=r"m\.json: not a valid JSON model card .*digits"):
        load_model(stem)


# f02 --------------------------------------------------------------------------------------------------------

DECIWATCH = "deciwatch-h36m17-3d-w101"


@pytest.mark.parametrize("base, card_change, change, needle", [
    (SYNSP, {}, dict(max_positions=50_000, d_model=2000),
     r"'config\.max_positions' is 50000; expected an integer from 1 to 4096"),
    (SYNSP, {}, dict(max_positions=100_000, d_model=100_000), "config.max_positions"),
    (SYNSP, {}, dict(max_positions=4096, d_model=5000, n_layers=1, d_inner=1, n_head=1, d_k=1, d_v=1),
     r"max_positions \* d_model = 4,096 \* 5,000 = 20,480,000 positional values, over the limit of 16,777,216"),
    (DECIWATCH, {}, dict(interval=1000, q=1000, embed_dim=512),
     r"'window' is 101; expected the config's interval \* q \+ 1 \(1000 \* 1000 \+ 1 = 1000001\)"),
    (DECIWATCH, dict(window=1021), dict(interval=10, q=102, embed_dim=20_000),
     r"window \* embed_dim = 1,021 \* 20,000 = 20,420,000 positional values, over the limit"),
])
def test_sizes_and_their_products_are_bounded_before_anything_is_built(monkeypatch, base, card_change, change,
                                                                         needle):
    import synsp.models.checkpoint as checkpoint

    def no_build(card):  # DeciWatch's window was checked after its (real) tables were built
        raise AssertionError("built before the sizes were checked")

    card = shipped(base) | card_change
    card["config"].update(change)
    monkeypatch.setattr(checkpoint, "build_model", no_build)
    with pytest.raises(SynspInputError, match=needle):
        ModelCard.from_dict(card, "big.json")


def test_checking_a_card_computes_no_positional_table(monkeypatch):
    # the card check builds the network on the meta device, but the tables were computed for real (3.8 GB for
    # max_positions 50000 x d_model 2000; DeciWatch's interval * q + 1 = 1000001 frames: 4.3 GB)
    import synsp.models.blocks as blocks

    class NoNumpy:
        def __getattr__(self, name):
            raise RuntimeError(f"numpy.{name} called while a card is only checked")

    def no_arange(*args, **kwargs):
        raise RuntimeError("torch.arange called while a card is only checked")

    monkeypatch.setattr(blocks, "np", NoNumpy())
    ModelCard.from_dict(shipped(SYNSP), "synsp.json")
    monkeypatch.setattr(torch, "arange", no_arange)
    for name in ("deciwatch-h36m17-3d-w101", "hanet-h36m17-3d-w101"):
        ModelCard.from_dict(shipped(name), f"{name}.json")


def test_the_tables_of_a_real_build_are_unchanged():
    import numpy as np

    from synsp.models.blocks import sinusoid_table
    from synsp.models.deciwatch import interpolation_matrix, sinusoidal_positions

    table = sinusoid_table(10, 6)
    p, i = np.arange(10)[:, None], np.arange(6)
    angle = p / np.power(10000.0, 2 * (i // 2) / 6)
    assert torch.equal(table, torch.tensor(np.where(i % 2 == 0, np.sin(angle), np.cos(angle)), dtype=torch.float32))
    assert sinusoidal_positions(5, 4).shape == (5, 4) and float(sinusoidal_positions(5, 4)[0, 1]) == 1.0
    assert torch.equal(interpolation_matrix(2, 2)[1], torch.tensor([0.5, 0.5, 0.0]))
    with torch.device("meta"):
        assert sinusoid_table(10**6, 10**4).is_meta and sinusoidal_positions(10**6, 10**4).is_meta
        assert interpolation_matrix(10**4, 10**3).is_meta


# f03 --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("base, key", [(SYNSP, "d_k"), (SYNSP, "d_v"), (SYNSP, "n_head"), (SYNSP, "d_model"),
                                       (SYNSP, "n_layers"), ("synsp-universal-w8", "d_k"),
                                       ("synsp-universal-w8", "n_head"), ("synsp-universal-w8", "n_refine_layers")])
def test_a_size_of_zero_is_refused(base, key):
    card = shipped(base)
    card["config"][key] = 0
    with pytest.raises(SynspInputError, match=rf"zero\.json: field 'config\.{key}' is 0; expected an integer from 1"):
        ModelCard.from_dict(card, "zero.json")
    with pytest.raises(SynspInputError, match=f"{key} must be a positive integer"):
        (SynSPConfig if base == SYNSP else UniversalConfig)(**{key: 0})


def test_sizes_that_may_be_zero_still_are():
    card = shipped("smoothnet-h36m17-3d-w8")
    card["config"]["num_blocks"] = 0  # a SmoothNet without residual blocks
    ModelCard.from_dict(card, "s.json")


# f05 --------------------------------------------------------------------------------------------------------

def test_skeleton_validation_is_linear_in_the_joints():
    n = 60_000  # a chain: the parent walk was quadratic (8,000 joints 1.5 s, 32,000 36 s)
    names = [f"j{i}" for i in range(n)]
    start = time.perf_counter()
    Skeleton("chain", names, [-1] + list(range(n - 1)), (), (0,))
    with pytest.raises(SynspInputError, match="joint 0 .* form a cycle"):
        Skeleton("ring", names, list(range(1, n)) + [0], (), (0,))
    with pytest.raises(SynspInputError, match=r"duplicate joint names \['j0'\]"):  # count() per joint: quadratic
        Skeleton("twice", names[:-1] + ["j0"], [-1] * n, (), (0,))
    assert time.perf_counter() - start < 5.0
    with pytest.raises(SynspInputError, match=r"the parents of joint 1 \(b\) form a cycle"):
        Skeleton("small", list("abcd"), [-1, 2, 3, 1], (), (0,))  # the first joint that reaches a cycle


def test_a_cards_skeleton_has_at_most_max_joints():
    n = MAX_JOINTS + 1
    card = shipped()
    card["skeleton"] = "huge_rig"
    card["skeleton_definition"] = {"name": "huge_rig", "joints": [f"j{i}" for i in range(n)],
                                   "parents": [-1] + list(range(n - 1)), "root_joints": [0]}
    with pytest.raises(SynspInputError, match=r"rig\.json: field 'skeleton_definition': 10,001 joints; a card's "
                                              r"skeleton has at most 10,000"):
        ModelCard.from_dict(card, "rig.json")


# f12 --------------------------------------------------------------------------------------------------------

def test_a_half_save_of_values_beyond_float16_writes_nothing(tmp_path):
    model, card = tiny_synsp()
    with torch.no_grad():
        model.embedding[0].bias[0] = 1e5  # finite in float32, inf in float16
    with pytest.raises(SynspInputError, match=r"tensor embedding\.0\.bias holds values float16 cannot represent"):
        save_model(tmp_path / "out" / "h", model, card, half=True)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    save_model(tmp_path / "f", model, card)  # float32 keeps it
    assert load_model(tmp_path / "f")[0].embedding[0].bias[0] == 1e5


# f14 --------------------------------------------------------------------------------------------------------

def test_onnx_export_refuses_a_model_of_several_views(tmp_path):
    from synsp.models.export import export_onnx

    model, card = tiny_synsp()
    card.views = 4
    with pytest.raises(SynspInputError, match="4 views together.*one-view models only"):
        export_onnx(model, card, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


# f15 --------------------------------------------------------------------------------------------------------

def _definition_without_roots(card):
    card["skeleton"] = "rig_x"
    card["skeleton_definition"] = {"name": "rig_x", "joints": ["a"], "parents": [-1]}


def _universal_mask(card):
    card["config"]["mask"] = False


CARD_CHANGES = {
    "mask off, 18 mask channels": (SYNSP, lambda c: c.update(mask=False), r"field 'mask' is False; expected true"),
    "mask channels of another count": (SYNSP, lambda c: c["config"].update(mask_channels=17),
                                       r"'config\.mask_channels' is 17; expected 18"),
    "skeleton any on a SynSP card": (SYNSP, lambda c: c.update(skeleton="any"), r"field 'skeleton' is 'any'"),
    "channels of another joint set": (SYNSP, lambda c: c["config"].update(channels=51),
                                      r"'config\.channels' is 51; expected 54: \(17 joints of 'h36m17' \+ the "
                                      r"trajectory\) x 3"),
    "channels of 2D poses": (SYNSP, lambda c: c.update(dims=2), r"'config\.channels' is 54; expected 36"),
    "rotations of another joint set": ("synsp-smpl24-rot-w8", lambda c: c.update(skeleton="h36m17", root_joints=[0]),
                                       r"'config\.channels' is 144; expected 102: 17 joints of 'h36m17' x 6"),
    "DeciWatch channels": ("deciwatch-h36m17-3d-w101", lambda c: c["config"].update(channels=51), "config.channels"),
    "a mask on SmoothNet": ("smoothnet-h36m17-3d-w8", lambda c: c.update(mask=True), r"'mask' is True; expected false"),
    "universal mask": ("synsp-universal-w8", _universal_mask, r"field 'mask' is True; expected the config's mask"),
    "universal dims": ("synsp-universal-w8", lambda c: c.update(dims=2), r"field 'dims' is 2; expected the config's"),
    "a definition without root_joints": (SYNSP, _definition_without_roots,
                                         r"bad\.json: field 'skeleton_definition': not a valid skeleton .*root_joints"),
    "a definition of a built-in name": (SYNSP, lambda c: c.update(skeleton_definition={
        **get_skeleton("h36m17").to_dict(), "parents": [-1] + [0] * 16}),
        r"bad\.json: field 'skeleton_definition': skeleton name 'h36m17' is already a built-in"),
}


@pytest.mark.parametrize("case", sorted(CARD_CHANGES))
def test_an_inconsistent_card_is_refused_naming_it(case, tmp_path):
    base, change, needle = CARD_CHANGES[case]
    card = shipped(base)
    change(card)
    with pytest.raises(SynspInputError, match=needle):
        load_model(crafted(tmp_path, card, base, stem="bad"))


def test_every_shipped_card_is_consistent():
    for path in sorted(WEIGHTS_DIR.glob("*.json")):
        ModelCard.from_dict(json.loads(path.read_text()), str(path))


def test_weights_of_absurd_magnitude_are_a_corrupt_checkpoint(tmp_path):
    from safetensors.torch import load_file, save_file

    stem = crafted(tmp_path, shipped())
    state = load_file(str(WEIGHTS_DIR / f"{SYNSP}.safetensors"))
    state = {k: (torch.full_like(v, 3e38, dtype=torch.float32) if "refinement_head" in k else v)
             for k, v in state.items()}
    save_file(state, str(tmp_path / "m.safetensors"))
    with pytest.raises(SynspInputError, match=r"m\.safetensors: weights hold values over 1e\+06 in magnitude in 4 "
                                              r"tensor\(s\) .*3e\+38.*corrupt"):
        load_model(stem)


# f17 --------------------------------------------------------------------------------------------------------

def _official(tmp_path, layers: int, extra=None):
    from safetensors.torch import save_file

    state = {"proj_i_a.0.weight": torch.zeros(64, 51),
             "encoder_local.layer_stack.0.pos_ffn.w_1.weight": torch.zeros(128, 64),
             "encoder_local.layer_stack.0.slf_attn.w_qs.weight": torch.zeros(64, 64),
             f"encoder_local.layer_stack.{layers - 1}.x": torch.zeros(1), **(extra or {})}
    save_file(state, str(tmp_path / "official.safetensors"))
    return tmp_path / "official.safetensors"


def test_an_official_file_claiming_many_layers_is_refused_before_building(tmp_path):
    from synsp.models.official import load_official_checkpoint

    with pytest.raises(SynspInputError, match="1,000 encoder layers; at most 100"):  # 0.9 GB were built
        load_official_checkpoint(_official(tmp_path, 1000))
    with pytest.raises(SynspInputError, match="50 encoder layers, and 49 of them have no weights"):
        load_official_checkpoint(_official(tmp_path, 50))
    with pytest.raises(SynspInputError, match="n_head 0"):  # a ZeroDivisionError
        load_official_checkpoint(_official(tmp_path, 1), n_head=0)


# f07 --------------------------------------------------------------------------------------------------------

def test_a_saved_card_records_its_weights_sha256_and_loading_checks_it(tmp_path):
    model, card = tiny_synsp(0)
    stem = save_model(tmp_path / "a", model, card)
    recorded = json.loads((tmp_path / "a.json").read_text())["weights_sha256"]
    assert recorded == hashlib.sha256((tmp_path / "a.safetensors").read_bytes()).hexdigest()
    loaded = load_model(stem)[1]
    assert loaded.weights_sha256 == recorded and loaded == card  # the digest is not part of equality
    other, _ = tiny_synsp(1)
    save_model(tmp_path / "b", other, card)
    shutil.copy(tmp_path / "b.safetensors", tmp_path / "a.safetensors")  # weights that fit, not the card's own
    with pytest.raises(SynspInputError, match=r"a\.safetensors: not the weights its card a\.json was saved with"):
        load_model(stem)
    bad = {**json.loads((tmp_path / "b.json").read_text()), "weights_sha256": "xyz"}
    with pytest.raises(SynspInputError, match="'weights_sha256' is 'xyz'"):
        ModelCard.from_dict(bad, "b.json")
    assert not ModelCard.from_dict(shipped(), "shipped.json").weights_sha256  # cards without it load


def _same_weights(a, b) -> bool:
    return all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_an_interrupted_save_never_leaves_a_mismatched_pair(tmp_path, monkeypatch):
    import os

    old, card = tiny_synsp(0)
    new, _ = tiny_synsp(1)
    stem = save_model(tmp_path / "m", old, card)

    def interrupted(self):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # interrupted while the card is written: the previous pair stays as it was
        m.setattr(ModelCard, "to_json", interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_model(stem, new, card)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]
    assert _same_weights(load_model(stem)[0], old)

    replace, calls = os.replace, []

    def second_rename_interrupted(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return replace(src, dst)

    with monkeypatch.context() as m:  # interrupted between the renames: new weights, and no card to load them by
        m.setattr(os, "replace", second_rename_interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_model(stem, new, card)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    with pytest.raises(SynspInputError, match=r"m\.json is missing"):
        load_model(stem)
    save_model(stem, new, card)
    assert _same_weights(load_model(stem)[0], new)
