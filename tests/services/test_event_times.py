"""Event times staff type, read in Japan time (or another zone), with impossible ones refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.community.errors import DomainError
from bot.community.event_times import check_span, parse_end_time, parse_event_time
from bot.i18n import Translator, When

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
JST = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05 19:00",
        "2026/12/5 19:00",
        "2026-12-05T19:00",
        "12/5 19:00",
        "12/5(土) 19:00",
        "12月5日 19時",
        "12月5日(土)19時00分",
        "１２／５　１９：００",  # full-width, as typed with a Japanese keyboard
        "12/5 午後7時",
        "12/5 7pm",
        "2026年12月5日 19:00",
    ],
)
def test_the_forms_staff_type_mean_the_same_moment(text: str) -> None:
    parsed = parse_event_time(text, NOW, "Asia/Tokyo")
    assert parsed.at == datetime(2026, 12, 5, 19, 0, tzinfo=JST)
    assert parsed.at.tzinfo is UTC or parsed.at.utcoffset() == timedelta(0)
    assert parsed.year_assumed == (not text.startswith(("2026", "２０２６")))


def test_half_past_and_minutes() -> None:
    assert parse_event_time("12/5 19時半", NOW, "Asia/Tokyo").at == datetime(2026, 12, 5, 19, 30, tzinfo=JST)
    assert parse_event_time("12/5 9:05", NOW, "Asia/Tokyo").at == datetime(2026, 12, 5, 9, 5, tzinfo=JST)
    assert parse_event_time("12/5 午前12時", NOW, "Asia/Tokyo").at == datetime(2026, 12, 5, 0, 0, tzinfo=JST)


def test_a_date_without_a_year_is_the_next_such_day() -> None:
    assert parse_event_time("1/10 19:00", NOW, "Asia/Tokyo").at == datetime(2027, 1, 10, 19, 0, tzinfo=JST)
    # Today (and yesterday, within a day's slack) stay this year: a start in the past is refused later.
    assert parse_event_time("11/22 9:00", NOW, "Asia/Tokyo").at == datetime(2026, 11, 22, 9, 0, tzinfo=JST)


def test_another_zone_is_read_in_that_zone() -> None:
    paris = parse_event_time("2026-12-05 19:00", NOW, "Europe/Paris").at
    assert paris == datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("来週の金曜", "event.error.time_format"),
        ("2026-12-05", "event.error.time_format"),  # a date alone: the time is missing
        ("19:00", "event.error.time_format"),
        ("", "event.error.time_format"),
        ("2026-02-30 19:00", "event.error.time_impossible"),
        ("2026-13-01 19:00", "event.error.time_impossible"),
        ("12/5 25:00", "event.error.time_impossible"),
        ("12/5 19:75", "event.error.time_impossible"),
        ("12/5 24:00", "event.error.time_impossible"),
    ],
)
def test_unreadable_and_impossible_times_are_refused(text: str, key: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_event_time(text, NOW, "Asia/Tokyo")
    assert err.value.key == key


def test_end_as_a_time_of_day_is_on_the_start_day() -> None:
    start = parse_event_time("12/5 19:00", NOW, "Asia/Tokyo").at
    assert parse_end_time("21:00", start, NOW, "Asia/Tokyo") == datetime(2026, 12, 5, 21, 0, tzinfo=JST)
    assert parse_end_time("12/6 10:00", start, NOW, "Asia/Tokyo") == datetime(2026, 12, 6, 10, 0, tzinfo=JST)


@pytest.mark.parametrize(
    ("start", "end", "key"),
    [
        (NOW - timedelta(minutes=1), NOW + timedelta(hours=1), "event.error.start_past"),
        (NOW, NOW + timedelta(hours=1), "event.error.start_past"),
        (NOW + timedelta(days=800), NOW + timedelta(days=800, hours=1), "event.error.too_far"),
        (NOW + timedelta(days=1), NOW + timedelta(days=1), "event.error.end_before_start"),
        (NOW + timedelta(days=1), NOW + timedelta(hours=23), "event.error.end_before_start"),
        (NOW + timedelta(days=1), NOW + timedelta(days=40), "event.error.too_long"),
    ],
)
def test_spans_that_make_no_sense(start: datetime, end: datetime, key: str) -> None:
    with pytest.raises(DomainError) as err:
        check_span(start, end, NOW)
    assert err.value.key == key


@given(
    moment=st.datetimes(
        min_value=datetime(2026, 11, 23), max_value=datetime(2028, 11, 1), timezones=st.just(JST)
    ).map(lambda d: d.replace(second=0, microsecond=0))
)
def test_any_future_minute_round_trips_through_both_forms(moment: datetime) -> None:
    """What the hub shows staff (YYYY-MM-DD HH:MM) reads back as the same moment, and so does M/D."""
    full = parse_event_time(f"{moment:%Y-%m-%d %H:%M}", NOW, "Asia/Tokyo")
    assert full.at == moment and not full.year_assumed
    if moment < NOW.astimezone(JST) + timedelta(days=364):
        short = parse_event_time(f"{moment.month}/{moment.day} {moment:%H:%M}", NOW, "Asia/Tokyo")
        assert short.at == moment and short.year_assumed


def test_times_are_shown_in_the_readers_language_and_zone() -> None:
    tr = Translator()
    span = When(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    ja = tr.t("ja", "event.reminder", tz="Asia/Tokyo", title="島の祭り", when=span, where="海士町")
    assert "2026年12月5日(土) 19:00〜21:00（日本時間）" in ja
    en = tr.t("en", "event.reminder", tz="Europe/Paris", title="Festival", when=span, where="Ama")
    assert "Sat 5 Dec 2026, 11:00–13:00 (Europe/Paris)" in en
    overnight = When(span.start, datetime(2026, 12, 6, 1, 0, tzinfo=UTC))
    assert "Sat 5 Dec 2026, 19:00 – Sun 6 Dec 2026, 10:00 (Japan time)" in tr.t(
        "en", "event.reminder", title="x", when=overnight, where="y"
    )  # no zone given: Japan time
    fixed = When(span.start, tz="America/New_York")  # a moment with its own zone
    assert "Sat 5 Dec 2026, 05:00 (America/New_York)" in tr.t(
        "en", "event.reminder", tz="Asia/Tokyo", title="x", when=fixed, where="y"
    )
