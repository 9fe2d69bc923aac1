"""Coordinate functions compiled to a flat table, and their numba evaluation.

Every function (Constant, Linear, SimmSpline, Polynomial, Multiplier) becomes one row of a
table: ``kind`` (0 constant, 1 linear, 2 cubic spline, 3 polynomial, 4 composition), two
scalars ``a, b`` and, for splines, an offset and count into flat knot arrays holding x and
the cubic coefficients y, b, c, d of each interval. A polynomial keeps its coefficients
(highest order first) in ``ky`` at ``offset`` .. ``offset + count``. A Multiplier folds its
scale into the coefficients of what it multiplies. A composition ``outer(inner(x))`` (a joint
axis driven by a coupled coordinate, see :class:`~hipsim.model.spec.CoordinateCoupler`) holds
the row of ``outer`` in ``offset`` and the row of ``inner`` in ``count``; both are rows of the
other kinds, and :func:`feval` gives its value and exact first and second derivatives by the
chain rule.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from hipsim.model.spec import Constant, Function, Linear, Multiplier, Polynomial, SimmSpline

CONSTANT, LINEAR, SPLINE, POLYNOMIAL, COMPOSED = 0, 1, 2, 3, 4


def simm_spline_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cubic coefficients (b, c, d) so that on [x_i, x_{i+1}] f = y_i + b_i dx + c_i dx^2 + d_i dx^3.

    The interpolating spline of Forsythe, Malcolm & Moler (1977, *Computer Methods for
    Mathematical Computations*, Prentice-Hall, routine SPLINE), which OpenSim's SimmSpline
    implements: natural tridiagonal system for the interior second derivatives, with end
    conditions that match the third derivative of the cubic through the four end knots.
    With two knots the spline is the straight line; with three the end third derivatives
    are zero. ``b[-1]`` is the slope at the last knot, used for linear extrapolation.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n == 2:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    h = np.diff(x)
    # Tridiagonal system in sigma (second derivative / 6 scale as in FMM): diagonal `diag`,
    # off-diagonal h, right-hand side `rhs`.
    diag = np.zeros(n)
    rhs = np.zeros(n)
    slope = np.diff(y) / h
    diag[0] = -h[0]
    diag[-1] = -h[-1]
    for i in range(1, n - 1):
        diag[i] = 2.0 * (h[i - 1] + h[i])
        rhs[i] = slope[i] - slope[i - 1]
    if n > 3:
        # Third differences at both ends (FMM end conditions).
        r0 = rhs[2] / (x[3] - x[1]) - rhs[1] / (x[2] - x[0])
        rn = rhs[n - 2] / (x[n - 1] - x[n - 3]) - rhs[n - 3] / (x[n - 2] - x[n - 4])
        rhs[0] = r0 * h[0] ** 2 / (x[3] - x[0])
        rhs[-1] = -rn * h[-1] ** 2 / (x[n - 1] - x[n - 4])
    # Forward elimination and back substitution (Thomas algorithm).
    for i in range(1, n):
        t = h[i - 1] / diag[i - 1]
        diag[i] -= t * h[i - 1]
        rhs[i] -= t * rhs[i - 1]
    sigma = np.zeros(n)
    sigma[-1] = rhs[-1] / diag[-1]
    for i in range(n - 2, -1, -1):
        sigma[i] = (rhs[i] - h[i] * sigma[i + 1]) / diag[i]
    for i in range(n - 1):
        b[i] = slope[i] - h[i] * (sigma[i + 1] + 2.0 * sigma[i])
        d[i] = (sigma[i + 1] - sigma[i]) / h[i]
        c[i] = 3.0 * sigma[i]
    b[-1] = slope[-1] + h[-1] * (sigma[-2] + 2.0 * sigma[-1])
    c[-1] = 3.0 * sigma[-1]
    d[-1] = d[-2]
    return b, c, d


class FunctionTable(NamedTuple):
    """Flat arrays of compiled functions (see module docstring)."""

    kind: np.ndarray      # (n_functions,) int64
    a: np.ndarray         # constant value, or linear slope
    b: np.ndarray         # linear intercept
    offset: np.ndarray    # first knot of a spline
    count: np.ndarray  # type: ignore[assignment]  # number of knots of a spline (the name shadows tuple.count)
    kx: np.ndarray        # knots
    ky: np.ndarray        # value at each knot
    kb: np.ndarray        # cubic coefficients per interval
    kc: np.ndarray
    kd: np.ndarray


class FunctionTableBuilder:
    """Collects functions and returns their row index; ``build()`` gives the :class:`FunctionTable`."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, float, float, int, int]] = []
        self.knots: list[np.ndarray] = []
        self.n_knots = 0

    def add(self, f: Function, scale: float = 1.0) -> int:
        if isinstance(f, Multiplier):
            return self.add(f.inner, scale * f.scale)
        if isinstance(f, Constant):
            self.rows.append((CONSTANT, scale * f.value, 0.0, 0, 0))
        elif isinstance(f, Linear):
            self.rows.append((LINEAR, scale * f.slope, scale * f.intercept, 0, 0))
        elif isinstance(f, SimmSpline):
            x = np.asarray(f.x, dtype=np.float64)
            y = scale * np.asarray(f.y, dtype=np.float64)
            b, c, d = simm_spline_coefficients(x, y)
            self.rows.append((SPLINE, 0.0, 0.0, self.n_knots, x.size))
            self.knots.append(np.stack([x, y, b, c, d]))
            self.n_knots += x.size
        elif isinstance(f, Polynomial):
            coef = scale * np.asarray(f.coefficients, dtype=np.float64)
            self.rows.append((POLYNOMIAL, 0.0, 0.0, self.n_knots, coef.size))
            z = np.zeros_like(coef)
            self.knots.append(np.stack([z, coef, z, z, z]))
            self.n_knots += coef.size
        else:  # pragma: no cover - spec validation rejects other types first
            raise TypeError(f"unknown function type {type(f).__name__}")
        return len(self.rows) - 1

    def add_composed(self, outer: Function, inner: Function, inner_scale: float = 1.0) -> int:
        """Add ``outer(inner_scale * inner(x))``; return its row."""
        o = self.add(outer)
        i = self.add(inner, inner_scale)
        self.rows.append((COMPOSED, 0.0, 0.0, o, i))
        return len(self.rows) - 1

    def build(self) -> FunctionTable:
        rows = self.rows or [(CONSTANT, 0.0, 0.0, 0, 0)]
        k = np.concatenate(self.knots, axis=1) if self.knots else np.zeros((5, 1))
        return FunctionTable(
            kind=np.array([r[0] for r in rows], dtype=np.int64),
            a=np.array([r[1] for r in rows], dtype=np.float64),
            b=np.array([r[2] for r in rows], dtype=np.float64),
            offset=np.array([r[3] for r in rows], dtype=np.int64),
            count=np.array([r[4] for r in rows], dtype=np.int64),
            kx=np.ascontiguousarray(k[0]), ky=np.ascontiguousarray(k[1]), kb=np.ascontiguousarray(k[2]),
            kc=np.ascontiguousarray(k[3]), kd=np.ascontiguousarray(k[4]))


