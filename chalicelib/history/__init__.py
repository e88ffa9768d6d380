"""History: every completed job of each repository, kept compact per repository and day (and by
commit), and what it tells: which failures passed on a re-run or fail in flaky tests, and the
repository's quarantine report of flaky tests."""
