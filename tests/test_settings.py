from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.secrets import forget_cached_secrets
from chalicelib.services import build_services
from chalicelib.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.provider, settings.excerpt_max_chars, settings.max_body_bytes, settings.actions_mode) == (
        "heuristic",
        8000,
        5 * 1024 * 1024,
        "auto",
    )


def test_values_and_lists() -> None:
    settings = Settings.from_env(
        {
            "MAIL_TO": "a@x.io, b@x.io,",
            "EXCERPT_MAX_CHARS": "4000",
            "PROVIDER": "Groq",
            "LLM_API_KEY": "k" * 20,
            "GITHUB_TOKEN": "short",
        }
    )
    assert settings.mail_to == ("a@x.io", "b@x.io") and settings.excerpt_max_chars == 4000
    assert settings.provider == "groq"
    assert settings.runtime_secrets() == ("k" * 20,)


@pytest.mark.parametrize(
    ("name", "value"), [("EXCERPT_MAX_CHARS", "many"), ("MAX_BODY_BYTES", "-1"), ("ACTIONS_MODE", "yolo")]
)
def test_bad_values_are_clear_errors(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_channels_can_be_turned_off_and_a_wrong_name_fails_loudly(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"ACTIONS_MODE": "dry-run", "CHANNELS_OFF": "email, github_pr", "OUT_DIR": str(tmp_path)}
    )
    assert settings.channels_off == {"email", "github_pr"}
    assert [a.kind for a in build_services(settings).actions] == ["github_issue", "github_pr_comment"]
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"CHANNELS_OFF": "emails"})
    assert str(raised.value) == (
        "setting CHANNELS_OFF names no channel: emails (channels: github_issue, github_pr, github_pr_comment, "
        "github_check_run, github_rerun, email, slack, webhook)"
    )


class _Reads(dict[str, str]):
    """An environment that remembers which names the settings read."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.names.add(key)
        return default

    def __contains__(self, key: object) -> bool:
        self.names.add(str(key))
        return False


def _readme_settings() -> dict[str, str]:
    """The README's settings tables (headed "Variable" or "Setting", "Default"): each variable
    they name, with its Default column."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    names: dict[str, str] = {}
    in_table = False
    for row in text.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if not row.startswith("|"):
            in_table = False
        elif cells[:2] in (["Variable", "Default"], ["Setting", "Default"]):
            in_table = True
        elif in_table and len(cells) >= 3:
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
                names[name] = cells[1]
    return names


def test_every_setting_the_code_reads_is_in_the_readme_table_and_back() -> None:
    env = _Reads()
    Settings.from_env(env)
    # Lambda sets these two itself; AWS_REGION is documented.
    read = env.names - {"AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME"}
    documented = set(_readme_settings())
    assert sorted(read - documented) == [], "read by the code, missing from README's settings table"
    outside_settings = {"API_KEY_REQUIRED", "JOBS_QUEUE_NAME", "SELF_HEALING_PURE_PYTHON", "BENCH_ROOT"}
    assert sorted(documented - read - outside_settings) == [], "in README's table, read by nothing"


def test_the_readme_gives_the_codes_numeric_defaults() -> None:
    defaults = Settings.from_env({})
    table = _readme_settings()
    for name, field_name in (
        ("LLM_TIMEOUT_SECONDS", "llm_timeout_seconds"),
        ("LLM_MAX_TOKENS", "llm_max_tokens"),
        ("LLM_RETRIES", "llm_retries"),
        ("DEADLINE_MARGIN_SECONDS", "deadline_margin_seconds"),
        ("HEAL_MAX_ATTEMPTS", "heal_max_attempts"),
        ("DAILY_ACTION_CAP", "daily_action_cap"),
        ("DAILY_LLM_CAP", "daily_llm_cap"),
        ("PATCH_MAX_FILES", "patch_max_files"),
        ("PATCH_MAX_LINES", "patch_max_lines"),
        ("PATCH_MAX_BYTES", "patch_max_bytes"),
        ("EXCERPT_MAX_CHARS", "excerpt_max_chars"),
        ("STALE_CLAIM_SECONDS", "stale_claim_seconds"),
    ):
        assert f"`{getattr(defaults, field_name)}`" in table[name], name


@pytest.mark.usefixtures("s3")
def test_secrets_may_be_given_by_reference_and_are_read_once_the_service_starts() -> None:
    manager = boto3.client("secretsmanager", region_name="us-east-1")
    manager.create_secret(Name="ci/llm", SecretString="sk-" + "L" * 30)
    manager.create_secret(Name="ci/groq", SecretString="gsk_" + "G" * 30)
    manager.create_secret(Name="ci/slack", SecretString="https://hooks.slack.com/services/T0/B0/" + "s" * 24)
    env = {
        "PROVIDER": "openai",
        "PROVIDER_FALLBACKS": "groq",
        "LLM_API_KEY_SECRET": "ci/llm",
        "GROQ_API_KEY_SECRET": "ci/groq",
        "SLACK_WEBHOOK_URL_SECRET": "ci/slack",
        "OUT_DIR": "out",
    }
    settings = Settings.from_env(env)
    assert (settings.llm_api_key, settings.key_for("groq"), settings.slack_webhook_url) == ("", "", "")
    forget_cached_secrets()
    read = build_services(settings).settings
    assert read.llm_api_key == "sk-" + "L" * 30 and read.key_for("groq") == "gsk_" + "G" * 30
    assert read.slack_webhook_url.startswith("https://hooks.slack.com/services/") and read.secret_refs == ()
    # The service's own secrets read this way are redacted by value, as the direct ones are.
    assert build_services(settings).redactor.redact(f"key {read.llm_api_key} leaked") == (
        "key [REDACTED:service-secret] leaked"
    )
    with pytest.raises(ConfigurationError, match="set LLM_API_KEY or LLM_API_KEY_SECRET, not both"):
        Settings.from_env({**env, "LLM_API_KEY": "sk-direct-0123456789"})


def test_flaky_and_rerun_settings_and_a_wrong_flag_fails_loudly() -> None:
    default = Settings.from_env({})
    assert (default.flaky_window_days, default.auto_rerun, default.rerun_max_per_run, default.rerun_max_per_day) == (
        14,
        False,
        1,
        5,
    )
    custom = Settings.from_env({"FLAKY_WINDOW_DAYS": "30", "AUTO_RERUN": "yes", "RERUN_MAX_PER_DAY": "0"})
    assert (custom.flaky_window_days, custom.auto_rerun, custom.rerun_max_per_day) == (30, True, 0)
    with pytest.raises(ConfigurationError, match="setting AUTO_RERUN must be true or false, got 'sometimes'"):
        Settings.from_env({"AUTO_RERUN": "sometimes"})
    with pytest.raises(ConfigurationError, match="setting FLAKY_WINDOW_DAYS must be at least 1"):
        Settings.from_env({"FLAKY_WINDOW_DAYS": "0"})
