"""CloudEvents 1.0 envelope and the four Wijkwacht payloads, with every rule of
docs/contract.md §3."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
)

from events.errors import FieldError, InvalidEvent
from events.fields import JSON_CONTENT_TYPE, Code, Payload, Timestamp
from events.home_safety import CaseOpening, CaseStatus, DomesticViolence, RestrainingOrder
from events.kinds import (
    CAMERA,
    CASE,
    CASE_STATUS,
    DAMAGE,
    DOMESTIC,
    ENFORCEMENT,
    RESTRAINING,
    WITHDRAWAL,
    event_type,
)
from events.limits import (
    AMOUNT_MAX_CENTS,
    AMOUNT_MIN_CENTS,
    FIRST_YEAR,
    ID_MAX_LENGTH,
    ID_PATTERN,
    LAST_YEAR,
    SOURCE_MAX_LENGTH,
    SOURCE_PATTERN,
    STATIC_WINDOW,
    SUBJECT_PATTERN,
    TimeWindow,
    id_problem,
    source_problem,
    subject_problem,
)
from events.periods import LOCAL, Periods, periods_of
from events.registry import Registries


class EnforcementReport(Payload):
    """nl.wijkwacht.handhavingsmelding.v1: a report by the enforcement team (Handhaving)."""

    kind: ClassVar[str] = ENFORCEMENT
    occurred_at: Timestamp
    wijk: Code
    category: Code
    team: Code | None = None


class CameraIncident(Payload):
    """nl.wijkwacht.cameraincident.v1: an incident seen on a surveillance camera."""

    kind: ClassVar[str] = CAMERA
    occurred_at: Timestamp
    camera: Code
    category: Code
    wijk: Code | None = None


class DamageItem(Payload):
    """nl.wijkwacht.jaarwisselingsschade.v1: one item of damage to municipal property at New Year.

    It counts for reporting year `jaarwisseling`: the New Year's Eve of 31 December of that year.
    """

    kind: ClassVar[str] = DAMAGE
    jaarwisseling: Annotated[StrictInt, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    wijk: Code
    category: Code
    amount_cents: Annotated[StrictInt, Field(ge=AMOUNT_MIN_CENTS, le=AMOUNT_MAX_CENTS)]
    illegal_fireworks: StrictBool | None = None
    occurred_at: Timestamp | None = None


class Withdrawal(Payload):
    """nl.wijkwacht.intrekking.v1: an incident (or a case) is withdrawn and counts nowhere any
    more."""

    kind: ClassVar[str] = WITHDRAWAL
    moment_field: ClassVar[str | None] = None
    reason: Literal["dubbel", "onjuist", "overig"]


EventData = (
    EnforcementReport
    | CameraIncident
    | DamageItem
    | DomesticViolence
    | RestrainingOrder
    | CaseOpening
    | CaseStatus
    | Withdrawal
)
PAYLOADS: dict[str, type[EventData]] = {
    event_type(payload.kind): payload
    for payload in (
        EnforcementReport,
        CameraIncident,
        DamageItem,
        DomesticViolence,
        RestrainingOrder,
        CaseOpening,
        CaseStatus,
        Withdrawal,
    )
}
EventType = Literal[
    "nl.wijkwacht.handhavingsmelding.v1",
    "nl.wijkwacht.cameraincident.v1",
    "nl.wijkwacht.jaarwisselingsschade.v1",
    "nl.wijkwacht.huiselijkgeweld.v1",
    "nl.wijkwacht.huisverbod.v1",
    "nl.wijkwacht.woonoverlast.v1",
    "nl.wijkwacht.woonoverlaststatus.v1",
    "nl.wijkwacht.intrekking.v1",
]
# A Literal must spell its values out; this keeps them the types of PAYLOADS.
assert set(get_args(EventType)) == set(PAYLOADS), "EventType and PAYLOADS disagree"


class Envelope(BaseModel):
    """The CloudEvents context attributes Wijkwacht accepts; `data` is checked per type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"]
    id: Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
    source: Annotated[str, Field(max_length=SOURCE_MAX_LENGTH, pattern=SOURCE_PATTERN)]
    type: EventType
    subject: Annotated[str, Field(pattern=SUBJECT_PATTERN)]
    time: Timestamp
    datacontenttype: Literal["application/json"] | None = None
    data: dict[str, Any]


