"""Descriptive muscle names beside their OpenSim names.

The OpenSim names are those of the Delp et al. (1990) lower-limb model as distributed with
OpenSim as gait2392 and of the Rajagopal et al. (2016) model (and its Lai et al. 2017 / Uhlrich et
al. 2022 revision); the descriptive names follow the muscle and compartment labels of
Delp et al. (1990, IEEE Trans Biomed Eng 37:757-767, Table I), e.g. gluteus medius
anterior/middle/posterior, adductor magnus superior/middle/inferior.
"""
from __future__ import annotations

#: OpenSim base name (without the _r/_l side suffix) -> descriptive base name.
DESCRIPTIVE: dict[str, str] = {
    "glut_med1": "gluteus_medius_anterior",
    "glut_med2": "gluteus_medius_middle",
    "glut_med3": "gluteus_medius_posterior",
    "glut_min1": "gluteus_minimus_anterior",
    "glut_min2": "gluteus_minimus_middle",
    "glut_min3": "gluteus_minimus_posterior",
    "semimem": "semimembranosus",
    "semiten": "semitendinosus",
    "bifemlh": "biceps_femoris_long_head",
    "bifemsh": "biceps_femoris_short_head",
    "sar": "sartorius",
    "add_long": "adductor_longus",
    "add_brev": "adductor_brevis",
    "add_mag1": "adductor_magnus_superior",
    "add_mag2": "adductor_magnus_middle",
    "add_mag3": "adductor_magnus_inferior",
    "tfl": "tensor_fasciae_latae",
    "pect": "pectineus",
    "grac": "gracilis",
    "glut_max1": "gluteus_maximus_superior",
    "glut_max2": "gluteus_maximus_middle",
    "glut_max3": "gluteus_maximus_inferior",
    "iliacus": "iliacus",
    "psoas": "psoas",
    "quad_fem": "quadratus_femoris",
    "gem": "gemelli",
    "peri": "piriformis",
    "rect_fem": "rectus_femoris",
    "vas_med": "vastus_medialis",
    "vas_int": "vastus_intermedius",
    "vas_lat": "vastus_lateralis",
    "med_gas": "gastrocnemius_medial",
    "lat_gas": "gastrocnemius_lateral",
    "soleus": "soleus",
    "tib_post": "tibialis_posterior",
    "flex_dig": "flexor_digitorum_longus",
    "flex_hal": "flexor_hallucis_longus",
    "tib_ant": "tibialis_anterior",
    "per_brev": "peroneus_brevis",
    "per_long": "peroneus_longus",
    "per_tert": "peroneus_tertius",
    "ext_dig": "extensor_digitorum_longus",
    "ext_hal": "extensor_hallucis_longus",
    # Rajagopal et al. (2016) names (also in the Lai et al. 2017 / Uhlrich et al. 2022 revision):
    # the gluteal compartments numbered as in Delp et al. (1990), adductor magnus in four parts.
    "glmed1": "gluteus_medius_anterior",
    "glmed2": "gluteus_medius_middle",
    "glmed3": "gluteus_medius_posterior",
    "glmin1": "gluteus_minimus_anterior",
    "glmin2": "gluteus_minimus_middle",
    "glmin3": "gluteus_minimus_posterior",
    "glmax1": "gluteus_maximus_superior",
    "glmax2": "gluteus_maximus_middle",
    "glmax3": "gluteus_maximus_inferior",
    "addbrev": "adductor_brevis",
    "addlong": "adductor_longus",
    "addmagDist": "adductor_magnus_distal",
    "addmagIsch": "adductor_magnus_ischial",
    "addmagMid": "adductor_magnus_middle",
    "addmagProx": "adductor_magnus_proximal",
    "bflh": "biceps_femoris_long_head",
    "bfsh": "biceps_femoris_short_head",
    "sart": "sartorius",
    "piri": "piriformis",
    "recfem": "rectus_femoris",
    "vasint": "vastus_intermedius",
    "vaslat": "vastus_lateralis",
    "vasmed": "vastus_medialis",
    "gasmed": "gastrocnemius_medial",
    "gaslat": "gastrocnemius_lateral",
    "tibant": "tibialis_anterior",
    "tibpost": "tibialis_posterior",
    "perbrev": "peroneus_brevis",
    "perlong": "peroneus_longus",
    "edl": "extensor_digitorum_longus",
    "ehl": "extensor_hallucis_longus",
    "fdl": "flexor_digitorum_longus",
    "fhl": "flexor_hallucis_longus",
    "ercspn": "erector_spinae",
    "intobl": "internal_oblique",
    "extobl": "external_oblique",
}


def descriptive_name(opensim_name: str) -> str:
    """Descriptive name for an OpenSim muscle name (``glut_min1_r`` -> ``gluteus_minimus_anterior_r``).

    Names without a known descriptive form are returned unchanged.
    """
    for side in ("_r", "_l"):
        if opensim_name.endswith(side):
            base = opensim_name[: -len(side)]
            if base in DESCRIPTIVE:
                return DESCRIPTIVE[base] + side
    return DESCRIPTIVE.get(opensim_name, opensim_name)
