"""Analytic checks of synsp.geometry against scipy and against the defining formulas."""

import itertools

import numpy as np
import pytest
import scipy.fft
import torch
from scipy.spatial.transform import Rotation

from synsp import geometry as g
from synsp.validation import SynspInputError

RNG_SEED = 0


def random_axis_angles(n, rng, low=0.0, high=np.pi):
    axes = rng.normal(size=(n, 3))
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    return axes * rng.uniform(low, high, size=(n, 1))


def hard_axis_angles(rng):
    """Random axes with angles in (0, pi), plus angles at 0+ and pi- edges."""
    angles = np.array([1e-12, 1e-9, 1e-6, 1e-3, 0.5, 1.0, 2.0, 3.0, np.pi - 1e-3, np.pi - 1e-7])
    axes = rng.normal(size=(len(angles), 3))
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    return np.concatenate([axes * angles[:, None], random_axis_angles(50, rng, 0.01, np.pi - 0.01)])


def identity_like(M):
    return np.broadcast_to(np.eye(M.shape[-1]), M.shape)


def as_kind(x, kind):
    return torch.from_numpy(x) if kind == "torch" else x


def to_np(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


# ---------------------------------------------------------------------------- rotations


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_axis_angle_round_trip(rng, kind):
    aa = hard_axis_angles(rng).reshape(6, 10, 3)  # arbitrary leading dims
    R = g.axis_angle_to_matrix(as_kind(aa, kind))
    assert R.shape == (6, 10, 3, 3)
    back = g.matrix_to_axis_angle(R)
    assert type(back) is type(as_kind(aa, kind))
    np.testing.assert_allclose(to_np(back), aa, atol=1e-9, rtol=0)


def test_axis_angle_to_matrix_matches_scipy(rng):
    aa = hard_axis_angles(rng)
    np.testing.assert_allclose(
        g.axis_angle_to_matrix(aa), Rotation.from_rotvec(aa).as_matrix(), atol=1e-14, rtol=0
    )


def test_matrix_to_axis_angle_matches_scipy(rng):
    R = Rotation.from_rotvec(hard_axis_angles(rng)).as_matrix()
    np.testing.assert_allclose(
        g.matrix_to_axis_angle(R), Rotation.from_matrix(R).as_rotvec(), atol=1e-9, rtol=0
    )


def test_angle_exactly_pi(rng):
    axes = random_axis_angles(20, rng, 1.0, 1.0)
    R = Rotation.from_rotvec(np.pi * axes).as_matrix()
    aa = g.matrix_to_axis_angle(R)
    np.testing.assert_allclose(np.linalg.norm(aa, axis=-1), np.pi, atol=1e-12)
    np.testing.assert_allclose(np.abs(np.sum(aa / np.pi * axes, axis=-1)), 1.0, atol=1e-12)
    np.testing.assert_allclose(g.axis_angle_to_matrix(aa), R, atol=1e-12)


def test_exact_at_zero():
    assert np.array_equal(g.axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    assert np.array_equal(g.matrix_to_axis_angle(np.eye(3)), np.zeros(3))
    assert np.array_equal(g.axis_angle_to_quaternion(np.zeros(3)), [1.0, 0, 0, 0])


@pytest.mark.parametrize(
    "fn, x",
    [
        (g.axis_angle_to_matrix, torch.zeros(2, 3)),
        (g.axis_angle_to_quaternion, torch.zeros(2, 3)),
        (g.quaternion_to_axis_angle, torch.tensor([[1.0, 0, 0, 0]] * 2)),
        (g.matrix_to_axis_angle, torch.eye(3).repeat(2, 1, 1)),
        (lambda R: g.geodesic_angle(R, torch.eye(3)), torch.eye(3).repeat(2, 1, 1)),
    ],
)
def test_gradient_finite_at_identity(fn, x):
    x = x.double().requires_grad_()
    fn(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_axis_angle_to_matrix_gradient_at_zero_is_skew():
    # R(aa) = I + skew(aa) + O(|aa|^2), so dR/d aa_k at 0 is skew(e_k), the matrix of u -> e_k x u.
    aa = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    jac = torch.autograd.functional.jacobian(g.axis_angle_to_matrix, aa)
    for k, e in enumerate(np.eye(3)):
        skew_e = np.cross(e, np.eye(3)).T  # column i is e_k x e_i
        np.testing.assert_array_equal(jac[..., k].numpy(), skew_e)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_matrix_quaternion_round_trip(kind):
    R = Rotation.random(200, random_state=RNG_SEED).as_matrix().reshape(10, 20, 3, 3)
    q = g.matrix_to_quaternion(as_kind(R, kind))
    qn = to_np(q)
    assert qn.shape == (10, 20, 4)
    np.testing.assert_allclose(np.linalg.norm(qn, axis=-1), 1.0, atol=1e-14)
    assert (qn[..., 0] >= 0).all()
    np.testing.assert_allclose(to_np(g.quaternion_to_matrix(q)), R, atol=1e-14)


def scipy_quat_wxyz(rot):
    q = rot.as_quat()[..., [3, 0, 1, 2]]  # scipy is scalar-last
    return np.where(q[..., :1] < 0, -q, q)


def test_quaternions_match_scipy(rng):
    aa = hard_axis_angles(rng)
    rot = Rotation.from_rotvec(aa)
    q = scipy_quat_wxyz(rot)
    np.testing.assert_allclose(g.matrix_to_quaternion(rot.as_matrix()), q, atol=1e-14)
    np.testing.assert_allclose(g.axis_angle_to_quaternion(aa), q, atol=1e-15)
    np.testing.assert_allclose(g.quaternion_to_matrix(q), rot.as_matrix(), atol=1e-14)
    np.testing.assert_allclose(g.quaternion_to_axis_angle(q), aa, atol=1e-9)


def test_quaternion_sign_and_scale_invariance(rng):
    aa = random_axis_angles(30, rng)
    q = g.axis_angle_to_quaternion(aa)
    scaled = -3.0 * q
    np.testing.assert_allclose(g.quaternion_to_axis_angle(scaled), aa, atol=1e-12)
    np.testing.assert_allclose(
        g.quaternion_to_matrix(scaled), g.quaternion_to_matrix(q), atol=1e-14
    )


def test_axis_angle_beyond_pi_gives_canonical_quaternion():
    aa = np.array([0.0, 0.0, 1.5 * np.pi])  # same rotation as -pi/2 about z
    q = g.axis_angle_to_quaternion(aa)
    assert q[0] >= 0
    np.testing.assert_allclose(g.quaternion_to_axis_angle(q), [0, 0, -np.pi / 2], atol=1e-14)


def test_rot6d_layout_identity():
    assert np.array_equal(g.matrix_to_rot6d(np.eye(3)), [1.0, 0, 0, 1, 0, 0])


def test_rot6d_layout_is_first_two_columns_row_by_row():
    R = Rotation.random(5, random_state=RNG_SEED).as_matrix()
    x = g.matrix_to_rot6d(R)
    for i, j in itertools.product(range(3), range(2)):
        np.testing.assert_array_equal(x[:, 2 * i + j], R[:, i, j])


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_rot6d_round_trip(kind):
    R = Rotation.random(60, random_state=RNG_SEED).as_matrix().reshape(3, 20, 3, 3)
    x = g.matrix_to_rot6d(as_kind(R, kind))
    assert x.shape == (3, 20, 6)
    np.testing.assert_allclose(to_np(g.rot6d_to_matrix(x)), R, atol=1e-14)


def test_rot6d_of_perturbed_matrix_is_a_rotation(rng):
    R = Rotation.random(100, random_state=RNG_SEED).as_matrix() + 0.3 * rng.normal(size=(100, 3, 3))
    x = g.matrix_to_rot6d(R)
    out = g.rot6d_to_matrix(x)
    np.testing.assert_allclose(out @ np.swapaxes(out, -1, -2), identity_like(out), atol=1e-14)
    np.testing.assert_allclose(np.linalg.det(out), 1.0, atol=1e-14)
    a1 = x[:, [0, 2, 4]]
    b1 = a1 / np.linalg.norm(a1, axis=-1, keepdims=True)
    np.testing.assert_allclose(out[..., 0], b1, atol=1e-15)
    # b2 lies in the plane of a1 and a2
    a2 = x[:, [1, 3, 5]]
    np.testing.assert_allclose(np.sum(np.cross(a1, a2) * out[..., 1], axis=-1), 0.0, atol=1e-12)


def test_rot6d_axis_angle_convenience(rng):
    aa = random_axis_angles(40, rng, 0.01, np.pi - 0.01)
    x = g.axis_angle_to_rot6d(aa)
    expected = g.matrix_to_rot6d(Rotation.from_rotvec(aa).as_matrix())
    np.testing.assert_allclose(x, expected, atol=1e-14)
    np.testing.assert_allclose(g.rot6d_to_axis_angle(x), aa, atol=1e-10)


ORDERS3 = ["".join(p) for p in itertools.product("XYZ", repeat=3)]


@pytest.mark.parametrize("order", ORDERS3)
def test_euler_every_order_is_product_of_elementals(rng, order):
    angles = rng.uniform(-np.pi, np.pi, size=(7, 3))
    expected = np.eye(3)
    for k, axis in enumerate(order):
        expected = expected @ Rotation.from_euler(axis, angles[:, k : k + 1]).as_matrix()
    np.testing.assert_allclose(g.euler_to_matrix(angles, order), expected, atol=1e-14)
    if all(a != b for a, b in zip(order, order[1:])):  # scipy refuses repeated neighbours
        expected = Rotation.from_euler(order, angles).as_matrix()
        np.testing.assert_allclose(g.euler_to_matrix(angles, order), expected, atol=1e-14)


@pytest.mark.parametrize("order", ["X", "Y", "Z", "XY", "ZX", "YZ"])
def test_euler_short_orders_match_scipy(rng, order):
    angles = rng.uniform(-np.pi, np.pi, size=(5, len(order)))
    expected = Rotation.from_euler(order, angles).as_matrix()
    np.testing.assert_allclose(g.euler_to_matrix(angles, order), expected, atol=1e-14)


def test_euler_zyx_convention_and_degrees():
    a = np.array([30.0, -45.0, 60.0])
    c, s = np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))
    Rz = np.array([[c[0], -s[0], 0], [s[0], c[0], 0], [0, 0, 1]])
    Ry = np.array([[c[1], 0, s[1]], [0, 1, 0], [-s[1], 0, c[1]]])
    Rx = np.array([[1, 0, 0], [0, c[2], -s[2]], [0, s[2], c[2]]])
    np.testing.assert_allclose(g.euler_to_matrix(a, "ZYX", degrees=True), Rz @ Ry @ Rx, atol=1e-15)
    t = g.euler_to_matrix(torch.tensor(a, dtype=torch.float32), "ZYX", degrees=True)
    assert t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), Rz @ Ry @ Rx, atol=1e-6)


