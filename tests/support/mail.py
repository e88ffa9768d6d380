"""What moto's SES accepted, read back as a person's mail client would show it."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends


@dataclass
class Sent:
    source: str
    to: list[str]
    subject: str
    text: str
    html: str


def sent_messages() -> list[Sent]:
    """What moto's SES accepted, parsed back into its parts."""
    out = []
    for raw in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        message = email.message_from_string(raw.raw_data, policy=email.policy.default)
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        out.append(
            Sent(raw.source, list(raw.destinations), str(message["Subject"]), parts["text/plain"], parts["text/html"])
        )
    return out
