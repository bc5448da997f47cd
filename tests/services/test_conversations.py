"""The step-by-step registration and field edits used by LINE, kept in the database."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.hub import Hub, open_hub
from tests.services.test_ambassadors import register, who


async def run(hub: Hub, ident: Identity, *answers: tuple[str | None, str | None]) -> list[str]:
    outcomes = []
    for text, choice in answers:
        turn = await hub.conversations.answer(ident, text=text, choice=choice)
        assert turn is not None
        outcomes.append(turn.outcome if turn.error is None else f"error:{turn.error.key}")
    return outcomes


async def test_full_registration_with_taps_and_typed_answers(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    prompt = await hub.conversations.start_registration(ident, "en")
    assert prompt.step == "consent" and prompt.position == 1 and prompt.total == 6
    assert prompt.params["url"] == "https://example.jp/ama/privacy"
    outcomes = await run(
        hub,
        ident,
        (None, "agree"),
        ("  Hanako ", None),
        ("Shimane-ken", None),
        ("以前住んでいた", None),  # the Japanese label works even for an English speaker
        ("food, education", None),
        ("skip", None),
    )
    assert outcomes == ["ask"] * 5 + ["registered"]
    view = await hub.ambassadors.get(ident)
    assert (view.display_name, view.residence_code, view.connection) == ("Hanako", "JP-32", "former_resident")
    assert view.interests == ("food", "education") and view.skills == () and view.language == "en"
    assert not await hub.conversations.active(ident)


async def test_bad_answers_are_explained_and_asked_again(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await hub.conversations.start_registration(ident, "ja")
    outcomes = await run(
        hub,
        ident,
        ("はい", None),  # not one of the choices
        (None, "maybe"),  # a forged postback value
        ("同意する", None),
        ("   ", None),
        ("x" * 40, None),
        ("!!!", None),
        ("ハナコ", None),
        ("日本", None),
        ("Atlantis", None),
        ("島根", None),
        ("ファンです", None),
        (None, "fan"),
        ("、".join(f"t{i}" for i in range(11)), None),
        ("食", None),
    )
    assert outcomes == [
        "error:wizard.error.pick_one",
        "error:wizard.error.pick_one",
        "ask",
        "error:profile.error.name_empty",
        "error:profile.error.name_too_long",
        "error:profile.error.name_no_letters",
        "ask",
        "error:profile.error.residence_japan",
        "error:profile.error.residence_unknown",
        "ask",
        "error:wizard.error.pick_one",
        "ask",
        "error:profile.error.too_many_tags",
        "ask",
    ]
    assert (await hub.conversations.current_prompt(ident)).step == "skills"  # type: ignore[union-attr]


async def test_declining_or_cancelling_stores_nothing(hub: Hub) -> None:
    a, b = who(hub, "U1", "line"), who(hub, "U2", "line")
    await hub.conversations.start_registration(a, "ja")
    assert await run(hub, a, ("同意しない", None)) == ["declined"]
    await hub.conversations.start_registration(b, "ja")
    assert await run(hub, b, (None, "agree"), ("キャンセル", None)) == ["ask", "cancelled"]
    assert await hub.ambassadors.find(a) is None and await hub.ambassadors.find(b) is None
    assert await hub.conversations.answer(a, text="hello") is None


async def test_a_restart_in_the_middle_loses_nothing(hub: Hub, clock: ManualClock) -> None:
    ident = who(hub, "U1", "line")
    await hub.conversations.start_registration(ident, "ja")
    await run(hub, ident, (None, "agree"), ("ハナコ", None))
    restarted = await open_hub(hub.settings, clock=clock)
    try:
        prompt = await restarted.conversations.current_prompt(ident)
        assert prompt is not None and prompt.step == "residence"
        assert await run(
            restarted, ident, ("東京", None), (None, "work"), ("なし", None), ("写真", None)
        ) == ["ask", "ask", "ask", "registered"]
        view = await restarted.ambassadors.get(ident)
        assert view.display_name == "ハナコ" and view.skills == ("写真",)
    finally:
        await restarted.close()


async def test_edit_one_field(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    prompt = await hub.conversations.start_edit(ident, "language")
    assert [c.value for c in prompt.choices] == ["ja", "en"]
    assert await run(hub, ident, ("English", None)) == ["edited"]
    assert (await hub.ambassadors.get(ident)).language == "en"
    await hub.conversations.start_edit(ident, "timezone")
    assert await run(hub, ident, ("Mars/Base", None), ("Europe/Paris", None)) == [
        "error:profile.error.timezone_unknown",
        "edited",
    ]


async def test_starting_when_registered_or_editing_when_not(hub: Hub) -> None:
    from bot.community.errors import DomainError

    ident = who(hub, "U1", "line")
    try:
        await hub.conversations.start_edit(ident, "display_name")
        raise AssertionError("expected not_registered")
    except DomainError as err:
        assert err.key == "profile.error.not_registered"
    await register(hub, ident)
    try:
        await hub.conversations.start_registration(ident, "ja")
        raise AssertionError("expected already_registered")
    except DomainError as err:
        assert err.key == "register.error.already_registered"


async def test_housekeeping_forgets_stale_state_only(hub: Hub, clock: ManualClock) -> None:
    old, fresh = who(hub, "U1", "line"), who(hub, "U2", "line")
    d = who(hub, "d1")
    await register(hub, d)
    await hub.links.issue(d)
    await hub.conversations.start_registration(old, "ja")
    assert await hub.webhook_events.claim(old.community_id, "evt-old")
    clock.advance(timedelta(days=8))
    await hub.conversations.start_registration(fresh, "ja")
    assert await hub.webhook_events.claim(old.community_id, "evt-new")
    report = await hub.housekeeping.purge()
    assert (report.link_codes, report.conversations, report.webhook_ids) == (1, 1, 1)
    assert not await hub.conversations.active(old) and await hub.conversations.active(fresh)
    assert not await hub.webhook_events.claim(old.community_id, "evt-new")


async def test_webhook_event_ids_are_claimed_once_per_community(hub: Hub) -> None:
    ama = who(hub, "x").community_id
    taba = who(hub, "x", key="tabayama").community_id
    assert await hub.webhook_events.claim(ama, "01H")
    assert not await hub.webhook_events.claim(ama, "01H")
    assert await hub.webhook_events.claim(taba, "01H")
