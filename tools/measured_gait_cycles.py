"""Time-normalised gait cycles in gait2392 coordinates from the measured adult walks of
Schreiber & Moissenet (2019), for hipsim's package data (developer tool, never run at run time).

Source: Schreiber C, Moissenet F (2019). A multimodal dataset of human gait at different walking
speeds established on injury-free adult participants. Sci Data 6:111
(doi:10.1038/s41597-019-0124-4), data CC BY 4.0; OpenSim processing (.trc/.mot conversion,
scaled Rajagopal-based models, IK setups) by A. Fox (github.com/aaronsfox/zmp-opensim).

What it does, per subject and condition (C4 preferred, C5 fast speed):

1. OpenSim 4.6 ``InverseKinematicsTool`` over the whole marker trial, with the subject's scaled
   model and the marker weights of the provided IK setup (its Windows-relative paths rewritten,
   outputs in a temporary folder); checked against the provided IK over its window. The cycles
   use a second run with the hip's -30 deg extension limit unclamped (it holds three subjects'
   hips at the limit) and the pelvis frame re-registered so that each subject's ASIS-PSIS line
   lies as in the generic model (see ``pelvis_offset_deg``).
2. Gait events of each foot over the whole trial: heel strike and toe-off from the force plate
   the foot is on (vertical force crossing 20 N; the plate-to-foot assignment of each trial's
   ``_grf.xml``, which differs between trials, checked against the feet's markers), elsewhere
   from the markers by the coordinate method of Zeni, Richards & Higginson (2008, Gait Posture
   27:710): heel strike at
   the most anterior position of the heel marker (FCC) relative to the sacrum (midpoint of the
   posterior superior iliac spine markers L_IPS, R_IPS), toe-off at the most posterior position
   of the forefoot marker (FM2, second metatarsal head), along the direction of progression,
   with a parabolic sub-frame refinement. The kinematic events are compared with the
   force-plate events wherever both exist; Zeni's heel strikes precede the plate's by a
   consistent 4-5 frames here, so they are shifted by the mean offset of the same condition.
3. Every complete cycle (heel strike to the next heel strike of the same foot) of each side,
   low-pass filtered (4th-order zero-lag Butterworth, 6 Hz, Winter 2009) and time-normalised to
   101 points, in gait2392 coordinates for the right-side convention (see ``cycle_table``).
4. The vertical, anteroposterior and mediolateral ground reaction over every stance that lies
   wholly on a force plate, in body weights (anthropometrics.csv mass, g = 9.80665 m/s²),
   51 points over stance.

Needs ``pip install opensim==4.6``. Run from the repository root:

    python tools/measured_gait_cycles.py ../shared/reference/gait/schreiber_moissenet2019 \
        [--out src/hipsim/motion/data] [--work /tmp/measured_gait_ik]

Prints the checks (IK agreement, event agreement, cycle counts and per-condition statistics)
and writes ``schreiber_moissenet2019_cycles.csv`` and ``schreiber_moissenet2019_grf.csv``.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt, find_peaks
from scipy.spatial.transform import Rotation

G = 9.80665
CONDITIONS = ("C4", "C5")
THRESHOLD_N = 20.0
FRAME_S = 0.01  # the markers' sample interval (100 Hz)
CUTOFF_HZ = 6.0  # Winter (2009), gait kinematics
# ASIS and PSIS markers on the pelvis of the generic Rajagopal et al. (2016) model (RASI, RPSI;
# pelvis frame, m): their line defines the sagittal orientation of the pelvis frame (see
# pelvis_offset_deg).
GENERIC_ASIS_XY = (0.01, 0.018)
GENERIC_PSIS_XY = (-0.155, 0.035)
# A plate event replaces the kinematic estimate of the same event within this window.
MATCH_S = 0.15

# Output columns: the cycle's own limb, then the other limb over the same cycle.
AXIAL = ("pelvis_tilt", "pelvis_list", "pelvis_rotation")
LIMB = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle",
        "subtalar_angle", "mtp_angle")
LUMBAR = ("lumbar_extension", "lumbar_bending", "lumbar_rotation")
CONTRA = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")
# Mirroring a left cycle into the right-side convention: reflection in the sagittal plane
# negates the rotations about the vertical and the forward axes of the pelvis and trunk.
MIRRORED = ("pelvis_list", "pelvis_rotation", "lumbar_bending", "lumbar_rotation")


# --------------------------------------------------------------------------------- reading
def read_trc(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times (s) and marker positions (m, n x 3) of a .trc file in millimetres."""
    lines = path.read_text().splitlines()
    units = lines[2].split("\t")[4].strip()
    scale = {"mm": 1e-3, "m": 1.0}[units]
    names = [n for n in lines[3].split("\t")[2:] if n.strip()]
    rows = [r.split("\t") for r in lines[5:] if r.strip()]
    t = np.array([float(r[1]) for r in rows])
    data = np.array([[float(v) if v.strip() else np.nan for v in r[2:2 + 3 * len(names)]] for r in rows])
    markers = {n: data[:, 3 * k:3 * k + 3] * scale for k, n in enumerate(names)}
    return t, markers


