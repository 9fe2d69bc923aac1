"""hipsim.anatomy: one vocabulary, read from the shipped anatomy.toml, shared by every layer."""
from __future__ import annotations

import ast
import importlib.resources
from pathlib import Path

import pytest

from hipsim import anatomy
from hipsim.model import load_model

SRC = Path(anatomy.__file__).parent


def test_data_file_ships_with_the_package():
    assert importlib.resources.files("hipsim").joinpath("anatomy.toml").is_file()


def test_every_tracked_and_grouped_muscle_exists_in_the_default_model():
    m = load_model()
    names = set(anatomy.FIBRE_GROUPS) | set(anatomy.ASSOCIATED)
    names |= {p for g in anatomy.MUSCLE_GROUPS.values() for p in g}
    names |= {p for z in anatomy.REFERRAL_ZONES.values() for p in z.muscles}
    for n in sorted(names):
        for side in ("r", "l"):
            m.muscle_index(f"{n}_{side}")  # raises for an unknown muscle


def test_each_tracked_muscle_has_both_labels_and_each_knowledge_key_resolves():
    for mu in anatomy.FIBRE_GROUPS + anatomy.ASSOCIATED:
        assert anatomy.LABELS[mu] and anatomy.SHORT_LABELS[mu]
    assert set(anatomy.KNOWLEDGE_GROUP) == set(anatomy.FIBRE_GROUPS)
    assert set(anatomy.KNOWLEDGE_GROUP.values()) == set(anatomy.KNOWLEDGE)
    # the gluteus medius parts share one knowledge entry but keep their own labels
    assert anatomy.label("gluteus_medius_middle") == "middle gluteus medius"
    assert anatomy.label("quadratus_lumborum") == "quadratus lumborum"


def test_chart_zones_sum_the_right_parts_and_middle_minimus_has_none():
    assert anatomy.CHART_GROUP_MUSCLES["gluteus_medius"] == anatomy.MUSCLE_GROUPS["gluteus_medius"]
    zoned = {p for ps in anatomy.CHART_GROUP_MUSCLES.values() for p in ps}
    assert "gluteus_minimus_middle" not in zoned
    assert set(anatomy.BODY_CHART_GROUPS) == set(anatomy.REFERRAL_ZONES)


def test_tables_are_immutable_and_cite_travell_and_simons():
    with pytest.raises(TypeError):
        anatomy.MUSCLE_GROUPS["x"] = ("y",)  # type: ignore[index]
    with pytest.raises(TypeError):
        anatomy.LABELS["x"] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError):
        anatomy.KNOWLEDGE["gluteus_medius"].label = "x"  # type: ignore[misc]
    for k in anatomy.KNOWLEDGE.values():
        assert "Travell & Simons 1992" in k.referral_source
        for src in (k.factors_source, k.examine_source, k.advice_source):
            assert src.strip() and "DOMAIN" not in src
    text = (SRC / "anatomy.toml").read_text(encoding="utf-8")
    assert "Travell" in text and "1992" in text and "DOMAIN" not in text


def test_the_other_layers_use_the_same_objects():
    from hipsim.analysis import metrics, trigger_points
    from hipsim.report import bodychart, demo, plots
    from hipsim.scenarios import schema
    from hipsim.tasks import stance
    assert schema.GROUPS is anatomy.MUSCLE_GROUPS
    assert stance.ABDUCTORS is anatomy.MUSCLE_GROUPS["superior_gluteal_nerve"]
    assert demo.DEMO_FIBRES is anatomy.MUSCLE_GROUPS["superior_gluteal_nerve"]
    assert metrics.FIBRE_GROUPS is anatomy.FIBRE_GROUPS and metrics.ASSOCIATED is anatomy.ASSOCIATED
    assert plots.LABELS is anatomy.SHORT_LABELS
    assert trigger_points.FIBRE_GROUPS is anatomy.KNOWLEDGE
    assert trigger_points.CHART_GROUP_MUSCLES is anatomy.CHART_GROUP_MUSCLES
    assert bodychart.REFERRAL_ZONES is anatomy.REFERRAL_ZONES


def test_anatomy_imports_nothing_from_hipsim():
    tree = ast.parse((SRC / "anatomy.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("hipsim"), node.module
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("hipsim") for a in node.names)


def test_no_other_module_spells_out_the_fibre_group_list():
    # one fact, one place: the tracked list appears as a literal only in anatomy.toml
    literal = '"gluteus_minimus_anterior", "gluteus_minimus_middle", "gluteus_minimus_posterior"'
    hits = [p for p in SRC.rglob("*.py") if literal in p.read_text(encoding="utf-8")]
    assert hits == []
