"""Measured adult gait cycles in gait2392 coordinates, shipped as package data.

Nine healthy adults (4 men, 5 women, 21-63 years) walking overground at a self-selected
preferred speed (condition ``"C4"``) and a self-selected fast speed (``"C5"``), from
Schreiber C, Moissenet F (2019), A multimodal dataset of human gait at different walking speeds
established on injury-free adult participants, Sci Data 6:111 (doi:10.1038/s41597-019-0124-4;
data CC BY 4.0, and so are these derived curves). OpenSim processing of the source data (scaled
Rajagopal-based models, inverse-kinematics setups) by A. Fox (github.com/aaronsfox/zmp-opensim).

The files in ``hipsim/motion/data`` were made by ``tools/measured_gait_cycles.py`` (OpenSim 4.6
inverse kinematics over each whole trial, force-plate and Zeni et al. 2008 gait events, 101
points per cycle, left cycles mirrored into the right-side convention); its README states how.
Over the shipped cycles (mean ± SD over cycles): C4, 9 cycles, 1.15 ± 0.19 m/s, 1.07 ± 0.08 s
per cycle, stance 61.1 ± 0.9 % of the cycle, step width 0.094 ± 0.018 m; C5, 10 cycles,
1.69 ± 0.31 m/s, 0.89 ± 0.09 s, stance 59.3 ± 1.0 %, step width 0.079 ± 0.020 m.

Angles are in degrees with gait2392's names and signs (knee negative in flexion); ``pelvis_ty``
is in metres about its cycle mean. ``subtalar_angle`` and ``mtp_angle`` are 0 (locked in the
source model: not measured).
"""
from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass

import pandas as pd

from hipsim.errors import input_error

CYCLES_FILE = "schreiber_moissenet2019_cycles.csv"
GRF_FILE = "schreiber_moissenet2019_grf.csv"

#: Coordinates of each cycle (degrees; ``pelvis_ty`` in metres), right-side convention: the
#: cycle's own limb unprefixed, the other limb over the same cycle as ``contra_*``.
COORDINATES = (
    "pelvis_tilt", "pelvis_list", "pelvis_rotation",
    "hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle",
    "subtalar_angle", "mtp_angle",
    "lumbar_extension", "lumbar_bending", "lumbar_rotation",
    "contra_hip_flexion", "contra_hip_adduction", "contra_hip_rotation", "contra_knee_angle",
    "contra_ankle_angle",
    "pelvis_ty",
)
#: Per-cycle values repeated on each of the cycle's rows.
CYCLE_VALUES = ("speed_m_s", "cycle_s", "stance_fraction", "step_width_m")
CONDITIONS = ("C4", "C5")
SIDES = ("both", "right", "left")


@functools.lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    with importlib.resources.files("hipsim.motion").joinpath("data").joinpath(name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"subject": str})


def load_cycles() -> pd.DataFrame:
    """All measured cycles, one row per cycle and percent (0..100).

    Columns: ``subject``, ``condition`` (C4 preferred, C5 fast), ``trial``, ``side`` (the
    measured foot), ``cycle``, ``start_s`` (its heel strike in the trial), the per-cycle
    :data:`CYCLE_VALUES`, ``heading_deg``, ``events``, ``percent`` and the :data:`COORDINATES`.
    Source: Schreiber & Moissenet (2019), Sci Data 6:111, CC BY 4.0; processing as in this
    module's docstring.
    """
    return _read(CYCLES_FILE).copy()


def load_stance_grf() -> pd.DataFrame:
    """Ground reaction over every stance wholly on a force plate (36 stances, 51 points each).

    Columns: ``subject``, ``condition``, ``trial``, ``side``, ``stance_s``, ``percent_stance``
    (0, 2, ..., 100), ``vertical_bw``, ``ap_bw`` (positive forward) and ``ml_bw`` (positive toward
    the right in the right-side convention; negative is medial), in body weights. Source:
    Schreiber & Moissenet (2019), Sci Data 6:111, CC BY 4.0.
    """
    return _read(GRF_FILE).copy()


@dataclass(frozen=True)
class MeanCycle:
    """Mean measured gait cycle of one selection of cycles.

    ``mean`` and ``sd`` are indexed by percent (0..100) with one column per coordinate of
    :data:`COORDINATES`: each subject's cycles are averaged first, then the subjects (so a subject
    with two cycles counts once), and ``sd`` is the SD over subjects (ddof 1). ``stats`` holds
    the mean and SD over subjects of :data:`CYCLE_VALUES` and of the cadence (steps/min).
    """

    condition: str | None
    side: str
    n_cycles: int
    n_subjects: int
    mean: pd.DataFrame
    sd: pd.DataFrame
    stats: pd.DataFrame


def mean_cycle(condition: str | None = None, side: str = "both") -> MeanCycle:
    """Mean and SD per coordinate and percent of the measured cycles, with speed statistics.

    ``condition``: ``"C4"`` (self-selected preferred speed; mean ± SD over the 9 subjects
    1.15 ± 0.19 m/s, 112 ± 8 steps/min, stance 61.1 ± 0.9 %), ``"C5"`` (self-selected fast;
    1.63 ± 0.27 m/s, 135 ± 13 steps/min, stance 59.3 ± 1.0 %) or None for both. ``side``:
    ``"both"``, ``"right"`` or ``"left"`` (the measured foot; left cycles are already mirrored
    into the right-side convention). Source: Schreiber & Moissenet (2019), Sci Data 6:111.
    """
    if condition is not None and condition not in CONDITIONS:
        raise input_error("argument", "condition", condition,
                          "None, 'C4' (preferred speed) or 'C5' (fast speed)")
    if side not in SIDES:
        raise input_error("argument", "side", side, "'both', 'right' or 'left'")
    cycles = _read(CYCLES_FILE)
    sel = cycles
    if condition is not None:
        sel = sel[sel["condition"] == condition]
    if side != "both":
        sel = sel[sel["side"] == side]
    per_subject = sel.groupby(["subject", "percent"])[list(COORDINATES)].mean()
    mean = per_subject.groupby("percent").mean()
    sd = per_subject.groupby("percent").std(ddof=1)
    first = sel[sel["percent"] == 0].assign(cadence_steps_min=lambda d: 120.0 / d["cycle_s"])
    by_subject = first.groupby("subject")[[*CYCLE_VALUES, "cadence_steps_min"]].mean()
    stats = by_subject.agg(["mean", "std"])
    return MeanCycle(condition, side, int(len(first)), int(by_subject.shape[0]), mean, sd, stats)
