"""Tell people: an SES email (text and HTML), a Slack message, a generic JSON webhook.

All three carry the same content, rendered from templates; text from the log or a model is
escaped for each medium and can add no links, images or mentions. Recipients come from the
settings only (and the commit author, when their domain is allowed) — never from a log.
Failures are recorded on the analysis with the reason; throttling is retried with backoff.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlparse

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from chalicelib.actions.base import Action
from chalicelib.actions.links import message_links
from chalicelib.errors import AWS_ERRORS, ActionError, RetryableError, aws_code, aws_message
from chalicelib.record import ActionResult, Analysis, Clock, Sleep, utc_now
from chalicelib.render import render
from chalicelib.settings import Settings

log = logging.getLogger(__name__)
# Matched whole (fullmatch): "$" would let a final newline into a mail header.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_SES_RETRYABLE = {"Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"}


def valid_addresses(addresses: tuple[str, ...] | list[str]) -> list[str]:
    return [a for a in addresses if _EMAIL.fullmatch(a)]


def mime_message(sender: str, to: list[str], subject: str, text: str, html: str) -> bytes:
    """A multipart/alternative message: a plain text part and an HTML part."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(to), subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def recipients(analysis: Analysis, settings: Settings) -> list[str]:
    """MAIL_TO, plus the commit author when their address's domain is in MAIL_AUTHOR_DOMAINS."""
    out = valid_addresses(settings.mail_to)
    author = analysis.metadata.get("author_email", "")
    match = _EMAIL.fullmatch(author)
    if match and match.group(1).lower() in settings.mail_author_domains and author not in out:
        out.append(author)
    return out


def _retrying(sleep: Callable[[float], None], attempts: int = 3) -> Retrying:
    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        return float(hinted) if hinted is not None else float(wait_exponential_jitter(multiplier=0.5, max=8)(state))

    return Retrying(
        retry=retry_if_exception(lambda e: isinstance(e, RetryableError)),
        wait=wait,
        stop=stop_after_attempt(attempts),
        sleep=sleep,
        reraise=True,
    )


