"""The docs' abductor moment-arm comparison: each shipped model beside Dostal & Andrews (1981).

Prints two Markdown tables: the moment arms (mm) of gluteus medius and minimus (three parts each),
tensor fasciae latae and piriformis about the right hip's abduction, flexion and internal-rotation
axes in the anatomical position, for the straight lines of Dostal & Andrews' Table 1 attachment
points (J Biomech 14:803, as transcribed by Fischer et al. 2021, J Biomech, article 110526) and for each
model; then a per-model summary (RMS and mean differences, sign agreement). How the reference is
made and its caveats: docs/explanation/moment-arms.md and hipsim.analysis.cadaver. Run from the
repository root:

    python tools/cadaver_moment_arms_table.py
"""
from __future__ import annotations

from hipsim.analysis import cadaver


def main() -> None:
    table = cadaver.comparison()
    print(cadaver.markdown(table))
    print()
    print(f"closest (smallest RMS abduction difference over GMed, GMin and TFL): {cadaver.closest_model(table)}")


if __name__ == "__main__":
    main()
