"""Static optimisation of muscle activations."""
from hipsim.optimize.static import (
    DEFAULT_COORDINATES,
    SolverStatus,
    StaticOptimizationResult,
    solve_arrays,
    static_optimization,
    volume_weights,
)

__all__ = [
    "DEFAULT_COORDINATES",
    "SolverStatus",
    "StaticOptimizationResult",
    "solve_arrays",
    "static_optimization",
    "volume_weights",
]
