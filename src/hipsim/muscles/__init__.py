"""Muscle curves: Thelen (2003) with a rigid tendon, as OpenSim's Thelen2003Muscle uses them."""
from hipsim.muscles.thelen import (
    FV_LINEAR_EXTRAP_THRESHOLD,
    RigidTendonState,
    active_force_length,
    force_velocity,
    passive_force_length,
    rigid_tendon_state,
    tendon_force_strain,
)

__all__ = [
    "FV_LINEAR_EXTRAP_THRESHOLD",
    "RigidTendonState",
    "active_force_length",
    "force_velocity",
    "passive_force_length",
    "rigid_tendon_state",
    "tendon_force_strain",
]