@pytest.mark.parametrize("theta", [0.0, 1e-9, 1e-4, 0.3, 1.0, 2.5, np.pi - 1e-6, np.pi])
def test_geodesic_angle_of_z_rotation(theta):
    Rz = Rotation.from_euler("Z", theta).as_matrix()
    assert g.geodesic_angle(Rz, np.eye(3)) == pytest.approx(theta, rel=1e-9, abs=1e-15)
    assert g.geodesic_angle(np.eye(3), Rz) == pytest.approx(theta, rel=1e-9, abs=1e-15)


def test_geodesic_angle_matches_scipy_batched(rng):
    R1 = Rotation.random(40, random_state=1)
    R2 = Rotation.random(40, random_state=2)
    expected = (R1.inv() * R2).magnitude()
    got = g.geodesic_angle(torch.from_numpy(R1.as_matrix()), torch.from_numpy(R2.as_matrix()))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


def test_torch_dtype_and_autograd_preserved(rng):
    aa = torch.tensor(random_axis_angles(8, rng), dtype=torch.float32, requires_grad=True)
    R = g.axis_angle_to_matrix(aa)
    assert R.dtype == torch.float32 and R.requires_grad
    x = g.matrix_to_rot6d(R)
    g.rot6d_to_axis_angle(x).sum().backward()
    assert torch.isfinite(aa.grad).all()
    out = g.axis_angle_to_matrix(np.float32(random_axis_angles(4, rng)))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32


