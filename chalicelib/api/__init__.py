"""The HTTP API: request parsing and validation, and bearer-token auth."""
