"""Render the scenario gallery: one picture per shipped scenario in docs/gallery/, and docs/scenario-gallery.md.

Run from the repository root after changing a scenario or the mechanics:

    python tools/make_gallery.py

Each picture puts the % change per fibre group (left) beside the frontal-plane view of the
scenario (right). Held postures and sitting show fibre length, the others peak force.
"""
from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from hipsim.report.plots import plot_change_bars, plot_frontal, save_figure
from hipsim.scenarios import run_scenario, shipped_scenarios


def render(name: str, out: Path) -> Path:
    r = run_scenario(name)
    fig = Figure(figsize=(11, 4.6))
    left = fig.add_axes([0.06, 0.2, 0.5, 0.68])
    right = fig.add_axes([0.62, 0.08, 0.3, 0.84])
    metric = "mean_norm_fiber_length" if r.spec.task in ("sitting", "standing") else "peak_force_n"
    plot_change_bars(r.metrics, metric, title=r.spec.title, ax=left)
    left.title.set_fontsize(10)
    frame = int(r.scenario.hip_contact_force_bw["r"].to_numpy().argmax())
    plot_frontal(r.scenario, frame, title="frontal plane" + (f", {r.scenario.percent[frame]:.0f} % of cycle"
                                                             if r.scenario.percent is not None else ""), ax=right)
    return save_figure(fig, out / f"{name}.png", dpi=80)


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
                          "Bars: % change of peak force per fibre group; right: the frontal view with each "
                          "fibre line coloured by its force and the bag drawn where it hangs."),
    "bag_same_hand": ("The same bag in the right hand, beside the stance hip, offsets part of the body "
                      "weight's moment: the right abductors and the hip contact force do less.",
                      "Negative bars are less load than standing on one leg empty-handed."),
    "child_on_hip": ("A 12 kg child on the left hip acts far from the right stance hip: the right gluteus "
                     "minimus parts more than double their force.",
                     "Compare the bars with the bag in the hand: the child sits slightly closer in than "
                     "the hand, so the larger rise comes from the larger mass (12 kg against 10 kg)."),
    "shoulder_bag_walk": ("An 8 kg bag on the left shoulder during walking: the right hip's peak abduction "
                          "moment rises by almost a third (0.81 to 1.06 N m/kg) and the left one's falls.",
                          "Bars: % change of peak force per fibre group over the cycle; right: the frontal "
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
                            "Bars: % change of peak force per fibre group over the cycle; right: the frontal view "
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
