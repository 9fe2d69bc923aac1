"""Hostile but fair input files: each is refused with exit code 2 (InputError in Python) and one
sentence naming the file and what is wrong, before any mechanics run.

Every file is generated in ``tmp_path`` from a table below: the case's name, how to build the
file, the exit code and the words the message must contain.
"""
from __future__ import annotations

import copy
import os
import threading
from pathlib import Path
from typing import Callable

import pytest
import tomlkit

from hipsim.cli import main
from hipsim.errors import InputError
from hipsim.fileio import read_toml

SCENARIO = 'name = "hostile"\n{model}[task]\ntype = "single_leg_stance"\n[baseline]\n'


def _scenario(tmp_path: Path, model: Path | None = None) -> Path:
    line = f'model = "{model.as_posix()}"\n' if model is not None else ""
    p = tmp_path / "s.toml"
    p.write_text(SCENARIO.format(model=line), encoding="utf-8")
    return p


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    return code, err


# --------------------------------------------------------------------------- scenario files

def _latin1(p: Path) -> None:
    p.write_bytes('name = "café"\n[task]\ntype = "standing"\n[baseline]\n'.encode("latin-1"))


def _binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 4)


def _deep_arrays(p: Path) -> None:
    p.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")


def _deep_tables(p: Path) -> None:
    p.write_text("a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n")


def _directory(p: Path) -> None:
    p.mkdir()


SCENARIO_FILES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("latin-1", _latin1, ["x.toml", "UTF-8 text"]),
    ("binary", _binary, ["x.toml", "UTF-8 text"]),
    ("100000-deep arrays", _deep_arrays, ["x.toml", "nest"]),
    ("100000-deep inline tables", _deep_tables, ["x.toml", "nest"]),
    ("a directory named x.toml", _directory, ["x.toml", "regular file", "directory"]),
]


@pytest.mark.parametrize("make, words", [c[1:] for c in SCENARIO_FILES], ids=[c[0] for c in SCENARIO_FILES])
def test_hostile_scenario_file_exits_2(tmp_path, capsys, make, words):
    """A scenario file that is not UTF-8 TOML text in a regular file: exit 2, one line naming it."""
    p = tmp_path / "x.toml"
    make(p)
    code, err = _run(["run", str(p), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_named_toml_is_refused_without_waiting(tmp_path):
    """A FIFO named x.toml is refused before it is opened for a blocking read (it would wait
    forever for a writer)."""
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)
    outcome: list[BaseException | object] = []

    def read() -> None:
        try:
            outcome.append(read_toml(fifo, "scenario"))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # release the blocked reader, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(10)
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], InputError)
    assert "x.toml" in str(outcome[0]) and "regular file" in str(outcome[0]) and "FIFO" in str(outcome[0])


# --------------------------------------------------------------------------- model files

@pytest.fixture(scope="module")
def default_doc() -> dict:
    from hipsim.model import load_spec
    from hipsim.model.hipfile import spec_to_toml
    return spec_to_toml(load_spec("gait2392"))  # the hostile edits below name its parts


def _body(doc: dict, name: str) -> dict:
    return next(b for b in doc["body"] if b["name"] == name)


def _no_pelvis(doc: dict) -> str:
    return tomlkit.dumps(doc).replace('"pelvis"', '"hips"')


def _edit(change: Callable[[dict], None]) -> Callable[[dict], str]:
    def make(doc: dict) -> str:
        d = copy.deepcopy(doc)
        change(d)
        return tomlkit.dumps(d)
    return make


