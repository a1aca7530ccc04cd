"""Kalman filter and RTS smoother: textbook recursions, exact on polynomials of the model."""

import numpy as np
import pytest

from synsp.filters import KalmanFilter, get_filter
from synsp.filters.kalman import motion_model


def textbook_kalman(z, c, model, q, sigma, fps, smoother):
    """One channel, the textbook equations with explicit inverses; c[t] = 0 means no measurement."""
    F, G = motion_model(model, 1 / fps)
    n = len(G)
    Q = q**2 * np.outer(G, G)
    H = np.eye(1, n)
    s = np.zeros(n)
    s[0] = z[0]
    P = np.diag((1e4 * sigma * fps ** np.arange(n)) ** 2)
    filt, pred, P_filt, P_pred = [], [], [], []
    for t in range(len(z)):
        if t > 0:
            s, P = F @ s, F @ P @ F.T + Q
        pred.append(s)
        P_pred.append(P)
        if c[t] > 0:
            S = H @ P @ H.T + sigma**2 / c[t]
            K = P @ H.T @ np.linalg.inv(S)
            s = s + (K @ (z[t] - H @ s)).ravel()
            P = (np.eye(n) - K @ H) @ P
        filt.append(s)
        P_filt.append(P)
    if smoother:
        for t in range(len(z) - 2, -1, -1):
            A = P_filt[t] @ F.T @ np.linalg.inv(P_pred[t + 1])
            filt[t] = filt[t] + A @ (filt[t + 1] - pred[t + 1])
    return np.array(filt)[:, 0]


@pytest.mark.parametrize("model", ["cv", "ca"])
@pytest.mark.parametrize("smoother", [False, True])
def test_matches_textbook_equations_with_confidence_and_gaps(model, smoother):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3, 2)).cumsum(axis=0) * 0.01
    confidence = rng.uniform(0.3, 1.0, size=(40, 3))
    confidence[5:9, 1] = 0.0  # missing: no update
    f = KalmanFilter(model=model, process_noise=20.0, measurement_noise=0.01, smoother=smoother)
    y = f(x, fps=25, confidence=confidence)
    for j in range(3):
        for d in range(2):
            want = textbook_kalman(x[:, j, d], confidence[:, j], model, 20.0, 0.01, 25, smoother)
            np.testing.assert_allclose(y[:, j, d], want, rtol=1e-7, atol=1e-9)


def test_rts_constant_acceleration_reproduces_a_quadratic():
    c = np.random.default_rng(1).normal(size=(3, 5, 3))
    t = np.arange(120)[:, None, None] / 30
    x = c[0] + 2 * c[1] * t + 5 * c[2] * t**2  # metres, up to ~10 m/s^2
    y = get_filter("kalman-rts")(x, fps=30)
    np.testing.assert_allclose(y, x, rtol=0, atol=1e-8)


def test_rts_constant_velocity_reproduces_a_line():
    c = np.random.default_rng(2).normal(size=(2, 5, 3))
    t = np.arange(80)[:, None, None] / 30
    y = get_filter("kalman-rts", model="cv", process_noise=2.0)(c[0] + c[1] * t, fps=30)
    np.testing.assert_allclose(y, c[0] + c[1] * t, rtol=0, atol=1e-8)


def test_low_confidence_pulls_less_than_high_confidence():
    x = np.zeros((30, 1, 3))
    x[15] = 0.1  # a 10 cm outlier in frame 15
    f = get_filter("kalman-rts")
    sure = np.ones((30, 1))
    unsure = sure.copy()
    unsure[15] = 0.35  # just above min_confidence: R is 1 / 0.35 times larger
    assert 0 < np.abs(f(x, confidence=unsure)[15]).max() < np.abs(f(x, confidence=sure)[15]).max()


def test_smoother_is_offline_and_filter_is_causal():
    assert get_filter("kalman").causal and not get_filter("kalman-rts").causal
    assert get_filter("kalman").window == 1
