"""The longest text anyone can type (a Discord string option carries 6,000 characters, Japanese and emoji
included) ends in a clear refusal from the services: never an unhandled error, never an error that repeats
the whole input back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.community.errors import ECHO_MAX, DomainError
from bot.community.events import EventDraft, cancel_reason
from bot.community.profile_rules import TIMEZONE_MAX, clean_timezone
from bot.community.text import QUERY_MAX, query_text, typed_number
from bot.community.vote_rules import parse_quorum
from bot.hub import Hub
from tests.services.test_events import expect, post, staff

LONGEST = 6000
TEXT = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from("海士町🌊👨‍👩‍👧/"),
    max_size=LONGEST,
)


def long_text(size: int, seed: str = "海士町の未来🌊") -> str:
    return (seed * (size // len(seed) + 1))[:size]


def test_an_error_never_repeats_more_than_a_hundred_characters_of_what_was_typed() -> None:
    err = DomainError("vote.error.quorum_format", text=long_text(LONGEST), count=3)
    assert len(err.params["text"]) == ECHO_MAX and err.params["text"].endswith("…")
    assert err.params["count"] == 3  # only text is shortened
    assert DomainError("x.y", text="短い").params["text"] == "短い"


def test_an_unreadable_quorum_of_six_thousand_characters_is_refused_without_echoing_it() -> None:
    try:
        parse_quorum(long_text(LONGEST, "定足数はたくさん"))
    except DomainError as err:
        assert err.key == "vote.error.quorum_format"
        assert len(err.params["text"]) <= ECHO_MAX
    else:
        raise AssertionError("accepted")


@settings(max_examples=40, deadline=None)
@given(TEXT)
def test_any_time_zone_text_is_a_zone_or_a_clear_refusal(raw: str) -> None:
    try:
        zone = clean_timezone(raw)
    except DomainError as err:
        assert err.key == "profile.error.timezone_unknown"
        assert len(err.params["text"]) <= TIMEZONE_MAX
        return
    assert zone == raw.strip() and len(zone) <= TIMEZONE_MAX


def test_time_zones_the_operating_system_cannot_even_look_up_are_refused() -> None:
    for raw in ("Asia/" + "x" * 251, "x" * 300, "../../etc/passwd", "/etc/localtime", "Asia/Tokyo\x00", ""):
        try:
            clean_timezone(raw)
        except DomainError as err:
            assert err.key == "profile.error.timezone_unknown", raw[:40]
        else:
            raise AssertionError(raw[:40])
    assert clean_timezone(" Europe/Paris ") == "Europe/Paris"
    assert clean_timezone("America/Argentina/Buenos_Aires") == "America/Argentina/Buenos_Aires"


async def test_a_long_time_zone_on_an_event_is_refused_on_create_and_edit(hub: Hub) -> None:
    ref = hub.communities.by_key("ama")
    assert ref is not None
    zone = "Asia/" + "x" * 251
    draft = EventDraft(title="島の国際交流祭", start="2026-12-05 19:00", timezone=zone)
    await expect("profile.error.timezone_unknown", hub.events.create(ref.id, staff(hub), draft))
    event = await post(hub)
    edit = hub.events.edit(ref.id, event.id, staff(hub), EventDraft(timezone=zone))
    await expect("profile.error.timezone_unknown", edit)


async def test_cancelling_checks_the_reason_before_staff_are_asked_to_confirm(hub: Hub) -> None:
    event = await post(hub)
    check = hub.events.check_cancel(staff(hub), event.id, long_text(LONGEST), is_staff=True)
    err = await expect("event.error.reason_too_long", check)
    assert err.params == {"max": 300}
    await expect(
        "event.error.reason_required", hub.events.check_cancel(staff(hub), event.id, " ", is_staff=True)
    )
    found, reason = await hub.events.check_cancel(staff(hub), event.id, "  台風のため  ", is_staff=True)
    assert (found.id, reason) == (event.id, "台風のため") and not found.cancelled
    assert cancel_reason("台風のため") == reason  # the same rule as the cancellation itself


def test_a_typed_number_is_read_only_when_it_can_be_an_id() -> None:
    assert [typed_number(x) for x in ("12", " １２ ", "000000007", "²")] == [12, 12, 7, 2]
    for raw in ("", "-1", "1.5", "١٢", "9" * 10, "9" * LONGEST, "12 祭り", "\x00"):
        assert typed_number(raw) is None, raw[:20]


def test_a_search_text_loses_control_characters_and_keeps_to_its_length() -> None:
    assert query_text(" 港\x00の\u200b桟橋\x7f ") == "港の桟橋"
    assert len(query_text(long_text(LONGEST))) == QUERY_MAX


async def test_searches_and_lookups_take_any_text_without_failing(hub: Hub) -> None:
    """Autocomplete sends what the member typed so far: NUL (which PostgreSQL refuses in a query), digits
    past any id, thousands of characters. Each finds nothing, or says it found nothing."""
    ref = hub.communities.by_key("ama")
    assert ref is not None
    for typed in ("\x00", "海士町\x00", "9" * LONGEST, long_text(LONGEST), "%_\\"):
        assert await hub.events.search(ref.id, typed, include_past=True) == []
        assert await hub.votes.search(ref.id, typed) == []
        assert await hub.projects.search(ref.id, typed) == []
        await expect("subcommittee.error.not_found", hub.subcommittees.by_name(ref.id, typed))
        page = await hub.moderation.audit_log(ref.id, staff(hub), action=typed)
        assert not page.lines
    for quorum in ("9" * LONGEST, "9" * LONGEST + "%", "１００００００００%"):
        try:
            parse_quorum(quorum)
        except DomainError as err:
            assert err.key in ("vote.error.quorum_format", "vote.error.quorum_over_100")
        else:
            raise AssertionError(quorum[:20])
