"""Signing keys: generated at first start into ORION_HOME, rotated with two keys published."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

KEY_FILE = "signing-keys.json"
PUBLISHED_KEYS = 2
ALGORITHM = "RS256"


class KeyStore:
    """Newest key signs; the previous one stays published so tokens it signed still verify.

    Rotation adds a key at the front; keys beyond PUBLISHED_KEYS are dropped.
    """

    def __init__(self, keys: list[RSAKey], path: Path | None = None) -> None:
        if not keys:
            raise ValueError("a key store needs at least one key")
        self._keys = keys
        self._path = path

    @classmethod
    def load_or_create(cls, directory: Path) -> KeyStore:
        path = directory / KEY_FILE
        if path.exists():
            raw = json.loads(path.read_text())
            return cls([RSAKey.import_key(k) for k in raw["keys"]], path)
        store = cls([_new_key()], path)
        store._save()
        return store

    @classmethod
    def ephemeral(cls) -> KeyStore:
        """In-memory keys for tests: nothing written to disk."""
        return cls([_new_key()])

    @property
    def signing_key(self) -> RSAKey:
        return self._keys[0]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self._keys[:PUBLISHED_KEYS]]}

    def rotate(self) -> RSAKey:
        self._keys = [_new_key(), *self._keys][:PUBLISHED_KEYS]
        self._save()
        return self._keys[0]

    def _save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"keys": [k.as_dict(private=True) for k in self._keys]})
        # Private key material: owner-only from the moment the file exists.
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
        tmp.replace(self._path)


def _new_key() -> RSAKey:
    kid = f"orion-{int(time.time())}-{os.urandom(4).hex()}"
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
