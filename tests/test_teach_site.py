"""The teaching site (hipsim teach build): its grid respects the input rules and covers only postures
the model stands in, and in real headless Chromium (Debian's chromium + chromium-driver through
Selenium) each control's read-outs match hipsim's own Python results, within 2 % at grid points and
5 % between them (each force against its own value, floored at hipsim's negligible-change floor of
2 % of its maximum); the page says where the pelvic drop ends, and its exercise table equals
hipsim.compare_exercises within 2 %. The site's size, first render and redraw time are measured and
recorded, not asserted. Browser tests skip when chromium/chromedriver are absent.

Screenshots go to $HIPSIM_SCREENSHOTS (default: the test's temporary folder); the docs embed
copies in docs/teaching/.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hipsim.analysis.metrics import NEGLIGIBLE_FRACTION
from hipsim.anatomy import CHART_GROUP_MUSCLES, FIBRE_GROUPS
from hipsim.errors import InputError
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import STRENGTH
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS
from hipsim.teach.grid import CONTROLS, HEIGHT_M, PLACES, STANCE_AXES, StanceKnobs, solve_stance, stance_values

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def test_axes_and_controls_inside_the_input_rules():
    rules = {"mass_kg": SUBJECT_PARAMS["mass_kg"], "load_kg": LOAD_PARAMS["mass_kg"], "gmed_strength": STRENGTH,
             "gmin_strength": STRENGTH, "pelvic_drop_deg": SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"],
             "trunk_lean_deg": SINGLE_LEG_STANCE_PARAMS["trunk_lean_deg"]}
    axes = {a.name: a for a in STANCE_AXES}
    for name, _, _, lo, hi, _, default in CONTROLS:
        r_lo, r_hi = rules[name].interval
        assert r_lo <= lo <= default <= hi <= r_hi, name
        if name in axes:  # the page never extrapolates
            assert axes[name].values[0] <= lo and hi <= axes[name].values[-1], name
    # The heaviest bag on the lightest body stays inside the bag-ratio axis.
    assert CONTROLS[1][4] / CONTROLS[0][3] <= axes["load_ratio"].values[-1]
    for ax in STANCE_AXES:
        steps = np.diff(ax.values)
        assert np.allclose(steps, steps[0]), f"{ax.name}: the page's interpolation needs even steps"


def test_weakened_solve_is_hipsims_own():
    """solve_stance keeps each weakened model instead of letting single_leg_stance rebuild it per call:
    the numbers must be those of single_leg_stance given the strengths."""
    from hipsim.model import load_model
    from hipsim.model.scaling import Subject
    from hipsim.tasks.stance import Load, single_leg_stance
    k = StanceKnobs(68.0, 6.0, "same_shoulder", 0.45, 0.7, 4.0, 6.0)
    mine = solve_stance(k)
    model = load_model("default").scaled_to(Subject(68.0, HEIGHT_M))
    strength = {f"gluteus_medius_{p}_r": 0.45 for p in ("anterior", "middle", "posterior")}
    strength.update({f"gluteus_minimus_{p}_r": 0.7 for p in ("anterior", "middle", "posterior")})
    ref = single_leg_stance(model, side="r", pelvic_drop_deg=4.0, trunk_lean_deg=6.0,
                            loads=[Load("shoulder", "r", 6.0)], strength=strength)
    np.testing.assert_allclose(mine.muscle_forces, ref.muscle_forces, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(mine.hip_contact_force_ground["r"], ref.hip_contact_force_ground["r"], rtol=1e-12)


def test_drop_axis_ends_inside_what_the_model_stands_in():
    """The grid's largest pelvic drop stands with the heaviest bag on the opposite hip and the trunk
    leaning away (the model's tightest case: its hip adducts at most 30 degrees), and 20 degrees, the
    old axis end, does not: hipsim refuses it, so the grid must end below."""
    top = STANCE_AXES[4].values[-1]
    heavy = dict(mass_kg=50.0, load_kg=15.0, place="opposite_hip", trunk_lean_deg=-10.0)
    solve_stance(StanceKnobs(**heavy, pelvic_drop_deg=top))
    with pytest.raises(InputError):
        solve_stance(StanceKnobs(**heavy, pelvic_drop_deg=20.0))
    assert next(c for c in CONTROLS if c[0] == "pelvic_drop_deg")[4] == top


def test_teach_cli_refuses_an_unknown_walk(tmp_path, capsys):
    from hipsim.cli import main
    assert main(["teach", "build", str(tmp_path / "site"), "--walks", "normal,moonwalk"]) == 2
    assert "moonwalk" in capsys.readouterr().err


# ------------------------------------------------------------------ the browser
pytestmark_browser = [pytest.mark.slow,
                      pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver not installed "
                                         "(apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site built now (the full stance grid; normal walking only in the walking panel), or
    $HIPSIM_TEACH_SITE, a site already built with `hipsim teach build` (to measure the full site)."""
    given = os.environ.get("HIPSIM_TEACH_SITE")
    if given:
        out = Path(given)
        return out, {"seconds": None, "total_bytes": sum(p.stat().st_size for p in out.iterdir() if p.is_file())}
    from hipsim.teach.site import build_site
    out = tmp_path_factory.mktemp("teach_site")
    report = build_site(out, walks=["normal"])
    return out, report


@pytest.fixture(scope="module")
def browser(site):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    opts = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1900",
              "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND"):  # offline: no name resolves
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.get((site[0] / "index.html").as_uri())
    drv.implicitly_wait(5)
    yield drv
    drv.quit()


