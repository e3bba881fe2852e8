"""Settings: the generated signing key is created once, kept private, and a configured one wins."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from core.config import Settings


def test_generated_key_is_stable_and_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).signing_key()
    again = Settings(data_dir=tmp_path).signing_key()
    assert first == again
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert list(tmp_path.glob("*.tmp")) == []


def test_each_installation_gets_its_own_key(tmp_path: Path) -> None:
    assert (
        Settings(data_dir=tmp_path / "a").signing_key()
        != Settings(data_dir=tmp_path / "b").signing_key()
    )


def test_configured_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("configured"))
    assert settings.signing_key() == b"configured"
    assert not (tmp_path / "secret_key").exists()