def read_mot(path: Path) -> pd.DataFrame:
    """An OpenSim .mot/.sto file as a DataFrame (header skipped)."""
    lines = path.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    return pd.read_csv(path, sep=r"\s+", skiprows=end + 1)


@dataclass
class Trial:
    subject: str
    condition: str
    name: str  # e.g. C4_05
    trc: Path
    grf: Path
    grf_xml: Path
    ik_setup: Path
    ik_provided: Path
    model: Path
    mass_kg: float
    notes: list[str] = field(default_factory=list)
    plate_foot: dict[int, str] = field(default_factory=dict)


def find_trials(root: Path) -> list[Trial]:
    anthro = pd.read_csv(root / "anthropometrics.csv", dtype={"subjectID": str}).set_index("subjectID")
    trials = []
    for sub in sorted(p.name for p in root.iterdir() if p.is_dir()):
        for cond in CONDITIONS:
            (trc,) = sorted((root / sub / "dynamic").glob(f"{sub}_{cond}_*.trc"))
            name = trc.stem.split("_", 1)[1]
            trials.append(Trial(
                sub, cond, name, trc, trc.with_name(f"{trc.stem}_grf.mot"),
                trc.with_name(f"{trc.stem}_grf.xml"), root / sub / "ik" / name / f"{name}_ikSetup.xml",
                root / sub / "ik" / name / f"{name}_ik.mot",
                root / sub / "scaling" / f"{sub}_scaledModelAdjusted.osim",
                float(anthro.loc[sub, "mass"])))
    return trials


# ------------------------------------------------------------------------------------- IK
def run_ik(trial: Trial, work: Path, unclamp_hip: bool) -> tuple[pd.DataFrame, float]:
    """OpenSim IK over the whole marker trial with the provided setup's marker weights.

    Returns the coordinates (degrees, metres) and the largest RMS marker error (m)."""
    import opensim as osim

    tag = "unclamped" if unclamp_hip else "asprovided"
    out = work / f"{trial.subject}_{trial.name}_{tag}_ik.mot"
    errors = work / f"{trial.subject}_{trial.name}_{tag}_ik_marker_errors.sto"
    if not out.is_file():
        t, _ = read_trc(trial.trc)
        xml = trial.ik_setup.read_text()
        # The setup's paths are relative to the author's Windows tree: rewrite them.
        xml = re.sub(r"<model_file>.*?</model_file>", f"<model_file>{trial.model}</model_file>", xml)
        xml = re.sub(r"<marker_file>.*?</marker_file>", f"<marker_file>{trial.trc}</marker_file>", xml)
        xml = re.sub(r"<output_motion_file>.*?</output_motion_file>",
                     f"<output_motion_file>{out}</output_motion_file>", xml)
        xml = re.sub(r"<time_range>.*?</time_range>", f"<time_range>{t[0]} {t[-1]}</time_range>", xml)
        xml = re.sub(r"<report_marker_locations>.*?</report_marker_locations>",
                     "<report_marker_locations>false</report_marker_locations>", xml)
        xml = xml.replace("<InverseKinematicsTool>",
                          f"<InverseKinematicsTool>\n\t\t<results_directory>{work}</results_directory>"
                          "\n\t\t<report_errors>true</report_errors>", 1)
        # The hip's -30 deg extension limit is a range of the source model, not of these walkers:
        # with the pelvis registration below it clamps some subjects' late stance, so IK runs
        # on a copy with hip_flexion unclamped.
        if unclamp_hip:
            model = work / f"{trial.subject}_unclampedHip.osim"
            text = trial.model.read_text()
            for side in "rl":
                text = re.sub(rf'(<Coordinate name="hip_flexion_{side}">.*?<clamped>)true(</clamped>)',
                              r"\g<1>false\g<2>", text, count=1, flags=re.S)
            model.write_text(text)
            xml = xml.replace(f"<model_file>{trial.model}</model_file>", f"<model_file>{model}</model_file>")
        setup = work / f"{trial.subject}_{trial.name}_{tag}_ikSetup.xml"
        setup.write_text(xml)
        tool = osim.InverseKinematicsTool(str(setup))
        if not tool.run():
            raise RuntimeError(f"IK failed for {trial.trc}")
        produced = work / "_ik_marker_errors.sto"
        if produced.is_file():
            produced.rename(errors)
    q = read_mot(out)
    rms = float(read_mot(errors)["marker_error_RMS"].max()) if errors.is_file() else float("nan")
    return q, rms


