"""Every size, range and time limit of an event, in one place for the models, the published
schemas and the store's columns (storage/models.py), so the edge never accepts what the store
cannot hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# `id`: printable ASCII (U+0020 to U+007E), 1 to 128 characters. Long enough for a UUID or
# any id a field system keeps; ASCII so that it travels unchanged in a `ce_id` header, a log
# line and the store's `incident.event_id` column.
ID_MAX_LENGTH = 128
ID_PATTERN = r"^[\x20-\x7E]+$"

# `source`: a URI reference ending in `:systeem:<name>`, at most 255 characters, the size of
# `incident.source`. Only URI characters (RFC 3986: unreserved, sub-delims, ':', '@', '/',
# '?', '#', and '%' as the start of a %XX escape): no spaces and no control characters, so
# neither U+001F (the state table's key separator) nor NUL (which PostgreSQL's text refuses).
SOURCE_MAX_LENGTH = 255
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
SOURCE_CHARACTERS = _ALPHANUMERIC + "-._~!$&'()*+,;=:@/?#%"
FIELD_SYSTEM_MAX_LENGTH = 63  # `<name>`: also a name in WIJKWACHT_API_KEYS
_SOURCE_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?#-]|%[0-9A-Fa-f]{2})"
FIELD_SYSTEM_PATTERN = rf"[a-z0-9][a-z0-9-]{{0,{FIELD_SYSTEM_MAX_LENGTH - 1}}}"
SOURCE_PATTERN = rf"^{_SOURCE_CHAR}*:systeem:{FIELD_SYSTEM_PATTERN}$"

# `subject`: the incident's id in its field system; the size of `incident.subject`.
SUBJECT_MAX_LENGTH = 128
SUBJECT_CHARACTERS = _ALPHANUMERIC + "._:/-"
SUBJECT_PATTERN = rf"^[A-Za-z0-9._:/-]{{1,{SUBJECT_MAX_LENGTH}}}$"

# Registry codes (wijk, category, team, camera): the size of the store's `category` and `wijk`.
CODE_MAX_LENGTH = 64
CODE_PATTERN = rf"^[a-z0-9][a-z0-9-]{{0,{CODE_MAX_LENGTH - 1}}}$"
# A kind's name (events/kinds.py) in the store's `kind` columns.
KIND_MAX_LENGTH = 32

# `revision`: 1 to 2^53, the integers every JSON reader keeps exactly (JavaScript's too); the
# store's `incident.revision` is a 64-bit integer (migration 0003).
REVISION_MIN, REVISION_MAX = 1, 2**53
# `amount_cents` of one damage item: 1 cent to 1,000,000 euro. The store sums amounts in 64-bit
# integers; at this bound that takes 92 billion items to overflow.
AMOUNT_MIN_CENTS, AMOUNT_MAX_CENTS = 1, 100_000_000
# Reporting years (`jaarwisseling`, and the local year of every accepted time): what
# `GET /v1/totals` serves.
FIRST_YEAR, LAST_YEAR = 2000, 2100

# The static window of plausible times: from the start of 2000 (UTC) to the last second of 2100
# in Amsterdam (CET, UTC+1), so that every accepted moment lies in a local reporting year
# FIRST_YEAR to LAST_YEAR. The worker always checks this window, so that a replay decides
# exactly as the first run did; the API narrows it to the server's clock (service/settings.py).
EARLIEST_TIME = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(LAST_YEAR, 12, 31, 22, 59, 59, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The times (`time`, `data.occurred_at`) an event may carry: `earliest` to `latest`,
    both included; `latest_is` says in words what the upper bound is."""

    earliest: datetime
    latest: datetime
    latest_is: str = "the last second of 2100 in Amsterdam"

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None or self.latest.tzinfo is None:
            raise ValueError("a time window's bounds carry a UTC offset")

    @classmethod
    def clock_relative(
        cls, earliest: datetime, margin: timedelta, now: datetime | None = None
    ) -> TimeWindow:
        """From `earliest` to `margin` after the clock, never wider than the static window:
        what the API accepts, the worker accepts too."""
        latest = (now or datetime.now(UTC)) + margin
        if latest >= LATEST_TIME:
            return cls(max(earliest, EARLIEST_TIME), LATEST_TIME)
        clock = f"{int(margin.total_seconds())} s after the server's clock"
        return cls(max(earliest, EARLIEST_TIME), latest, clock)

    def refusal(self, moment: datetime) -> str | None:
        """Why `moment` lies outside the window, or None if it lies inside."""
        if moment < self.earliest:
            return f"must not be before {utc_text(self.earliest)}: earlier times are implausible"
        if moment > self.latest:
            return f"must not be after {utc_text(self.latest)} ({self.latest_is})"
        return None


STATIC_WINDOW = TimeWindow(EARLIEST_TIME, LATEST_TIME)


def utc_text(moment: datetime) -> str:
    """`moment` in UTC as RFC 3339, e.g. 2000-01-01T00:00:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def character_problem(value: str, allowed: str, what: str) -> str | None:
    """The first character of `value` not in `allowed`, named by code point (it may be a
    control character that would not print), or None."""
    for position, char in enumerate(value):
        if char not in allowed:
            return f"character U+{ord(char):04X} at position {position} is not allowed in {what}"
    return None


def source_problem(value: str) -> str:
    """Why `value` does not match SOURCE_PATTERN, in words a field system's developer can act on."""
    wrong = character_problem(value, SOURCE_CHARACTERS, "a source")
    if wrong:
        return f"{wrong}: use letters, digits and -._~!$&'()*+,;=:@/?# or %XX escapes"
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        return "'%' must start a %XX escape of two hexadecimal digits"
    return (
        "must end in :systeem:<name>, <name> being 1 to 63 lowercase letters, digits and '-' "
        "(starting with a letter or digit)"
    )


def id_problem(value: str) -> str:
    """Why `value` does not match ID_PATTERN."""
    wrong = character_problem(value, _PRINTABLE_ASCII, "an id")
    return f"{wrong}: use printable ASCII (U+0020 to U+007E)" if wrong else "must not be empty"


def subject_problem(value: str) -> str:
    """Why `value` does not match SUBJECT_PATTERN."""
    wrong = character_problem(value, SUBJECT_CHARACTERS, "a subject")
    if wrong:
        return f"{wrong}: use letters, digits and . _ : / -"
    return f"must be 1 to {SUBJECT_MAX_LENGTH} characters"


_PRINTABLE_ASCII = "".join(map(chr, range(0x20, 0x7F)))
