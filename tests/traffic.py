"""Synthetic production traffic for tests (data/generate_production_traffic.py)."""

from __future__ import annotations

import importlib.util

from tests.helpers import REPO

_spec = importlib.util.spec_from_file_location("generate_production_traffic", REPO / "data" / "generate_production_traffic.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)
traffic = generator.traffic
