"""The field types every payload is built of, and the payloads' base."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from events.limits import (
    CODE_MAX_LENGTH,
    EARLIEST_TIME,
    LATEST_TIME,
    REVISION_MAX,
    REVISION_MIN,
    utc_text,
)

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
JSON_CONTENT_TYPE = "application/json"


def _rfc3339(value: Any) -> Any:
    """Only RFC 3339 text with an offset: no bare dates, no epoch numbers, no local times."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(
            "must be an RFC 3339 date-time with a UTC offset, e.g. 2022-12-31T23:30:00+01:00"
        )
    return value


TIME_DESCRIPTION = (
    f"RFC 3339 date-time with a UTC offset, from {utc_text(EARLIEST_TIME)} to "
    f"{utc_text(LATEST_TIME)}; over HTTP also not before WIJKWACHT_EARLIEST_EVENT_TIME and not "
    "later than WIJKWACHT_FUTURE_MARGIN_SECONDS (default one day) after the server's clock"
)
Timestamp = Annotated[datetime, BeforeValidator(_rfc3339), Field(description=TIME_DESCRIPTION)]
Revision = Annotated[StrictInt, Field(ge=REVISION_MIN, le=REVISION_MAX)]
Code = Annotated[str, Field(min_length=1, max_length=CODE_MAX_LENGTH)]


class Payload(BaseModel):
    """Base of the `data` models; unknown fields are refused (no free text, no personal data)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    kind: ClassVar[str]
    # The field holding the moment that sets the payload's reporting periods, if it has one:
    # it is held to the time window like the envelope's `time`.
    moment_field: ClassVar[str | None] = "occurred_at"
    revision: Revision

    def moment(self) -> datetime | None:
        """The moment of `moment_field`, or None."""
        value = getattr(self, self.moment_field, None) if self.moment_field else None
        return value if isinstance(value, datetime) else None
