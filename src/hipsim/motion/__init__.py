"""Motion data: OpenSim Storage files, external loads, OpenSim-style filtering and
differentiation, gait-cycle helpers and a built-in normative walking cycle."""
from hipsim.motion.external_loads import (
    ExternalForceSeries,
    ExternalForceSpec,
    ExternalLoadsData,
    ExternalLoadsSpec,
    load_external_loads,
    read_external_loads,
    resolve_external_loads,
)
from hipsim.motion.filtering import (
    CoordinateKinematics,
    CoordinateSplines,
    GaitEvents,
    coordinate_kinematics,
    crop,
    detect_gait_events,
    detect_heel_strikes,
    fit_coordinate_splines,
    lowpass_iir_opensim,
    normalize_to_cycle,
    opensim_pad,
    resample_uniform,
)
from hipsim.motion.gait_ground import FootGRF
from hipsim.motion.gait_keypoints import GAIT2392_COORDINATES
from hipsim.motion.normative_gait import (
    NormativeGait,
    cadence_for_speed,
    normative_gait,
)
from hipsim.motion.storage import (
    StorageTable,
    convert_to_radians,
    parse_storage_text,
    read_storage,
    require_columns,
    write_storage,
)

__all__ = [
    "StorageTable", "read_storage", "parse_storage_text", "write_storage", "require_columns",
    "convert_to_radians",
    "ExternalForceSpec", "ExternalLoadsSpec", "ExternalForceSeries", "ExternalLoadsData",
    "read_external_loads", "load_external_loads", "resolve_external_loads",
    "opensim_pad", "lowpass_iir_opensim", "resample_uniform", "CoordinateSplines",
    "CoordinateKinematics", "fit_coordinate_splines", "coordinate_kinematics", "crop",
    "GaitEvents", "detect_gait_events", "detect_heel_strikes", "normalize_to_cycle",
    "GAIT2392_COORDINATES", "FootGRF", "NormativeGait", "normative_gait", "cadence_for_speed",
]
