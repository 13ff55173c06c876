"""The verifier's helpers come from molecule/_shared/testinfra_helpers.py: put that folder on sys.path."""

import sys
from pathlib import Path

SHARED = str(Path(__file__).resolve().parents[2] / "_shared")
if SHARED not in sys.path:
    sys.path.insert(0, SHARED)
