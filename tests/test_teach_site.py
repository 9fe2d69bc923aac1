"""The teaching site (hipsim teach build): its grid respects the input rules, and in real headless
Chromium (Debian's chromium + chromium-driver through Selenium) each control's read-outs match
hipsim's own Python results, within 2 % at grid points and 5 % between them; the site's size,
first render and redraw time are measured. Browser tests skip when chromium/chromedriver are absent.

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

from hipsim.anatomy import FIBRE_GROUPS
from hipsim.model.scaling import SUBJECT_PARAMS
from hipsim.params import STRENGTH
from hipsim.tasks.result import ABDUCTOR_SHORTFALL_NM
from hipsim.tasks.stance import LOAD_PARAMS, SINGLE_LEG_STANCE_PARAMS
from hipsim.teach.grid import CONTROLS, PLACES, STANCE_AXES, StanceKnobs, solve_stance, stance_values

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
           compensation: document.getElementById('compensation').dataset.value, forces: {},
           near: document.getElementById('hcf-note').dataset.near === '1'};
arguments[0].forEach(function (g) { out.forces[g] = +document.getElementById('force-' + g).dataset.value; });
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


RELATIVE: list[float] = []  # every force's error relative to its own value (reported, not asserted)


def _compare(page: dict, py: dict, tol: float, label: str) -> list[tuple[str, float]]:
    """Errors of the page against Python: the hip contact force relative to its value; each fibre
    group's force as the page shows it, against its maximum ("153 of 270 N", the bar), i.e. relative
    to the group's maximum isometric force at the set strength.

    Beyond the muscles (hipsim's abduction shortfall above ABDUCTOR_SHORTFALL_NM) the page must say
    so; its numbers there are not forces the muscles can produce and are not compared. Between grid
    points where the page says its numbers are rough (grid points used lie beyond the muscles or
    at a muscle's maximum), the errors are recorded in NEAR_LIMIT, not failed; at grid points
    they are always checked."""
    py_beyond = py["shortfall_nm"] > ABDUCTOR_SHORTFALL_NM
    rough = page["near"] and tol > 0.02
    if rough and py_beyond != page["beyond"]:
        NEAR_LIMIT.append(f"{label}: hipsim {'is' if py_beyond else 'is not'} beyond the muscles "
                          f"({py['shortfall_nm']:.2f} N m), the page (flagged rough) says the opposite")
    elif py_beyond != page["beyond"]:
        FAILURES.append(f"{label}: hipsim {'is' if py_beyond else 'is not'} beyond the muscles "
                        f"({py['shortfall_nm']:.2f} N m), the page says the opposite")
    if py_beyond:
        return []
    errs = [("hcf_bw", abs(page["hcf_bw"] - py["hcf_bw"]) / py["hcf_bw"]),
            ("hcf_n", abs(page["hcf_n"] - py["hip_contact_n"]) / py["hip_contact_n"])]
    for g in FIBRE_GROUPS:
        ref, cap = py["forces_n"][f"{g}_r"], py["max_forces_n"][f"{g}_r"]
        errs.append((g, abs(page["forces"][g] - ref) / cap))
        if not rough:
            RELATIVE.append(abs(page["forces"][g] - ref) / max(abs(ref), 1e-9))
    bad = [(n, round(e, 4)) for n, e in errs if e > tol]
    if rough:
        NEAR_LIMIT.append(f"{label}: largest error {max(e for _, e in errs):.3f} (page flags it as rough)")
        return []
    if bad:
        FAILURES.append(f"{label}: page differs from hipsim by more than {100 * tol:g} %: {bad}")
    return errs


#: Each control moved alone (the others at their defaults), to a grid value and to a value between grid values.
#: At a grid point every axis sits on a grid value: body mass 50 or 120 kg, the bag a multiple of
#: 7.5 % of it (on 50 kg: 3.75, 7.5, 11.25 or 15 kg). MOVES start from GRID_BASE (a grid point);
#: between-values leave one axis off-grid.
GRID_BASE = dict(mass_kg=50.0)
MOVES = [
    ("mass_kg", 120.0, 85.0), ("load_kg", 7.5, 10.0), ("gmed_strength", 0.6, 0.4),
    ("gmin_strength", 0.2, 0.8), ("pelvic_drop_deg", 10.0, 5.0), ("trunk_lean_deg", 20.0, 15.0),
]
#: Several controls together, between grid values on every axis.
MIXED = [dict(mass_kg=65.0, load_kg=6.0, place="same_shoulder", gmed_strength=0.8, gmin_strength=0.4,
              pelvic_drop_deg=5.0, trunk_lean_deg=-5.0),
         dict(mass_kg=100.0, load_kg=12.0, place="opposite_hand", gmed_strength=0.7, gmin_strength=0.9,
              pelvic_drop_deg=2.5, trunk_lean_deg=7.5)]


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver not installed")
def test_site_in_chromium(site, browser):
    out, report = site
    drv = browser
    record: dict = {"build_seconds": report["seconds"], "site_bytes": report["total_bytes"]}
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
    errors_grid: list[float] = []
    errors_between: list[float] = []
    # Each control alone.
    for name, on_grid, between in MOVES:
        for value, tol, sink in ((on_grid, 0.02, errors_grid), (between, 0.05, errors_between)):
            _set(drv, {**DEFAULTS, **GRID_BASE})
            knobs = {**GRID_BASE, name: value}
            times += _set(drv, {name: value})
            page = drv.execute_script(READ, list(FIBRE_GROUPS))
            errs = _compare(page, _python(knobs), tol, f"{knobs}")
            sink += [e for _, e in errs]
    # The bag's place, each of the six, 7.5 kg on 50 kg (a grid point) and 7 kg on 75 kg (between).
    for key, *_ in PLACES:
        for knobs, tol, sink in (({"mass_kg": 50.0, "place": key, "load_kg": 7.5}, 0.02, errors_grid),
                                 ({"mass_kg": 75.0, "place": key, "load_kg": 7.0}, 0.05, errors_between)):
            _set(drv, DEFAULTS)
            times += _set(drv, knobs)
            page = drv.execute_script(READ, list(FIBRE_GROUPS))
            sink += [e for _, e in _compare(page, _python(knobs), tol, str(knobs))]
    for mixed in MIXED:
        _set(drv, DEFAULTS)
        times += _set(drv, mixed)
        page = drv.execute_script(READ, list(FIBRE_GROUPS))
        errors_between += [e for _, e in _compare(page, _python(mixed), 0.05, str(mixed))]
    drv.save_screenshot(str(_shots() / "site_mixed.png"))
    # Weak abductors: beyond the muscles, and the lean that would close the gap.
    weak = dict(mass_kg=90.0, gmed_strength=0.2, gmin_strength=0.2)
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
    record["compensation_lean_page_deg"] = float(page["compensation"])
    record["compensation_lean_python_deg"] = hi
    # The page says "roughly", "a few degrees either way": interpolated on a 10-degree lean grid
    # across the kink where the shortfall reaches zero.
    if abs(float(page["compensation"]) - hi) > 4.0:
        FAILURES.append(f"compensating lean {page['compensation']} deg on the page, {hi:.2f} in hipsim")
    drv.execute_script("document.getElementById('stance').scrollIntoView()")
    drv.save_screenshot(str(_shots() / "site_beyond.png"))
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
    record.update(update_ms_max=max(times), update_ms_median=float(np.median(times)), updates=len(times),
                  max_rel_error_grid=max(errors_grid), max_rel_error_between=max(errors_between))
    record["force_error_relative_to_own_value_max"] = max(RELATIVE)
    record["force_errors_relative_to_own_value_above_5pct"] = sum(e > 0.05 for e in RELATIVE)
    record["force_errors_checked"] = len(RELATIVE)
    record["failures"] = FAILURES
    record["rough_near_the_limit"] = NEAR_LIMIT
    (_shots() / "measurements.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))
    assert not FAILURES, "\n".join(FAILURES)
    assert all(math.isfinite(t) for t in times)
