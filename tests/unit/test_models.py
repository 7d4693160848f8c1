import pytest

from events.errors import InvalidEvent
from events.models import CameraIncident, DamageItem, EnforcementReport, Withdrawal, parse_event
from events.registry import load_registries
from tests import factories

REGISTRIES = load_registries()


def fields(raw: dict) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(raw, REGISTRIES)
    return {e.field: e.message for e in caught.value.errors}


def test_each_type_parses() -> None:
    assert isinstance(parse_event(factories.report(), REGISTRIES).data, EnforcementReport)
    assert isinstance(parse_event(factories.camera_incident(), REGISTRIES).data, CameraIncident)
    assert isinstance(parse_event(factories.damage(), REGISTRIES).data, DamageItem)
    withdrawn = parse_event(factories.withdrawal("HH-1", revision=2), REGISTRIES)
    assert isinstance(withdrawn.data, Withdrawal)


def test_unknown_field_is_refused_by_name() -> None:
    raw = factories.report(naam="Jan Jansen")
    assert "data.naam" in fields(raw)


def test_unknown_code_lists_the_allowed_codes() -> None:
    message = fields(factories.report(wijk="atlantis"))["data.wijk"]
    assert "atlantis" in message and "stadshart" in message and "seghwaert" in message


def test_revision_must_be_a_positive_integer() -> None:
    assert "data.revision" in fields(factories.report(revision=0))
    assert "data.revision" in fields(factories.report(revision="1"))  # type: ignore[arg-type]
    assert "data.revision" in fields(factories.report(revision=True))  # type: ignore[arg-type]


def test_times_need_rfc3339_with_offset() -> None:
    for bad in ("2022-06-01T10:00:00", "2022-06-01", 1654070400, "01-06-2022 10:00"):
        assert "data.occurred_at" in fields(factories.report(occurred_at=bad)), bad
    raw = factories.report()
    raw["time"] = "2022-06-01 10:00"
    assert "time" in fields(raw)


def test_source_must_name_a_field_system() -> None:
    raw = factories.report()
    raw["source"] = "urn:nld:gemeente-zoetermeer:handhaving-app"
    assert "source" in fields(raw)


def test_subject_charset() -> None:
    raw = factories.report(subject="HH 1")
    raw["subject"] = "HH 1"
    assert "subject" in fields(raw)


def test_camera_wijk_must_match_and_camera_must_be_active() -> None:
    assert "data.wijk" in fields(factories.camera_incident(wijk="dorp"))
    early = factories.camera_incident(
        camera="tijdelijk-oosterheem", occurred_at="2022-05-31T12:00:00+02:00"
    )
    assert "data.occurred_at" in fields(early)
    assert "data.camera" in fields(factories.camera_incident(camera="nowhere"))


def test_damage_window_and_amount() -> None:
    assert "data.occurred_at" in fields(factories.damage(occurred_at="2023-02-01T00:00:00+01:00"))
    assert "data.amount_cents" in fields(factories.damage(amount_cents=0))
    assert "data.amount_cents" in fields(factories.damage(amount_cents=100_000_001))
    assert "data.amount_cents" in fields(factories.damage(amount_cents=12.5))


def test_withdrawal_reason() -> None:
    assert "data.reason" in fields(factories.withdrawal("HH-1", revision=2, reason="oops"))


def test_damage_periods_use_jaarwisseling_for_the_year() -> None:
    event = parse_event(factories.damage(), REGISTRIES)
    periods = event.periods()
    assert periods.year == 2022 and periods.day == "2023-01-01"
