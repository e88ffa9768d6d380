"""GitHub, read and written: the client (token or App installation, any API URL), the issue and
fix pull request actions, the healing loop, the repository files a failure names, and the App's
webhook (deliveries checked and queued) with the worker that collects a failed job's log. A peer
of the actions, not one of them: it also reads."""
