"""`orion token`: mints a token the BFF validator accepts; refuses to run in the prod profile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bff.auth import InMemoryRevocationList, Role, StaticKeySource, TokenValidator
from core.cli import app
from core.settings import get_settings
from services.identity.config import IdentitySettings
from services.identity.keys import KeyStore


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ORION_HOME", str(tmp_path))
    monkeypatch.setenv("ORION_IDENTITY_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ORION_IDENTITY_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.delenv("ORION_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_token_is_refused_in_prod(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORION_PROFILE", "prod")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["token", "--tenant", "acme", "--user", "trader@acme"])
    assert result.exit_code == 2
    assert "prod" in result.output
    assert not (home / "identity").exists()


def test_token_mints_a_valid_token_for_a_seeded_user(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORION_PROFILE", "embedded")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["token", "--tenant", "globex", "--user", "risk@globex"])
    assert result.exit_code == 0, result.output
    settings = IdentitySettings()
    keys = KeyStore.load_or_create(settings.key_home(get_settings()))
    validator = TokenValidator(
        issuer=settings.issuer,
        audience=settings.audience,
        keys=StaticKeySource(keys.jwks()),
        revocations=InMemoryRevocationList(),
    )
    principal = asyncio.run(validator.validate(result.output.strip()))
    assert (principal.tenant_id, principal.roles) == ("globex", frozenset({Role.RISK}))


def test_token_for_user_of_another_tenant_fails(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORION_PROFILE", "embedded")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["token", "--tenant", "globex", "--user", "trader@acme"])
    assert result.exit_code == 1
