"""hipsim model files: exact round trip, and one clear message per kind of bad input."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import hipsim
from hipsim.model import load_spec, shipped_model_path
from hipsim.model.hipfile import read_model, write_model

#: The model file these tests edit (their edits name its parts).
DEFAULT = shipped_model_path("gait2392")


def test_load_save_load_reproduces_a_shipped_model_exactly(tmp_path):
    """Load -> save -> load gives an equal model description and the same bytes."""
    spec = read_model(DEFAULT)
    out = tmp_path / "copy.toml"
    write_model(spec, out)
    again = read_model(out)
    assert again == spec
    assert out.read_bytes() == DEFAULT.read_bytes()


def test_shipped_models_carry_their_licence_credit():
    """gait2392 is CC BY 3.0: the file must credit Delp et al. and name the licence. The default
    model (Lai-Uhlrich) credits Rajagopal et al. 2016 and both revisions and states its terms."""
    spec = read_model(DEFAULT)
    assert "Delp" in spec.credits and "Seth" in spec.credits and "CC BY 3.0" in spec.license
    default = read_model(shipped_model_path("default"))
    assert all(a in default.credits for a in ("Rajagopal", "Lai", "Uhlrich")) and "credit" in default.license


def test_osim_import_to_toml_round_trip(reference_dir, tmp_path):
    """An imported .osim written in hipsim's format reads back equal (MultiplierFunction kept)."""
    spec = load_spec(reference_dir / "subject01_simbody_adjusted.osim")
    write_model(spec, tmp_path / "s.toml")
    assert read_model(tmp_path / "s.toml") == spec


@functools.lru_cache(maxsize=1)
def _small_spec():
    """Pelvis, right thigh and shank of the default model with the muscles between them (fast to write)."""
    import dataclasses
    spec = read_model(DEFAULT)
    keep = {"pelvis", "femur_r", "tibia_r"}
    return dataclasses.replace(
        spec, bodies=tuple(b for b in spec.bodies if b.name in keep),
        joints=tuple(j for j in spec.joints if j.child in keep),
        muscles=tuple(m for m in spec.muscles if all(p.body in keep for p in m.path)))


finite = st.floats(-10, 10, allow_nan=False).filter(lambda v: v != 0.0)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(force=st.floats(1.0, 5000.0), lopt=st.floats(0.01, 0.5), knots=st.lists(st.floats(0.01, 1.0), min_size=2,
                                                                                max_size=8), ys=st.data())
def test_round_trip_of_random_muscle_values_is_exact(tmp_path_factory, force, lopt, knots, ys):
    """Any finite float survives write -> read unchanged (TOML floats are written with repr)."""
    import dataclasses
    import numpy as np
    from hipsim.model.spec import SimmSpline
    spec = _small_spec()
    x = tuple(float(v) for v in np.cumsum(knots))
    y = tuple(ys.draw(st.lists(finite, min_size=len(x), max_size=len(x))))
    j = spec.joints[2]  # knee_r: replace a translation spline
    axes = list(j.transform)
    axes[3] = dataclasses.replace(axes[3], function=SimmSpline(x, y))
    joints = list(spec.joints)
    joints[2] = dataclasses.replace(j, transform=tuple(axes))
    muscles = list(spec.muscles)
    muscles[3] = dataclasses.replace(muscles[3], max_isometric_force=force, optimal_fiber_length=lopt)
    spec2 = dataclasses.replace(spec, joints=tuple(joints), muscles=tuple(muscles))
    path = tmp_path_factory.mktemp("rt") / "m.toml"
    write_model(spec2, path)
    assert read_model(path) == spec2


def _edit(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = DEFAULT.read_text()
    assert old in text, old
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, count))
    return path


# One case per kind of bad input. Each message must name the file, the
# element and the value.
BAD = {
    "missing key": ('name = "gluteus_minimus_anterior_r"\nalias = "glut_min1_r"\ntype = "Thelen2003Muscle"\n'
                    'max_isometric_force = 270.0\n',
                    'name = "gluteus_minimus_anterior_r"\nalias = "glut_min1_r"\ntype = "Thelen2003Muscle"\n',
                    "max_isometric_force"),
    "unknown body": ('parent = "femur_r"\nchild = "tibia_r"', 'parent = "femur_q"\nchild = "tibia_r"', "femur_q"),
    "unknown coordinate": ('coordinate = "knee_angle_r"\nrange = [-2.61799, -1.45997]',
                           'coordinate = "knee_angle_q"\nrange = [-2.61799, -1.45997]', "knee_angle_q"),
    "non-positive force": ("max_isometric_force = 270.0", "max_isometric_force = -270.0", "-270.0"),
    "non-positive length": ("optimal_fiber_length = 0.068", "optimal_fiber_length = 0.0", "optimal_fiber_length"),
    "nan": ("mass = 11.777", "mass = nan", "mass"),
    "spline not increasing": ("x = [-2.0944, -1.74533, -1.39626", "x = [-2.0944, -1.39626, -1.74533", "-1.74533"),
    "unknown key": ('name = "pelvis"\nmass', 'name = "pelvis"\nmas = 1.0\nmass', "mas"),
    "wrong type": ("mass = 11.777", 'mass = "heavy"', "heavy"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_file_gives_one_clear_message(tmp_path, case):
    old, new, fragment = BAD[case]
    path = _edit(tmp_path, old, new)
    with pytest.raises(hipsim.InputError) as err:
        hipsim.load_model(path)
    msg = str(err.value)
    assert str(path) in msg and fragment in msg, msg
    assert "\n" not in msg


def test_not_a_toml_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("format = \n")
    with pytest.raises(hipsim.InputError, match=re.escape(str(path))):
        hipsim.load_model(path)


def test_unknown_model_name():
    with pytest.raises(hipsim.InputError, match="shipped model name"):
        hipsim.load_model("gait9999")


def test_osim_with_an_unsupported_wrap_object_is_refused_by_name(reference_dir, tmp_path):
    """hipsim wraps paths over cylinders (Rajagopal et al. 2016 has 40 of them and loads); any other
    wrap object must stop the import with its name rather than be dropped."""
    assert hipsim.load_model(reference_dir / "Rajagopal2016.osim").n_muscles == 80
    text = (reference_dir / "Rajagopal2016.osim").read_text()
    text = text.replace("<WrapCylinder name=", "<WrapEllipsoid name=", 1).replace("</WrapCylinder>", "</WrapEllipsoid>", 1)
    path = tmp_path / "m.osim"
    path.write_text(text)
    with pytest.raises(hipsim.InputError, match=r"WrapEllipsoid"):
        hipsim.load_model(path)


def test_osim_with_unsupported_function_is_refused(reference_dir, tmp_path):
    text = (reference_dir / "gait2392_thelen2003muscle.osim").read_text()
    text = text.replace("<SimmSpline name=\"function\">", "<NaturalCubicSpline name=\"function\">", 1)
    text = text.replace("</SimmSpline>", "</NaturalCubicSpline>", 1)
    path = tmp_path / "m.osim"
    path.write_text(text)
    with pytest.raises(hipsim.InputError, match="NaturalCubicSpline"):
        hipsim.load_model(path)


def test_osim_markers_are_noted_not_dropped_silently(reference_dir):
    spec = load_spec(reference_dir / "subject01_simbody_adjusted.osim")
    assert any("marker" in n for n in spec.notes)
