"""hipsim's anatomy vocabulary, read from ``anatomy.toml`` beside this module.

One place for the names every layer shares: the fibre groups hipsim tracks and the muscles
associated with them, their labels (words for sentences, short forms for plots and tables),
the muscle groups a weakness modifier may name, the trigger-point knowledge per fibre group
(referral zone, activation and perpetuating factors, muscles to examine as well, advice),
and the body chart's referral zones and silhouettes.

The trigger-point tables follow Travell & Simons, *Myofascial Pain and Dysfunction: The
Trigger Point Manual*, vol. 2, *The Lower Extremities* (Williams & Wilkins, 1992): ch. 8
gluteus medius, ch. 9 gluteus minimus, ch. 12 tensor fasciae latae; the tensor fasciae
latae lists also follow Finando & Finando (2005, *Trigger Point Therapy for Myofascial
Pain*). The data file cites each entry. They describe what the literature reports; hipsim
uses them to name factors next to computed mechanical loads, never to diagnose.

This is a low-level module: it imports nothing from hipsim.
Every table is immutable.
"""
from __future__ import annotations

import importlib.resources
import sys
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser as a package
    import tomli as tomllib


__all__ = [
    "ASSOCIATED",
    "BODY_CHART_GROUPS",
    "CHART_GROUP_MUSCLES",
    "CHART_OUTLINES",
    "FIBRE_GROUPS",
    "KNOWLEDGE",
    "KNOWLEDGE_GROUP",
    "LABELS",
    "MUSCLE_GROUPS",
    "REFERRAL_ZONES",
    "SHORT_LABELS",
    "FibreGroupKnowledge",
    "ReferralZone",
    "label",
    "short_label",
]

_FILE = "anatomy.toml"


def _load() -> dict[str, Any]:
    # shipped package data: a parse error here is a broken install (an internal error)
    return tomllib.loads(importlib.resources.files("hipsim").joinpath(_FILE).read_text(encoding="utf-8"))


_DATA = _load()


def _frozen(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


# ------------------------------------------------------------------ names and labels
#: Fibre groups hipsim follows (hip abductor parts, gait2392 names without the side suffix).
FIBRE_GROUPS: tuple[str, ...] = tuple(_DATA["tracked"]["fibre_groups"])
#: Muscles the trigger-point literature pairs with them, followed as well.
ASSOCIATED: tuple[str, ...] = tuple(_DATA["tracked"]["associated"])

_MUSCLES: Mapping[str, Mapping[str, str]] = _frozen(
    {k: _frozen(v) for k, v in _DATA["muscles"].items()})
#: Muscle part -> label in words (``"anterior gluteus minimus"``), for sentences.
LABELS: Mapping[str, str] = _frozen({k: v["label"] for k, v in _MUSCLES.items()})
#: Muscle part -> short label (``"GMin ant"``), for plots and tables.
SHORT_LABELS: Mapping[str, str] = _frozen({k: v["short"] for k, v in _MUSCLES.items()})
#: Muscle part -> key of its entry in :data:`KNOWLEDGE` (gluteus medius parts share one).
KNOWLEDGE_GROUP: Mapping[str, str] = _frozen(
    {k: v["knowledge"] for k, v in _MUSCLES.items() if "knowledge" in v})


def label(muscle: str) -> str:
    """Label in words for a muscle part (``gluteus_medius_middle`` -> ``middle gluteus
    medius``); an untracked name with its underscores as spaces."""
    return LABELS.get(muscle, muscle.replace("_", " "))


def short_label(muscle: str) -> str:
    """Short label for plots and tables (``GMin ant``); an untracked name as given."""
    return SHORT_LABELS.get(muscle, muscle)


#: Muscle groups a weakness modifier may name -> their parts (gluteus medius, gluteus
#: minimus, and the muscles of the superior gluteal nerve).
MUSCLE_GROUPS: Mapping[str, tuple[str, ...]] = _frozen(
    {k: tuple(v) for k, v in _DATA["muscle_groups"].items()})


# ------------------------------------------------------------------ trigger-point knowledge
@dataclass(frozen=True)
class FibreGroupKnowledge:
    """What the literature says about one fibre group's trigger points.

    Every tuple field has a matching ``*_source`` naming where it comes from.
    ``examine_also`` pairs each muscle with the reason to examine it.
    """

    group: str
    label: str
    referral_zone: str
    referral_source: str
    activation_factors: tuple[str, ...]
    perpetuating_factors: tuple[str, ...]
    other_contributors: tuple[str, ...]
    factors_source: str
    examine_also: tuple[tuple[str, str], ...]
    examine_source: str
    advice: tuple[str, ...]
    advice_source: str


def _knowledge(group: str, e: Mapping[str, Any]) -> FibreGroupKnowledge:
    # An entry names a shared list (factor_lists) or spells its own lists out.
    lists = _DATA["factor_lists"][e["factor_lists"]] if "factor_lists" in e else e
    return FibreGroupKnowledge(
        group=group, label=e["label"], referral_zone=e["referral_zone"],
        referral_source=e["referral_source"],
        activation_factors=tuple(lists["activation_factors"]),
        perpetuating_factors=tuple(lists["perpetuating_factors"]),
        other_contributors=tuple(lists["other_contributors"]),
        factors_source=e["factors_source"],
        examine_also=tuple((str(a), str(b)) for a, b in e["examine_also"]),
        examine_source=e["examine_source"],
        advice=tuple(lists["advice"]),
        advice_source=e.get("advice_source", lists.get("source", "")),
    )


#: Trigger-point knowledge per fibre group (Travell & Simons 1992, vol. 2, ch. 8, 9, 12).
#: Gluteus medius parts share one entry; see :data:`KNOWLEDGE_GROUP`.
KNOWLEDGE: Mapping[str, FibreGroupKnowledge] = _frozen(
    {g: _knowledge(g, e) for g, e in _DATA["knowledge"].items()})


# ----------------------------------------------------------------------------- body chart
@dataclass(frozen=True)
class ReferralZone:
    """One fibre group's referral zone on the body chart.

    Attributes:
        group: fibre-group key (see :data:`BODY_CHART_GROUPS`).
        label: short label for the legend.
        regions: the body regions the source names for this group's referred pain.
        source: author, year and chapter of the description.
        polygons: per view (``"front"``, ``"side"``, ``"back"``), polygons for the
            **right** side in body coordinates with ``u`` = distance lateral of the midline
            (front/back views) or ``x`` = anterior (side view), ``y`` = height. They are
            drawn clipped to the silhouette, so edges that reach past the skin line are
            deliberate.
        linestyle: edge line style (matplotlib) that identifies the group on the chart.
        muscles: the muscle parts whose loads the zone sums.
    """

    group: str
    label: str
    regions: str
    source: str
    polygons: Mapping[str, tuple[tuple[tuple[float, float], ...], ...]]
    linestyle: Any
    muscles: tuple[str, ...] = ()


def _points(p: Any) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in p)


