"""Hypothesis strategies for valid events of every type, from the shipped registries: ordinary
ones, and ones at the extremes of every limit the edge allows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from events.kinds import CAMERA, DAMAGE, ENFORCEMENT, WITHDRAWAL, event_type
from events.limits import (
    AMOUNT_MAX_CENTS,
    AMOUNT_MIN_CENTS,
    EARLIEST_TIME,
    FIELD_SYSTEM_PATTERN,
    FIRST_YEAR,
    ID_MAX_LENGTH,
    LAST_YEAR,
    LATEST_TIME,
    REVISION_MAX,
    REVISION_MIN,
    SOURCE_CHARACTERS,
    SOURCE_MAX_LENGTH,
    SUBJECT_CHARACTERS,
    SUBJECT_MAX_LENGTH,
)
from events.periods import LOCAL
from events.registry import load_registries

REGISTRIES = load_registries()
FIELD_SYSTEMS = ["handhaving-app", "camera-app", "schade-app"]
SUBJECT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-",
    min_size=1,
    max_size=40,
)
# Ids are printable ASCII (events/limits.py); these were any UTF-8 text before that rule.
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
IDS = st.uuids().map(str) | st.text(PRINTABLE_ASCII, min_size=1, max_size=128)
FIXED_CAMERAS = [c for c in REGISTRIES.cameras if c.fixed]


def rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") and moment.microsecond % 2 else text


offsets = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=1)),
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-5, minutes=-30)),
    ]
)


@st.composite
def moments(
    draw: st.DrawFn, start: datetime = datetime(2016, 1, 1), end: datetime = datetime(2030, 12, 31)
) -> str:
    naive = draw(st.datetimes(min_value=start, max_value=end))
    return rfc3339(naive.replace(tzinfo=UTC).astimezone(draw(offsets)))


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "handhavingsmelding",
                "cameraincident",
                "jaarwisselingsschade",
                "huiselijkgeweld",
                "huisverbod",
                "woonoverlast",
                "woonoverlaststatus",
                "intrekking",
            ]
        )
    )
    codes = lambda items: st.sampled_from(sorted(items))  # noqa: E731
    revision = draw(st.integers(1, 2**31))
    if kind == "handhavingsmelding":
        data: dict[str, Any] = {
            "revision": revision,
            "occurred_at": draw(moments()),
            "wijk": draw(codes(REGISTRIES.wijk_codes())),
            "category": draw(codes(REGISTRIES.category_codes(kind))),
        }
        if draw(st.booleans()):
            data["team"] = draw(codes(REGISTRIES.team_codes()))
    elif kind == "cameraincident":
        camera = draw(st.sampled_from(FIXED_CAMERAS))
        data = {
            "revision": revision,
            "occurred_at": draw(moments()),
            "camera": camera.id,
            "category": draw(codes(REGISTRIES.category_codes(kind))),
        }
        if draw(st.booleans()):
            data["wijk"] = camera.wijk
    elif kind == "jaarwisselingsschade":
        year = draw(st.integers(2000, 2099))
        day = draw(st.dates(min_value=date(year, 12, 1), max_value=date(year + 1, 1, 31)))
        data = {
            "revision": revision,
            "jaarwisseling": year,
            "wijk": draw(codes(REGISTRIES.wijk_codes())),
            "category": draw(codes(REGISTRIES.category_codes(kind))),
            "amount_cents": draw(st.integers(1, 100_000_000)),
            "illegal_fireworks": draw(st.sampled_from([True, False, None])),
        }
        if draw(st.booleans()):
            data["occurred_at"] = f"{day.isoformat()}T12:00:00+01:00"
    elif kind in HOME:
        data = draw(home_safety(kind, revision))
    else:
        data = {
            "revision": revision,
            "reason": draw(st.sampled_from(["dubbel", "onjuist", "overig"])),
        }
    event = {
        "specversion": "1.0",
        "id": draw(IDS),
        "source": f"urn:nld:gemeente-zoetermeer:systeem:{draw(st.sampled_from(FIELD_SYSTEMS))}",
        "type": f"nl.wijkwacht.{kind}.v1",
        "subject": draw(SUBJECT),
        "time": draw(moments()),
        "data": data,
    }
    if draw(st.booleans()):
        event["datacontenttype"] = "application/json"
    return event


HOME = ("huiselijkgeweld", "huisverbod", "woonoverlast", "woonoverlaststatus")


@st.composite
def home_safety(draw: st.DrawFn, kind: str, revision: int) -> dict[str, Any]:
    """The data of an event of section 5.1: domestic violence, a restraining order, a
    woonoverlast case or one of its statuses."""
    codes = lambda items: st.sampled_from(sorted(items))  # noqa: E731
    wijk = draw(codes(REGISTRIES.wijk_codes()))
    if kind == "huiselijkgeweld":
        organisation = draw(codes(REGISTRIES.category_codes(kind)))
        return {
            "revision": revision,
            "registered_at": draw(moments()),
            "wijk": wijk,
            "organisation": organisation,
        }
    if kind == "huisverbod":
        return {"revision": revision, "imposed_at": draw(moments()), "wijk": wijk}
    if kind == "woonoverlast":
        return {
            "revision": revision,
            "registered_at": draw(moments()),
            "wijk": wijk,
            "housing": draw(codes(REGISTRIES.codes(kind, "housing"))),
            "category": draw(codes(REGISTRIES.category_codes(kind))),
        }
    statustype = draw(st.sampled_from(REGISTRIES.statustypes))
    data = {
        "revision": revision,
        "status_id": draw(SUBJECT),
        "statustype": statustype.code,
        "set_at": draw(moments()),
    }
    if statustype.final:
        data["resultaat"] = draw(codes(REGISTRIES.codes(kind, "resultaat")))
    return data


# ---- events at the extremes of what the edge allows (events/limits.py) ----------------------

EXTREME_OFFSETS = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=1)),
        timezone(timedelta(hours=14)),
        timezone(timedelta(hours=23, minutes=59)),
        timezone(-timedelta(hours=23, minutes=59)),
    ]
)


def extreme_text(alphabet: st.SearchStrategy[str], longest: int) -> st.SearchStrategy[str]:
    """Text of one character, of the longest length allowed, or anything between."""
    return st.one_of(
        st.text(alphabet, min_size=longest, max_size=longest),
        st.text(alphabet, min_size=1, max_size=1),
        st.text(alphabet, min_size=1, max_size=longest),
    )


EDGE_IDS = extreme_text(PRINTABLE_ASCII, ID_MAX_LENGTH) | st.uuids().map(str)
EDGE_SUBJECTS = extreme_text(st.sampled_from(SUBJECT_CHARACTERS), SUBJECT_MAX_LENGTH)
_HEX = st.sampled_from("0123456789abcdefABCDEF")
FIELD_SYSTEM_NAMES = st.one_of(
    st.sampled_from(FIELD_SYSTEMS),
    st.from_regex(rf"\A{FIELD_SYSTEM_PATTERN}\Z"),
    st.builds(
        lambda first, rest: first + rest,
        st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"),
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=62, max_size=62),
    ),
)


@st.composite
def edge_sources(draw: st.DrawFn) -> str:
    """A source of every allowed character and %XX escapes, often exactly as long as the
    store's column."""
    tail = ":systeem:" + draw(FIELD_SYSTEM_NAMES)
    room = SOURCE_MAX_LENGTH - len(tail)
    length = draw(st.sampled_from([0, room, room]) | st.integers(0, room))
    plain = SOURCE_CHARACTERS.replace("%", "")  # '%' only as the start of an escape
    prefix = draw(st.text(st.sampled_from(plain), min_size=length, max_size=length))
    places = st.tuples(st.integers(0, max(length - 3, 0)), _HEX, _HEX)
    free = 0
    for place, high, low in sorted(draw(st.lists(places, max_size=3))) if length >= 3 else []:
        if place >= free:  # escapes must not overlap
            prefix = prefix[:place] + f"%{high}{low}" + prefix[place + 3 :]
            free = place + 3
    return prefix + tail


