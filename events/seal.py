"""The API's seal on the records it writes: proof to the worker that an event was validated at
the edge, so that the worker may read it without validating it again (docs/design.md, "The
worker's fast path").

A seal is a keyed BLAKE2b hash (a MAC, RFC 7693; a third of HMAC-SHA256's cost here) over what
the worker reads of a binary-mode record: the `ce_id`, `ce_source`, `ce_type`, `ce_subject` and
`ce_time` headers and the value, after their lengths, so that no two records share a message.
The key is held by the API and the workers only (WIJKWACHT_SEAL_KEY). A field system that
produces to Kafka directly cannot make one, so its records are validated in full; so is every
record whose seal does not hold (another key, a changed header or value). A sealed record
copied to another field system's topic is still refused by the worker's own check of the
source against the topic.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Mapping, Sequence

SEAL_HEADER = "wijkwacht-seal"
SEALED_HEADERS = ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time")
KEY_BYTES = 32
_LENGTHS = struct.Struct(f">{len(SEALED_HEADERS) + 1}I")


class Seal:
    """Makes and checks seals under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a seal key needs at least 16 bytes")
        # BLAKE2b takes keys up to 64 bytes: a longer secret is hashed down to one.
        mac_key = key if len(key) <= 64 else hashlib.blake2b(key).digest()
        self._keyed = hashlib.blake2b(key=mac_key, digest_size=16)  # copied for each record

    def _mac(self, headers: Mapping[str, bytes], value: bytes) -> bytes:
        parts = [headers[name] for name in SEALED_HEADERS]
        parts.append(value)
        mac = self._keyed.copy()
        mac.update(_LENGTHS.pack(*map(len, parts)))
        mac.update(b"".join(parts))
        return mac.digest()

    def header(self, headers: Sequence[tuple[str, bytes]], value: bytes) -> tuple[str, bytes]:
        """The seal header of a record the API has validated."""
        return SEAL_HEADER, self._mac(dict(headers), value)

    def holds(self, headers: Mapping[str, bytes], value: bytes) -> bool:
        """Whether the record carries a seal made under this key for exactly these headers
        and this value."""
        found = headers.get(SEAL_HEADER)
        if found is None:
            return False
        try:
            expected = self._mac(headers, value)
        except KeyError:  # a sealed header is missing: not a record the API wrote
            return False
        return hmac.compare_digest(found, expected)