def _set(path: Callable[[dict], dict], key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        path(d)[key] = value
    return change


def _empty(d: dict) -> None:
    d["body"], d["joint"], d["muscle"] = [], [], []


def _massless(d: dict) -> None:
    for b in d["body"]:
        b["mass"] = 0.0


MODEL_FILES: list[tuple[str, Callable[[dict], str | bytes], list[str]]] = [
    ("latin-1 text", lambda doc: tomlkit.dumps(doc).replace("gait2392", "gait2392 café", 1).encode("latin-1"),
     ["m.toml", "UTF-8 text"]),
    ("zero gravity", _edit(_set(lambda d: d, "gravity", [0.0, 0.0, 0.0])), ["m.toml", "gravity", "non-zero"]),
    ("no bodies", _edit(_empty), ["m.toml", "at least one body"]),
    ("massless bodies", _edit(_massless), ["m.toml", "mass", "more than zero"]),
    ("negative principal inertia", _edit(_set(lambda d: _body(d, "femur_r"), "inertia", [-0.1, 0.02, 0.1, 0, 0, 0])),
     ["m.toml", "femur_r", "inertia", "positive semi-definite"]),
    ("inertia breaking the triangle inequality",
     _edit(_set(lambda d: _body(d, "femur_r"), "inertia", [0.01, 0.01, 0.1, 0, 0, 0])),
     ["m.toml", "femur_r", "inertia", "triangle inequality"]),
    ("a path point at 1e200 m",
     _edit(_set(lambda d: d["muscle"][0]["point"][0], "location", [1e200, 0.0, 0.0])),
     ["m.toml", "path[0].location[0]", "1e+200", "10 m"]),
    ("a centre of mass at 50 m", _edit(_set(lambda d: _body(d, "tibia_l"), "mass_center", [0.0, -50.0, 0.0])),
     ["m.toml", "tibia_l", "mass_center[1]", "10 m"]),
    ("no body named pelvis", _no_pelvis, ["m.toml", "bodies = 'pelvis'", "need the bodies", "lacks this one"]),
]


@pytest.mark.parametrize("make, words", [c[1:] for c in MODEL_FILES], ids=[c[0] for c in MODEL_FILES])
def test_hostile_model_file_exits_2(tmp_path, capsys, default_doc, make, words):
    """A model file (given by a scenario's ``model``) that is not text, not physical or lacks the
    bodies the tasks need: exit 2 before any solving, one line naming the model file."""
    content = make(default_doc)
    model = tmp_path / "m.toml"
    if isinstance(content, bytes):
        model.write_bytes(content)
    else:
        model.write_text(content, encoding="utf-8")
    code, err = _run(["run", str(_scenario(tmp_path, model)), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err
    assert not (tmp_path / "out" / "hostile").exists()


def _osim(version: str = "40000", function: str = "<Constant><value>0</value></Constant>") -> str:
    axes = "".join(f'<TransformAxis name="{n}"><coordinates></coordinates><axis>{a}</axis>{function}</TransformAxis>'
                   for n, a in (("rotation1", "1 0 0"), ("rotation2", "0 1 0"), ("rotation3", "0 0 1"),
                                ("translation1", "1 0 0"), ("translation2", "0 1 0"), ("translation3", "0 0 1")))
    return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<OpenSimDocument Version="{version}"><Model name="tiny">'
            '<gravity>0 -9.80665 0</gravity><BodySet><objects><Body name="block"><mass>1</mass>'
            '<mass_center>0 0 0</mass_center><inertia>0.1 0.1 0.1 0 0 0</inertia></Body></objects></BodySet>'
            '<JointSet><objects><CustomJoint name="free"><socket_parent_frame>/ground</socket_parent_frame>'
            f'<socket_child_frame>/bodyset/block</socket_child_frame><SpatialTransform>{axes}</SpatialTransform>'
            '</CustomJoint></objects></JointSet></Model></OpenSimDocument>\n')


_DEEP = "<MultiplierFunction><scale>1</scale><function>" * 3000 + "<Constant><value>0</value></Constant>" + \
    "</function></MultiplierFunction>" * 3000

OSIM_FILES: list[tuple[str, bytes, list[str]]] = [
    ("Version abc", _osim(version="abc").encode(), ["m.osim", "Version", "abc", "whole number"]),
    ("3000 nested MultiplierFunctions", _osim(function=_DEEP).encode(), ["m.osim", "nest", "MultiplierFunction"]),
    ("binary", bytes(range(256)) * 4, ["m.osim", "UTF-8 text"]),
    ("latin-1 without a declaration", _osim().replace('<?xml version="1.0" encoding="UTF-8" ?>\n', "")
     .replace('name="tiny"', 'name="café"').encode("latin-1"), ["m.osim", "UTF-8 text", "declare its encoding"]),
]


@pytest.mark.parametrize("content, words", [c[1:] for c in OSIM_FILES], ids=[c[0] for c in OSIM_FILES])
def test_hostile_osim_file_exits_2(tmp_path, capsys, content, words):
    """An .osim file with a non-numeric Version, absurd nesting or binary content: exit 2, one line."""
    model = tmp_path / "m.osim"
    model.write_bytes(content)
    code, err = _run(["run", str(_scenario(tmp_path, model)), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err


def test_osim_declaring_latin1_is_read(tmp_path):
    """An .osim file whose XML declaration names ISO-8859-1 is well-formed XML and is read."""
    from hipsim.model import load_spec
    path = tmp_path / "latin.osim"
    path.write_bytes(_osim().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('name="tiny"', 'name="café"')
                     .encode("latin-1"))
    assert load_spec(path).name == "café"


def test_tiny_osim_is_read_and_a_task_names_the_bodies_it_lacks(tmp_path):
    """The generator's valid tiny model loads (so the cases above test what they say), and a task
    on it names the bodies the model lacks instead of crashing on the first lookup."""
    import hipsim
    from hipsim.model import load_model
    path = tmp_path / "tiny.osim"
    path.write_text(_osim())
    assert load_model(path).body_names == ("ground", "block")
    with pytest.raises(InputError, match=r"tiny\.osim: bodies = .pelvis, torso.*need the bodies.*none of them"):
        hipsim.standing(str(path))


# --------------------------------------------------------------------------- motion files

def _mot(rows: list[list[float]], labels: list[str], in_degrees: str | None) -> str:
    head = "walk\nversion=1\n" + (f"inDegrees={in_degrees}\n" if in_degrees is not None else "") + "endheader\n"
    return head + "\t".join(["time", *labels]) + "\n" + "".join(
        "\t".join(repr(v) for v in row) + "\n" for row in rows)


def _gait_like(knee: float, hip: float = 10.0, other_knee: float = 40.0) -> list[list[float]]:
    """20 rows of time, hip flexion, knee angle and pelvis_tx; the knee at ``knee`` in row 13."""
    return [[0.01 * i, hip, knee if i == 12 else other_knee, 0.01 * i] for i in range(20)]


LABELS = ["hip_flexion_r", "knee_angle_r", "pelvis_tx"]

MOTION_FILES: list[tuple[str, str, list[str]]] = [
    ("a cell of 1e300 (radians)", _mot(_gait_like(1e300, 0.2, 0.7), LABELS, "no"),
     ["m.mot", "knee_angle_r", "row 13", "1e+300", "rad"]),
    ("a knee at 1e3 degrees", _mot(_gait_like(1e3), LABELS, "yes"), ["m.mot", "knee_angle_r", "row 13", "1000.0"]),
    ("a knee at 1e9 degrees", _mot(_gait_like(1e9), LABELS, "yes"), ["m.mot", "knee_angle_r", "row 13"]),
    ("degrees without inDegrees", _mot(_gait_like(60.0), LABELS, None),
     ["m.mot", "knee_angle_r", "row 1 ", "inDegrees=yes"]),
    ("degrees with inDegrees=no", _mot(_gait_like(60.0), LABELS, "no"), ["m.mot", "knee_angle_r", "inDegrees=yes"]),
    ("a translation of 1e300 m", _mot([[0.01 * i, 0.1, 0.2, 1e300 if i == 5 else 0.0] for i in range(20)],
                                      LABELS, "no"), ["m.mot", "pelvis_tx", "row 6", "1000 m"]),
]


@pytest.mark.parametrize("text, words", [c[1:] for c in MOTION_FILES], ids=[c[0] for c in MOTION_FILES])
def test_hostile_coordinates_file_is_refused_naming_file_column_row(tmp_path, text, words):
    """Coordinates beyond a generous physiological envelope (angles within two turns, translations
    within 1 km) are refused where a measured trial reads them, naming file, column and row."""
    from hipsim.motion import coordinate_kinematics, read_storage
    p = tmp_path / "m.mot"
    p.write_text(text)
    with pytest.raises(InputError) as info:
        coordinate_kinematics(read_storage(p), cutoff_hz=6.0)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg


def test_coordinates_in_degrees_with_the_flag_pass_the_envelope(tmp_path):
    """The same gait-like table with inDegrees=yes and ordinary angles is accepted and converted
    (so the cases above are refused for their values, not their shape)."""
    import math

    from hipsim.motion import coordinate_kinematics, read_storage
    p = tmp_path / "m.mot"
    p.write_text(_mot(_gait_like(60.0), LABELS, "yes"))
    kin = coordinate_kinematics(read_storage(p))
    assert kin.q[0, 1] == pytest.approx(math.radians(40.0))


# --------------------------------------------------------------------------- ExternalLoads files

_LOADS = """<?xml version="1.0" encoding="UTF-8"?>
<OpenSimDocument Version="40000"><ExternalLoads name="loads"><objects>
<ExternalForce name="right"><applied_to_body>{body}</applied_to_body>
<force_expressed_in_body>ground</force_expressed_in_body><point_expressed_in_body>ground</point_expressed_in_body>
<force_identifier>r_v</force_identifier><point_identifier>r_p</point_identifier>
<torque_identifier>r_t</torque_identifier></ExternalForce>
</objects><datafile>grf.mot</datafile></ExternalLoads></OpenSimDocument>
"""


def _loads(tmp_path: Path, body: str = "calcn_r", cell: tuple[str, float] | None = None) -> Path:
    labels = ["r_vx", "r_vy", "r_vz", "r_px", "r_py", "r_pz", "r_tx", "r_ty", "r_tz"]
    rows = []
    for i in range(11):
        row = [0.1 * i, 10.0, 700.0, -5.0, 0.1, 0.0, 0.02, 0.0, 1.0, 0.0]
        if cell is not None and i == 4:
            row[1 + labels.index(cell[0])] = cell[1]
        rows.append(row)
    (tmp_path / "grf.mot").write_text(_mot(rows, labels, None))
    xml = tmp_path / "loads.xml"
    xml.write_text(_LOADS.format(body=body))
    return xml


LOADS_FILES: list[tuple[str, dict, list[str]]] = [
    ("a force applied to ground", {"body": "ground"}, ["loads.xml", "'right'", "applied_to_body", "ground"]),
    ("a force of 1e300 N", {"cell": ("r_vy", 1e300)}, ["grf.mot", "r_vy", "row 5", "'right'", "N"]),
    ("a point at 1e300 m", {"cell": ("r_px", 1e300)}, ["grf.mot", "r_px", "row 5", "m"]),
    ("a torque of -1e300 N m", {"cell": ("r_tz", -1e300)}, ["grf.mot", "r_tz", "row 5", "N m"]),
]


@pytest.mark.parametrize("kwargs, words", [c[1:] for c in LOADS_FILES], ids=[c[0] for c in LOADS_FILES])
def test_hostile_external_loads_refused(tmp_path, kwargs, words):
    """A ground reaction applied to ground (which would act on nothing) or absurd data values:
    InputError naming the file and the element, column or row."""
    from hipsim.motion import load_external_loads
    with pytest.raises(InputError) as info:
        load_external_loads(_loads(tmp_path, **kwargs))
    msg = str(info.value)
    for w in words:
        assert w in msg, msg


def test_unknown_applied_to_body_is_named(tmp_path, default_model):
    """With the model's bodies given, a force on a body the model lacks is refused naming that
    body (not another), and the valid file loads."""
    from hipsim.motion import load_external_loads
    with pytest.raises(InputError, match=r"loads\.xml: ExternalForce 'right' applied_to_body = 'calcn_right'"):
        load_external_loads(_loads(tmp_path, body="calcn_right"), bodies=default_model.body_names)
    ok = load_external_loads(_loads(tmp_path), bodies=default_model.body_names)
    assert ok.forces[0].body == "calcn_r"


# --------------------------------------------------------------------------- what the docs say

def test_a_pelvic_drop_enlarges_the_abduction_deficit_as_the_docs_say():
    """docs/how-to/scenario-files.md says no pelvic drop covers an abductor deficit in single-leg
    stance, because the drop lengthens the body weight's lever about the stance hip and shortens the
    abductors' moment arms. Check each part on the default model with the superior gluteal nerve
    group at 20 % strength: the deficit, the needed abduction moment and the abductors' arms."""
    import numpy as np

    import hipsim
    from hipsim.scenarios.schema import GROUPS
    strength = {f"{m}_r": 0.2 for m in GROUPS["superior_gluteal_nerve"]}
    out = {}
    for drop in (0.0, 10.0, 20.0):  # the default model's hip adducts at most 30 degrees
        r = hipsim.single_leg_stance(side="r", pelvic_drop_deg=drop, strength=strength)
        j = r.reserve_coordinates.index("hip_adduction_r")
        arm = r.model.moment_arms(r.q)[0][r.model.muscle_index("gluteus_medius_anterior_r"),
                                          r.model.coordinate_index("hip_adduction_r")]
        out[drop] = (abs(float(r.reserves[0, j])), abs(float(r.generalized_force("hip_adduction_r")[0])), abs(arm))
    deficits, needed, arms = (np.array([out[d][k] for d in (0.0, 10.0, 20.0)]) for k in range(3))
    assert deficits[0] > 2.0 and np.all(np.diff(deficits) > 0)
    assert np.all(np.diff(needed) > 0) and np.all(np.diff(arms) < 0)


def test_measured_walk_names_an_unknown_body_and_the_bodies_a_model_lacks(tmp_path, default_model):
    """gait_from_opensim: a force on a body the model lacks is named (it used to name calcn_r
    while asking for start and end), and a model without the hips' bodies is refused by name
    instead of crashing in the hip contact force."""
    import hipsim
    mot = tmp_path / "q.mot"
    mot.write_text(_mot([[0.1 * i] + [0.0] * len(default_model.coordinate_names) for i in range(11)],
                        list(default_model.coordinate_names), "no"))
    with pytest.raises(InputError, match=r"ExternalForce 'right' applied_to_body = 'calcn_right'"):
        hipsim.gait_from_opensim(default_model, mot, _loads(tmp_path, body="calcn_right"), start=0.1, end=0.9)
    tiny = tmp_path / "tiny.osim"
    tiny.write_text(_osim())
    with pytest.raises(InputError, match=r"tiny\.osim: bodies = .pelvis, femur_r, femur_l.*need the bodies"):
        hipsim.gait_from_opensim(str(tiny), mot, _loads(tmp_path), start=0.1, end=0.9)