def pelvis_offset_deg(model: Path) -> float:
    """Sagittal angle (deg) by which this scaled model's pelvis markers are turned about the
    pelvis z axis relative to the generic Rajagopal et al. (2016) model's.

    The scaled models' ASIS-PSIS lines lie between -35 and -1 deg in the pelvis frame (generic:
    -5.9 deg), so IK gives mean pelvis tilts of -10 to +27 deg (posterior) and lumbar flexions
    to 42 deg: a registration of the markers, not a posture. Re-expressing the pelvis in a frame
    turned by this angle puts every subject's ASIS-PSIS line where the generic model has it."""
    text = model.read_text()
    loc = {}
    for name in ("L_IAS", "R_IAS", "L_IPS", "R_IPS"):
        m = re.search(rf'<Marker name="{name}">.*?<socket_parent_frame>(.*?)</socket_parent_frame>'
                      r".*?<location>(.*?)</location>", text, re.S)
        if m is None or "pelvis" not in m.group(1):
            raise RuntimeError(f"{model}: no pelvis marker {name}")
        loc[name] = np.array([float(x) for x in m.group(2).split()])
    v = 0.5 * (loc["L_IAS"] + loc["R_IAS"] - loc["L_IPS"] - loc["R_IPS"])
    generic = np.degrees(np.arctan2(GENERIC_ASIS_XY[1] - GENERIC_PSIS_XY[1], GENERIC_ASIS_XY[0] - GENERIC_PSIS_XY[0]))
    return float(np.degrees(np.arctan2(v[1], v[0])) - generic)


def reregister_pelvis(q: pd.DataFrame, eps_deg: float) -> pd.DataFrame:
    """Coordinates with the pelvis frame turned by eps about its z axis (P' = P Rz(eps)).

    Hip and lumbar angles are z-x-y sequences from the pelvis, so their flexion/extension
    just lose eps; the pelvis's z-x-y angles are recomposed."""
    out = q.copy()
    rot = Rotation.from_euler("ZXY", q[["pelvis_tilt", "pelvis_list", "pelvis_rotation"]].to_numpy(), degrees=True)
    out[["pelvis_tilt", "pelvis_list", "pelvis_rotation"]] = (
        rot * Rotation.from_euler("Z", eps_deg, degrees=True)).as_euler("ZXY", degrees=True)
    for name in ("hip_flexion_r", "hip_flexion_l", "lumbar_extension"):
        out[name] = q[name] - eps_deg
    return out


def compare_ik(ours: pd.DataFrame, provided: pd.DataFrame) -> dict[str, float]:
    """Largest absolute difference per coordinate over the provided IK's window."""
    diff = {}
    for col in provided.columns:
        if col == "time" or col not in ours.columns:
            continue
        mine = np.interp(provided["time"], ours["time"], ours[col])
        diff[col] = float(np.max(np.abs(mine - provided[col])))
    return diff


