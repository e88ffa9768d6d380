"""Ingest: what CI uploaded. Log sources (plain, gzip, the run zip; streamed, size-capped), the
run metadata of a log (its key, S3 metadata, sidecar, the log's own head) and the logs bucket."""
