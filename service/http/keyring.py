"""Who may send events: every field system's key hashes and authority, read from the settings
and read again when the key file changes, so that a key can be added, and later the old one
removed, without a restart (rotation)."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from service.settings import Settings
from service.settings.credentials import Authority, key_hash

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0  # how often the key file's modification is looked at, at most


class KeyRing:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._file: Path | None = settings.api_keys_file
        self._seen = self._stamp()
        self._checked = clock()
        self._authorities = settings.authorities()

    def find(self, presented: str) -> Authority | None:
        """The field system whose key this is, or None. Every stored hash is compared, in
        constant time, so timing tells nothing of the keys."""
        self._reload_if_changed()
        digest = key_hash(presented).encode()
        found = None
        for authority in self._authorities.values():
            for stored in authority.key_hashes:
                if hmac.compare_digest(stored.encode(), digest):
                    found = authority
        return found

    def authorities(self) -> list[Authority]:
        """Every field system's authority, as now in force."""
        self._reload_if_changed()
        return list(self._authorities.values())

    def _reload_if_changed(self) -> None:
        if self._file is None or self._clock() - self._checked < CHECK_SECONDS:
            return
        self._checked = self._clock()
        stamp = self._stamp()
        if stamp == self._seen:
            return
        self._seen = stamp
        try:
            self._authorities = self._settings.authorities()
        except ValueError as exc:  # keep the keys that worked until the file is right again
            log.error("key file not reloaded, the previous keys stay in force: %s", exc)
            return
        log.info("key file reloaded: %d field systems", len(self._authorities))

    def _stamp(self) -> tuple[int, int] | None:
        if self._file is None:
            return None
        try:
            info = os.stat(self._file)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size