class Event(BaseModel):
    """A valid event: its envelope and its typed payload."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    type: EventType
    subject: str
    time: datetime
    data: EventData

    @property
    def field_system(self) -> str:
        """The `<name>` at the end of `source`: the field system that sent the event."""
        return self.source.rsplit(":systeem:", 1)[1]

    @property
    def incident_key(self) -> str:
        """The Kafka key: all revisions of one incident share it and so one partition."""
        return self.source + self.subject

    def periods(self) -> Periods:
        """Reporting periods of an incident; a damage item's year is its jaarwisseling."""
        data = self.data
        if isinstance(data, DamageItem):
            return periods_of(data.occurred_at or self.time, year=data.jaarwisseling)
        moment = data.moment()
        if moment is None or isinstance(data, CaseOpening | CaseStatus):
            raise ValueError(f"{data.kind} has no periods of its own")
        return periods_of(moment)

    def to_cloudevent(self) -> dict[str, Any]:
        """Structured-mode JSON object of this event."""
        return {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": JSON_CONTENT_TYPE,
            "data": self.data.model_dump(mode="json", exclude_none=True),
        }


def parse_event(raw: Any, registries: Registries, window: TimeWindow = STATIC_WINDOW) -> Event:
    """Validate one structured-mode CloudEvent; InvalidEvent lists every field that is wrong,
    in the envelope and in `data` alike. Its times must lie in `window`: the default is static,
    so that the worker decides a record alike on every replay; the API passes one that follows
    the server's clock."""
    if not isinstance(raw, Mapping):
        raise InvalidEvent([FieldError("", "an event must be a JSON object")])
    errors: list[FieldError] = []
    envelope: Envelope | None = None
    data: EventData | None = None
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        errors += _field_errors(exc)
    time = envelope.time if envelope is not None else _moment(raw.get("time"))
    errors += _window_errors("time", time, window)
    payload_type = PAYLOADS.get(raw["type"]) if isinstance(raw.get("type"), str) else None
    raw_data = raw.get("data")
    if payload_type is not None and isinstance(raw_data, Mapping):
        form: list[FieldError] = []
        try:
            data = payload_type.model_validate(raw_data)
        except ValidationError as exc:
            form = _field_errors(exc, prefix="data")
        errors += form
        named = {e.field for e in form}
        errors += [
            e
            for e in unknown_codes(payload_type.kind, raw_data, registries)
            if e.field not in named
        ]
        if data is not None:
            outside = _window_errors(f"data.{data.moment_field}", data.moment(), window)
            errors += outside
            # A time far outside the window may not even have a local time (9999-12-31T23:59Z
            # is in the year 10000 in Amsterdam): the rules on local days wait until it is in.
            if not outside:
                errors += consistency_errors(data, registries)
    if errors or envelope is None or data is None:
        raise InvalidEvent(errors or [FieldError("data", "cannot be checked")])
    # Both parts are validated; validating the assembly again only checks types, and that is
    # cheaper than model_construct, which walks the fields in Python.
    return Event.model_validate(
        {
            "id": envelope.id,
            "source": envelope.source,
            "type": envelope.type,
            "subject": envelope.subject,
            "time": envelope.time,
            "data": data,
        }
    )


_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)


def _moment(value: Any) -> datetime | None:
    """A time from an envelope that failed on other fields, to check its window all the same."""
    try:
        return _TIMESTAMP.validate_python(value)
    except ValidationError:
        return None  # reported with the envelope's errors


def _window_errors(field: str, moment: datetime | None, window: TimeWindow) -> list[FieldError]:
    refusal = None if moment is None else window.refusal(moment)
    return [] if refusal is None else [FieldError(field, refusal)]


_CODE_FIELDS: dict[str, tuple[str, ...]] = {
    ENFORCEMENT: ("wijk", "category", "team"),
    CAMERA: ("camera", "category", "wijk"),
    DAMAGE: ("wijk", "category"),
    DOMESTIC: ("wijk", "organisation"),
    RESTRAINING: ("wijk",),
    CASE: ("wijk", "housing", "category"),
    CASE_STATUS: ("statustype", "resultaat"),
    WITHDRAWAL: (),
}


