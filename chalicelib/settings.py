"""Settings read from the environment once, at call time, into an immutable object."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from chalicelib.errors import ConfigurationError

MIB = 1024 * 1024
PROVIDERS = ("heuristic", "groq", "openai", "huggingface", "openai-compatible")
# A fallback provider needs its own key; LLM_API_KEY is the primary provider's.
PROVIDER_KEY_VARS = {"groq": "GROQ_API_KEY", "openai": "OPENAI_API_KEY", "huggingface": "HF_TOKEN"}
# Secrets that may be given by reference: "<NAME>_SECRET" names the Secrets Manager secret that
# holds the value, read when the service starts an invocation (see with_secrets).
SECRET_REF_VARS = ("LLM_API_KEY", *PROVIDER_KEY_VARS.values(), "SLACK_WEBHOOK_URL", "WEBHOOK_URL")


CHANNELS = (
    "github_issue",
    "github_pr",
    "github_pr_comment",
    "github_check_run",
    "github_rerun",
    "email",
    "slack",
    "webhook",
)


def _channels(value: str) -> frozenset[str]:
    """CHANNELS_OFF's kinds; raises ConfigurationError for a name that is no channel."""
    names = frozenset(n.strip() for n in value.split(",") if n.strip())
    unknown = sorted(names - set(CHANNELS))
    if unknown:
        raise ConfigurationError(
            f"setting CHANNELS_OFF names no channel: {', '.join(unknown)} (channels: {', '.join(CHANNELS)})"
        )
    return names


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"setting {name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"setting {name} must be at least {minimum}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no setting; raises ConfigurationError for a value that is neither."""
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigurationError(f"setting {name} must be true or false, got {raw!r}")


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
    llm_api_key: str = field(default="", repr=False)
    llm_model: str = ""
    llm_base_url: str = ""
    provider_fallbacks: tuple[str, ...] = ()
    provider_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    llm_timeout_seconds: int = 20
    llm_max_tokens: int = 1024
    llm_retries: int = 2
    llm_prices_json: str = ""
    deadline_margin_seconds: int = 8
    emit_metrics: bool = False
    require_auth: bool = False
    api_token: str = field(default="", repr=False)
    api_token_secret: str = ""
    github_token: str = field(default="", repr=False)
    github_api_url: str = "https://api.github.com"
    github_token_secret: str = ""
    github_token_parameter: str = ""
    github_app_id: str = ""
    github_app_private_key: str = field(default="", repr=False)
    github_app_private_key_secret: str = ""
    # The GitHub App's webhook: its secret (or the Secrets Manager id holding it) and the queue
    # its failed jobs go to for their logs to be collected.
    github_webhook_secret: str = field(default="", repr=False)
    github_webhook_secret_id: str = ""
    jobs_queue_url: str = ""
    # Branches whose failures open issues (globs); empty: the repository's default branch.
    issue_branches: tuple[str, ...] = ()
    # Channels turned off (action kinds: github_issue, github_pr, github_pr_comment, ...).
    channels_off: frozenset[str] = frozenset()
    heal_max_attempts: int = 2
    daily_action_cap: int = 10
    # The outcome history's window for flaky verdicts and the quarantine report, in days.
    flaky_window_days: int = 14
    # Re-run the failed jobs of a transient or known-flaky failure (off unless set).
    auto_rerun: bool = False
    rerun_max_per_run: int = 1
    rerun_max_per_day: int = 5
    daily_llm_cap: int = 50
    patch_max_files: int = 5
    patch_max_lines: int = 60
    patch_max_bytes: int = 8192
    mail_from: str = ""
    mail_to: tuple[str, ...] = ()
    mail_author_domains: tuple[str, ...] = ()
    ses_configuration_set: str = ""
    ses_region: str = ""
    slack_webhook_url: str = field(default="", repr=False)
    webhook_url: str = field(default="", repr=False)
    # (variable, Secrets Manager id) of the secrets given by reference, not yet read.
    secret_refs: tuple[tuple[str, str], ...] = ()
    actions_mode: str = "auto"
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

        Raises ConfigurationError when a value has the wrong form.
        """
        env = os.environ if env is None else env
        mode = env.get("ACTIONS_MODE", "auto").strip() or "auto"
        provider = (env.get("PROVIDER", "").strip() or "heuristic").lower()
        fallbacks = tuple(p.lower() for p in _list(env, "PROVIDER_FALLBACKS"))
        for name in (provider, *fallbacks):
            if name not in PROVIDERS:
                raise ConfigurationError(f"unknown provider {name!r}; use one of {', '.join(PROVIDERS)}")
        keys = tuple((name, env[var].strip()) for name, var in PROVIDER_KEY_VARS.items() if env.get(var, "").strip())
        refs = tuple(
            (var, env[f"{var}_SECRET"].strip()) for var in SECRET_REF_VARS if env.get(f"{var}_SECRET", "").strip()
        )
        for var, _ in refs:
            if env.get(var, "").strip():
                raise ConfigurationError(f"set {var} or {var}_SECRET, not both")
        if mode not in ("auto", "dry-run", "off"):
            raise ConfigurationError(f"setting ACTIONS_MODE must be auto, dry-run or off, got {mode!r}")
        return cls(
            logs_bucket=env.get("LOGS_BUCKET", "").strip(),
            region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1").strip(),
            provider=provider,
            llm_api_key=env.get("LLM_API_KEY", "").strip(),
            llm_model=env.get("LLM_MODEL", "").strip(),
            llm_base_url=env.get("LLM_BASE_URL", "").strip().rstrip("/"),
            provider_fallbacks=fallbacks,
            provider_keys=keys,
            secret_refs=refs,
            llm_timeout_seconds=_int(env, "LLM_TIMEOUT_SECONDS", 20),
            llm_max_tokens=_int(env, "LLM_MAX_TOKENS", 1024),
            llm_retries=_int(env, "LLM_RETRIES", 2, minimum=0),
            llm_prices_json=env.get("LLM_PRICES", "").strip(),
            deadline_margin_seconds=_int(env, "DEADLINE_MARGIN_SECONDS", 8),
            # In Lambda, stdout goes to CloudWatch Logs, where EMF lines become metrics.
            emit_metrics=env.get("EMIT_METRICS", "").strip().lower() in ("1", "true", "yes")
            or bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
            require_auth=env.get("REQUIRE_AUTH", "").strip().lower() in ("1", "true", "yes"),
            api_token=env.get("API_TOKEN", "").strip(),
            api_token_secret=env.get("API_TOKEN_SECRET", "").strip(),
            github_token=env.get("GITHUB_TOKEN", "").strip(),
            github_api_url=(env.get("GITHUB_API_URL", "").strip() or "https://api.github.com").rstrip("/"),
            github_token_secret=env.get("GITHUB_TOKEN_SECRET", "").strip(),
            github_token_parameter=env.get("GITHUB_TOKEN_PARAMETER", "").strip(),
            github_app_id=env.get("GITHUB_APP_ID", "").strip(),
            github_app_private_key=env.get("GITHUB_APP_PRIVATE_KEY", "").strip(),
            github_app_private_key_secret=env.get("GITHUB_APP_PRIVATE_KEY_SECRET", "").strip(),
            github_webhook_secret=env.get("GITHUB_WEBHOOK_SECRET", "").strip(),
            github_webhook_secret_id=env.get("GITHUB_WEBHOOK_SECRET_ID", "").strip(),
            jobs_queue_url=env.get("JOBS_QUEUE_URL", "").strip(),
            issue_branches=tuple(b.strip() for b in env.get("ISSUE_BRANCHES", "").split(",") if b.strip()),
            channels_off=_channels(env.get("CHANNELS_OFF", "")),
            heal_max_attempts=_int(env, "HEAL_MAX_ATTEMPTS", 2, minimum=0),
            daily_action_cap=_int(env, "DAILY_ACTION_CAP", 10, minimum=0),
            flaky_window_days=_int(env, "FLAKY_WINDOW_DAYS", 14),
            auto_rerun=_flag(env, "AUTO_RERUN"),
            rerun_max_per_run=_int(env, "RERUN_MAX_PER_RUN", 1, minimum=0),
            rerun_max_per_day=_int(env, "RERUN_MAX_PER_DAY", 5, minimum=0),
            daily_llm_cap=_int(env, "DAILY_LLM_CAP", 50, minimum=0),
            patch_max_files=_int(env, "PATCH_MAX_FILES", 5),
            patch_max_lines=_int(env, "PATCH_MAX_LINES", 60),
            patch_max_bytes=_int(env, "PATCH_MAX_BYTES", 8192),
            mail_from=env.get("MAIL_FROM", "").strip(),
            mail_to=_list(env, "MAIL_TO"),
            mail_author_domains=tuple(d.lower() for d in _list(env, "MAIL_AUTHOR_DOMAINS")),
            ses_configuration_set=env.get("SES_CONFIGURATION_SET", "").strip(),
            ses_region=env.get("SES_REGION", "").strip(),
            slack_webhook_url=env.get("SLACK_WEBHOOK_URL", "").strip(),
            webhook_url=env.get("WEBHOOK_URL", "").strip(),
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
        values = (
            self.llm_api_key,
            self.github_token,
            self.github_app_private_key,
            self.api_token,
            self.github_webhook_secret,
            self.slack_webhook_url,
            self.webhook_url,
            *(key for _, key in self.provider_keys),
        )
        return tuple(s for s in values if len(s) >= 8)

    @property
    def mail_configured(self) -> bool:
        return bool(self.mail_from and self.mail_to)

    @property
    def github_configured(self) -> bool:
        """Whether any GitHub credential is configured (live GitHub actions in ``auto`` mode)."""
        return bool(
            self.github_token
            or self.github_token_secret
            or self.github_token_parameter
            or (self.github_app_id and (self.github_app_private_key or self.github_app_private_key_secret))
        )

    def with_secrets(self, read: Callable[[str], str]) -> Settings:
        """These settings with the secrets given by reference read (``read`` takes a Secrets
        Manager id); raises what ``read`` raises (SecretUnavailableError)."""
        if not self.secret_refs:
            return self
        values = {var: read(secret_id) for var, secret_id in self.secret_refs}
        keys = dict(self.provider_keys)
        keys.update({name: values[var] for name, var in PROVIDER_KEY_VARS.items() if var in values})
        return replace(
            self,
            llm_api_key=values.get("LLM_API_KEY", self.llm_api_key),
            provider_keys=tuple(keys.items()),
            slack_webhook_url=values.get("SLACK_WEBHOOK_URL", self.slack_webhook_url),
            webhook_url=values.get("WEBHOOK_URL", self.webhook_url),
            secret_refs=(),
        )

    def key_for(self, provider: str) -> str:
        """The API key of ``provider``: its own variable, else LLM_API_KEY when it is the primary."""
        own = dict(self.provider_keys).get(provider, "")
        return own or (self.llm_api_key if provider == self.provider else "")