def _shots() -> Path:
    d = Path(os.environ.get("HIPSIM_SCREENSHOTS", "") or Path(os.environ.get("TMPDIR", "/tmp")) / "hipsim_teach_shots")
    d.mkdir(parents=True, exist_ok=True)
    return d


SET = """
var ids = arguments[0], vals = arguments[1], times = [];
for (var i = 0; i < ids.length; i++) {
  var e = document.getElementById(ids[i]);
  var t0 = performance.now();
  e.value = vals[i];
  e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
  times.push(performance.now() - t0);
}
return times;"""

READ = """
var out = {hcf_bw: +document.getElementById('hcf-bw').dataset.value,
           hcf_n: +document.getElementById('hcf-n').dataset.value,
           beyond: document.getElementById('state').dataset.beyond === '1',
           shortfall: +document.getElementById('state-text').dataset.value,
           compensation: document.getElementById('compensation').dataset.value, forces: {}, left: {},
           near: document.getElementById('hcf-note').dataset.near === '1',
           drop_limit: +document.getElementById('drop-limit').dataset.value};
arguments[0].forEach(function (g) { out.forces[g] = +document.getElementById('force-' + g).dataset.value; });
// The lifted side's forces (the body chart's left rows): the page's own read-out for the controls as set.
var k = {place: document.getElementById('place').value};
document.querySelectorAll('#controls input').forEach(function (e) { k[e.id] = +e.value; });
var r = window.hipsimReadout(k);
arguments[0].forEach(function (g) { out.left[g] = r.forces[g + '_l']; });
return out;"""

DEFAULTS = {c[0]: c[6] for c in CONTROLS}


def _set(drv, knobs: dict) -> list[float]:
    ids = list(knobs)
    vals = [str(v) for v in knobs.values()]
    return drv.execute_script(SET, ids, vals)


def _python(knobs: dict) -> dict:
    k = StanceKnobs(**{**DEFAULTS, "place": "opposite_hand", **knobs})
    v = stance_values(solve_stance(k))
    v["hcf_bw"] = v["hip_contact_n"] / v["body_weight_n"]
    return v


FAILURES: list[str] = []


NEAR_LIMIT: list[str] = []


#: Every checked force's error (not where the page says "rough"), per kind: "value" against its own
#: value floored at NEGLIGIBLE_FRACTION of its maximum (asserted), "pure" against its own value
#: where that is above the floor, "cap" against its maximum (both recorded).
ERRORS: dict[str, dict[str, list[tuple[float, str]]]] = {
    where: {"value": [], "pure": [], "cap": []} for where in ("grid", "between", "random")}
ROUGH = {"between": 0, "random": 0}


