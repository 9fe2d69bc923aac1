"""hipsim: the muscles that hold the pelvis level."""
__version__ = "0.1.0"