def _linestyle(v: Any) -> Any:
    if isinstance(v, str):
        return v
    return (v["offset"], tuple(float(d) for d in v["dashes"]))


#: Fibre groups that have a referral zone on the chart, in legend order.
BODY_CHART_GROUPS: tuple[str, ...] = tuple(_DATA["chart"]["groups"])

#: Chart zone -> the muscle parts whose loads it sums (gluteus medius: its three parts).
#: Middle gluteus minimus has no zone: the manual describes anterior and posterior
#: patterns only (Travell & Simons 1992, vol. 2, ch. 9).
CHART_GROUP_MUSCLES: Mapping[str, tuple[str, ...]] = _frozen(
    {g: tuple(m for m, v in _MUSCLES.items() if v.get("chart_zone") == g)
     for g in BODY_CHART_GROUPS})

#: Referral zones per chart group (immutable). Coordinates are schematic placements of
#: the regions named in ``regions``; no figure was digitised.
REFERRAL_ZONES: Mapping[str, ReferralZone] = _frozen({
    g: ReferralZone(
        group=g, label=z["label"], regions=z["regions"], source=z["source"],
        polygons=_frozen({v: tuple(_points(p) for p in z[v]) for v in ("front", "side", "back")}),
        linestyle=_linestyle(z["linestyle"]), muscles=CHART_GROUP_MUSCLES[g])
    for g in BODY_CHART_GROUPS
    for z in (_DATA["chart"]["zones"][g],)
})

#: The chart's silhouettes as control points (normalised body height: soles 0, crown 1):
#: ``front_half`` and ``side`` are lists of runs, ``side_arm_centre``/``side_arm_width``
#: the side view's arm, ``back_cleft``, ``back_folds`` and ``side_folds`` surface marks.
CHART_OUTLINES: Mapping[str, Any] = _frozen({
    k: (tuple(float(w) for w in v) if k == "side_arm_width"
        else _points(v) if k in ("side_arm_centre", "back_cleft")
        else tuple(_points(r) for r in v))
    for k, v in _DATA["chart"]["outlines"].items()
})
