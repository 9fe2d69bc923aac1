"""Render the scenario gallery: one picture per shipped scenario in docs/gallery/, the numbers each
picture shows in docs/gallery/<name>.json, and docs/scenario-gallery.md; and the numbers of the
interactive demo's thumbnail in docs/teaching/5_interactive_demo.json.

Run from the repository root after changing a scenario, the mechanics or the pictures:

    python tools/make_gallery.py            # every scenario, the page and the demo numbers
    python tools/make_gallery.py wallet     # one scenario (the page is rewritten too)

Each picture is the demo's whole-body figure of the scenario (``hipsim run``'s frontal.png: the
body from the front, every fibre line labelled and coloured by activation on one fixed scale,
force against maximum, hip contact force) above the % change per fibre group with its metric and
unit. Held postures and sitting show fibre length, the others peak force. tests/test_gallery_numbers.py
recomputes the JSON numbers and fails when a committed picture no longer shows what the code computes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from hipsim.report.plots import plot_change_bars, plot_frontal, save_figure
from hipsim.scenarios import run_scenario, shipped_scenarios

#: The first picture of the demo notebook's thumbnail cell (notebooks/5_interactive_demo.ipynb).
DEMO_THUMBNAIL_KNOBS: dict[str, Any] = {"load_kg": 10.0, "load_side": "opposite"}


def metric_for(task: str) -> str:
    return "mean_norm_fiber_length" if task in ("sitting", "standing") else "peak_force_n"


def picture_frame(result: Any) -> int:
    """The frame a gallery picture shows: the peak of the right hip contact force."""
    return int(result.scenario.hip_contact_force_bw["r"].to_numpy().argmax())


def wallet_of(result: Any) -> tuple[str, float] | None:
    from hipsim.report.frontal import wallet_of as spec_wallet
    return spec_wallet(result.spec)


def picture_numbers(result: Any) -> dict[str, Any]:
    """The numbers a gallery picture shows, as printed on it (the test recomputes them)."""
    from hipsim.report.frontal import abduction_shortfall_nm, picture_side
    res = result.scenario
    frame = picture_frame(result)
    side = picture_side(res, wallet_of(result))
    m = res.model
    hcf = float(np.linalg.norm(res.hip_contact_force_ground[side][frame]))
    metric = metric_for(result.spec.task)
    tab = result.metrics
    change = {}
    from hipsim.anatomy import FIBRE_GROUPS
    for _, r in tab[tab.muscle.isin(FIBRE_GROUPS)].iterrows():
        v = r[f"{metric}_pct_change"]
        change[f"{r.muscle}_{r.side}"] = ("negl." if r[f"{metric}_negligible"] else
                                          "new" if not np.isfinite(v) else round(float(v), 1))
    return {"scenario": result.spec.name, "frame": frame,
            "percent": None if res.percent is None else round(float(res.percent[frame]), 1),
            "side": side, "hip_contact_bw": round(hcf / res.body_weight_n, 2), "hip_contact_n": round(hcf),
            "forces_n": {g: round(float(res.muscle_forces[frame, m.muscle_index(f"{g}_{side}")]))
                         for g in FIBRE_GROUPS},
            "shortfall_nm": round(abduction_shortfall_nm(res, frame, side)),
            "metric": metric, "change_pct": change, **_levers(res)}


def _levers(res: Any) -> dict[str, Any]:
    """Single-leg stance pictures print Pauwels' levers (cm, one decimal)."""
    if res.task != "single_leg_stance":
        return {}
    from hipsim.tasks.stance import lever_diagram
    ld = lever_diagram(res)
    return {"weight_lever_cm": round(100 * ld.weight_lever_m, 1),
            "abductor_lever_cm": round(100 * ld.abductor_lever_m, 1)}


