"""Write models/gait2392.toml, hipsim's default model, from the published gait2392 model.

The numbers are those of the Delp et al. (1990) lower-limb model as distributed with
OpenSim as gait2392 (CC BY 3.0; credit: Delp, Loan, Hoy, Zajac, Topp, Rosen, Thelen,
Anderson, Seth). This script reads that published model with hipsim's own OpenSim
importer and writes it in hipsim's format, with descriptive muscle names beside the
OpenSim names and the licence's credit in the file. Run from the repository root:

    python tools/build_default_model.py PATH/TO/gait2392_thelen2003muscle.osim
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from hipsim.model.hipfile import write_model
from hipsim.model.osim import read_osim
from hipsim.model.scaling import REFERENCE_HEIGHT_M

CREDITS = (
    "Delp S.L., Loan J.P., Hoy M.G., Zajac F.E., Topp E.L., Rosen J.M., Thelen D.G., Anderson F.C., Seth A. "
    "3D, 23-degree-of-freedom gait model (gait2392) created by D.G. Thelen (University of Wisconsin-Madison) and "
    "A. Seth, F.C. Anderson and S.L. Delp (Stanford University). Lower-extremity joint definitions and muscle "
    "parameters from Delp et al. (1990), IEEE Trans Biomed Eng 37:757-767; low back joint and anthropometry from "
    "Anderson and Pandy (1999, 2001); planar knee of Yamaguchi and Zajac (1989); Seth replaced the patella and "
    "tibia constraints with a CustomJoint knee and moving quadriceps insertion points (Delp 1990). "
    "Written in hipsim's format by the hipsim authors; numbers unchanged.")
LICENSE = ("Creative Commons Attribution 3.0 (CC BY 3.0), https://creativecommons.org/licenses/by/3.0/ : "
           "you may share and adapt the model data, also commercially, if you credit the authors above.")


def main(src: str, dst: str = "models/gait2392.toml") -> None:
    spec = read_osim(src)
    spec = dataclasses.replace(spec, name="gait2392", credits=CREDITS, license=LICENSE, notes=(
        "Muscle names are descriptive (Delp et al. 1990 labels); 'alias' keeps the OpenSim name.",
        "Display geometry of the OpenSim distribution is not included.",
    ), height_m=REFERENCE_HEIGHT_M, source=dst)
    write_model(spec, Path(dst))
    print(f"wrote {dst}: {len(spec.bodies)} bodies, {len(spec.joints)} joints, {len(spec.muscles)} muscles")


if __name__ == "__main__":
    main(*sys.argv[1:])
