"""Store: the analysis records (S3 or a local folder, in one layout), the service's small state
documents, and the per-repository daily caps (conditional writes)."""