EDGE_REVISIONS = st.sampled_from(
    [REVISION_MIN, REVISION_MIN + 1, 2**31 - 1, 2**31, 2**32, REVISION_MAX - 1, REVISION_MAX]
) | st.integers(REVISION_MIN, REVISION_MAX)
EDGE_AMOUNTS = st.sampled_from(
    [AMOUNT_MIN_CENTS, AMOUNT_MIN_CENTS + 1, AMOUNT_MAX_CENTS - 1, AMOUNT_MAX_CENTS]
) | st.integers(AMOUNT_MIN_CENTS, AMOUNT_MAX_CENTS)


@st.composite
def edge_moments(
    draw: st.DrawFn, first: datetime = EARLIEST_TIME, last: datetime = LATEST_TIME
) -> str:
    """An RFC 3339 time from `first` to `last` (aware), often one of the two, written in an
    extreme UTC offset."""
    moment = draw(
        st.sampled_from([first, last])
        | st.datetimes(
            min_value=first.astimezone(UTC).replace(tzinfo=None),
            max_value=last.astimezone(UTC).replace(tzinfo=None),
        ).map(lambda naive: naive.replace(tzinfo=UTC))
    )
    return rfc3339(moment.astimezone(draw(EXTREME_OFFSETS)))


def _local(day: date, *, end: bool = False) -> datetime:
    moment = datetime.combine(day, time.max if end else time.min, tzinfo=LOCAL)
    return moment.replace(microsecond=0) if end else moment


