"""The :class:`Model`: a compiled model with a thin, typed Python API.

A Model is immutable. It holds the description (:class:`ModelSpec`) it was built from and
the flat arrays (:class:`CompiledModel`) the kernels use; derived models (another strength,
another subject) are new Model objects.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence, Union

import numpy as np

from hipsim.errors import input_error, is_real
from hipsim.model import kernels
from hipsim.model.compiled import CompiledModel, compile_spec
from hipsim.model.scaling import REFERENCE_HEIGHT_M, Subject, scale_spec
from hipsim.model.spec import ModelSpec

_MILLARD_CACHE: dict = {}  # compiled Millard curves by the muscles' shape (see Model._millard_compiled)


@functools.lru_cache(maxsize=8)
def _scaled(model: "Model", subject: Subject) -> "Model":
    """A model scaled to a subject, kept: models are immutable, and a scenario, its baseline and the
    everyday walk of its metrics all ask for the same one (scaling and compiling took 16 ms)."""
    return Model(scale_spec(model.spec, model.subject, subject))

#: Specific tension used to derive physiological cross-sectional area from maximum isometric
#: force, PCSA = F0 / sigma: 60 N/cm^2 = 0.60 MPa, the value Rajagopal et al. (2016, IEEE Trans
#: Biomed Eng 63:2068) used to turn measured PCSAs into maximum isometric forces. It is a
#: modelling convention (published values range from about 20 to 100 N/cm^2), used here only
#: to express fibre force as stress.
SPECIFIC_TENSION_PA = 0.60e6

PoseLike = Union[np.ndarray, Sequence[float], Sequence[Sequence[float]], Mapping[str, float]]


class ThelenArrays(NamedTuple):
    """Thelen (2003) shape parameters per muscle, each (n_muscles,)."""

    k_shape_active: np.ndarray
    k_shape_passive: np.ndarray
    fmax_muscle_strain: np.ndarray
    fmax_tendon_strain: np.ndarray
    af: np.ndarray
    flen: np.ndarray


def _frozen(a) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


class Model:
    """A musculoskeletal model: bodies, joints, coordinates and muscles, compiled for the kernels.

    Build one with :func:`hipsim.load_model`. Coordinates are in radians (rotations) and
    metres (translations); lengths and moment arms in metres; forces in newtons.
    """

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.compiled: CompiledModel
        self.compiled, bodies, coords = compile_spec(spec)
        self.name: str = spec.name
        self.body_names: tuple[str, ...] = tuple(bodies)
        self.coordinate_names: tuple[str, ...] = tuple(coords)
        self.muscle_names: tuple[str, ...] = tuple(m.name for m in spec.muscles)
        self.muscle_aliases: tuple[str, ...] = tuple(m.alias for m in spec.muscles)
        self._muscle_lookup = {n: i for i, n in enumerate(self.muscle_names)}
        self._muscle_lookup.update({n: i for i, n in enumerate(self.muscle_aliases)})
        self._coord_lookup = {n: i for i, n in enumerate(self.coordinate_names)}
        ms = spec.muscles
        self.max_isometric_forces = _frozen([m.max_isometric_force for m in ms])
        self.optimal_fiber_lengths = _frozen([m.optimal_fiber_length for m in ms])
        self.tendon_slack_lengths = _frozen([m.tendon_slack_length for m in ms])
        self.pennation_angles = _frozen([m.pennation_angle for m in ms])
        self.max_contraction_velocities = _frozen([m.max_contraction_velocity for m in ms])
        #: Fraction of normal strength each muscle runs at (1 unless weakened, :meth:`with_strength`).
        self.strength = _frozen([m.strength for m in ms])
        self.thelen = ThelenArrays(*(_frozen([getattr(m.thelen, f) for m in ms]) for f in ThelenArrays._fields))
        self.default_q = self.compiled.coord_default
        cross = np.zeros((len(ms), len(coords)), dtype=bool)
        cm = self.compiled
        for i in range(len(ms)):
            cross[i, cm.mc_coord[cm.mc_start[i]:cm.mc_start[i + 1]]] = True
        cross.setflags(write=False)
        #: True where a muscle's length depends on a coordinate (from the tree topology).
        self.crossing = cross

    # ------------------------------------------------------------------ look-ups
    @functools.cached_property
    def skeleton_digest(self) -> str:
        """A digest of everything a motion of this model depends on: its bodies, joints, mass
        properties, which coordinates are locked, gravity and coordinate and body names; not its
        muscles or their strength.
        Motion caches key on it (content, not object identity), so a weakened copy of a model
        reuses its walking cycle and a model rebuilt from the same file does too."""
        return self._digest(per_unit_mass=False)

    @functools.cached_property
    def shape_digest(self) -> str:
        """:attr:`skeleton_digest` with the bodies' masses and inertias per unit of body mass
        (:attr:`mass_distribution`): models that differ only in body mass share it. The fitted
        walking kinematics key on it, since they do not depend on body mass."""
        return self._digest(per_unit_mass=True)

    @functools.cached_property
    def mass_distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """Each body's mass and inertia per kilogram of body mass, rounded to 13 decimals, so that
        models that differ only in body mass (hipsim scales every body's mass alike) hold the same
        arrays, bit for bit: what :attr:`shape_digest` and the walking fit use."""
        cm = self.compiled
        out = (np.round(cm.body_mass / self.mass, 13), np.round(cm.body_inertia / self.mass, 13))
        for a in out:
            a.setflags(write=False)
        return out

    def _digest(self, per_unit_mass: bool) -> str:
        cm = self.compiled
        mass, inertia = self.mass_distribution if per_unit_mass else (cm.body_mass, cm.body_inertia)
        h = hashlib.blake2b(digest_size=16)
        for a in (cm.body_parent, mass, cm.body_com, inertia, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm,
                  cm.ax_dir, cm.ax_fn, cm.ax_coord, cm.coord_default, cm.coord_locked, cm.gravity, *cm.fn):
            arr = np.ascontiguousarray(a)
            h.update(str(arr.dtype).encode() + str(arr.shape).encode())
            h.update(arr.tobytes())
        h.update("\0".join(self.coordinate_names + self.body_names).encode())
        return h.hexdigest()

    @property
    def n_muscles(self) -> int:
        """Number of muscles."""
        return len(self.muscle_names)

    @property
    def n_coordinates(self) -> int:
        """Number of generalised coordinates."""
        return len(self.coordinate_names)

    @property
    def pcsa(self) -> np.ndarray:
        """Physiological cross-sectional area (m^2) of each muscle, F0 / :data:`SPECIFIC_TENSION_PA`."""
        return self.max_isometric_forces / SPECIFIC_TENSION_PA

    @property
    def mass(self) -> float:
        """Total body mass (kg)."""
        return float(self.compiled.body_mass.sum())

    @property
    def height_m(self) -> float:
        """Standing height (m) of the person the model represents: as recorded in the model file
        or by scaling; for a file that does not say (an OpenSim model), estimated from the
        hip-centre height above the floor in the default pose, in proportion to the shipped
        gait2392 (1.80 m). Give a scaled OpenSim model its height with
        ``hipsim.load_model(path, height_m=...)``."""
        if self.spec.height_m is not None:
            return float(self.spec.height_m)
        return _estimated_height_m(self)

    @property
    def subject(self) -> Subject:
        """The person the model represents: its body mass and :attr:`height_m`."""
        return Subject.of_model(self.mass, self.height_m)

    def scaled_to(self, subject: Subject) -> "Model":
        """This model scaled from the person it represents to ``subject`` (see
        :mod:`hipsim.model.scaling`); itself when that is already ``subject``. Scaling composes:
        a scaled model scaled again is scaled once, from its recorded subject."""
        if not isinstance(subject, Subject):
            raise input_error("argument", "subject", subject, "a hipsim.Subject(mass_kg, height_m)")
        if subject.same_as(self.subject):
            return self
        return _scaled(self, subject)

    def muscle_index(self, name_or_alias: str) -> int:
        """Index of a muscle by descriptive name (``gluteus_minimus_anterior_r``) or alias (``glut_min1_r``)."""
        try:
            return self._muscle_lookup[name_or_alias]
        except KeyError:
            raise input_error("argument", "muscle", name_or_alias,
                              "use a muscle name or alias of the model (see model.muscle_names)") from None

    def body_index(self, name: str, key: str = "body") -> int:
        """Index of a body by its OpenSim name (``femur_r``) in :attr:`body_names`; an unknown name
        is an InputError under ``key``."""
        if name not in self.body_names:
            raise input_error("argument", key, name, f"use a body of the model ({', '.join(self.body_names[1:])})")
        return self.body_names.index(name)

    def coordinate_index(self, name: str) -> int:
        """Index of a coordinate by its OpenSim name (``hip_adduction_r``)."""
        try:
            return self._coord_lookup[name]
        except KeyError:
            raise input_error("argument", "coordinate", name,
                              "use a coordinate name of the model (see model.coordinate_names)") from None

    # ------------------------------------------------------------------ poses
    def pose(self, q: PoseLike | None = None) -> np.ndarray:
        """Normalise ``q`` to a float array (n_frames, n_coordinates); missing coordinates take defaults.

        ``q`` may be a mapping name -> value (scalars or equal-length arrays), an array
        (n_coordinates,) or (n_frames, n_coordinates), or None for the default pose.
        """
        nc = self.n_coordinates
        if q is None:
            return self.default_q[None, :].copy()
        if isinstance(q, Mapping):
            vals = {self.coordinate_names[self.coordinate_index(k)]: np.atleast_1d(np.asarray(v, dtype=np.float64))
                    for k, v in q.items()}
            nf = max((v.size for v in vals.values()), default=1)
            out = np.tile(self.default_q, (nf, 1))
            for k, v in vals.items():
                if v.ndim != 1 or v.size not in (1, nf):
                    raise input_error("argument", f"q['{k}']", v.shape,
                                      f"give a scalar or an array of {nf} frames like the other coordinates")
                out[:, self._coord_lookup[k]] = v
        else:
            out = np.asarray(q, dtype=np.float64)
            if out.ndim == 1:
                out = out[None, :]
            if out.ndim != 2 or out.shape[1] != nc:
                raise input_error("argument", "q", out.shape,
                                  f"q must have shape ({nc},) or (n_frames, {nc}) in coordinate_names order")
            out = np.ascontiguousarray(out)
        if not np.all(np.isfinite(out)):
            bad = np.argwhere(~np.isfinite(out))[0]
            raise input_error("argument", f"q[{bad[0]}, '{self.coordinate_names[bad[1]]}']",
                              float(out[tuple(bad)]), "coordinates must be finite numbers")
        return out

    def _run(self, q: PoseLike | None, want_arms: bool, want_status: bool = False):
        single = q is None or (not isinstance(q, Mapping) and np.ndim(q) == 1)
        if isinstance(q, Mapping):
            single = all(np.ndim(v) == 0 for v in q.values())
        qs = self.pose(q)
        cm = self.compiled
        f = cm.fn
        with kernels.threads_for(qs.shape[0]):
            lengths, arms, status = kernels.lengths_and_arms_batch(
                qs, want_arms, cm.body_parent, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir, cm.ax_fn, cm.ax_coord,
                cm.anc_start, cm.anc_coord, cm.pt_start, cm.pt_kind, cm.pt_body, cm.pt_loc, cm.pt_coord, cm.pt_range,
                cm.pt_fn, cm.mc_start, cm.mc_coord, f.kind, f.a, f.b, f.offset, f.count, f.kx, f.ky, f.kb, f.kc, f.kd,
                *cm.wrap, cm.wrap_method)
        if want_status:
            return status, single
        return lengths, arms, single

    def wrap_status(self, q: PoseLike | None = None) -> np.ndarray:
        """Each muscle's path wraps at the pose(s): OpenSim's wrap action per wrap (0 no wrap, 1
        an end point inside the cylinder, 2 wrapped, 3 wrapped where the straight line would cross
        the cylinder), -1 where a muscle has fewer wraps; shape (n_muscles, max wraps) or
        (n_frames, n_muscles, max wraps). A change between two poses is a wrap switch."""
        status, single = self._run(q, False, want_status=True)
        return status[0] if single else status

    def muscle_lengths(self, q: PoseLike | None = None) -> np.ndarray:
        """Muscle-tendon lengths (m), shape (n_muscles,) for one pose or (n_frames, n_muscles)."""
        lengths, _, single = self._run(q, False)
        return lengths[0] if single else lengths

    def moment_arms(self, q: PoseLike | None = None) -> np.ndarray:
        """Moment arms (m) = -dL/dq, shape (n_muscles, n_coordinates) or (n_frames, n_muscles, n_coordinates).

        For translational coordinates the value is dimensionless (-dL/dq with q in metres).
        """
        _, arms, single = self._run(q, True)
        return arms[0] if single else arms

    def lengths_and_moment_arms(self, q: PoseLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Both, from one pass over the poses."""
        lengths, arms, single = self._run(q, True)
        return (lengths[0], arms[0]) if single else (lengths, arms)

    def moment_arm_table(self, q: PoseLike | None = None, muscles: Sequence[str] | None = None,
                         coordinates: Sequence[str] | None = None):
        """Moment arms (m) at one pose as a pandas DataFrame: rows muscles, columns coordinates.

        ``muscles`` accepts names or aliases (rows keep the names given); both default to all.
        """
        import pandas as pd
        arms = self.moment_arms(q)
        if arms.ndim != 2:
            raise input_error("argument", "q", arms.shape[:-2], "moment_arm_table takes a single pose")
        rows = list(muscles) if muscles is not None else list(self.muscle_names)
        cols = list(coordinates) if coordinates is not None else list(self.coordinate_names)
        sel = arms[np.ix_([self.muscle_index(r) for r in rows], [self.coordinate_index(c) for c in cols])]
        return pd.DataFrame(sel, index=pd.Index(rows, name="muscle"), columns=pd.Index(cols, name="coordinate"))

    def lengthening_velocities(self, q: PoseLike, qdot: PoseLike) -> np.ndarray:
        """Muscle-tendon lengthening velocities (m/s) = sum_k dL/dq_k qdot_k = -(moment arms) . qdot.

        ``qdot`` is shaped like ``q`` (same frames; rad/s or m/s per coordinate), or a mapping of
        coordinate names to speeds in which unnamed coordinates have speed 0. Returns
        (n_muscles,) for one pose or (n_frames, n_muscles)."""
        arms = self.moment_arms(q)
        if isinstance(qdot, Mapping):
            # Unnamed coordinates are still (speed 0), unlike poses whose defaults apply.
            frames: tuple[int, ...] = np.broadcast_shapes(*(np.shape(v) for v in qdot.values()))
            qd = np.zeros(frames + (self.n_coordinates,))
            for k, v in qdot.items():
                qd[..., self.coordinate_index(k)] = v
        else:
            qd = np.asarray(qdot, dtype=np.float64)
        if qd.shape[-1] != self.n_coordinates or not np.all(np.isfinite(qd)) \
                or (qd.ndim > 1 and arms.ndim > 2 and qd.shape[0] != arms.shape[0]):
            raise input_error("argument", "qdot", qd.shape, "qdot must be finite, shaped like q")
        return -np.einsum("...mc,...c->...m", arms, qd)

    def body_poses(self, q: PoseLike | None = None, columns: Sequence[int] | None = None):
        """Rotations (nf, nb, 3, 3) and origins (nf, nb, 3) of every body in ground, with their
        Jacobians jw, jv (nf, nb, nc, 3). Body order is :attr:`body_names` (ground first).
        With ``columns`` (coordinate indices), the Jacobians hold those coordinates' columns only
        (nf, nb, len(columns), 3), in that order."""
        qs = self.pose(q)
        cm = self.compiled
        f = cm.fn
        if columns is not None:
            cols = np.asarray(columns, dtype=np.int64)
            if cols.ndim != 1 or cols.size == 0 or (cols < 0).any() or (cols >= self.n_coordinates).any():
                raise input_error("argument", "columns", list(np.ravel(columns)),
                                  f"coordinate indices from 0 to {self.n_coordinates - 1} are required")
            with kernels.threads_for(qs.shape[0]):
                return kernels.body_poses_columns_batch(qs, cols, cm.body_parent, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm,
                                                        cm.ax_dir, cm.ax_fn, cm.ax_coord, cm.anc_start, cm.anc_coord,
                                                        f.kind, f.a, f.b, f.offset, f.count, f.kx, f.ky, f.kb, f.kc,
                                                        f.kd)
        with kernels.threads_for(qs.shape[0]):
            return kernels.body_poses_batch(qs, cm.body_parent, cm.r_pf, cm.p_pf, cm.r_bm, cm.p_bm, cm.ax_dir,
                                            cm.ax_fn, cm.ax_coord, cm.anc_start, cm.anc_coord, f.kind, f.a, f.b,
                                            f.offset, f.count, f.kx, f.ky, f.kb, f.kc, f.kd)

    def subtree(self, body: str) -> list[int]:
        """Indices (in :attr:`body_names`) of ``body`` and every body below it in the tree."""
        root = self.body_index(body)
        parent = self.compiled.body_parent
        out = []
        for b in range(1, len(self.body_names)):
            cur = b
            while cur > 0 and cur != root:
                cur = parent[cur]
            if cur == root:
                out.append(b)
        return out

    def paths(self, q: PoseLike, muscles: Sequence[str]) -> dict[str, np.ndarray]:
        """Ground positions (n_active_points, 3) of each named muscle's active path points at one pose."""
        qs = self.pose(q)
        if qs.shape[0] != 1:
            raise input_error("argument", "q", qs.shape, "paths takes a single pose")
        R, o, _, _ = self.body_poses(qs)
        cm = self.compiled
        f = cm.fn
        out = {}
        for name in muscles:
            i = self.muscle_index(name)
            pts = []
            for ip in range(cm.pt_start[i], cm.pt_start[i + 1]):
                if not kernels.point_active(ip, qs[0], cm.pt_kind, cm.pt_coord, cm.pt_range):
                    continue
                lx, ly, lz, _, _, _ = kernels.point_location(ip, qs[0], cm.pt_kind, cm.pt_loc, cm.pt_coord,
                                                             cm.pt_fn, f.kind, f.a, f.b, f.offset, f.count, f.kx,
                                                             f.ky, f.kb, f.kc, f.kd)
                b = cm.pt_body[ip]
                pts.append(o[0, b] + R[0, b] @ np.array([lx, ly, lz]))
            out[name] = np.array(pts)
        return out

    def path_points(self, q: PoseLike, muscle: str) -> np.ndarray:
        """Ground positions (n_active_points, 3) of one muscle's active path points at one pose."""
        return self.paths(q, [muscle])[muscle]

    # ------------------------------------------------------------------ derived models
    def with_strength(self, factors: Mapping[str, float]) -> "Model":
        """A new model whose named muscles (names or aliases) have max isometric force times ``factor``;
        :attr:`strength` records the product, so weakening twice compounds and stays visible."""
        idx = {}
        for k, v in factors.items():
            i = self.muscle_index(k)
            if not is_real(v) or v <= 0.0:
                raise input_error("argument", f"strength['{k}']", v, "a strength factor must be a number > 0")
            idx[i] = float(v)
        muscles = tuple(dataclasses.replace(m, max_isometric_force=m.max_isometric_force * idx[i],
                                            strength=m.strength * idx[i])
                        if i in idx else m for i, m in enumerate(self.spec.muscles))
        return Model(dataclasses.replace(self.spec, muscles=muscles))

    def knee_flexion_sign(self, side: str) -> float:
        """+1 where increasing ``knee_angle_<side>`` flexes the knee (Rajagopal et al. 2016), -1
        where it extends it (gait2392, whose knee angle is negative in flexion). Read from the
        model's own kinematics, not from its name: flexing the straight knee of the default pose
        carries the foot (calcn origin) backward."""
        k = self.coordinate_index(f"knee_angle_{side}")
        _, _, _, jv = self.body_poses(self.default_q)
        dx = float(jv[0, self.body_names.index(f"calcn_{side}"), k, 0])
        if not abs(dx) > 1e-6:
            raise input_error(str(self.spec.source or self.name), f"knee_angle_{side}", "default pose",
                              "a knee coordinate that moves the foot fore and aft in the default pose")
        return -1.0 if dx > 0 else 1.0

    # ------------------------------------------------------------------ muscle force models
    @functools.cached_property
    def millard_muscles(self) -> np.ndarray:
        """Indices of the muscles with Millard et al. (2013) curves (read from OpenSim's
        ``Millard2012EquilibriumMuscle``); the others use Thelen (2003) curves."""
        return np.array([i for i, m in enumerate(self.spec.muscles) if m.millard is not None], dtype=np.int64)

    @functools.cached_property
    def _millard_compiled(self):
        from hipsim.model.osim import millard_element
        from hipsim.muscles.millard import compile_muscles, millard_parameters_from_xml
        ms = [self.spec.muscles[i] for i in self.millard_muscles]
        # A weakened or heavier copy of a model differs from it only in maximum isometric force
        # (hipsim.model.scaling), which no curve depends on: the curves are read and compiled once
        # per set of muscles otherwise alike (40 ms a model for lai_uhlrich2023), the forces put in.
        key = (self.spec.source, tuple((m.alias, m.optimal_fiber_length, m.tendon_slack_length, m.pennation_angle,
                                        m.max_contraction_velocity, m.millard) for m in ms))
        base = _MILLARD_CACHE.get(key)
        if base is None:
            base = compile_muscles([millard_parameters_from_xml(millard_element(m), source=self.spec.source)
                                    for m in ms])
            for a in base[1:]:
                a.setflags(write=False)  # shared between models
            if len(_MILLARD_CACHE) >= 16:
                _MILLARD_CACHE.pop(next(iter(_MILLARD_CACHE)))
            _MILLARD_CACHE[key] = base
        geometry = base.geometry.copy()
        geometry[:, 0] = [m.max_isometric_force for m in ms]  # validated positive by the spec
        return base._replace(geometry=geometry)

    def rigid_tendon_state(self, muscle_tendon_lengths: np.ndarray, lengthening_velocities: np.ndarray, *,
                           opensim_static_optimization: bool = False):
        """Each muscle's rigid-tendon force model at the given lengths and lengthening speeds
        (n_frames, n_muscles): a :class:`hipsim.muscles.thelen.RigidTendonState`. Thelen (2003)
        muscles by :func:`hipsim.muscles.thelen.rigid_tendon_state`, Millard (2013) muscles by
        :func:`hipsim.muscles.millard.rigid_tendon_forces`, each with its own curves.
        ``opensim_static_optimization`` reproduces OpenSim 4.6's StaticOptimization force for
        Millard muscles, whose pennation it takes from the normalised fibre length (see
        :func:`hipsim.muscles.millard.rigid_tendon_kernel`)."""
        from hipsim.muscles.millard import rigid_tendon_forces
        from hipsim.muscles.thelen import RigidTendonState, rigid_tendon_state
        lmt = np.atleast_2d(np.asarray(muscle_tendon_lengths, dtype=np.float64))
        vmt = np.broadcast_to(np.asarray(lengthening_velocities, dtype=np.float64), lmt.shape)
        th = self.thelen
        st = rigid_tendon_state(lmt, vmt, self.max_isometric_forces, self.optimal_fiber_lengths,
                                self.tendon_slack_lengths, self.pennation_angles, self.max_contraction_velocities,
                                th.k_shape_active, th.k_shape_passive, th.fmax_muscle_strain, th.af, th.flen)
        idx = self.millard_muscles
        if idx.size == 0:
            return st
        cm = self._millard_compiled
        f = rigid_tendon_forces(cm, np.ascontiguousarray(lmt[:, idx].T), np.ascontiguousarray(vmt[:, idx].T),
                                pennation_from_normalized_length=opensim_static_optimization)
        out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in st._asdict().items()}
        cos_a = np.cos(f.pennation_angle.T)
        out["active_force_per_activation"][:, idx] = f.active.T
        out["passive_force"][:, idx] = f.passive.T
        out["cos_pennation"][:, idx] = cos_a
        out["fiber_length"][:, idx] = f.fiber_length.T
        out["fiber_velocity"][:, idx] = vmt[:, idx] * cos_a  # rigid tendon: the fibre takes the path's speed
        out["active_force_length"][:, idx] = f.active_force_length.T
        out["passive_force_length"][:, idx] = f.passive_force_length.T
        out["force_velocity"][:, idx] = f.force_velocity.T
        return RigidTendonState(**out)

    def save(self, path: str | Path) -> None:
        """Write the model in hipsim's TOML format (see :mod:`hipsim.model.hipfile`)."""
        from hipsim.model.hipfile import write_model
        write_model(self.spec, path)

    def __repr__(self) -> str:
        return (f"Model({self.name!r}: {len(self.body_names) - 1} bodies, {self.n_coordinates} coordinates, "
                f"{self.n_muscles} muscles)")


def _hip_height(model: Model) -> float:
    """Height (m) of the right hip centre above the lowest foot origin in the default pose."""
    _, o, _, _ = model.body_poses(model.default_q)
    names = model.body_names
    feet = [names.index(b) for b in ("calcn_r", "toes_r", "calcn_l", "toes_l") if b in names]
    return float(o[0, names.index("femur_r"), 1] - min(o[0, f, 1] for f in feet))


def _estimated_height_m(model: Model) -> float:
    """See :attr:`Model.height_m`. A model without the gait2392 family's leg bodies gets
    :data:`~hipsim.model.scaling.REFERENCE_HEIGHT_M`."""
    names = model.body_names
    if "femur_r" not in names or not any(b in names for b in ("calcn_r", "calcn_l")):
        return REFERENCE_HEIGHT_M
    from hipsim.model import load_model
    return REFERENCE_HEIGHT_M * _hip_height(model) / _hip_height(load_model("gait2392"))
