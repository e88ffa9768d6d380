"""Actions: what the service does with an analysis. The action protocol and the dry-run drafts,
email (SES), Slack and webhooks, the daily digest, the links a message carries, and the hidden
marker a self-healing issue keeps its state in."""