def _compare(page: dict, py: dict, tol: float, label: str, where: str | None = None) -> None:
    """Errors of the page against Python: the hip contact force relative to its value; each
    stance-side fibre group's force, and each body-chart zone's force on the lifted side, relative
    to its own value where that is above hipsim's negligible-change floor (NEGLIGIBLE_FRACTION of the
    maximum isometric force, at the set strength) and relative to that floor below it, i.e.
    |page - hipsim| / max(|hipsim|, floor).

    Beyond the muscles (hipsim's abduction shortfall above ABDUCTOR_SHORTFALL_NM) the page must say
    so; its numbers there are not forces the muscles can produce and are not compared. Between grid
    points where the page says its numbers are rough (grid points used lie beyond the muscles, or a
    fibre group is at full activation or off at some of them and not at others), the errors are
    recorded in NEAR_LIMIT, not failed; at grid points they are always checked. ``where="random"``:
    the random settings, measured and recorded, never failed (see N_RANDOM)."""
    where = where or ("grid" if tol <= 0.02 else "between")
    check = where != "random"
    py_beyond = py["shortfall_nm"] > ABDUCTOR_SHORTFALL_NM
    rough = page["near"] and tol > 0.02
    if rough:
        ROUGH[where] += 1
    if rough and py_beyond != page["beyond"]:
        NEAR_LIMIT.append(f"{label}: hipsim {'is' if py_beyond else 'is not'} beyond the muscles "
                          f"({py['shortfall_nm']:.2f} N m), the page (flagged rough) says the opposite")
    elif py_beyond != page["beyond"] and check:
        FAILURES.append(f"{label}: hipsim {'is' if py_beyond else 'is not'} beyond the muscles "
                        f"({py['shortfall_nm']:.2f} N m), the page says the opposite")
    if py_beyond:
        return
    errs = {"value": [("hcf_bw", abs(page["hcf_bw"] - py["hcf_bw"]) / py["hcf_bw"]),
                      ("hcf_n", abs(page["hcf_n"] - py["hip_contact_n"]) / py["hip_contact_n"])],
            "pure": [("hcf_bw", abs(page["hcf_bw"] - py["hcf_bw"]) / py["hcf_bw"])], "cap": []}
    # The stance side's groups as the bars show them; the lifted side's as the body chart uses them
    # (each zone's summed force, negligible below NEGLIGIBLE_FRACTION of the zone's summed maximum).
    items = [(f"{g}_r", page["forces"][g], py["forces_n"][f"{g}_r"], py["max_forces_n"][f"{g}_r"])
             for g in FIBRE_GROUPS]
    items += [(f"zone {z}_l", sum(page["left"][m] for m in ms), sum(py["forces_n"][f"{m}_l"] for m in ms),
               sum(py["max_forces_n"][f"{m}_l"] for m in ms)) for z, ms in CHART_GROUP_MUSCLES.items()]
    for name, shown, ref, cap in items:
        floor = NEGLIGIBLE_FRACTION * cap
        e = abs(shown - ref)
        errs["value"].append((name, e / max(abs(ref), floor)))
        errs["cap"].append((name, e / cap))
        if abs(ref) > floor:
            errs["pure"].append((name, e / abs(ref)))
    worst = max(e for _, e in errs["value"])
    if rough:
        NEAR_LIMIT.append(f"{label}: largest error {worst:.3f} (page flags it as rough)")
        return
    for kind, lst in errs.items():
        ERRORS[where][kind] += [(e, f"{label} {n}") for n, e in lst]
    bad = [(n, round(e, 4)) for n, e in errs["value"] if e > tol]
    if bad and check:
        FAILURES.append(f"{label}: page differs from hipsim by more than {100 * tol:g} %: {bad}")


