"""Every size and range limit of an event, in one place for the models, the published
schemas and the store's columns (storage/models.py), so the edge never accepts what the store
cannot hold."""

from __future__ import annotations

import re

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

# `revision`: 1 to 2^53, the integers every JSON reader keeps exactly (JavaScript's too).
REVISION_MIN, REVISION_MAX = 1, 2**53
# `amount_cents` of one damage item: 1 cent to 1,000,000 euro. The store sums amounts in 64-bit
# integers; at this bound that takes 92 billion items to overflow.
AMOUNT_MIN_CENTS, AMOUNT_MAX_CENTS = 1, 100_000_000
# Reporting years (`jaarwisseling`): what `GET /v1/totals` serves.
FIRST_YEAR, LAST_YEAR = 2000, 2100


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
