"""The refiner registry (issue 16, part 2): concrete refiners add themselves to ``synsp.refiners``,
which imports none of them, and ``get_refiner`` still gives the same refiners in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from synsp import refiners
from synsp.refiners import FunctionRefiner, get_refiner, register_resolver, register_wrapper


@pytest.fixture
def clean_registry(monkeypatch):
    """The registry as it is, restored after the test (registrations made in it are dropped)."""
    refiners._load_builtin_refiners()
    monkeypatch.setattr(refiners, "_RESOLVERS", list(refiners._RESOLVERS))
    monkeypatch.setattr(refiners, "_WRAPPERS", dict(refiners._WRAPPERS))


def _halve(x, **_):
    return np.asarray(x) * 0.5


def test_a_registered_suffix_resolver_is_used_by_get_refiner(clean_registry):
    seen = []

    def factory(base, **kw):
        seen.append((base, kw))
        return FunctionRefiner(_halve, name=f"{base}+halved")

    register_resolver("+halved", factory)
    r = get_refiner("anything+halved", delay=0)
    assert isinstance(r, FunctionRefiner)
    assert seen == [("anything", {"delay": 0})]
    x = np.ones((5, 3, 2))
    np.testing.assert_array_equal(r(x), x * 0.5)


def test_a_registered_predicate_resolver_gets_the_whole_name(clean_registry):
    register_resolver(lambda key: key.startswith("halve:"), lambda key, **kw: FunctionRefiner(_halve, name=key))
    assert get_refiner("halve:me").name == "halve:me"


def test_registering_a_suffix_again_replaces_it(clean_registry):
    register_resolver("+twice", lambda base, **kw: FunctionRefiner(_halve, name="first"))
    register_resolver("+twice", lambda base, **kw: FunctionRefiner(_halve, name="second"))
    assert get_refiner("x+twice").name == "second"


def test_filters_come_before_registered_resolvers(clean_registry):
    register_resolver(lambda key: True, lambda key, **kw: FunctionRefiner(_halve, name="greedy"))
    assert type(get_refiner("butterworth")).__name__ == "ButterworthFilter"


def test_a_registered_wrapper_wraps_networks_with_that_normalization(clean_registry):
    class Card:
        normalization = "test-normalization"

    class Net:
        card = Card()

    register_wrapper("test-normalization", lambda net: ("wrapped", net))
    net = Net()
    assert refiners.network_refiner(net) == ("wrapped", net)
    Card.normalization = "other"
    assert refiners.network_refiner(net) is net


def test_the_builtin_refiners_are_registered():
    from synsp.grouping import similar_pose_refiner
    from synsp.normalization import ROTATIONS_6D
    from synsp.rotations import RotationNetwork

    refiners._load_builtin_refiners()
    assert refiners._WRAPPERS[ROTATIONS_6D] is RotationNetwork
    suffixes = [getattr(m, "suffix", None) for m, _ in refiners._RESOLVERS]
    assert refiners.SIMILAR_POSES in suffixes
    assert similar_pose_refiner.__module__ == "synsp.grouping"


@pytest.mark.parametrize("name, expected", [
    ("synsp-h36m17-3d-w8-p4+similar-poses", "SimilarPoseRefiner"),
    ("synsp-smpl24-rot-w8", "RotationNetwork"),
])
def test_get_refiner_in_a_fresh_interpreter(name, expected):
    if name.split("+")[0] not in refiners.shipped_models():
        pytest.skip(f"{name} is not shipped in this checkout")
    code = f"from synsp.refiners import get_refiner; print(type(get_refiner({name!r})).__name__)"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def test_refiners_imports_none_of_the_concrete_refiners():
    code = ("import sys, synsp.refiners; "
            "print(sorted(m for m in ('synsp.grouping', 'synsp.rotations') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