class SesEmail:
    kind = "email"

    def __init__(self, settings: Settings, ses: Any, sleep: Sleep = time.sleep, now: Clock = utc_now) -> None:
        self.settings, self._ses, self._sleep, self._now = settings, ses, sleep, now

    def applies(self, analysis: Analysis) -> bool:
        return True

    def run(self, analysis: Analysis) -> ActionResult:
        to = recipients(analysis, self.settings)
        target = ", ".join(to)
        if not to:
            return ActionResult(self.kind, "", "skipped", "", "no valid recipient", self._now().isoformat())
        links = message_links(analysis, self.settings)
        subject = " ".join(render("email_subject.txt.j2", a=analysis).split())[:200]
        message = mime_message(
            self.settings.mail_from,
            to,
            subject,
            render("email.txt.j2", a=analysis, links=links),
            render("email.html.j2", a=analysis, links=links),
        )
        extra = (
            {"ConfigurationSetName": self.settings.ses_configuration_set} if self.settings.ses_configuration_set else {}
        )
        try:
            response = _retrying(self._sleep)(self._send, to, message, extra)
        except ActionError as exc:
            return ActionResult(self.kind, target, "failed", "", str(exc), self._now().isoformat())
        return ActionResult(
            self.kind,
            target,
            "created",
            "",
            f"sent, SES message {response.get('MessageId', '?')}",
            self._now().isoformat(),
        )

    def _send(self, to: list[str], message: bytes, extra: dict[str, str]) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self._ses.send_raw_email(
                Source=self.settings.mail_from, RawMessage={"Data": message}, **extra
            )
            return response
        except AWS_ERRORS as exc:
            code, text = aws_code(exc), aws_message(exc)
            if code in _SES_RETRYABLE or "rate exceeded" in text.lower():
                raise RetryableError(f"SES throttled the send ({code})") from exc
            raise ActionError(f"SES refused the email ({code}): {text}") from exc


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(analysis: Analysis, settings: Settings) -> dict[str, Any]:
    """A Slack message whose untrusted parts can't link, mention or format."""
    links = message_links(analysis, settings)
    meta = analysis.metadata
    link_text = " · ".join(f"<{url}|{name}>" for name, url in links.items() if url.startswith("https://"))
    head = f"CI failed: {meta.get('repo') or 'unknown'}@{meta.get('branch') or 'unknown'} — {analysis.category}"
    body = render("slack.txt.j2", a=analysis, occurrences=analysis.occurrences)

    def text(value: str) -> dict[str, Any]:
        # verbatim: Slack neither turns URLs into links nor notifies mentions in this text.
        return {"type": "mrkdwn", "text": _slack_escape(value), "verbatim": True}

    blocks: list[dict[str, Any]] = [{"type": "section", "text": text(head)}, {"type": "section", "text": text(body)}]
    if link_text:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link_text}]})
    return {"text": _slack_escape(head), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def webhook_payload(analysis: Analysis, settings: Settings) -> dict[str, Any]:
    """The same content as plain JSON data for any receiver."""
    meta = analysis.metadata
    return {
        "event": "ci_failure_analyzed",
        "analysis_id": analysis.id,
        "created_at": analysis.created_at,
        "repo": meta.get("repo", ""),
        "branch": meta.get("branch", ""),
        "sha": meta.get("sha", ""),
        "job": meta.get("job", ""),
        "category": analysis.category,
        "summary": analysis.summary,
        "root_cause": analysis.root_cause,
        "suggested_fix": analysis.suggested_fix,
        "evidence": analysis.evidence,
        "fingerprint": analysis.fingerprint,
        "occurrences": analysis.occurrences,
        "engine": {"name": analysis.engine.get("name"), "model": analysis.engine.get("model")},
        "links": message_links(analysis, settings),
    }


def check_webhook_url(url: str) -> str:
    """Only https (or plain http to this machine, for local receivers) may be called."""
    parsed = urlparse(url)
    local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
        raise ActionError("webhook URLs must use https")
    return url


class Webhook:
    """A JSON POST (Slack incoming webhook or a generic receiver), retried on 429 and 5xx."""

    def __init__(
        self,
        kind: str,
        url: str,
        settings: Settings,
        payload: Callable[[Analysis, Settings], Any],
        sleep: Sleep = time.sleep,
        now: Clock = utc_now,
    ) -> None:
        self.kind, self._url, self.settings, self._payload = kind, url, settings, payload
        self._sleep, self._now = sleep, now

    def applies(self, analysis: Analysis) -> bool:
        return True

    def run(self, analysis: Analysis) -> ActionResult:
        host = urlparse(self._url).hostname or "webhook"
        try:
            status = _retrying(self._sleep)(self._post, json.dumps(self._payload(analysis, self.settings)).encode())
        except ActionError as exc:
            return ActionResult(self.kind, host, "failed", "", str(exc), self._now().isoformat())
        return ActionResult(self.kind, host, "created", "", f"delivered ({status})", self._now().isoformat())

    def _post(self, body: bytes) -> int:
        url = check_webhook_url(self._url)
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - scheme checked above
                return int(response.status)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                after = exc.headers.get("Retry-After")
                raise RetryableError(
                    f"the webhook answered {exc.code}", float(after) if after and after.isdigit() else None
                ) from exc
            raise ActionError(f"the webhook refused the message ({exc.code})") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise RetryableError(f"the webhook is unreachable ({type(exc).__name__})") from exc


def notification_actions(
    settings: Settings, ses: Callable[[], Any], sleep: Sleep = time.sleep, now: Clock = utc_now
) -> list[Action]:
    """Live notifications for what is configured: SES, Slack, generic webhook."""
    actions: list[Action] = []
    if settings.mail_configured:
        actions.append(SesEmail(settings, ses(), sleep, now))
    if settings.slack_webhook_url:
        actions.append(Webhook("slack", settings.slack_webhook_url, settings, slack_payload, sleep, now))
    if settings.webhook_url:
        actions.append(Webhook("webhook", settings.webhook_url, settings, webhook_payload, sleep, now))
    return actions