def render(name: str, out: Path) -> Path:
    r = run_scenario(name)
    fig = Figure(figsize=(13, 10.2))
    plot_frontal(r.scenario, picture_frame(r), title=r.spec.title, wallet=wallet_of(r), fig=fig,
                 box=(0.0, 0.36, 1.0, 0.64))
    bars = fig.add_axes((0.07, 0.06, 0.88, 0.25))
    plot_change_bars(r.metrics, metric_for(r.spec.task), title=f"{r.spec.title}: change against the baseline",
                     ax=bars)
    bars.title.set_fontsize(10)
    path = save_figure(fig, out / f"{name}.png", dpi=70)
    from hipsim.fileio import atomic_write_text
    atomic_write_text(out / f"{name}.json", json.dumps(picture_numbers(r), indent=1) + "\n")
    return path


def demo_numbers(knobs: dict[str, Any] = DEMO_THUMBNAIL_KNOBS) -> dict[str, Any]:
    """What the interactive demo's thumbnail prints (its first picture), from the demo itself."""
    from hipsim.report.demo import StanceDemo
    rd = StanceDemo().update(**knobs)
    return {"notebook": "notebooks/5_interactive_demo.ipynb", "knobs": knobs,
            "hip_contact_bw": round(rd.hip_contact_bw, 2), "hip_contact_n": round(rd.hip_contact_n),
            "abductor_force_bw": round(rd.abductor_force_bw, 2)}


#: Per scenario: what the picture shows, and how to read it (two sentences for the gallery page).
TEXT = {
    "wallet": ("A 2 cm wallet under the right buttock tilts the seated pelvis about 9 degrees, which with "
               "the hips at 90 degrees becomes hip rotation: the right gluteal fibres lengthen and the left "
               "shorten for the whole hour, and the pressure over the wallet multiplies.",
               "Bars are the % change of mean fibre length per group (red right, blue left); the "
               "summary's compression index carries the pressure on the posterior fibres."),
    "bag_opposite_hand": ("A 10 kg bag in the left hand while standing on the right leg raises every right "
                          "abductor's force by more than a third (gluteus minimus by 95-160 %) and the hip "
                          "contact force by about 1.5 BW.",
                          "Bars: % change of peak force per fibre group; top: the body from the front with each "
                          "fibre line coloured by activation and the bag drawn where it hangs."),
    "bag_same_hand": ("The same bag in the right hand, beside the stance hip, offsets part of the body "
                      "weight's moment: the right abductors and the hip contact force do less.",
                      "Negative bars are less load than standing on one leg empty-handed."),
    "child_on_hip": ("A 12 kg child on the left hip acts far from the right stance hip: the right gluteus "
                     "minimus parts more than double their force.",
                     "Compare the bars with the bag in the hand: the child sits slightly closer in than "
                     "the hand, so the larger rise comes from the larger mass (12 kg against 10 kg)."),
    "shoulder_bag_walk": ("An 8 kg bag on the left shoulder during walking: the right hip's peak abduction "
                          "moment rises by almost a third (0.81 to 1.06 N m/kg) and the left one's falls.",
                          "Bars: % change of peak force per fibre group over the cycle; top: the frontal "
                          "view at the frame of peak right hip contact force."),
    "weak_gluteus_medius": ("With the right gluteus medius at half strength, gluteus minimus and TFL take "
                            "over its share of the same abduction moment: their force more than doubles.",
                            "Negative bars for medius, large positive bars for minimus and TFL: the load "
                            "moves, the moment stays."),
    "weak_abductors_compensated": ("With the whole superior-gluteal-nerve group at 20 %, the pelvis cannot "
                                   "be held level; hipsim finds the trunk lean over the stance hip "
                                   "(about 17 degrees) that closes the deficit.",
                                   "The bars show the loads at that lean: every abductor does less, because "
                                   "the lean shortens the body weight's lever."),
    "weak_abductors_gait": ("Walking with the right superior-gluteal-nerve group at 20 %, hipsim leans the trunk "
                            "over the right hip once per stride (up to 20 degrees, as a smooth two-harmonic "
                            "lurch) until the abductors' shortfall is closed; the weak right fibres' peak "
                            "forces fall by 40-94 %, the left abductors' rise by 8-58 % as the trunk swings back, "
                            "and the right hip contact force peaks at 5.6 BW against 4.7.",
                            "Bars: % change of peak force per fibre group over the cycle; top: the frontal view "
                            "at the frame of peak right hip contact force, with the trunk leaning over the "
                            "stance hip. The lean over the cycle is in summary.json."),
    "trendelenburg_stance": ("An 8 degree pelvic drop on the lifted side adducts the stance hip: its "
                             "abductors work stretched and harder.",
                             "Bars: % change of peak force; the frontal view shows the tilted pelvis."),
    "trunk_lean": ("Leaning the trunk 10 degrees over the stance hip, as a person with weak abductors "
                   "does, lowers the abductor forces and the hip contact force.",
                   "All bars negative: the lean trades abductor effort for a shorter lever."),
    "trendelenburg_gait": ("Walking with twice the normal pelvic drop in swing adducts each stance hip "
                           "further: TFL's peak force rises most (about +70 %), the gluteus medius and the anterior "
                           "and middle gluteus minimus parts by 11-23 %, while posterior gluteus minimus "
                           "does less (-9 %).",
                           "Bars: % change of peak force per fibre group over the cycle, both sides alike."),
    "prolonged_standing": ("Standing half an hour without shifting weight loads the same fibres no "
                           "harder, but 15 times longer without a pause.",
                           "Peak-force bars stay at zero; the change is in the summary's longest "
                           "sustained activation and the sustained-contraction index."),
    "limping": ("A limp off a painful right leg shortens its stance, so the left hip carries more of the "
                "cycle: the left fibres' impulse per stride rises 6-15 % and the right's falls up to 5 %, "
                "while most peak forces rise on both sides.",
                "Bars: % change of peak force per fibre group, right and left."),
    "walking_fast_far": ("A brisk 15,000-step day against an ordinary 7,000-step day: at 1.8 m/s push-off "
                         "asks more of the calf than gait2392's rigid-tendon muscles give while shortening that "
                         "fast (Thelen 2003 force-velocity curve), so up to 33 N m falls on each ankle's "
                         "reserve and `hipsim run` warns (held isometric, the same muscles would suffice).",
                         "Peak-force bars show the faster pace, the summary's impulse per day the distance."),
    "crossed_legs": ("Knee over knee, the crossed right hip holds its posterior gluteal fibres and piriformis "
                     "stretched for the hour and lengthens TFL by about half (from 0.23 to 0.34 of its optimal "
                     "length, a rigid-tendon value outside the physiological range, which hipsim warns about), "
                     "while the anterior fibres, adductors at 90 degrees of flexion, shorten.",
                     "Bars: % change of mean fibre length; the left side is unchanged."),
    "leg_length": ("A left leg 1.5 cm short tilts the standing pelvis about 5 degrees to the left: the "
                   "right abductors lengthen and the left shorten.",
                   "Bars: % change of mean fibre length per group (red right, blue left)."),
    "cambered_road": ("Feet across a 4 degree camber act like a 1.7 cm shorter downhill leg.",
                      "Read it like the leg-length picture: the uphill hip's abductors lengthen."),
}


