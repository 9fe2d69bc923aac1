"""Run hipsim's measured-walk pipeline on every trial of Schreiber & Moissenet (2019).

For each of the 9 adults and both speeds (C4 preferred, C5 fast): the provided OpenSim inverse
kinematics (one step, toe-off to toe-off, Rajagopal-based model) and the force plates'
ExternalLoads, on gait2392 scaled to the subject's mass and height
(anthropometrics.csv). The knee angle changes sign (the source model's knee is positive in
flexion, gait2392's negative); every other coordinate keeps its name, sign and value, so the
pelvis keeps the source models' registration (see hipsim/motion/data/README.md). Prints a
Markdown table: pelvis residual force and moment peaks against Hicks et al. (2015)'s guideline
(5 % of the peak ground reaction force; 1 % of centre-of-mass height times it) and the peak hip
contact force on each side over the window.

    python tools/measured_trials_table.py ../shared/reference/gait/schreiber_moissenet2019

Source data: Schreiber C, Moissenet F (2019), Sci Data 6:111, CC BY 4.0; OpenSim processing by
A. Fox (github.com/aaronsfox/zmp-opensim). Used by tests/test_measured_trials.py.
"""
from __future__ import annotations

import csv
import dataclasses
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import hipsim
from hipsim.motion.storage import read_storage, write_storage


@dataclass(frozen=True)
class TrialResult:
    subject: str
    condition: str
    window_s: tuple[float, float]
    residual_force_n: float
    residual_force_limit_n: float
    residual_moment_nm: float
    residual_moment_limit_nm: float
    hip_contact_bw: dict[str, float]
    warned: bool


def trials(root: Path) -> list[tuple[str, str, Path, Path]]:
    """(subject, condition, IK .mot, ExternalLoads .xml) of every trial, sorted."""
    out = []
    for mot in sorted(root.glob("*/ik/*/*_ik.mot")):
        subject, cond = mot.parents[2].name, mot.parent.name
        xml = next((root / subject / "dynamic").glob(f"{subject}_{cond}_grf.xml"))
        out.append((subject, cond[:2], mot, xml))
    return out


def anthropometrics(root: Path) -> dict[str, hipsim.Subject]:
    with open(root / "anthropometrics.csv", newline="") as f:
        return {r["subjectID"]: hipsim.Subject(float(r["mass"]), float(r["height"])) for r in csv.DictReader(f)}


def to_gait2392(mot: Path, out: Path) -> Path:
    """The motion with gait2392's knee sign (negative in flexion)."""
    table = read_storage(mot)
    data = table.data.copy()
    for k in ("knee_angle_r", "knee_angle_l"):
        data[:, table.column_names.index(k)] *= -1.0
    write_storage(out, dataclasses.replace(table, data=data))
    return out


def run_trial(model: hipsim.Model, subject: hipsim.Subject, mot: Path, xml: Path, work: Path) -> TrialResult:
    from hipsim.tasks.result import residual_limits
    q = to_gait2392(mot, work / f"{mot.stem}_gait2392.mot")
    t = read_storage(q).time
    m = model.scaled_to(subject)
    res = hipsim.gait_from_opensim(m, q, xml, start=float(t[0]), end=float(t[-1]), subject=subject)
    limits = residual_limits(res.model, res.q, res.external_loads)
    assert res.residuals is not None and limits is not None  # a measured walk with ground forces
    return TrialResult(
        subject=mot.parents[2].name, condition=mot.parent.name[:2], window_s=(float(t[0]), float(t[-1])),
        residual_force_n=float(res.residuals["force_n"].max()), residual_force_limit_n=limits[0],
        residual_moment_nm=float(res.residuals["moment_nm"].max()), residual_moment_limit_nm=limits[1],
        hip_contact_bw={s: float(res.hip_contact_force_bw[s].max()) for s in ("r", "l")},
        warned=any("Hicks" in w for w in res.warnings))


def run_all(root: Path) -> list[TrialResult]:
    subjects = anthropometrics(root)
    model = hipsim.load_model("gait2392")
    with tempfile.TemporaryDirectory() as tmp:
        return [run_trial(model, subjects[s], mot, xml, Path(tmp)) for s, _, mot, xml in trials(root)]


def markdown(results: list[TrialResult]) -> str:
    lines = ["| subject | speed | window (s) | residual force (N; guideline) | residual moment (N m; guideline) "
             "| peak hip contact right / left (BW) |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.subject} | {r.condition} | {r.window_s[0]:.2f}-{r.window_s[1]:.2f} "
                     f"| {r.residual_force_n:.0f} ({r.residual_force_limit_n:.0f}) "
                     f"| {r.residual_moment_nm:.0f} ({r.residual_moment_limit_nm:.0f}) "
                     f"| {r.hip_contact_bw['r']:.2f} / {r.hip_contact_bw['l']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run_all(Path(sys.argv[1]))))