@njit(cache=True, inline="always")
def feval(i, x, kind, a, b, offset, count, kx, ky, kb, kc, kd):
    """Value, first and second derivative of function ``i`` at ``x``."""
    if kind[i] == 4:
        u, du, ddu = _feval_simple(count[i], x, kind, a, b, offset, count, kx, ky, kb, kc, kd)
        v, dv, ddv = _feval_simple(offset[i], u, kind, a, b, offset, count, kx, ky, kb, kc, kd)
        return v, dv * du, ddv * du * du + dv * ddu
    return _feval_simple(i, x, kind, a, b, offset, count, kx, ky, kb, kc, kd)


@njit(cache=True, inline="always")
def _feval_simple(i, x, kind, a, b, offset, count, kx, ky, kb, kc, kd):
    """:func:`feval` of a row that is not a composition."""
    k = kind[i]
    if k == 0:
        return a[i], 0.0, 0.0
    if k == 1:
        return a[i] * x + b[i], a[i], 0.0
    o = offset[i]
    n = count[i]
    if k == 3:
        # Horner's scheme for the value and both derivatives, highest order first.
        val = 0.0
        der = 0.0
        der2 = 0.0
        for j in range(o, o + n):
            der2 = der2 * x + 2.0 * der
            der = der * x + val
            val = val * x + ky[j]
        return val, der, der2
    if x < kx[o]:
        return ky[o] + (x - kx[o]) * kb[o], kb[o], 0.0
    last = o + n - 1
    if x > kx[last]:
        return ky[last] + (x - kx[last]) * kb[last], kb[last], 0.0
    # Binary search for the interval [kx[j], kx[j+1]] holding x.
    lo = o
    hi = last
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if x >= kx[mid]:
            lo = mid
        else:
            hi = mid
    j = lo
    dx = x - kx[j]
    val = ky[j] + dx * (kb[j] + dx * (kc[j] + dx * kd[j]))
    der = kb[j] + dx * (2.0 * kc[j] + 3.0 * dx * kd[j])
    der2 = 2.0 * kc[j] + 6.0 * dx * kd[j]
    return val, der, der2