def gallery_markdown(names: list[str]) -> str:
    """The gallery block of docs/scenario-gallery.md: a picture and two sentences per scenario."""
    from hipsim.scenarios.schema import read_scenario
    out = []
    for name in names:
        spec = read_scenario(shipped_scenarios()[name])
        what, how = TEXT.get(name, (spec.description.split(". ")[0] + ".", ""))
        out.append(f"**{spec.title}** (`hipsim run {name}`)\n\n![{name}](gallery/{name}.png)\n\n{what} {how}\n")
    return "\n".join(out)


def main(names: list[str]) -> None:
    from hipsim.fileio import atomic_write_text
    atomic_write_text(Path("docs/teaching/5_interactive_demo.json"), json.dumps(demo_numbers(), indent=1) + "\n")
    out = Path("docs/gallery")
    names = names or sorted(shipped_scenarios())
    for name in names:
        print("wrote", render(name, out))
    page = Path("docs/scenario-gallery.md")
    text = page.read_text()
    head, rest = text.split("<!-- gallery:start -->\n")
    _, tail = rest.split("<!-- gallery:end -->")
    all_names = sorted(shipped_scenarios())
    page.write_text(head + "<!-- gallery:start -->\n" + gallery_markdown(all_names) + "<!-- gallery:end -->" + tail)


if __name__ == "__main__":
    main(sys.argv[1:])