#: Each control moved alone (the others at their defaults), to a grid value and to a value between grid values.
#: At a grid point every axis sits on a grid value: body mass 50 or 120 kg, the bag a multiple of
#: 5 % of it (on 50 kg: 2.5, 5, ... 15 kg). MOVES start from GRID_BASE (a grid point);
#: between-values leave one axis off-grid.
GRID_BASE = dict(mass_kg=50.0)
MOVES = [
    ("mass_kg", 120.0, 85.0), ("load_kg", 7.5, 8.75), ("gmed_strength", 0.6, 0.5),
    ("gmin_strength", 0.2, 0.8), ("pelvic_drop_deg", 10.0, 7.5), ("trunk_lean_deg", 20.0, 15.0),
]
#: Several controls together, between grid values on every axis.
MIXED = [dict(mass_kg=65.0, load_kg=6.0, place="same_shoulder", gmed_strength=0.7, gmin_strength=0.4,
              pelvic_drop_deg=2.5, trunk_lean_deg=-5.0),
         dict(mass_kg=100.0, load_kg=12.0, place="opposite_hand", gmed_strength=0.9, gmin_strength=0.9,
              pelvic_drop_deg=12.5, trunk_lean_deg=7.5)]
#: Random settings of every control at once (seeded: the same each run), on the controls' own steps:
#: measured and recorded, not failed. Drawn uniformly from the whole box, most land where some
#: fibre group reaches full activation or switches between the grid points blended (the page says
#: "rough" there); where it does not, a few small forces (posterior gluteus minimus, near the 2 %
#: floor) miss 5 % of their own value by under a percentage point (docs/teaching/site.md).
N_RANDOM = 40


def _random_knobs(n: int, seed: int = 20) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k: dict = {"place": PLACES[int(rng.integers(len(PLACES)))][0]}
        for name, _, _, lo, hi, step, _ in CONTROLS:
            k[name] = float(round(round(rng.uniform(lo, hi) / step) * step, 6))
        out.append(k)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver not installed")
