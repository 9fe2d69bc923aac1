"""Many single-leg stances in one batched pass through the kernels.

:func:`hipsim.single_leg_stance` solves one person in one posture: a balance search
(``scipy.optimize.least_squares``), inverse dynamics, static optimisation and the hip
reaction, about 7 ms. A study needs thousands. :func:`stance_batch` does the same
mechanics for many samples at once: every sample's frame is stacked into one array, and each
step is one call over the stack (body poses, muscle lengths and moment arms, the dual Newton
static-optimisation kernel :func:`hipsim.optimize.solve_arrays`, the joint reaction).

What is batched, and why it is exact:

* **Subjects.** hipsim scales a model uniformly (:mod:`hipsim.model.scaling`): lengths by
  ``s = H / H0``, masses by ``m = M / M0``, maximum forces by ``m^(2/3)``. So a scaled body at
  joint angles q is the reference body at q magnified by s: every lever is s times the
  reference lever, normalised fibre lengths are unchanged, and the weights are m times the
  reference weights. Samples with different body mass and height therefore share the
  reference model's geometry; only per-sample factors differ (``s``, ``m``, the loads' own
  positions, which carry a fixed 5 cm lateral offset of the hand that does not scale). No model
  is rebuilt per sample.
* **Balance.** The whole-body centre of mass is stood over the stance foot exactly as in
  :func:`hipsim.tasks.stance.balance_over_foot` (same unknowns, same equations), by a
  Gauss-Newton iteration vectorised over samples with the Jacobians the pose kernel returns.
  A sample whose balance needs a joint beyond its range (or more than 35 degrees of pitch) is
  marked ``unbalanced``, with no results, never a silent NaN.
* **Joint moments.** In a held posture (no velocities or accelerations) the generalised forces
  are those of gravity and the ground reaction, linear in every mass: they are assembled from
  the pose Jacobians with per-sample masses (:func:`_generalized_forces`).
* **Strengths.** Per-sample muscle strength (and maximum isometric force) multiply the force
  per unit activation; static optimisation takes per-frame moment matrices, so samples with
  different strengths go into the same call.

Attachment-point offsets change the geometry itself: samples are grouped by their offsets and
each group gets its own model (one batched call per group; a continuous offset distribution
gives groups of one, which is correct and slow).

The result equals :func:`hipsim.single_leg_stance` sample by sample (tests/test_studies.py
checks forces, hip contact force and fibre lengths against it on random subjects).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from hipsim._arrays import cross
from hipsim.dynamics.inverse import ExternalLoad, PointMass, joint_reaction
from hipsim.model import Model, kernels
from hipsim.model.scaling import REFERENCE_HEIGHT_M, REFERENCE_MASS_KG, Subject
from hipsim.muscles.passive_joints import passive_joint_moments
from hipsim.optimize import DEFAULT_COORDINATES, solve_arrays
from hipsim.studies.kernels import balance_batch
from hipsim.tasks.result import reserves_beyond
from hipsim.tasks.stance import Load, _foot_span, point_masses_for

#: Stance angles of :func:`hipsim.single_leg_stance`, in degrees.
ANGLES = ("pelvic_drop_deg", "trunk_lean_deg", "hip_flexion_deg", "hip_rotation_deg", "swing_hip_flexion_deg",
          "swing_knee_flexion_deg")
#: The balance search's pitch limit about the stance ankle (as in balance_over_foot).
MAX_PITCH_RAD = math.radians(35.0)

STATUS_OK = "ok"
STATUS_UNBALANCED = "unbalanced"
STATUS_NOT_CONVERGED = "not_converged"
STATUS_OUTSIDE_FOOT = "centre_of_mass_outside_foot"


@dataclass
class StanceInputs:
    """Per-sample inputs of single-leg stance (arrays of length n).

    ``loads``: (place, side, masses (n,)) for each carried load; ``strength``: (n, n_muscles)
    factors on the model's maximum isometric forces (strength and F0 changes together)."""

    side: str
    mass_kg: np.ndarray
    height_m: np.ndarray
    angles: dict[str, np.ndarray]
    com_ahead_m: np.ndarray
    loads: list[tuple[str, str, np.ndarray]]
    strength: np.ndarray
    passive_joint_moments: bool = True

    @property
    def n(self) -> int:
        return int(self.mass_kg.shape[0])


