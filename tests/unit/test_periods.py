from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from events.periods import LOCAL, periods_of


def test_late_new_years_eve_utc_is_new_year_local() -> None:
    periods = periods_of(datetime(2022, 12, 31, 23, 30, tzinfo=UTC))
    assert periods.day == "2023-01-01"
    assert periods.year == 2023
    assert periods.month == "2023-01"
    assert periods.week == "2022-W52"  # 1 January 2023 is a Sunday: still ISO week 52 of 2022


def test_iso_week_53() -> None:
    assert periods_of(datetime(2020, 12, 31, 12, tzinfo=UTC)).week == "2020-W53"
    assert periods_of(datetime(2021, 1, 3, 12, tzinfo=UTC)).week == "2020-W53"


def test_daylight_saving_switch_days() -> None:
    # 27 March 2022 02:00 local became 03:00: 00:59 UTC is 01:59 local, 01:00 UTC is 03:00.
    assert periods_of(datetime(2022, 3, 27, 0, 59, tzinfo=UTC)).day == "2022-03-27"
    assert periods_of(datetime(2022, 3, 26, 22, 59, tzinfo=UTC)).day == "2022-03-26"
    assert periods_of(datetime(2022, 3, 26, 23, 0, tzinfo=UTC)).day == "2022-03-27"
    # 30 October 2022: summer time ends; 21:59 UTC on the 29th is 23:59 local (UTC+2).
    assert periods_of(datetime(2022, 10, 29, 21, 59, tzinfo=UTC)).day == "2022-10-29"
    assert periods_of(datetime(2022, 10, 29, 22, 0, tzinfo=UTC)).day == "2022-10-30"


def test_reporting_year_override() -> None:
    assert periods_of(datetime(2023, 1, 1, 0, 30, tzinfo=UTC), year=2022).year == 2022


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_labels_agree_with_local_calendar(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL)
    periods = periods_of(moment)
    assert periods.day == local.date().isoformat()
    assert periods.month == periods.day[:7]
    assert periods.year == local.year
    iso_year, week, _ = local.isocalendar()
    assert periods.week == f"{iso_year:04d}-W{week:02d}"
    assert periods.label("year") == str(local.year)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_consecutive_local_days_never_skip(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    day = datetime.fromisoformat(periods_of(moment).day).date()
    later = datetime.fromisoformat(periods_of(moment + timedelta(hours=24)).day).date()
    assert (later - day).days in (0, 1, 2) and later >= day


def test_the_last_day_of_each_kind_of_period() -> None:
    from datetime import date

    from events.periods import last_day

    assert last_day("day", "2022-12-31") == date(2022, 12, 31)
    assert last_day("week", "2020-W53") == date(2021, 1, 3)
    assert last_day("month", "2024-02") == date(2024, 2, 29)
    assert last_day("month", "2022-12") == date(2022, 12, 31)
    assert last_day("year", "2022") == date(2022, 12, 31)
