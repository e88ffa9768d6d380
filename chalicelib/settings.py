"""Settings read from the environment once, at call time, into an immutable object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import BadInputError

MIB = 1024 * 1024


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadInputError(f"setting {name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise BadInputError(f"setting {name} must be positive, got {value}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Every knob of the service; see the settings table in README.md."""

    logs_bucket: str = ""
    logs_prefix: str = "logs/"
    analysis_prefix: str = "analysis/"
    region: str = "us-east-1"
    provider: str = "heuristic"
    llm_api_key: str = ""
    github_token: str = ""
    mail_from: str = ""
    mail_to: tuple[str, ...] = ()
    actions_mode: str = "dry-run"
    dashboard_url: str = ""
    github_server_url: str = "https://github.com"
    local_dir: str = "out"
    excerpt_max_chars: int = 8000
    max_body_bytes: int = 5 * MIB
    max_log_bytes: int = 2048 * MIB
    stale_claim_seconds: int = 900

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``).

        Raises BadInputError when a value has the wrong form.
        """
        env = os.environ if env is None else env
        mode = env.get("ACTIONS_MODE", "dry-run").strip() or "dry-run"
        if mode not in ("dry-run", "off"):
            raise BadInputError(f"setting ACTIONS_MODE must be dry-run or off, got {mode!r}")
        return cls(
            logs_bucket=env.get("LOGS_BUCKET", "").strip(),
            region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1").strip(),
            provider=(env.get("PROVIDER", "").strip() or "heuristic").lower(),
            llm_api_key=env.get("LLM_API_KEY", "").strip(),
            github_token=env.get("GITHUB_TOKEN", "").strip(),
            mail_from=env.get("MAIL_FROM", "").strip(),
            mail_to=_list(env, "MAIL_TO"),
            actions_mode=mode,
            dashboard_url=env.get("DASHBOARD_URL", "").strip().rstrip("/"),
            github_server_url=(env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com").rstrip("/"),
            local_dir=env.get("OUT_DIR", "").strip() or "out",
            excerpt_max_chars=_int(env, "EXCERPT_MAX_CHARS", 8000),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 5 * MIB),
            max_log_bytes=_int(env, "MAX_LOG_BYTES", 2048 * MIB),
            stale_claim_seconds=_int(env, "STALE_CLAIM_SECONDS", 900),
        )

    def runtime_secrets(self) -> tuple[str, ...]:
        """The service's own secret values, which redaction removes by exact value."""
        return tuple(s for s in (self.llm_api_key, self.github_token) if len(s) >= 8)