@st.composite
def edge_payloads(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """`data` of `kind` at the extremes: every registry code can be drawn, times reach the
    bounds of the static window (or of the camera's active days, or the damage window)."""
    codes = lambda items: st.sampled_from(sorted(items))  # noqa: E731
    data: dict[str, Any] = {"revision": draw(EDGE_REVISIONS)}
    if kind == WITHDRAWAL:
        return data | {"reason": draw(st.sampled_from(["dubbel", "onjuist", "overig"]))}
    data["category"] = draw(codes(REGISTRIES.category_codes(kind)))
    if kind == ENFORCEMENT:
        data |= {"occurred_at": draw(edge_moments()), "wijk": draw(codes(REGISTRIES.wijk_codes()))}
        if draw(st.booleans()):
            data["team"] = draw(codes(REGISTRIES.team_codes()))
    elif kind == CAMERA:
        camera = draw(st.sampled_from(REGISTRIES.cameras))
        until = _local(camera.active_until, end=True) if camera.active_until else LATEST_TIME
        data |= {"camera": camera.id}
        data["occurred_at"] = draw(
            edge_moments(_local(camera.active_from), min(until, LATEST_TIME))
        )
        if draw(st.booleans()):
            data["wijk"] = camera.wijk
    else:
        year = draw(st.sampled_from([FIRST_YEAR, LAST_YEAR]) | st.integers(FIRST_YEAR, LAST_YEAR))
        data |= {"jaarwisseling": year, "wijk": draw(codes(REGISTRIES.wijk_codes()))}
        data |= {"amount_cents": draw(EDGE_AMOUNTS)}
        data["illegal_fireworks"] = draw(st.sampled_from([True, False, None]))
        if draw(st.booleans()):
            first = _local(date(year, 12, 1))
            last = min(_local(date(year + 1, 1, 31), end=True), LATEST_TIME)
            data["occurred_at"] = draw(edge_moments(first, last))
    return data


@st.composite
def edge_events(draw: st.DrawFn) -> dict[str, Any]:
    """A structured-mode event of any type with every field at or near an extreme the edge
    allows: longest ids, sources and subjects of every allowed character, the largest revisions
    and amounts, times at the bounds of the static window."""
    kind = draw(st.sampled_from([ENFORCEMENT, CAMERA, DAMAGE, WITHDRAWAL]))
    event = {
        "specversion": "1.0",
        "id": draw(EDGE_IDS),
        "source": draw(edge_sources()),
        "type": event_type(kind),
        "subject": draw(EDGE_SUBJECTS),
        "time": draw(edge_moments()),
        "data": draw(edge_payloads(kind)),
    }
    if draw(st.booleans()):
        event["datacontenttype"] = "application/json"
    return event


@st.composite
def edge_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events at the extremes, some followed by a later revision or a withdrawal of the same
    incident, so that stored incidents are read back, changed and withdrawn."""
    events: list[dict[str, Any]] = []
    for first in draw(st.lists(edge_events(), min_size=1, max_size=4)):
        events.append(first)
        for _ in range(draw(st.integers(0, 2))):
            later = dict(first, id=draw(EDGE_IDS), time=draw(edge_moments()))
            kind = draw(st.sampled_from([first["type"], event_type(WITHDRAWAL)]))
            data = first["data"] if kind == first["type"] else draw(edge_payloads(WITHDRAWAL))
            revision = min(events[-1]["data"]["revision"] + 1, REVISION_MAX)
            events.append(later | {"type": kind, "data": data | {"revision": revision}})
    return events