# --------------------------------------------------------------------------------- events
@dataclass
class Contact:
    foot: str
    on: float
    off: float
    complete: bool  # force rises from and returns to zero inside the record


def plate_contacts(trial: Trial, markers: dict[str, np.ndarray], t_markers: np.ndarray
                   ) -> tuple[list[Contact], pd.DataFrame]:
    """Force-plate contacts (vertical force above 20 N) with the foot they belong to."""
    xml = trial.grf_xml.read_text()
    bodies = re.findall(r"<applied_to_body>(\w+)</applied_to_body>.*?"
                        r"<force_identifier>ground_force_(\d)_v</force_identifier>", xml, re.S)
    # Plate -> foot as the trial's _grf.xml says (it differs between trials); checked below.
    assigned = {int(k): b[-1] for b, k in bodies}
    if sorted(assigned.values()) != ["l", "r"]:
        raise RuntimeError(f"{trial.grf_xml}: plates act on {assigned}, expected one per foot")
    trial.plate_foot = assigned
    grf = read_mot(trial.grf)
    t = grf["time"].to_numpy()
    contacts = []
    for plate, foot in assigned.items():
        fy = grf[f"ground_force_{plate}_vy"].to_numpy()
        on = fy > THRESHOLD_N
        edges = np.flatnonzero(np.diff(on.astype(int)))
        starts = [int(i) + 1 for i in edges if not on[i]]
        ends = [int(i) for i in edges if on[i]]
        if on[0]:
            starts.insert(0, 0)
        if on[-1]:
            ends.append(len(t) - 1)
        for i0, i1 in zip(starts, ends, strict=True):
            if t[i1] - t[i0] < 0.1:
                continue
            # Which foot: centre of pressure at mid-contact vs the feet's heel-forefoot midpoints.
            mid = (i0 + i1) // 2
            cop = grf[[f"ground_force_{plate}_px", f"ground_force_{plate}_pz"]].to_numpy()[mid]
            k = int(np.argmin(np.abs(t_markers - t[mid])))
            dist = {s: float(np.linalg.norm(
                0.5 * (markers[f"{s.upper()}_FCC"][k] + markers[f"{s.upper()}_FM2"][k])[[0, 2]] - cop))
                for s in "lr"}
            nearest = min(dist, key=lambda s: dist[s])
            if nearest != foot:
                trial.notes.append(f"plate {plate} contact {t[i0]:.3f}-{t[i1]:.3f} s is nearer the "
                                   f"{nearest} foot: skipped")
                continue
            contacts.append(Contact(foot, float(t[i0]), float(t[i1]), bool(0 < i0 and i1 < len(t) - 1)))
    return contacts, grf


def _refine(signal: np.ndarray, i: int) -> float:
    """Sub-frame position of an extremum at sample i by a parabola through i-1, i, i+1."""
    y0, y1, y2 = signal[i - 1], signal[i], signal[i + 1]
    den = y0 - 2.0 * y1 + y2
    return float(i + (0.5 * (y0 - y2) / den if den != 0 else 0.0))


def progression(markers: dict[str, np.ndarray]) -> np.ndarray:
    """Unit horizontal (x, z) direction of the sacrum's displacement over the trial."""
    sac = 0.5 * (markers["L_IPS"] + markers["R_IPS"])
    d = (sac[-1] - sac[0])[[0, 2]]
    return d / np.linalg.norm(d)


def zeni_events(t: np.ndarray, markers: dict[str, np.ndarray], foot: str) -> tuple[list[float], list[float]]:
    """Heel strikes and toe-offs of one foot by the coordinate method of Zeni et al. (2008)."""
    u = progression(markers)
    sac = 0.5 * (markers["L_IPS"] + markers["R_IPS"])
    heel = (markers[f"{foot.upper()}_FCC"] - sac)[:, [0, 2]] @ u
    toe = (markers[f"{foot.upper()}_FM2"] - sac)[:, [0, 2]] @ u
    # Interior extrema only (an extremum at a trial edge is not an event); a step moves the
    # foot by tens of centimetres relative to the sacrum, noise by millimetres.
    hs = [t[0] + _refine(heel, i) * FRAME_S for i in find_peaks(heel, prominence=0.1)[0]]
    to = [t[0] + _refine(-toe, i) * FRAME_S for i in find_peaks(-toe, prominence=0.1)[0]]
    return hs, to