# ---------------------------------------------------------------------------- DCT


@pytest.mark.parametrize("norm", [None, "ortho"])
def test_dct_matrix_matches_scipy(norm):
    rng = np.random.default_rng(RNG_SEED)
    for n in range(1, 34):
        x = rng.normal(size=(n, 4))
        np.testing.assert_allclose(
            g.dct_matrix(n, norm) @ x, scipy.fft.dct(x, type=2, norm=norm, axis=0), atol=1e-12
        )
        np.testing.assert_allclose(
            g.idct_matrix(n, norm) @ x, scipy.fft.idct(x, type=2, norm=norm, axis=0), atol=1e-12
        )
        product = g.idct_matrix(n, norm) @ g.dct_matrix(n, norm)
        np.testing.assert_allclose(product, np.eye(n), atol=1e-12)


def test_dct_ortho_matrix_is_orthogonal():
    for n in (1, 2, 7, 32, 100):
        M = g.dct_matrix(n, "ortho")
        np.testing.assert_allclose(M @ M.T, np.eye(n), atol=1e-12)
        np.testing.assert_array_equal(g.idct_matrix(n, "ortho"), M.T)


@pytest.mark.parametrize("norm", [None, "ortho"])
@pytest.mark.parametrize("axis", [0, 1, -2, -1])
def test_dct_along_axis_numpy_and_torch(rng, norm, axis):
    x = rng.normal(size=(2, 9, 5, 3))
    expected = scipy.fft.dct(x, type=2, norm=norm, axis=axis)
    np.testing.assert_allclose(g.dct(x, axis=axis, norm=norm), expected, atol=1e-12)
    t = g.dct(torch.from_numpy(x), axis=axis, norm=norm)
    assert isinstance(t, torch.Tensor)
    np.testing.assert_allclose(t.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(g.idct(t, axis=axis, norm=norm).numpy(), x, atol=1e-12)
    np.testing.assert_allclose(g.idct(expected, axis=axis, norm=norm), x, atol=1e-12)


def test_dct_default_axis_is_time_of_sequence(rng):
    x = rng.normal(size=(16, 17, 3))  # (T, J, D): default axis -2 is J here; pass axis=0 for T
    np.testing.assert_allclose(g.dct(x), scipy.fft.dct(x, norm="ortho", axis=-2), atol=1e-12)
    seq = rng.normal(size=(4, 32, 51))  # (B, T, C)
    np.testing.assert_allclose(g.dct(seq), scipy.fft.dct(seq, norm="ortho", axis=1), atol=1e-12)


def test_dct_matrix_cache_is_read_only():
    with pytest.raises(ValueError):
        g.dct_matrix(8)[0, 0] = 1.0


# ---------------------------------------------------------------------------- Procrustes


def random_similarity(rng, batch, D):
    """Random (det +1) rotations, scales and shifts."""
    if D == 3:
        R = Rotation.random(int(np.prod(batch)), random_state=rng.integers(1 << 31)).as_matrix()
    else:
        a = rng.uniform(-np.pi, np.pi, size=int(np.prod(batch)))
        R = np.stack([np.cos(a), -np.sin(a), np.sin(a), np.cos(a)], -1).reshape(-1, 2, 2)
    return R.reshape(*batch, D, D), rng.uniform(0.5, 2.0, size=batch), rng.normal(size=(*batch, D))


@pytest.mark.parametrize("D", [2, 3])
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_procrustes_recovers_similarity(rng, D, kind):
    batch = (4, 6)
    X = rng.normal(size=(*batch, 17, D))
    R, s, t = random_similarity(rng, batch, D)
    Y = s[..., None, None] * X @ np.swapaxes(R, -1, -2) + t[..., None, :]
    fit = g.similarity_procrustes(as_kind(X, kind), as_kind(Y, kind))
    scale, R_hat, t_hat = (to_np(v) for v in fit)
    np.testing.assert_allclose(scale, s, atol=1e-10)
    np.testing.assert_allclose(R_hat, R, atol=1e-10)
    np.testing.assert_allclose(t_hat, t, atol=1e-10)
    aligned = to_np(g.procrustes_align(as_kind(X, kind), as_kind(Y, kind)))
    assert np.abs(aligned - Y).max() < 1e-10


@pytest.mark.parametrize("D", [2, 3])
def test_rigid_procrustes_recovers_rotation(rng, D):
    X = rng.normal(size=(5, 10, D))
    R, _, t = random_similarity(rng, (5,), D)
    Y = X @ np.swapaxes(R, -1, -2) + t[:, None, :]
    R_hat, t_hat = g.rigid_procrustes(X, Y)
    np.testing.assert_allclose(R_hat, R, atol=1e-10)
    np.testing.assert_allclose(t_hat, t, atol=1e-10)


@pytest.mark.parametrize("D", [2, 3])
def test_procrustes_never_returns_a_reflection(rng, D):
    X = rng.normal(size=(20, 12, D))
    mirror = np.eye(D)
    mirror[0, 0] = -1.0
    Y = X @ mirror  # a reflected copy: best det +1 fit is not exact
    scale, R, _ = g.similarity_procrustes(X, Y)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    np.testing.assert_allclose(R @ np.swapaxes(R, -1, -2), identity_like(R), atol=1e-12)
    assert (scale > 0).all()
    assert np.abs(g.procrustes_align(X, Y) - Y).max() > 1e-3


def reference_procrustes(S1, S2):
    """Per-item formula with points as columns (SmoothNet convention), plain numpy."""
    S1, S2 = S1.T, S2.T
    mu1 = S1.mean(axis=1, keepdims=True)
    mu2 = S2.mean(axis=1, keepdims=True)
    X1, X2 = S1 - mu1, S2 - mu2
    K = X1 @ X2.T
    U, _, Vt = np.linalg.svd(K)
    V = Vt.T
    Z = np.eye(U.shape[0])
    Z[-1, -1] *= np.sign(np.linalg.det(U @ V.T))
    R = V @ Z @ U.T
    scale = np.trace(R @ K) / np.sum(X1**2)
    t = mu2 - scale * (R @ mu1)
    return scale, R, t[:, 0], (scale * R @ S1 + t).T


@pytest.mark.parametrize("D", [2, 3])
def test_procrustes_matches_per_item_loop(rng, D):
    X = rng.normal(size=(3, 5, 9, D))
    Y = rng.normal(size=(3, 5, 9, D))
    scale, R, t = g.similarity_procrustes(X, Y)
    aligned = g.procrustes_align(X, Y)
    for idx in np.ndindex(3, 5):
        s_ref, R_ref, t_ref, aligned_ref = reference_procrustes(X[idx], Y[idx])
        assert scale[idx] == pytest.approx(s_ref, abs=1e-12)
        np.testing.assert_allclose(R[idx], R_ref, atol=1e-12)
        np.testing.assert_allclose(t[idx], t_ref, atol=1e-12)
        np.testing.assert_allclose(aligned[idx], aligned_ref, atol=1e-12)


def test_procrustes_gradient_flows(rng):
    X = torch.tensor(rng.normal(size=(8, 17, 3)), requires_grad=True)
    Y = torch.tensor(rng.normal(size=(8, 17, 3)), requires_grad=True)
    loss = (g.procrustes_align(X, Y) - Y).norm(dim=-1).mean()
    loss.backward()
    assert torch.isfinite(X.grad).all() and torch.isfinite(Y.grad).all()
    assert X.grad.abs().sum() > 0


def test_procrustes_degenerate_source_has_no_nan(rng):
    X = np.ones((2, 5, 3))
    Y = rng.normal(size=(2, 5, 3))
    scale, R, t = g.similarity_procrustes(X, Y)
    assert np.array_equal(scale, [0.0, 0.0])
    np.testing.assert_allclose(R, identity_like(R), atol=1e-15)
    Xt = torch.ones(2, 5, 3, dtype=torch.float64, requires_grad=True)
    g.procrustes_align(Xt, torch.from_numpy(Y)).sum().backward()
    assert torch.isfinite(Xt.grad).all()
    aligned = g.procrustes_align(X, Y)
    centroid = np.broadcast_to(Y.mean(axis=1, keepdims=True), Y.shape)
    np.testing.assert_allclose(aligned, centroid, atol=1e-12)


def test_procrustes_nan_item_does_not_spoil_the_batch(rng):
    X = rng.normal(size=(3, 6, 3))
    Y = rng.normal(size=(3, 6, 3))
    X[1, 2, 0] = np.nan
    scale, R, t = g.similarity_procrustes(X, Y)
    assert np.isnan(scale[1]) and np.isnan(R[1]).all() and np.isnan(t[1]).all()
    aligned = g.procrustes_align(X, Y)
    assert np.isnan(aligned[1]).all()
    for i in (0, 2):
        np.testing.assert_allclose(aligned[i], reference_procrustes(X[i], Y[i])[3], atol=1e-12)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, shape_str, name",
    [
        (lambda: g.axis_angle_to_matrix(np.zeros((5, 4))), "(5, 4)", "aa"),
        (lambda: g.axis_angle_to_quaternion(torch.zeros(2)), "(2,)", "aa"),
        (lambda: g.matrix_to_axis_angle(np.zeros((7, 3, 4))), "(7, 3, 4)", "R"),
        (lambda: g.matrix_to_quaternion(np.zeros(3)), "(3,)", "R"),
        (lambda: g.matrix_to_rot6d(np.zeros((2, 2, 3))), "(2, 2, 3)", "R"),
        (lambda: g.quaternion_to_matrix(np.zeros((4, 3))), "(4, 3)", "q"),
        (lambda: g.quaternion_to_axis_angle(np.zeros((1, 3))), "(1, 3)", "q"),
        (lambda: g.rot6d_to_matrix(np.zeros((10, 9))), "(10, 9)", "x"),
        (lambda: g.euler_to_matrix(np.zeros((4, 2)), "ZYX"), "(4, 2)", "angles"),
        (lambda: g.geodesic_angle(np.eye(3), np.zeros((2, 9))), "(2, 9)", "R2"),
        (
            lambda: g.similarity_procrustes(np.zeros((17, 4)), np.zeros((17, 4))),
            "(17, 4)",
            "source",
        ),
        (
            lambda: g.procrustes_align(np.zeros((2, 17, 3)), np.zeros((2, 16, 3))),
            "(2, 16, 3)",
            "target",
        ),
        (lambda: g.rigid_procrustes(np.zeros((0, 3)), np.zeros((0, 3))), "(0, 3)", "source"),
        (lambda: g.dct(np.zeros((4, 3)), axis=2), "(4, 3)", "axis"),
    ],
)
def test_bad_shapes_raise_with_shape_in_message(call, shape_str, name):
    with pytest.raises(SynspInputError) as info:
        call()
    assert shape_str in str(info.value)
    assert name in str(info.value)


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: g.euler_to_matrix(np.zeros(3), "zyx"), "'zyx'"),
        (lambda: g.euler_to_matrix(np.zeros(4), "XYZX"), "'XYZX'"),
        (lambda: g.dct(np.zeros((4, 3)), norm="forward"), "'forward'"),
        (lambda: g.dct_matrix(0), "n is 0"),
        (lambda: g.idct_matrix(4, norm="bogus"), "'bogus'"),
    ],
)
def test_bad_arguments_raise(call, fragment):
    with pytest.raises(SynspInputError, match=fragment):
        call()