def test_site_in_chromium(site, browser):
    out, report = site
    drv = browser
    record: dict = {"build_seconds": report["seconds"], "site_bytes": report["total_bytes"],
                    "load_average": list(os.getloadavg())}
    assert report["total_bytes"] <= 5e6
    assert drv.execute_script("return window.hipsimReady === true")
    logs = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
    assert not logs, logs
    first = drv.execute_script("return window.hipsimTiming.firstRenderMs")
    record["first_render_ms"] = first
    # Timings are measured and recorded (measurements.json, printed), not asserted: a wall-clock
    # bound on a shared machine is a flaky test (house rule: speed is shown, never timed in tests).
    assert math.isfinite(first) and first > 0
    text = drv.find_element("tag name", "body").text
    assert "does not diagnose" in text.lower() or "not diagnose" in text.lower()
    drv.save_screenshot(str(_shots() / "site_default.png"))
    times: list[float] = []
    # Each control alone.
    for name, on_grid, between in MOVES:
        for value, tol in ((on_grid, 0.02), (between, 0.05)):
            _set(drv, {**DEFAULTS, **GRID_BASE})
            knobs = {**GRID_BASE, name: value}
            times += _set(drv, {name: value})
            page = drv.execute_script(READ, list(FIBRE_GROUPS))
            _compare(page, _python(knobs), tol, f"{knobs}")
    # The bag's place, each of the six, 7.5 kg on 50 kg (a grid point) and 7 kg on 75 kg (between).
    for key, *_ in PLACES:
        for knobs, tol in (({"mass_kg": 50.0, "place": key, "load_kg": 7.5}, 0.02),
                           ({"mass_kg": 75.0, "place": key, "load_kg": 7.0}, 0.05)):
            _set(drv, DEFAULTS)
            times += _set(drv, knobs)
            page = drv.execute_script(READ, list(FIBRE_GROUPS))
            _compare(page, _python(knobs), tol, str(knobs))
    for mixed, where in [(m, "between") for m in MIXED] + [(m, "random") for m in _random_knobs(N_RANDOM)]:
        _set(drv, DEFAULTS)
        times += _set(drv, mixed)
        page = drv.execute_script(READ, list(FIBRE_GROUPS))
        _compare(page, _python(mixed), 0.05, str(mixed), where)
    drv.save_screenshot(str(_shots() / "site_mixed.png"))
    # Where the pelvic drop ends: at a grid point (50 kg, the heaviest bag on the opposite hip, trunk
    # leaning away) the page's limit is hipsim's own, solved at build time; a little beyond it hipsim
    # refuses the posture, a little below it stands.
    edge = dict(mass_kg=50.0, load_kg=15.0, place="opposite_hip", trunk_lean_deg=-10.0)
    _set(drv, DEFAULTS)
    _set(drv, {**edge, "pelvic_drop_deg": 15.0})
    page = drv.execute_script(READ, list(FIBRE_GROUPS))
    limit = page["drop_limit"]
    record["drop_limit_page_deg"] = limit
    assert STANCE_AXES[4].values[-1] < limit < SINGLE_LEG_STANCE_PARAMS["pelvic_drop_deg"].interval[1]
    assert "ends at 15" in drv.find_element("id", "drop-limit").text
    solve_stance(StanceKnobs(**edge, pelvic_drop_deg=limit - 0.3))
    with pytest.raises(InputError):
        solve_stance(StanceKnobs(**edge, pelvic_drop_deg=limit + 0.3))
    _compare(page, _python({**edge, "pelvic_drop_deg": 15.0}), 0.02, f"{edge} at the drop axis's end")
    # Weak abductors with a bag: beyond the muscles, and the lean that would close the gap.
    weak = dict(mass_kg=90.0, gmed_strength=0.2, gmin_strength=0.2, load_kg=10.0, place="opposite_hand")
    _set(drv, DEFAULTS)
    times += _set(drv, weak)
    page = drv.execute_script(READ, list(FIBRE_GROUPS))
    py = _python(weak)
    assert py["shortfall_nm"] > ABDUCTOR_SHORTFALL_NM  # the case is one the muscles cannot hold
    assert page["beyond"]
    record["shortfall_page_nm"], record["shortfall_python_nm"] = page["shortfall"], py["shortfall_nm"]
    if abs(page["shortfall"] - py["shortfall_nm"]) > max(1.0, 0.05 * py["shortfall_nm"]):
        FAILURES.append(f"shortfall {page['shortfall']:.2f} N m on the page, {py['shortfall_nm']:.2f} in hipsim")
    lo, hi = 0.0, 30.0  # hipsim's own bisection of the lean, as the scenario runner does it
    for _ in range(12):
        mid = 0.5 * (lo + hi)
        if _python({**weak, "trunk_lean_deg": mid})["shortfall_nm"] > ABDUCTOR_SHORTFALL_NM:
            lo = mid
        else:
            hi = mid
    record["compensation_lean_page_deg"] = page["compensation"]
    record["compensation_lean_python_deg"] = hi
    # The page says "roughly", "a few degrees either way": interpolated on a 10-degree lean grid
    # across the kink where the shortfall reaches zero.
    if page["compensation"] == "none" or abs(float(page["compensation"]) - hi) > 4.0:
        FAILURES.append(f"compensating lean {page['compensation']} deg on the page, {hi:.2f} in hipsim")
    drv.execute_script("document.getElementById('stance').scrollIntoView()")
    drv.save_screenshot(str(_shots() / "site_beyond.png"))
    # Both abductor groups at 0.2 without a bag: the default model's other abductors just hold the
    # pelvis (0.36 N m short, under the 0.5 N m convention) while grid points around are beyond; the
    # page must flag its numbers rough there, and not claim a drop without saying so.
    borderline = dict(mass_kg=90.0, gmed_strength=0.2, gmin_strength=0.2)
    _set(drv, DEFAULTS)
    times += _set(drv, borderline)
    page = drv.execute_script(READ, list(FIBRE_GROUPS))
    py = _python(borderline)
    record["borderline_python_shortfall_nm"] = py["shortfall_nm"]
    record["borderline_page_shortfall_nm"] = page["shortfall"]
    record["borderline_page_rough"] = page["near"]
    if (py["shortfall_nm"] > ABDUCTOR_SHORTFALL_NM) != page["beyond"]:
        assert page["near"], "the page contradicts hipsim's verdict without flagging its numbers rough"
        assert "may hold it level or let it drop" in drv.find_element("id", "state-text").text
    else:
        _compare(page, py, 0.05, f"{borderline} (weak abductors, no bag)")
    # Walking: the cursor's frame shows hipsim's forces for that % of normal walking.
    from hipsim.tasks.gait import gait
    res = gait()
    drv.execute_script("var s=document.getElementById('walk'); s.value='0'; s.dispatchEvent(new Event('change'));"
                       "var r=document.getElementById('walk-pct'); r.value='30'; r.dispatchEvent(new Event('input'));")
    assert float(drv.find_element("id", "walk-now").get_attribute("data-value")) == pytest.approx(res.percent[30])
    for g in FIBRE_GROUPS:
        shown = float(drv.find_element("id", f"wforce-{g}").get_attribute("data-value"))
        ref = float(res.muscle_forces[30, res.model.muscle_index(f"{g}_r")])
        assert shown == pytest.approx(ref, rel=1e-3, abs=0.5), g
    drv.execute_script("document.getElementById('chart-section').scrollIntoView()")
    drv.save_screenshot(str(_shots() / "site_chart.png"))
    drv.execute_script("document.getElementById('walking').scrollIntoView()")
    drv.save_screenshot(str(_shots() / "site_walking.png"))
    record.update(_check_exercises(drv))
    drv.find_element("id", "exercises").screenshot(str(_shots() / "site_exercises.png"))
    record.update(update_ms_max=max(times), update_ms_median=float(np.median(times)), updates=len(times))
    for where, kinds in ERRORS.items():
        for kind, lst in kinds.items():
            worst = max(lst) if lst else (math.nan, "")
            record[f"{where}_{kind}_max"] = worst[0]
            record[f"{where}_{kind}_worst"] = worst[1]
            record[f"{where}_{kind}_n"] = len(lst)
            record[f"{where}_{kind}_above_5pct"] = sum(e > 0.05 for e, _ in lst)
    record["rough_between"], record["rough_random"] = ROUGH["between"], ROUGH["random"]
    record["random_settings"] = N_RANDOM
    record["failures"] = FAILURES
    record["rough_near_the_limit"] = NEAR_LIMIT
    (_shots() / "measurements.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))
    assert not FAILURES, "\n".join(FAILURES)
    assert all(math.isfinite(t) for t in times)


def _check_exercises(drv) -> dict:
    """The exercise table's numbers equal hipsim.compare_exercises' on the default model within 2 %
    (forces below 0.5 N within 0.5 N, activations below 0.005 within 0.005): every exercise and fibre
    group, force and activation, and the shown (rounded) numbers match the stored ones."""
    from hipsim.analysis.exercises import COMPARED_GROUPS, compare_exercises
    cmp = compare_exercises()
    force, act = cmp.wide("force_n"), cmp.wide("activation")
    cells = drv.execute_script("""
        return Array.from(document.querySelectorAll('#ex-table td.ex-cell')).map(function (td) {
          return [td.closest('tr').dataset.exercise, td.dataset.group, +td.dataset.force, +td.dataset.activation,
                  td.querySelector('.ex-num').textContent, td.querySelector('.ex-act').textContent]; });""")
    assert len(cells) == len(force.index) * len(COMPARED_GROUPS)
    seen = set()
    worst = 0.0
    for ex, g, f, a, f_txt, a_txt in cells:
        seen.add((ex, g))
        rf, ra = float(force.loc[ex, g]), float(act.loc[ex, g])
        assert abs(f - rf) <= max(0.02 * abs(rf), 0.5), (ex, g, f, rf)
        assert abs(a - ra) <= max(0.02 * abs(ra), 0.005), (ex, g, a, ra)
        worst = max(worst, abs(f - rf) / max(abs(rf), 0.5), abs(a - ra) / max(abs(ra), 0.005))
        assert f_txt == f"{round(f)} N" and a_txt == f"{round(100 * a)} %", (ex, g, f_txt, a_txt)
    assert seen == {(e, g) for e in force.index for g in COMPARED_GROUPS}
    text = drv.find_element("id", "exercises").text.lower()
    assert "does not prescribe" in text or "not a prescription" in text
    assert "emg" in text and "different things" in text
    for e in force.index:
        assert (cmp.results[e].beyond_muscles) == ("beyond the muscles" in drv.find_element(
            "css selector", f"tr[data-exercise='{e}']").text), e
    return {"exercise_cells_checked": len(cells), "exercise_table_max_rel_error": worst}
