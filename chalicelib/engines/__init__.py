"""Engines: from an excerpt to an answer. The offline engine (reports of common tools, the
decisive failure statement, its wording, confidence and identity; the fingerprint) and the
model path (prompt, providers with fallback, the checked answer, consult)."""
