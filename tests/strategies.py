"""Hypothesis strategies for valid events of every type, from the shipped registries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

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
            ["handhavingsmelding", "cameraincident", "jaarwisselingsschade", "intrekking"]
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
