"""Cross-checks against OpenSim 4.6 on the same published models (skipped without opensim or
../shared/reference/opensim)."""
from __future__ import annotations

import numpy as np
import pytest

TOL_M = 1e-4  # max difference 0.1 mm in length and moment arm

HIP = ("hip_flexion", "hip_adduction", "hip_rotation")


def random_poses(model, n: int, seed: int) -> np.ndarray:
    """Random poses over the test's ranges: hip flexion -20..70 deg, adduction -30..25,
    rotation -35..35, knee -100..0, both legs; pelvis and lumbar coordinates also varied."""
    rng = np.random.default_rng(seed)
    q = np.tile(model.default_q, (n, 1))
    ranges = {"hip_flexion": (-20, 70), "hip_adduction": (-30, 25), "hip_rotation": (-35, 35),
              "knee_angle": (-100, 0), "ankle_angle": (-25, 25), "subtalar_angle": (-15, 15), "mtp_angle": (-20, 30)}
    for side in "rl":
        for c, (lo, hi) in ranges.items():
            q[:, model.coordinate_index(f"{c}_{side}")] = np.radians(rng.uniform(lo, hi, n))
    for c in ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "lumbar_extension", "lumbar_bending",
              "lumbar_rotation"):
        q[:, model.coordinate_index(c)] = np.radians(rng.uniform(-15, 15, n))
    return q


def opensim_lengths_and_arms(osim, path, coord_names, muscle_names, qs, pairs):
    """Lengths (nf, nm) and the moment arms listed in ``pairs`` [(muscle, coord)] from OpenSim."""
    om = osim.Model(str(path))
    s = om.initSystem()
    cs = om.getCoordinateSet()
    coords = [cs.get(n) for n in coord_names]
    muscles = [om.getMuscles().get(n) for n in muscle_names]
    lengths = np.empty((qs.shape[0], len(muscles)))
    arms = np.empty((qs.shape[0], len(pairs)))
    for f, q in enumerate(qs):
        for c, v in zip(coords, q):
            c.setValue(s, float(v), False)
        om.realizePosition(s)
        for i, mu in enumerate(muscles):
            lengths[f, i] = mu.getLength(s)
        for p, (i, k) in enumerate(pairs):
            arms[f, p] = muscles[i].computeMomentArm(s, coords[k])
    return lengths, arms


def _compare(osim, path, model, seed):
    qs = random_poses(model, 100, seed)
    # Every hip-crossing muscle, each coordinate it crosses (others are exactly zero by topology).
    hip_idx = [model.coordinate_index(f"{c}_{s}") for c in HIP for s in "rl"]
    mus = [i for i in range(model.n_muscles) if model.crossing[i, hip_idx].any()]
    pairs = [(j, k) for j, i in enumerate(mus) for k in np.flatnonzero(model.crossing[i])]
    L_ref, A_ref = opensim_lengths_and_arms(osim, path, model.coordinate_names,
                                            [model.muscle_aliases[i] for i in mus], qs, pairs)
    L, A = model.lengths_and_moment_arms(qs)
    dl = np.abs(L[:, mus] - L_ref).max()
    da = np.abs(np.stack([A[:, mus[j], k] for j, k in pairs], axis=1) - A_ref).max()
    assert len(mus) >= 2 * 27, "expected every hip-crossing muscle of both legs"
    assert dl <= TOL_M, f"max length difference {dl:.3g} m"
    assert da <= TOL_M, f"max moment-arm difference {da:.3g} m"


def test_default_model_matches_opensim_gait2392(opensim, reference_dir, default_model):
    """Lengths and moment arms of every hip-crossing muscle of hipsim's default model
    agree with OpenSim 4.6 on gait2392_thelen2003muscle.osim (Delp et al. 1990) at 100 random
    poses within 0.1 mm."""
    _compare(opensim, reference_dir / "gait2392_thelen2003muscle.osim", default_model, seed=1)


def test_scaled_subject01_imports_and_matches_opensim(opensim, reference_dir):
    """The scaled subject01 model (MultiplierFunction-wrapped splines) imports and
    agrees with OpenSim within 0.1 mm."""
    import hipsim
    path = reference_dir / "subject01_simbody_adjusted.osim"
    model = hipsim.load_model(path)
    _compare(opensim, path, model, seed=2)


def test_simm_spline_matches_opensim(opensim):
    """hipsim's SimmSpline (Forsythe, Malcolm & Moler 1977 end conditions) gives OpenSim's values
    and slopes, inside the knots and in linear extrapolation."""
    from hipsim.model.functions import FunctionTableBuilder, feval
    from hipsim.model.spec import SimmSpline
    rng = np.random.default_rng(3)
    for n in (2, 3, 4, 5, 9):
        x = np.cumsum(rng.uniform(0.1, 1.0, n))
        y = rng.normal(size=n)
        ref = opensim.SimmSpline()
        for xi, yi in zip(x, y):
            ref.addPoint(float(xi), float(yi))
        fb = FunctionTableBuilder()
        fb.add(SimmSpline(tuple(x), tuple(y)))
        t = fb.build()
        for xv in np.linspace(x[0] - 0.5, x[-1] + 0.5, 37):
            v, d, _ = feval(0, xv, *t)
            vec = opensim.Vector(1, float(xv))
            assert v == pytest.approx(ref.calcValue(vec), abs=1e-12)
            deriv = opensim.StdVectorInt()
            deriv.append(0)
            assert d == pytest.approx(ref.calcDerivative(deriv, vec), abs=1e-10)