def unknown_codes(kind: str, data: Mapping[str, Any], registries: Registries) -> list[FieldError]:
    """Codes that are not in the registries, each with the codes that are."""
    errors = []
    for field in _CODE_FIELDS[kind]:
        value = data.get(field)
        if not isinstance(value, str):
            continue
        allowed = registries.codes(kind, field)
        if value not in allowed:
            listed = ", ".join(sorted(allowed))
            errors.append(FieldError(f"data.{field}", f"unknown code {value!r}; allowed: {listed}"))
    return errors


def consistency_errors(data: Payload, registries: Registries) -> list[FieldError]:
    """Rules across fields and registries: the camera active and in its wijk, the damage window."""
    errors: list[FieldError] = []
    if isinstance(data, CameraIncident):
        errors += _camera_errors(data, registries)
    if isinstance(data, CaseStatus):
        errors += _status_errors(data, registries)
    if isinstance(data, DamageItem) and data.occurred_at is not None:
        day = data.occurred_at.astimezone(LOCAL).date()
        first, last = date(data.jaarwisseling, 12, 1), date(data.jaarwisseling + 1, 1, 31)
        if not first <= day <= last:
            errors.append(
                FieldError(
                    "data.occurred_at",
                    f"must fall between {first.isoformat()} and {last.isoformat()} "
                    f"(local time) for jaarwisseling {data.jaarwisseling}",
                )
            )
    return errors


def _camera_errors(data: CameraIncident, registries: Registries) -> list[FieldError]:
    camera = registries.camera(data.camera)
    if camera is None:
        return []  # reported by unknown_codes
    errors = []
    day = data.occurred_at.astimezone(LOCAL).date()
    if not camera.active_on(day):
        until = camera.active_until.isoformat() if camera.active_until else "now"
        errors.append(
            FieldError(
                "data.occurred_at",
                f"camera {camera.id!r} was not active on {day.isoformat()} "
                f"(active {camera.active_from.isoformat()} to {until})",
            )
        )
    wijk_known = data.wijk is None or data.wijk in registries.wijk_codes()
    if data.wijk is not None and wijk_known and data.wijk != camera.wijk:
        errors.append(FieldError("data.wijk", f"camera {camera.id!r} is in wijk {camera.wijk!r}"))
    return errors


def _status_errors(data: CaseStatus, registries: Registries) -> list[FieldError]:
    """A final status carries the case's resultaat, and only a final one does (ZGW)."""
    final = registries.is_final(data.statustype)
    if final is None:
        return []  # an unknown statustype: reported by unknown_codes
    if final and data.resultaat is None:
        return [
            FieldError(
                "data.resultaat",
                f"required: statustype {data.statustype!r} closes "
                "the case, and a closed case has a resultaat",
            )
        ]
    if not final and data.resultaat is not None:
        return [
            FieldError(
                "data.resultaat",
                f"only a final status has one; statustype {data.statustype!r} leaves the case open",
            )
        ]
    return []


def camera_wijk(event: Event, registries: Registries) -> str:
    """The wijk an event counts in: a camera incident's is its camera's."""
    data = event.data
    if isinstance(data, CameraIncident):
        camera = registries.camera(data.camera)
        return camera.wijk if camera else (data.wijk or "")
    if isinstance(data, CaseStatus | Withdrawal):
        raise ValueError(f"{data.kind} has no wijk")
    return data.wijk


_PATTERN_PROBLEMS = {"id": id_problem, "source": source_problem, "subject": subject_problem}


def _field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        field = f"{prefix}.{path}" if prefix and path else (prefix or path)
        if err["type"] == "extra_forbidden":
            message = "unknown field: not part of the contract"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "string_pattern_mismatch" and field in _PATTERN_PROBLEMS:
            # The pattern itself says little to a developer: name the character or the part.
            message = _PATTERN_PROBLEMS[field](str(err["input"]))
        else:
            message = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(field, message))
    return errors
