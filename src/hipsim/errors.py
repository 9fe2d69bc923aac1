"""Errors raised at hipsim's boundary.

A user's mistake (a bad file, key or value) raises :class:`InputError`, whose message is
one sentence naming the file, the key and the value and saying what is allowed. The CLI
turns it into one line on stderr and exit code 2, without a traceback. Anything else is
an internal error (exit code 1).
"""
from __future__ import annotations

import math
import numbers
from typing import Any


class InputError(ValueError):
    """Bad input from a user: a file, key or value that hipsim cannot accept."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None,
                 value: Any = None) -> None:
        self.source = source
        self.key = key
        self.value = value
        super().__init__(message)


def input_error(source: str | None, key: str | None, value: Any, allowed: str) -> InputError:
    """Build an :class:`InputError` with the house message shape.

    ``source`` is the file (or ``"argument"`` for a Python call), ``key`` the element or
    key path, ``value`` the offending value and ``allowed`` what would have been accepted.
    """
    where = f"{source}: " if source else ""
    what = f"{key} = {value!r}" if key is not None else f"{value!r}"
    return InputError(f"{where}{what} is not allowed; {allowed}.", source=source, key=key,
                      value=value)


def is_real(value: Any) -> bool:
    """A finite real number (int, float or a numpy scalar); not a bool, a string, NaN or infinity."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


def is_whole(value: Any) -> bool:
    """An integer (int or a numpy integer); not a bool and not a float such as 3.0."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral)
