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
               "the hips at 90 degrees becomes hip rotation: the right gluteal fibres lengthen by 4-14 % and the "
               "left shorten by 5-15 % for the whole hour, and the pressure over the wallet is 4.5 times the "
               "pressure without it (19 against 4.2 kPa).",
               "Bars are the % change of mean fibre length per group (red right, blue left); the "
               "summary's compression index carries the pressure on the posterior fibres. TFL sits at 0.25-0.27 "
               "of its optimal length, with and without the wallet: rigid-tendon values outside the "
               "physiological range, which `hipsim run` warns about."),
    "bag_opposite_hand": ("A 10 kg bag in the left hand while standing on the right leg raises every right "
                          "abductor's peak force by more than half (54-70 %; gluteus minimus by 54-69 %) and the "
                          "hip contact force by about 1.2 BW (2.57 to 3.80 BW).",
                          "Bars: % change of peak force per fibre group; top: the body from the front with each "
                          "fibre line coloured by activation and the bag drawn where it hangs."),
    "bag_same_hand": ("The same bag in the right hand, beside the stance hip, offsets part of the body "
                      "weight's moment: the right abductors' peak forces fall by 34-38 % and the hip contact "
                      "force from 2.57 to 1.98 BW.",
                      "Negative bars are less load than standing on one leg empty-handed."),
    "child_on_hip": ("A 12 kg child on the left hip acts far from the right stance hip: the right abductors' "
                     "peak forces rise by 62-83 % (gluteus minimus by 62-81 %) and the hip contact force "
                     "reaches 3.98 BW.",
                     "Compare the bars with the bag in the hand: the child sits slightly closer in than "
                     "the hand (34.5 against 35.5 cm lateral of the right hip centre), so the larger rise comes "
                     "from the larger mass (12 kg against 10 kg)."),
    "shoulder_bag_walk": ("An 8 kg bag on the left shoulder during walking: the right hip's peak abduction "
                          "moment rises by about two fifths (0.73 to 1.04 N m/kg) and the left one's falls (to "
                          "0.56 N m/kg); the right abductor fibres' peak forces rise by 22-44 %, the left ones' "
                          "fall by up to 15 %, and the right hip contact force peaks at 5.45 BW against 4.75.",
                          "Bars: % change of peak force per fibre group over the cycle; top: the frontal "
                          "view at the frame of peak right hip contact force."),
    "weak_gluteus_medius": ("With the right gluteus medius at half strength, gluteus minimus and TFL take "
                            "over its share of the same abduction moment: their peak forces more than double "
                            "(+126 to +152 %), while medius's parts fall by 35-41 %.",
                            "Negative bars for medius, large positive bars for minimus and TFL: the load "
                            "moves, the moment stays."),
    "weak_abductors_compensated": ("With the whole superior-gluteal-nerve group at 20 %, the pelvis cannot "
                                   "be held level (4.8 N m short); hipsim finds the trunk lean over the stance "
                                   "hip (about 7 degrees) that closes the deficit.",
                                   "The bars show the loads at that lean against full strength: the weakened "
                                   "fibres work at or near full activation, anterior and middle gluteus medius "
                                   "carry less (-61 %, -23 %) and posterior medius, TFL and middle and posterior "
                                   "minimus more (+15 to +89 %); the rest of the abduction moment falls to "
                                   "muscles with short abduction arms, rectus femoris first (1.1 cm), with "
                                   "iliacus and semimembranosus beside it (1.0-1.3 kN each), and the hip "
                                   "contact force rises from 2.57 to 6.63 BW."),
    "weak_abductors_gait": ("Walking with the right superior-gluteal-nerve group at 20 %: with the default "
                            "model the weakened abductors, at or near full activation, still hold the pelvis in "
                            "every frame (largest shortfall 0.3 N m), so hipsim finds no lean is needed and the "
                            "summary's note says so (gait2392 leans the trunk up to 20 degrees: `hipsim run "
                            "weak_abductors_gait --model gait2392`). Gluteus medius and TFL's peak forces fall "
                            "by 33-55 %, posterior gluteus minimus's rises 18 % and piriformis's nearly doubles; "
                            "the rest of the abduction moment falls to muscles with short abduction arms, rectus "
                            "femoris and upper gluteus maximus, with semimembranosus balancing rectus femoris's "
                            "flexion, and the right hip contact force peaks at 8.2 BW against 4.8.",
                            "Bars: % change of peak force per fibre group over the cycle, the left side "
                            "unchanged; top: the frontal view at the frame of peak right hip contact force (19 % "
                            "of the cycle), without a lean."),
    "trendelenburg_stance": ("An 8 degree pelvic drop on the lifted side adducts the stance hip: its "
                             "abductors work stretched (mean fibre length +7 to +14 %) and harder (peak force "
                             "+17 to +35 %, posterior gluteus minimus's change negligible), and the hip "
                             "contact force rises from 2.57 to 2.98 BW.",
                             "Bars: % change of peak force; the frontal view shows the tilted pelvis."),
    "trunk_lean": ("Leaning the trunk 10 degrees over the stance hip, as a person with weak abductors "
                   "does, shortens the body weight's lever from 9.5 to 6.9 cm: the right abductors' peak "
                   "forces fall by 27-30 % and the hip contact force from 2.57 to 2.05 BW.",
                   "Every right bar negative (the lifted left leg's negligible): the lean trades abductor "
                   "effort for a shorter lever."),
    "trendelenburg_gait": ("Walking with twice the normal pelvic drop in swing adducts each stance hip "
                           "further: anterior gluteus minimus's peak force rises most (+35 %), middle gluteus "
                           "minimus and anterior and middle gluteus medius by 17-19 %, while posterior gluteus "
                           "minimus and medius, TFL and piriformis change negligibly; the peak hip contact "
                           "force falls a little (4.75 to 4.56 BW).",
                           "Bars: % change of peak force per fibre group over the cycle, both sides alike."),
    "prolonged_standing": ("Standing half an hour without shifting weight loads the same fibres no "
                           "harder, but 15 times longer without a pause; quiet standing asks little of the "
                           "abductors (at most 18 N, in anterior gluteus medius).",
                           "The bars (mean fibre length) stay at zero, and so do the peak forces; the change "
                           "is in the summary's longest sustained activation (1800 s against 120 s) and its "
                           "sustained-contraction index (15 times baseline)."),
    "limping": ("A limp off a painful right leg shortens its stance, so the left hip carries more of the "
                "cycle: the left abductor fibres' impulse per stride rises by up to 14 % (posterior gluteus "
                "medius excepted, -2 %) and the right fibres' changes by -9 to +5 %, all below hipsim's "
                "negligible-change floor; of the peak forces only left anterior gluteus minimus (+14 %) and "
                "left piriformis (+20 %) change by more, and the right hip contact force peaks at 4.27 BW "
                "against 4.12.",
                "Bars: % change of peak force per fibre group, right and left; most read negl."),
    "walking_fast_far": ("A brisk 15,000-step day against an ordinary 7,000-step day: at 1.8 m/s the "
                         "abductor fibres' peak forces rise by 11-75 % (TFL most) and the hip contact force "
                         "peaks at 7.05 BW against 4.75; push-off asks more of the calf than the model's "
                         "rigid-tendon muscles give while shortening that fast (Millard et al. 2013 "
                         "force-velocity curve), so up to 22 N m (18 % of the ankle moment) falls on each "
                         "ankle's reserve and `hipsim run` warns (held isometric, the same muscles would "
                         "suffice).",
                         "Peak-force bars show the faster pace, the summary's impulse per day the distance."),
    "crossed_legs": ("Knee over knee (the right hip adducted 20 degrees at 90 degrees of flexion), the crossed "
                     "right hip holds its posterior gluteus minimus (+12 %) and piriformis (+15 %) stretched "
                     "for the hour and lengthens TFL by two fifths (from 0.25 to 0.35 of its optimal length, "
                     "rigid-tendon values outside the physiological range, which hipsim warns about), while "
                     "anterior gluteus minimus shortens (-3 %) and the other parts lengthen by 3-4 %.",
                     "Bars: % change of mean fibre length; the left side is unchanged."),
    "leg_length": ("A left leg 1.5 cm short tilts the standing pelvis about 5.5 degrees to the left: the "
                   "right abductors lengthen by 5-10 % and the left shorten by 5-11 %.",
                   "Bars: % change of mean fibre length per group (red right, blue left)."),
    "cambered_road": ("Feet across a 4 degree camber act like a 1.7 cm shorter downhill leg and tilt the "
                      "standing pelvis about 6.5 degrees.",
                      "Read it like the leg-length picture: the uphill (right) hip's abductors lengthen by "
                      "6-12 %, the downhill ones shorten by 6-13 %."),
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
