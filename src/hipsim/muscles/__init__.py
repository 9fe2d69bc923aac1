"""Force elements besides the skeleton: Thelen (2003) muscle curves with a rigid tendon, as
OpenSim's Thelen2003Muscle uses them, and passive elastic joint moments (Riener & Edrich 1999)."""
from hipsim.muscles.thelen import (
    FV_LINEAR_EXTRAP_THRESHOLD,
    RigidTendonState,
    active_force_length,
    force_velocity,
    passive_force_length,
    rigid_tendon_state,
    tendon_force_strain,
)
from hipsim.muscles.passive_joints import passive_joint_moments, riener_edrich_moments

__all__ = [
    "FV_LINEAR_EXTRAP_THRESHOLD",
    "RigidTendonState",
    "active_force_length",
    "force_velocity",
    "passive_joint_moments",
    "passive_force_length",
    "rigid_tendon_state",
    "tendon_force_strain",
    "riener_edrich_moments",
]
