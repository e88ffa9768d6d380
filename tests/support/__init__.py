"""What several test packages share: canaries, logs, records, mail, and the wire-level stub servers."""
