"""Excerpt: the lines of a log that explain its failure, within a character budget.

One streamed scan (Hyperscan, or RE2), the ranking of candidate lines and the windows of
context to show, cleaning, redaction. Self-contained: it imports nothing else of the package,
and owns its compiled build (``compiled.py``: the hot modules compiled with mypyc, used only
when the build matches these sources).
"""

from chalicelib.excerpt.compiled import use_current_build

# Whether the compiled build of the hot modules runs (see compiled.py).
COMPILED = use_current_build(__name__, __path__)