@dataclass
class Events:
    hs: list[tuple[float, str]]  # (time, source "plate"/"kinematic")
    to: list[tuple[float, str]]


def merge_events(kin: list[float], plate: list[float]) -> list[tuple[float, str]]:
    """Plate events, and kinematic events where no plate event is within MATCH_S."""
    out = [(p, "plate") for p in plate]
    out += [(k, "kinematic") for k in kin if all(abs(k - p) > MATCH_S for p in plate)]
    return sorted(out)


# --------------------------------------------------------------------------------- cycles
def lowpass(q: pd.DataFrame) -> pd.DataFrame:
    """4th-order zero-lag Butterworth at 6 Hz (Winter 2009), ends padded by odd reflection."""
    dt = float(np.median(np.diff(q["time"])))
    b, a = butter(2, CUTOFF_HZ / (0.5 / dt))
    out = q.copy()
    cols = [c for c in q.columns if c != "time"]
    out[cols] = filtfilt(b, a, q[cols].to_numpy(), axis=0, padtype="odd", padlen=min(50, len(q) - 1))
    return out


def cycle_table(trial: Trial, q: pd.DataFrame, events: dict[str, Events], markers: dict[str, np.ndarray],
                t_markers: np.ndarray) -> list[pd.DataFrame]:
    """Every complete cycle of each side, 101 points, right-side convention.

    Columns: the axial coordinates, the cycle limb's coordinates (gait2392 knee sign: negative
    is flexion; the source model's knee angle is positive in flexion), the trunk, the other
    limb's hip, knee and ankle (``contra_*``), pelvis_ty about its cycle mean (m). A left cycle
    takes the left limb as its own, the right limb as the other, and negates MIRRORED.
    pelvis_rotation is taken relative to the heading of the pelvis over the cycle."""
    spline = {c: CubicSpline(q["time"], q[c]) for c in q.columns if c != "time"}
    pct = np.linspace(0.0, 100.0, 101)
    tables = []
    for side in "rl":
        other = "l" if side == "r" else "r"
        hs = [h for h, _ in events[side].hs]
        to = [t for t, _ in events[side].to]
        for k, (t0, t1) in enumerate(zip(hs[:-1], hs[1:], strict=True)):
            dur = t1 - t0
            offs = [x for x in to if t0 < x < t1]
            if not 0.7 < dur < 1.6 or len(offs) != 1:
                trial.notes.append(f"{side} cycle {t0:.3f}-{t1:.3f} s skipped "
                                   f"(duration {dur:.2f} s, {len(offs)} toe-offs)")
                continue
            if t0 < q["time"].iloc[0] or t1 > q["time"].iloc[-1]:
                continue
            tt = t0 + pct / 100.0 * dur
            v = {c: s(tt) for c, s in spline.items()}
            dx = v["pelvis_tx"][-1] - v["pelvis_tx"][0]
            dz = v["pelvis_tz"][-1] - v["pelvis_tz"][0]
            # A rotation about +y by psi turns the model's forward x axis to (cos psi, 0, -sin psi).
            heading = np.degrees(np.arctan2(-dz, dx))
            row = {"pelvis_tilt": v["pelvis_tilt"], "pelvis_list": v["pelvis_list"],
                   "pelvis_rotation": v["pelvis_rotation"] - heading}
            for name in LIMB:
                row[name] = v[f"{name}_{side}"]
            row["knee_angle"] = -row["knee_angle"]
            for name in LUMBAR:
                row[name] = v[name]
            for name in CONTRA:
                row[f"contra_{name}"] = v[f"{name}_{other}"]
            row["contra_knee_angle"] = -row["contra_knee_angle"]
            if side == "l":
                for name in MIRRORED:
                    row[name] = -row[name]
            row["pelvis_ty"] = v["pelvis_ty"] - v["pelvis_ty"].mean()
            df = pd.DataFrame(row)
            # Step width: across the progression line, between this heel at its mid-stance and
            # the other heel at the same time after its own heel strike inside the cycle.
            u = np.array([dx, dz]) / np.hypot(dx, dz)
            n = np.array([-u[1], u[0]])
            other_hs = [h for h, _ in events[other].hs if t0 < h < t1]
            width = np.nan
            if other_hs:
                half = 0.5 * (offs[0] - t0)
                p_self = _marker_at(markers[f"{side.upper()}_FCC"], t_markers, t0 + half)
                p_other = _marker_at(markers[f"{other.upper()}_FCC"], t_markers, other_hs[0] + half)
                if p_other is not None and p_self is not None:
                    width = abs(float((p_self - p_other)[[0, 2]] @ n))
            meta = {"subject": trial.subject, "condition": trial.condition, "trial": trial.name,
                    "side": "right" if side == "r" else "left", "cycle": k, "start_s": t0,
                    "speed_m_s": np.hypot(dx, dz) / dur, "cycle_s": dur,
                    "stance_fraction": (offs[0] - t0) / dur, "step_width_m": width,
                    "heading_deg": heading,
                    "events": "+".join(src for _, src in (_source(events[side].hs, t0),
                                                           _source(events[side].to, offs[0]),
                                                           _source(events[side].hs, t1)))}
            for key, val in reversed(meta.items()):
                df.insert(0, key, val)
            df.insert(df.columns.get_loc("events") + 1, "percent", pct.astype(int))
            tables.append(df)
    return tables


