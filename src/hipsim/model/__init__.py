"""Model description -> compiled arrays -> lengths and moment arms.

``load_model`` is the entry point: a shipped model name (``"default"``), a hipsim TOML
model file or an OpenSim ``.osim`` file.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.resources
from pathlib import Path

from hipsim.errors import input_error
from hipsim.model.model import SPECIFIC_TENSION_PA, Model

#: Shipped model names -> file in the models/ folder: gait2392 (Delp et al. 1990), Rajagopal et al.
#: (2016), and Rajagopal et al. (2016) with the Lai et al. (2017) and Uhlrich et al. (2022) revisions.
#: "default" is the last: of the three it comes closest to the hip contact force measured in
#: single-leg stance and to cadaver-based abductor moment arms (docs/explanation/model.md).
SHIPPED = {"default": "lai_uhlrich2023.toml", "gait2392": "gait2392.toml", "rajagopal2016": "rajagopal2016.toml",
           "lai_uhlrich2023": "lai_uhlrich2023.toml"}


def shipped_model_path(name: str) -> Path:
    """Path of a model shipped with hipsim (in the repository's models/ folder)."""
    return Path(str(importlib.resources.files("hipsim.shipped_models").joinpath(SHIPPED[name])))


def load_spec(path_or_name: str | Path = "default"):
    """The :class:`~hipsim.model.spec.ModelSpec` of a shipped name, ``.toml`` file or ``.osim`` file."""
    from hipsim.model.hipfile import read_model
    from hipsim.model.osim import read_osim

    if isinstance(path_or_name, str) and path_or_name in SHIPPED:
        return read_model(shipped_model_path(path_or_name))
    if isinstance(path_or_name, str) and path_or_name in SHIPPED.values():
        return read_model(Path(str(importlib.resources.files("hipsim.shipped_models").joinpath(path_or_name))))
    if not isinstance(path_or_name, (str, Path)):
        raise input_error("argument", "model", path_or_name, "a shipped model name or a model file path")
    path = Path(path_or_name)
    if path.suffix.lower() == ".osim":
        return read_osim(path)
    if path.suffix.lower() == ".toml":
        return read_model(path)
    raise input_error(str(path), "model", str(path_or_name),
                      f"give a shipped model name ({', '.join(SHIPPED)}), a .toml hipsim model or an .osim file")


@functools.lru_cache(maxsize=4)
def _shipped(name: str) -> Model:
    return Model(load_spec(name))


def load_model(path_or_name: str | Path = "default", height_m: float | None = None,
               wrap_method: str | None = None) -> Model:
    """Load and compile a model: a shipped name (``"default"``), a hipsim ``.toml`` file or an OpenSim ``.osim``.

    ``wrap_method`` (``"opensim"`` or ``"geodesic"``; None: the file's own, else ``"opensim"``)
    says how wrapped muscle paths are computed (:attr:`hipsim.model.spec.ModelSpec.wrap_method`).

    ``height_m`` records the standing height of the person a model file represents when the file
    does not say (an OpenSim model scaled to a subject); nothing is scaled. A file that records
    its height keeps it, and giving another is an error: scale with a task's ``subject`` or
    :meth:`Model.scaled_to` instead. Shipped models are read once per process (a Model is
    immutable, so sharing it is safe).
    """
    if height_m is not None:
        from hipsim.model.scaling import SUBJECT_PARAMS
        SUBJECT_PARAMS["height_m"].check("height_m", height_m)
    if isinstance(path_or_name, str) and path_or_name in SHIPPED:
        model = _shipped(SHIPPED[path_or_name])
        spec = model.spec
    else:
        spec = load_spec(path_or_name)
        model = None
    if wrap_method is not None and wrap_method != spec.wrap_method:
        from hipsim.model.spec import WRAP_PATH_METHODS
        if wrap_method not in WRAP_PATH_METHODS:
            raise input_error("argument", "wrap_method", wrap_method, f"use one of {', '.join(WRAP_PATH_METHODS)}")
        spec, model = dataclasses.replace(spec, wrap_method=wrap_method), None
    if height_m is None:
        return model if model is not None else Model(spec)
    if spec.height_m is not None and abs(spec.height_m - height_m) > 1e-9:
        raise input_error(str(spec.source or path_or_name), "height_m", height_m,
                          f"the model already records a height of {spec.height_m:g} m; scale it with a task's "
                          "subject or Model.scaled_to(Subject(...)) instead")
    return Model(dataclasses.replace(spec, height_m=float(height_m)))


def require_bodies(model: Model, bodies: tuple[str, ...] | list[str], needed_by: str) -> None:
    """Raise :class:`~hipsim.errors.InputError` naming the model file and the bodies it lacks
    when ``model`` does not have every body in ``bodies`` (``needed_by``, a plural noun phrase, says
    what needs them)."""
    missing = [b for b in bodies if b not in model.body_names]
    if missing:
        lack = ("the model has none of them" if len(missing) == len(bodies)
                else f"the model lacks {'this one' if len(missing) == 1 else 'these'}")
        raise input_error(str(model.spec.source or model.name), "bodies", ", ".join(missing),
                          f"{needed_by} need the bodies {', '.join(bodies)} (named as in gait2392) and {lack}")


__all__ = ["Model", "load_model", "load_spec", "require_bodies", "shipped_model_path", "SPECIFIC_TENSION_PA"]
