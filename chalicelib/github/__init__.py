"""GitHub, read and written: the client (token or App installation, any API URL), the issue and
fix pull request actions, the patch policy, the healing loop, and the repository files a
failure names. A peer of the actions, not one of them: it also reads."""