@dataclass
class StanceOutputs:
    """What :func:`stance_batch` returns, per sample: ``status`` (``ok`` or why not), muscle
    ``activations``, tendon ``forces`` and ``fiber_forces`` (N), ``norm_fiber_length``, each
    muscle's maximum isometric force ``f0`` (N, after scaling and strength), hip contact force in
    ground per side (N), body weight (N), the largest reserve (N m) and ``beyond_muscles``: reserve
    actuators carry more than :func:`hipsim.tasks.result.assess_feasibility` allows, so the
    muscles cannot hold the posture (its forces are not ones the muscles can produce)."""

    status: np.ndarray
    activations: np.ndarray
    forces: np.ndarray
    fiber_forces: np.ndarray
    norm_fiber_length: np.ndarray
    f0: np.ndarray
    hip_contact: dict[str, np.ndarray]
    body_weight_n: np.ndarray
    max_reserve_nm: np.ndarray
    beyond_muscles: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)

    def take(self, rows: np.ndarray) -> "StanceOutputs":
        """The outputs of samples ``rows`` (indices, repeats allowed), every per-sample array cut alike."""
        return StanceOutputs(status=self.status[rows], activations=self.activations[rows], forces=self.forces[rows],
                             fiber_forces=self.fiber_forces[rows], norm_fiber_length=self.norm_fiber_length[rows],
                             f0=self.f0[rows], hip_contact={s: v[rows] for s, v in self.hip_contact.items()},
                             body_weight_n=self.body_weight_n[rows], max_reserve_nm=self.max_reserve_nm[rows],
                             beyond_muscles=self.beyond_muscles[rows],
                             extra={k: v[rows] for k, v in self.extra.items()})


def stance_pose_batch(model: Model, side: str, angles: Mapping[str, np.ndarray]) -> np.ndarray:
    """:func:`hipsim.tasks.stance.stance_pose` for many samples at once (it takes arrays)."""
    from hipsim.tasks.stance import stance_pose
    keys = ("pelvic_drop_deg", "trunk_lean_deg", "hip_flexion_deg", "hip_rotation_deg", "swing_hip_flexion_deg",
            "swing_knee_flexion_deg")
    return stance_pose(model, side, *(np.asarray(angles[k], dtype=float) for k in keys))


def _load_locations(model: Model, loads: Sequence[tuple[str, str, np.ndarray]], s: np.ndarray
                    ) -> list[tuple[int, np.ndarray]]:
    """Per load: its body and its location in that body, in the reference geometry (n, 3).

    :func:`hipsim.tasks.stance.point_masses_for` places a load by fractions of body height plus a
    fixed lateral offset; in the reference model scaled by s that is s x (the reference location)
    + (1 - s) x (the fixed offset), and divided by s back into the reference geometry."""
    out = []
    ref = model.subject
    R, _, _, _ = model.body_poses(model.default_q)
    for place, side, _ in loads:
        pm = point_masses_for(model, ref, [Load(place, side, 1.0)])[0]
        with_offset = np.asarray(pm.location)
        b = model.body_names.index(pm.body)
        from hipsim.tasks.stance import _EXTRA_LATERAL_M
        e_ground = np.array([0.0, 0.0, _EXTRA_LATERAL_M[place] * (1.0 if side == "r" else -1.0)])
        e_local = R[0, b].T @ e_ground
        loc = with_offset[None, :] + (1.0 / s - 1.0)[:, None] * e_local[None, :]
        out.append((b, loc))
    return out


