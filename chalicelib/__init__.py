"""Self-Healing CI's library code; app.py holds only the Lambda's handlers.

The folder tree is the pipeline: ``ingest`` (what CI uploaded) -> ``excerpt`` (the lines that
explain the failure) -> ``engines`` (the answer) -> ``store`` (the record) -> ``actions`` and
``github`` (what is done with it), with ``api`` for HTTP requests; ``services`` builds the
clients, ``pipeline`` is the flow, ``cli`` the command line. The modules directly here are the
small kernel every stage may use (errors, settings, the record, AWS clients and secrets,
rendering, metrics, the text lint); the kernel imports no stage. The layering is checked by
import-linter (``make lint``).
"""
