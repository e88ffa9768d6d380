"""Self-Healing CI's library code; app.py holds only the Lambda's handlers."""

from chalicelib.compiled import use_current_build

# Whether the compiled build of the hot modules runs (see chalicelib/compiled.py).
COMPILED = use_current_build(__name__, __path__)
