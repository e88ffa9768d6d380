"""Which PyPI distribution provides a Python module (``yaml`` → ``PyYAML``), for the fix plan of
a missing import."""

from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, str]:
    text = resources.files("chalicelib").joinpath("data/python_distributions.json").read_text()
    data: dict[str, str] = json.loads(text)
    return data


def python_distribution(module: str) -> str:
    """The PyPI distribution that provides ``module`` (``yaml`` → ``PyYAML``)."""
    table = _distributions()
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        name = ".".join(parts[:size])
        if name in table:
            return table[name]
    return parts[0].replace("_", "-")
