"""Flood reports: residents say where the water is and how deep; staff see the flooding points."""
