"""The rulebook: every public parameter declared once, with its type, unit, limits and default.

In the manner of scikit-learn's ``_parameter_constraints``: each public entry point (a task,
:class:`~hipsim.Subject`, :class:`~hipsim.Load`, a scenario modifier, the teaching demo)
declares a table of :class:`Param` beside its definition, and :func:`validated` checks every
argument against it before any work is done. The scenario schema, ``hipsim list schema``, the
documentation's key tables and the demo's slider ranges are generated from the same objects,
so an input limit is written once.

Limits are input limits (the domain a model or task is built for), conventions unless a
parameter's text cites a source. A value outside them is an :class:`~hipsim.InputError`
whose message is one sentence naming the source, the key, the value and what is allowed.
"""
from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, TypeVar

from hipsim.errors import input_error, is_real, is_whole

Kind = Literal["float", "int", "str", "bool", "list[str]"]
F = TypeVar("F", bound=Callable[..., Any])

_UNIT_WORDS = {"deg": "degrees"}


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, meaning, default, unit and allowed values.

    ``kind`` is ``"float"``, ``"int"``, ``"str"``, ``"bool"`` or ``"list[str]"``. Numbers lie in
    the closed interval [``lo``, ``hi``] (either end may be None: unbounded); strings are one of
    ``choices`` when given. ``required`` parameters have no default; ``nullable`` ones also
    accept None (Python) or absence (files).
    """

    kind: Kind
    doc: str
    default: Any = None
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "str", "bool", "list[str]"):
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"empty interval [{self.lo}, {self.hi}]")
        if not self.required and not (self.default is None and self.nullable):
            # A declared default must itself satisfy the rule (caught when the table is written).
            if not self.accepts(self.default):
                raise ValueError(f"default {self.default!r} violates its own rule ({self.allowed()})")

    @property
    def interval(self) -> tuple[float, float]:
        """(lo, hi) with infinite ends where unbounded."""
        return (-math.inf if self.lo is None else float(self.lo), math.inf if self.hi is None else float(self.hi))

    def allowed(self) -> str:
        """What is allowed, in words: ``a number from -15 to 25 deg``."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.lo is not None or self.hi is not None:
            noun = "a whole number" if self.kind == "int" else "a number"
            unit = f" {self.unit}" if self.unit else ""
            if self.lo is not None and self.hi is not None:
                text = f"{noun} from {self.lo:g} to {self.hi:g}{unit}"
            elif self.lo is not None:
                text = f"{noun} of at least {self.lo:g}{unit}"
            else:
                text = f"{noun} of at most {self.hi:g}{unit}"
        else:
            text = {"float": "a number", "int": "a whole number", "str": "a string", "bool": "true or false",
                    "list[str]": "a non-empty list of strings"}[self.kind]
        return text + (" or nothing" if self.nullable else "")

    def accepts(self, value: Any) -> bool:
        """True when ``value`` satisfies the rule."""
        if value is None:
            return self.nullable
        if self.kind == "float":
            ok = is_real(value)
        elif self.kind == "int":
            ok = is_whole(value)
        elif self.kind == "str":
            ok = isinstance(value, str) and (not self.choices or value in self.choices)
        elif self.kind == "bool":
            ok = isinstance(value, bool)
        else:
            ok = (isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(x, str) for x in value))
        if ok and self.kind in ("float", "int"):
            lo, hi = self.interval
            ok = lo <= value <= hi
        return bool(ok)

    def check(self, key: str, value: Any, source: str = "argument") -> Any:
        """``value`` coerced to its kind (float, int, str, bool, list), or an InputError naming
        ``source``, ``key`` and the value."""
        if not self.accepts(value):
            raise input_error(source, key, value, f"use {self.allowed()}")
        if value is None:
            return None
        if self.kind == "float":
            return float(value)
        if self.kind == "int":
            return int(value)
        if self.kind == "list[str]":
            return list(value)
        return value

    def with_default(self, default: Any, doc: str | None = None) -> "Param":
        """The same rule with another default (a scenario's typical case), e.g. a longer hold."""
        import dataclasses
        return dataclasses.replace(self, default=default, doc=self.doc if doc is None else doc)


ParamTable = Mapping[str, Param]


def check_params(table: ParamTable, values: Mapping[str, Any], source: str = "argument",
                 where: str = "") -> dict[str, Any]:
    """Validate ``values`` against ``table``: every key known, every value allowed, every
    required key present. Returns the coerced values with defaults filled in."""
    prefix = f"{where}." if where else ""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in table:
            raise input_error(source, f"{prefix}{key}", value, f"unknown key; allowed: {', '.join(table)}")
        out[key] = table[key].check(f"{prefix}{key}", value, source)
    for key, p in table.items():
        if key not in out:
            if p.required:
                raise input_error(source, f"{prefix}{key}", None, f"this key is required ({p.doc})")
            out[key] = p.default
    return out


def validated(table: ParamTable) -> Callable[[F], F]:
    """Decorate a function so that the arguments named in ``table`` are checked before it runs.

    Arguments not in the table (models, loads, arrays) are left to the function. The table is
    attached as ``fn.params`` so that schemas, docs and tests can walk it.
    """
    def deco(fn: F) -> F:
        sig = inspect.signature(fn)
        missing = [k for k in table if k not in sig.parameters]
        if missing:
            raise TypeError(f"{fn.__qualname__} has no parameters {missing} declared in its rulebook")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            for key, value in bound.arguments.items():
                if key in table:
                    table[key].check(key, value)
            return fn(*args, **kwargs)

        wrapper.params = table  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return deco


# --------------------------------------------------------------------------- shared rules

#: Which side of the body.
SIDE = Param("str", "side of the body", "r", choices=("r", "l"))
#: Passive elastic joint moments on or off (used by every task).
PASSIVE_JOINT_MOMENTS = Param(
    "bool", "passive elastic moments of hip, knee and ankle (Riener & Edrich 1999) carry their share before the "
    "muscles; false leaves the whole moment to the muscles, as OpenSim's StaticOptimization on gait2392 does", True)
#: A muscle's strength as a fraction of its normal maximum isometric force (the lower limit keeps
#: a weakened muscle in the problem; a convention).
STRENGTH = Param("float", "fraction of normal maximum force", 1.0, "", 0.05, 1.0)
