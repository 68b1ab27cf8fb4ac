"""The Qt desktop application: a thin layer over the armoury services."""
