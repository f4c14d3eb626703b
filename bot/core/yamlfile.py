"""Reading the project's YAML files: one loader for all of them.

Why: libyaml's C parser, when PyYAML ships it (its wheels do), is about ten times faster than the pure
Python one with the same safe subset, and the knowledge base, small talk and calibration files are read at
every start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The file's data (safe subset); raises OSError, UnicodeDecodeError or yaml.YAMLError."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
