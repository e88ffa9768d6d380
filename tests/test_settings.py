from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.errors import ConfigurationError
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
        "github_check_run, email, slack, webhook)"
    )
