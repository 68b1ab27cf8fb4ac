"""Armoury: the books of weapons and ammunition stockpiles.

The ``armoury`` package is the core (domain, persistence, services, labels, reports, CLI). It never imports
Qt; the desktop application lives in the separate ``ui`` package.
"""

__version__ = "0.1.0"