def _source(events: list[tuple[float, str]], t: float) -> tuple[float, str]:
    return min(events, key=lambda e: abs(e[0] - t))


def _marker_at(x: np.ndarray, t: np.ndarray, when: float) -> np.ndarray | None:
    if not t[0] <= when <= t[-1]:
        return None
    return np.array([np.interp(when, t, x[:, j]) for j in range(3)])


def stance_grf(trial: Trial, contacts: list[Contact], grf: pd.DataFrame, kin: dict[str, Events],
               u: np.ndarray) -> list[pd.DataFrame]:
    """Ground reaction over each stance wholly on a plate, 51 points, body weights.

    ap is along the progression (positive forward, propulsive); ml is positive toward the
    right in the right-side convention (a left stance is mirrored)."""
    out = []
    t = grf["time"].to_numpy()
    b, a = butter(2, 50.0 / (0.5 / float(np.median(np.diff(t)))))
    for c in contacts:
        if not c.complete:
            continue
        plate = [p for p, f in trial.plate_foot.items() if f == c.foot][0]
        sel = (t >= c.on) & (t <= c.off)
        f = grf[[f"ground_force_{plate}_v{a_}" for a_ in "xyz"]].to_numpy()
        f = filtfilt(b, a, f, axis=0)  # 50 Hz: keeps the impact transient, removes plate noise
        pct = np.linspace(0.0, 100.0, 51)
        ts = c.on + pct / 100.0 * (c.off - c.on)
        fx, fy, fz = (np.interp(ts, t[sel], f[sel, j]) for j in range(3))
        # Clockwise normal of u in (x, z): (u_z, -u_x) points to the right of the walker.
        right = np.array([-u[1], u[0]])
        ml = (np.c_[fx, fz] @ right) * (1 if c.foot == "r" else -1)
        bw = trial.mass_kg * G
        out.append(pd.DataFrame({
            "subject": trial.subject, "condition": trial.condition, "trial": trial.name,
            "side": "right" if c.foot == "r" else "left", "stance_s": c.off - c.on,
            "percent_stance": pct.astype(int), "vertical_bw": fy / bw,
            "ap_bw": (np.c_[fx, fz] @ u) / bw, "ml_bw": ml / bw}))
    return out


