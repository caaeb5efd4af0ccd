"""Settings: profiles choose adapters, overrides win, bad values are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Profile, Settings


def test_embedded_profile_is_the_default_and_uses_sqlite(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.profile is Profile.EMBEDDED
    assert (
        settings.effective_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'orion.db'}"
    )


def test_real_profile_points_at_the_projects_own_servers() -> None:
    settings = Settings(profile=Profile.REAL)
    assert settings.effective_database_url().startswith(
        "postgresql+asyncpg://orion@127.0.0.1:15432/"
    )
    assert settings.effective_kafka_bootstrap() == "127.0.0.1:19092"
    assert settings.effective_redis_url() == "redis://127.0.0.1:16379/0"


def test_url_overrides_replace_the_projects_own_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORION_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    monkeypatch.setenv("ORION_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = Settings(profile=Profile.REAL)
    assert settings.effective_kafka_bootstrap() == "127.0.0.1:9092"
    assert settings.effective_redis_url() == "redis://127.0.0.1:6379/3"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.http_port = 1  # type: ignore[misc]


def test_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORION_PROFILE", "staging-ish")
    with pytest.raises(ValidationError, match="profile"):
        Settings()


def test_environment_name_must_be_a_topic_safe_word() -> None:
    with pytest.raises(ValidationError, match="env"):
        Settings(env="Dev.Prod")