def _balance(model: Model, q0: np.ndarray, side: str, ahead: np.ndarray, body_w: np.ndarray,
             pms: list[tuple[int, np.ndarray, np.ndarray]], columns: Sequence[int], tol: float = 1e-12,
             max_iter: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Stand each sample's centre of mass over the stance foot (see balance_over_foot).

    ``body_w`` (n, nb): each body's mass per sample; ``pms``: (body, location (n, 3), mass (n,)).
    Returns the poses (n, nc), the unknowns (pitch, stance-hip shift, ankle, subtalar; rad), a mask
    of balanced samples, and the body poses and Jacobians at the returned poses (the last evaluation
    of each sample, which the joint moments reuse; the iterations run in
    :func:`hipsim.studies.kernels.balance_batch`). The Jacobians hold the coordinates ``columns``
    (which the unknowns' coordinates are added to), in that order: the balance needs four of a
    full-body model's 30-40 and the joint moments only those the muscles are solved for."""
    cm = model.compiled
    n = q0.shape[0]
    ix = [model.coordinate_index(c) for c in ("pelvis_tilt", f"hip_adduction_{side}", f"ankle_angle_{side}",
                                                f"subtalar_angle_{side}")]
    # A locked subtalar joint (Rajagopal et al. 2016) stays put and the sole keeps only its pitch, as
    # in balance_over_foot.
    subtalar_locked = bool(cm.coord_locked[ix[3]])
    if subtalar_locked:
        ix = ix[:3]
    nk = len(ix)
    cols = list(columns) + [i for i in ix if i not in columns]
    calcn = model.body_names.index(f"calcn_{side}")
    r0, _, _, _ = model.body_poses(model.default_q)
    up = r0[0, calcn].T @ np.array([0.0, 1.0, 0.0])
    x0 = np.zeros((n, nk))
    x0[:, 0] = q0[:, model.coordinate_index(f"hip_flexion_{side}")]
    total_m = body_w.sum(axis=1) + sum(m for _, _, m in pms)
    f = cm.fn
    with kernels.threads_for(n):
        x, done, R, o, jw, jv = balance_batch(
            np.ascontiguousarray(q0, dtype=float), x0, np.asarray(ix, dtype=np.int64),
            np.array([-1.0, 1.0, 1.0, 1.0][:nk]), np.asarray(cols, dtype=np.int64), np.asarray(ahead, dtype=float),
            np.ascontiguousarray(body_w, dtype=float), total_m, np.array([b for b, _, _ in pms], dtype=np.int64),
            np.array([loc for _, loc, _ in pms], dtype=float).reshape(len(pms), n, 3),
            np.array([m for _, _, m in pms], dtype=float).reshape(len(pms), n),
            model.body_names.index(f"talus_{side}"), calcn, model.body_names.index(f"toes_{side}"), up,
            subtalar_locked, tol, max_iter, cm.body_parent, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir, cm.ax_fn,
            cm.ax_coord, cm.anc_start, cm.anc_coord, f.kind, f.a, f.b, f.offset, f.count, f.kx, f.ky, f.kb, f.kc,
            f.kd, cm.body_com)
    q = q0.copy()
    q[:, ix[0]] -= x[:, 0]
    q[:, ix[1:]] += x[:, 1:]
    # Within the joints' ranges and the pitch limit, as balance_over_foot requires.
    rng = model.compiled.coord_range[ix[1:]]
    inside = (np.abs(x[:, 0]) <= MAX_PITCH_RAD + 1e-9) & np.all(
        (q[:, ix[1:]] >= rng[:, 0] - 1e-9) & (q[:, ix[1:]] <= rng[:, 1] + 1e-9), axis=1)
    return q, x, done & inside & np.isfinite(x).all(axis=1), (R, o, jw, jv)


def _generalized_forces(model: Model, q: np.ndarray, body_w: np.ndarray,
                        pms: list[tuple[int, np.ndarray, np.ndarray]], side: str,
                        poses: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generalised forces of a held posture (what the joints must supply against gravity and the
    ground reaction), per sample with per-sample masses, in the reference geometry; the ground
    reaction is vertical through the point on the floor under the centre of mass (as in
    single_leg_stance). ``poses``: the body poses at ``q`` with the Jacobian columns of the
    coordinates wanted (:meth:`hipsim.Model.body_poses`). Returns tau (n, those columns), the
    ground-reaction force (n, 3) and its point (n, 3)."""
    cm = model.compiled
    g = np.asarray(cm.gravity, dtype=float)
    R, o, jw, jv = poses
    rc = np.einsum("fbij,bj->fbi", R, cm.body_com)
    dpc = jv + cross(jw, rc[:, :, None, :])
    # Applied generalised forces: sum of F . dp/dq.
    Q = np.einsum("fb,fbki,i->fk", body_w, dpc, g)
    mom = np.einsum("fb,fbi->fi", body_w, o + rc)
    total = body_w.sum(axis=1).copy()
    for b, loc, m in pms:
        r = np.einsum("fij,fj->fi", R[:, b], loc)
        Q += m[:, None] * np.einsum("fki,i->fk", jv[:, b] + cross(jw[:, b], r[:, None, :]), g)
        mom += m[:, None] * (o[:, b] + r)
        total += m
    com = mom / total[:, None]
    calcn = model.body_names.index(f"calcn_{side}")
    point = np.stack([com[:, 0], np.zeros(len(com)), com[:, 2]], axis=1)
    force = -total[:, None] * g[None, :]
    dpoint = jv[:, calcn] + cross(jw[:, calcn], (point - o[:, calcn])[:, None, :])
    Q += np.einsum("fki,fi->fk", dpoint, force)
    return -Q, force, point


def batchable(model: Model) -> bool:
    """Whether :func:`stance_batch` takes this model: it has the stance's coordinates (a subtalar
    joint, free or locked, on each side)."""
    try:
        [model.coordinate_index(f"subtalar_angle_{s}") for s in ("r", "l")]
    except Exception:
        return False
    return True


def stance_batch(model: Model, inp: StanceInputs, threads: int | None = None) -> StanceOutputs:
    """Solve single-leg stance for every sample of ``inp`` on ``model`` (its recorded subject is
    the reference geometry; see the module docstring). One call per kernel for the whole batch."""
    if not batchable(model):
        raise ValueError(f"{model.name}: the batched stance needs subtalar coordinates (see batchable)")
    n = inp.n
    cm = model.compiled
    side = inp.side
    ref = model.subject
    s = inp.height_m / ref.height_m
    mr = inp.mass_kg / ref.mass_kg
    body_w = mr[:, None] * cm.body_mass[None, :]
    locs = _load_locations(model, inp.loads, s)
    pms = [(b, loc, m) for (b, loc), (_, _, m) in zip(locs, inp.loads, strict=True)]
    status = np.full(n, STATUS_OK, dtype=object)
    heel, mtp = _foot_span(model, side)
    ahead_ref = inp.com_ahead_m / s
    outside = ~((heel < ahead_ref) & (ahead_ref < mtp))
    status[outside] = STATUS_OUTSIDE_FOOT
    q0 = stance_pose_batch(model, side, inp.angles)
    # the coordinates the muscles are solved for
    sel = [model.coordinate_index(c) for c in DEFAULT_COORDINATES if c in model.coordinate_names]
    q, x, balanced, poses = _balance(model, q0, side, ahead_ref, body_w, pms, sel)
    status[~balanced & ~outside] = STATUS_UNBALANCED
    ok = status == STATUS_OK
    nm = model.n_muscles
    out = StanceOutputs(status=status, activations=np.full((n, nm), np.nan), forces=np.full((n, nm), np.nan),
                        fiber_forces=np.full((n, nm), np.nan), norm_fiber_length=np.full((n, nm), np.nan),
                        f0=np.asarray(model.max_isometric_forces)[None, :] * (mr[:, None] ** (2.0 / 3.0))
                        * inp.strength,
                        hip_contact={sd: np.full((n, 3), np.nan) for sd in ("r", "l")},
                        body_weight_n=inp.mass_kg * float(np.linalg.norm(cm.gravity)),
                        max_reserve_nm=np.full(n, np.nan), beyond_muscles=np.zeros(n, dtype=bool),
                        extra={"body_pitch_deg": np.degrees(x[:, 0]), "stance_hip_shift_deg": np.degrees(x[:, 1])})
    rows = np.flatnonzero(ok)
    if rows.size == 0:
        return out
    qk, sk, mrk = q[rows], s[rows], mr[rows]
    pk = [(b, loc[rows], m[rows]) for b, loc, m in pms]
    tau_ref, grf_force, grf_point = _generalized_forces(model, qk, body_w[rows], pk, side,
                                                        tuple(a[rows] for a in poses))
    tau = sk[:, None] * tau_ref[:, :len(sel)]  # the columns of sel come first
    net = tau.copy()  # the joints' whole moments, against which reserves are judged
    if inp.passive_joint_moments:
        # the subject's moment_scale (strength rule times length rule, from hipsim's reference adult,
        # not from the model's own subject: hipsim.model.scaling), as single_leg_stance applies it
        scale = (inp.mass_kg[rows] / REFERENCE_MASS_KG) ** (2.0 / 3.0) * (inp.height_m[rows] / REFERENCE_HEIGHT_M)
        tau = tau - passive_joint_moments(model, qk, 1.0)[:, sel] * scale[:, None]
    crossing = np.asarray(model.crossing, dtype=bool)
    part = np.flatnonzero(crossing[:, sel].any(axis=1))
    lmt, arms = model.lengths_and_moment_arms(qk)
    arms = np.asarray(arms).reshape(rows.size, nm, model.n_coordinates)
    # each muscle's own force model (Thelen 2003 or Millard 2013), as static_optimization uses it
    st = model.rigid_tendon_state(lmt, np.zeros_like(lmt))
    fs = (mrk[:, None] ** (2.0 / 3.0)) * inp.strength[rows]
    f_act = st.active_force_per_activation * fs
    arms_sel = arms[:, :, sel] * crossing[None, :, sel] * sk[:, None, None]
    moments = arms_sel[:, part, :] * f_act[:, part, None]
    rhs = tau
    sol = solve_arrays(moments, rhs, np.ones(part.size), np.ones(len(sel)), 2.0, threads=threads)
    acts = np.zeros((rows.size, nm))
    acts[:, part] = sol["activations"]
    tendon = acts * f_act
    cos_a = st.cos_pennation
    fiber = np.where(cos_a > 0.0, tendon / np.where(cos_a > 0.0, cos_a, 1.0), 0.0)
    resid = np.abs(np.einsum("fij,fi->fj", arms_sel, tendon) + sol["reserves"] - rhs).max(axis=1)
    scale_r = 1e-12 * (np.abs(np.einsum("fij,fi->fj", np.abs(arms_sel), np.abs(tendon))) + np.abs(rhs)).max(axis=1)
    conv = (sol["code"] == 0) & (resid <= np.maximum(1e-6, scale_r))
    grf = ExternalLoad(f"calcn_{side}", force=grf_force, point=grf_point, torque=np.zeros((rows.size, 3)),
                       label="ground reaction")
    for sd in ("r", "l"):
        jr = joint_reaction(model, f"femur_{sd}", qk, tendon, external=[grf])
        # joint_reaction weighs the reference bodies; the subject's bodies weigh mr times as much
        # (carried loads sit on the pelvis and trunk, outside either thigh's subtree). At rest the
        # reference bodies' own share is their weight held up, -(mass of the leg) g, whatever the pose.
        jr_bodies = -float(cm.body_mass[model.subtree(f"femur_{sd}")].sum()) * np.asarray(cm.gravity, dtype=float)
        out.hip_contact[sd][rows] = jr + (mrk - 1.0)[:, None] * jr_bodies[None, :]
    out.activations[rows] = acts
    out.forces[rows] = tendon
    out.fiber_forces[rows] = fiber
    out.norm_fiber_length[rows] = st.fiber_length / np.asarray(model.optimal_fiber_lengths)[None, :]
    res_abs = np.abs(sol["reserves"])
    out.max_reserve_nm[rows] = res_abs.max(axis=1)
    # hipsim.tasks.result.assess_feasibility's rule, per sample
    out.beyond_muscles[rows] = reserves_beyond(sol["reserves"], net).any(axis=1)
    bad = rows[~conv]
    status[bad] = STATUS_NOT_CONVERGED
    for b in (out.activations, out.forces, out.fiber_forces, out.norm_fiber_length):
        b[bad] = np.nan
    for sd in ("r", "l"):
        out.hip_contact[sd][bad] = np.nan
    return out


def stance_batch_unique(model: Model, inp: StanceInputs, threads: int | None = None) -> StanceOutputs:
    """:func:`stance_batch` solving each distinct sample once (equal inputs, bit for bit) and giving
    every sample its row of the result."""
    key = np.column_stack([inp.mass_kg, inp.height_m, *(inp.angles[a] for a in ANGLES), inp.com_ahead_m,
                           *(m for _, _, m in inp.loads), inp.strength])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if first.size == inp.n:
        return stance_batch(model, inp, threads)
    sub = StanceInputs(inp.side, inp.mass_kg[first], inp.height_m[first], {a: v[first] for a, v in inp.angles.items()},
                       inp.com_ahead_m[first], [(p, s, m[first]) for p, s, m in inp.loads], inp.strength[first],
                       inp.passive_joint_moments)
    return stance_batch(model, sub, threads).take(inverse)


def check_loads_outside_legs(model: Model, loads: Sequence[tuple[str, str, Any]]) -> None:
    """The hip reaction above treats carried loads as outside both thighs' subtrees (true of every
    place in :data:`hipsim.tasks.stance.LOAD_PLACES`); refuse a model where that fails."""
    legs = set(model.subtree("femur_r")) | set(model.subtree("femur_l"))
    for place, side, _ in loads:
        pm: PointMass = point_masses_for(model, model.subject, [Load(place, side, 1.0)])[0]
        if model.body_names.index(pm.body) in legs:  # pragma: no cover - no such place today
            raise ValueError(f"a load at {place} sits on a leg; the batched stance cannot take it")


def reference_subject(model: Model) -> Subject:
    """The subject the model records (the reference geometry of :func:`stance_batch`)."""
    return model.subject