# ----------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the schreiber_moissenet2019 folder")
    parser.add_argument("--out", type=Path, default=Path("src/hipsim/motion/data"))
    parser.add_argument("--work", type=Path, default=None, help="IK output folder (default: a temp dir)")
    args = parser.parse_args(argv)
    try:
        import opensim as osim
    except ImportError:
        print("opensim is not installed (pip install opensim==4.6)", file=sys.stderr)
        return 2
    osim.Logger.setLevelString("error")
    if not (args.data / "anthropometrics.csv").is_file():
        print(f"{args.data}: no anthropometrics.csv (expected the schreiber_moissenet2019 folder)",
              file=sys.stderr)
        return 2
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory()
        args.work = Path(tmp.name)
    args.work.mkdir(parents=True, exist_ok=True)

    cycles, stances, ik_diff, unclamp_diff, ev_rows, prepared = [], [], [], [], [], []
    for trial in find_trials(args.data):
        label = f"{trial.subject} {trial.name}"
        # The check: the provided setup and model as they are, against the provided IK.
        q_check, _ = run_ik(trial, args.work, unclamp_hip=False)
        ik_diff.append(pd.Series(compare_ik(q_check, read_mot(trial.ik_provided)), name=label))
        q, rms = run_ik(trial, args.work, unclamp_hip=True)
        hip_min = min(q_check["hip_flexion_r"].min(), q_check["hip_flexion_l"].min())
        unclamp_diff.append(pd.Series({c: float(np.max(np.abs(q[c] - q_check[c]))) for c in q.columns
                                       if c != "time"}, name=label))
        if hip_min < -29.5:
            trial.notes.append(f"as provided, IK holds hip_flexion within 0.5 deg of the model's -30 deg "
                               f"limit ({hip_min:.2f} deg)")
        t_m, markers = read_trc(trial.trc)
        missing = [n for n, x in markers.items() if np.isnan(x).any()]
        if missing:
            trial.notes.append(f"markers with gaps: {missing}")
        contacts, grf = plate_contacts(trial, markers, t_m)
        kin, plate = {}, {}
        for foot in "rl":
            kin[foot] = zeni_events(t_m, markers, foot)
            plate[foot] = ([c.on for c in contacts if c.foot == foot and c.on > grf["time"].iloc[0]],
                           [c.off for c in contacts if c.foot == foot and c.off < grf["time"].iloc[-1]])
            for kind, k_ev, p_ev in zip(("HS", "TO"), kin[foot], plate[foot], strict=True):
                for p in p_ev:
                    near = [k for k in k_ev if abs(k - p) <= MATCH_S]
                    if near:
                        ev_rows.append({"subject": trial.subject, "condition": trial.condition,
                                        "foot": foot, "event": kind,
                                        "kinematic_minus_plate_frames": (near[0] - p) / FRAME_S})
        prepared.append((trial, label, q, rms, t_m, markers, contacts, grf, kin, plate))

    # Zeni's heel strike (most anterior heel) precedes the 20 N plate threshold by a few frames,
    # consistently in these data: shift kinematic heel strikes by the mean plate-minus-kinematic
    # offset of the same condition (a calibration on the plates, checked leaving each subject out).
    ev = pd.DataFrame(ev_rows)
    hs = ev[ev["event"] == "HS"]
    offset_s = {c: -FRAME_S * float(g["kinematic_minus_plate_frames"].mean()) for c, g in hs.groupby("condition")}
    col = "kinematic_minus_plate_frames"
    loso = [r[col] - hs[(hs["condition"] == r["condition"]) & (hs["subject"] != r["subject"])][col].mean()
            for _, r in hs.iterrows()]

    for trial, label, q, rms, t_m, markers, contacts, grf, kin, plate in prepared:
        events = {}
        for foot in "rl":
            hs_k = [h + offset_s[trial.condition] for h in kin[foot][0]]
            events[foot] = Events(merge_events(hs_k, plate[foot][0]), merge_events(kin[foot][1], plate[foot][1]))
        eps = pelvis_offset_deg(trial.model)
        trial.notes.append(f"pelvis frame re-registered by {eps:+.1f} deg")
        qf = lowpass(reregister_pelvis(q, eps))
        new = cycle_table(trial, qf, events, markers, t_m)
        cycles += new
        stances += stance_grf(trial, contacts, grf, events, progression(markers))
        sides = [c["side"].iloc[0] for c in new]
        print(f"{label}: {t_m[-1]:.2f} s, IK max RMS marker error {1000 * rms:.1f} mm, "
              f"heel strikes r {[round(float(h), 3) for h, _ in events['r'].hs]} "
              f"l {[round(float(h), 3) for h, _ in events['l'].hs]}, "
              f"cycles right {sides.count('right')} left {sides.count('left')}"
              + "".join(f"\n    note: {n}" for n in trial.notes))

    pd.set_option("display.width", 200)
    diffs = pd.DataFrame(ik_diff)
    coords = [c for c in diffs.columns if diffs[c].abs().max() > 0 or not c.startswith(("subtalar", "mtp"))]
    print("\nIK vs provided IK over its window: max |difference| per coordinate over all trials (deg; m)")
    print(diffs[coords].max().round(3).to_string())
    print("worst trial per coordinate:", diffs[coords].idxmax().to_dict())
    udiff = pd.DataFrame(unclamp_diff)
    print("\nIK with hip_flexion unclamped vs as provided, whole trial, max |difference| (deg; m):")
    print(udiff[[c for c in coords if c in udiff.columns]].max().round(3).to_string())
    print("trials where it exceeds 0.5 deg anywhere:",
          udiff.index[udiff.drop(columns=["pelvis_tx", "pelvis_ty", "pelvis_tz"]).max(axis=1) > 0.5].tolist())

    print("\nKinematic (Zeni 2008) minus force-plate events, frames of 10 ms, before the heel-strike shift:")
    print(ev.groupby(["event", "condition"])["kinematic_minus_plate_frames"].describe().round(2).to_string())
    print("heel-strike shift per condition (s):", {c: round(v, 4) for c, v in offset_s.items()})
    print("heel strike after the shift, leaving each subject out of its calibration: "
          f"mean {np.mean(loso):.2f}, SD {np.std(loso, ddof=1):.2f}, max |.| {np.max(np.abs(loso)):.2f} frames")

    table = pd.concat(cycles, ignore_index=True)
    per_cycle = table[table["percent"] == 0]
    print("\nCycles per condition and side:")
    print(per_cycle.groupby(["condition", "side"]).size().to_string())
    stats = per_cycle.assign(cadence_steps_min=120.0 / per_cycle["cycle_s"]).groupby("condition")[
        ["speed_m_s", "cycle_s", "cadence_steps_min", "stance_fraction", "step_width_m"]].agg(["mean", "std"])
    print(stats.round(3).to_string())

    args.out.mkdir(parents=True, exist_ok=True)
    angle_cols = [c for c in table.columns if c not in (
        "subject", "condition", "trial", "side", "cycle", "start_s", "events", "percent", "pelvis_ty",
        "speed_m_s", "cycle_s", "stance_fraction", "step_width_m", "heading_deg")]
    table[angle_cols] = table[angle_cols].round(2)
    table["pelvis_ty"] = table["pelvis_ty"].round(4)
    for c, d in (("start_s", 3), ("speed_m_s", 3), ("cycle_s", 3), ("stance_fraction", 3), ("step_width_m", 3),
                 ("heading_deg", 2)):
        table[c] = table[c].round(d)
    table.to_csv(args.out / "schreiber_moissenet2019_cycles.csv", index=False)
    grf_table = pd.concat(stances, ignore_index=True)
    grf_table[["vertical_bw", "ap_bw", "ml_bw"]] = grf_table[["vertical_bw", "ap_bw", "ml_bw"]].round(4)
    grf_table["stance_s"] = grf_table["stance_s"].round(3)
    grf_table.to_csv(args.out / "schreiber_moissenet2019_grf.csv", index=False)
    print(f"\nstances on a plate: {(grf_table.groupby(['condition', 'side']).size() // 51).to_dict()}")
    for f in ("schreiber_moissenet2019_cycles.csv", "schreiber_moissenet2019_grf.csv"):
        print(f"{args.out / f}: {(args.out / f).stat().st_size / 1024:.0f} KiB")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
