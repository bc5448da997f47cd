"""Registration, profile, leaving: the rules both faces rely on, against a real database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.community.ambassadors import ProfileChanges
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.profile_rules import validate_profile
from bot.hub import Hub
from storage.models import Ambassador, AuditEntry, ConsentRecord, PlatformIdentity

PROFILE = validate_profile("たろう", "島根", "fan", "食、教育", "デザイン")


def who(hub: Hub, uid: str, platform: str = "discord", key: str = "ama") -> Identity:
    ref = hub.communities.by_key(key)
    assert ref is not None
    return Identity(ref.id, platform, uid)  # type: ignore[arg-type]


async def register(hub: Hub, ident: Identity, name: str = "たろう") -> int:
    profile = validate_profile(name, "島根", "fan", "食、教育", "デザイン")
    view = await hub.ambassadors.register(
        ident, profile, notice_version="2026-04", language="ja", timezone="Asia/Tokyo"
    )
    return view.member_number


async def test_register_assigns_numbers_in_order_per_community(hub: Hub) -> None:
    assert await register(hub, who(hub, "1")) == 1
    assert await register(hub, who(hub, "2")) == 2
    assert await register(hub, who(hub, "a", "line")) == 3
    # The partner community counts on its own.
    assert await register(hub, who(hub, "1", key="tabayama")) == 1


async def test_register_stores_profile_identity_consent_and_audit(hub: Hub) -> None:
    ident = who(hub, "42")
    view = await hub.ambassadors.register(
        ident, PROFILE, notice_version="2026-04", language="en", timezone="Europe/Paris"
    )
    assert view.display_name == "たろう"
    assert (view.residence_kind, view.residence_code) == ("prefecture", "JP-32")
    assert view.interests == ("食", "教育")
    assert view.language == "en" and view.timezone == "Europe/Paris" and view.stage == 1
    async with hub.db.transaction() as s:
        consent = (await s.scalars(select(ConsentRecord))).one()
        assert (consent.notice_version, consent.platform, consent.ambassador_id) == (
            "2026-04",
            "discord",
            view.id,
        )
        assert consent.consented_at == hub.clock.now()
        actions = (await s.scalars(select(AuditEntry.action))).all()
        assert actions == ["ambassador.registered"]


async def test_registering_twice_is_refused_and_keeps_the_first(hub: Hub) -> None:
    ident = who(hub, "7")
    await register(hub, ident, "first")
    with pytest.raises(DomainError) as err:
        await register(hub, ident, "second")
    assert err.value.key == "register.error.already_registered"
    assert (await hub.ambassadors.get(ident)).display_name == "first"
    async with hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Ambassador)) == 1


async def test_double_submit_race_registers_once_and_wastes_no_number(hub: Hub) -> None:
    ident = who(hub, "9")
    results = await asyncio.gather(register(hub, ident), register(hub, ident), return_exceptions=True)
    numbers = [r for r in results if isinstance(r, int)]
    errors = [r for r in results if isinstance(r, DomainError)]
    assert numbers == [1] and len(errors) == 1
    assert errors[0].key == "register.error.already_registered"
    assert await register(hub, who(hub, "10")) == 2


async def test_profile_before_registering_is_a_clear_error(hub: Hub) -> None:
    with pytest.raises(DomainError) as err:
        await hub.ambassadors.get(who(hub, "nobody"))
    assert err.value.key == "profile.error.not_registered"
    with pytest.raises(DomainError) as err:
        await hub.ambassadors.update_profile(who(hub, "nobody"), ProfileChanges(display_name="x"))
    assert err.value.key == "profile.error.not_registered"


async def test_update_profile_is_all_or_nothing(hub: Hub) -> None:
    ident = who(hub, "5")
    await register(hub, ident)
    with pytest.raises(DomainError) as err:
        await hub.ambassadors.update_profile(
            ident, ProfileChanges(display_name="新しい名前", residence="Atlantis")
        )
    assert err.value.key == "profile.error.residence_unknown"
    assert (await hub.ambassadors.get(ident)).display_name == "たろう"
    view = await hub.ambassadors.update_profile(
        ident,
        ProfileChanges(display_name="新しい名前", residence="France", timezone="Europe/Paris", language="en"),
    )
    assert (view.display_name, view.residence_code, view.timezone, view.language) == (
        "新しい名前",
        "FR",
        "Europe/Paris",
        "en",
    )


async def test_leave_erases_personal_fields_and_never_reuses_the_number(hub: Hub) -> None:
    ident = who(hub, "11")
    assert await register(hub, ident) == 1
    left = await hub.ambassadors.leave(ident)
    assert left.status == "left" and left.member_number == 1
    async with hub.db.transaction() as s:
        row = await s.get(Ambassador, left.id)
        assert row is not None
        assert (row.display_name, row.residence_code, row.connection, row.interests, row.skills) == (
            None,
            None,
            None,
            [],
            [],
        )
        assert row.left_at == hub.clock.now()
        assert await s.scalar(select(func.count()).select_from(PlatformIdentity)) == 0
    assert await hub.ambassadors.find(ident) is None
    # Coming back is a new registration with a new number.
    assert await register(hub, ident) == 2
    with pytest.raises(DomainError):
        await hub.ambassadors.leave(who(hub, "never-registered"))


async def test_queries_do_not_leak_across_communities(hub: Hub) -> None:
    await register(hub, who(hub, "shared-user", key="ama"), "海士の人")
    assert await hub.ambassadors.find(who(hub, "shared-user", key="tabayama")) is None
    await register(hub, who(hub, "shared-user", key="tabayama"), "丹波山の人")
    assert (await hub.ambassadors.get(who(hub, "shared-user", key="ama"))).display_name == "海士の人"
    await hub.ambassadors.leave(who(hub, "shared-user", key="tabayama"))
    assert (await hub.ambassadors.get(who(hub, "shared-user", key="ama"))).active


async def test_unfollow_marks_inactive_and_deletes_nothing(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    assert not await hub.ambassadors.set_identity_active(ident, False)  # unknown account: nothing to do
    await register(hub, ident)
    assert await hub.ambassadors.set_identity_active(ident, False)
    assert await hub.ambassadors.identity_active(ident) is False
    assert (await hub.ambassadors.get(ident)).display_name == "たろう"
    await hub.ambassadors.set_identity_active(ident, True)
    assert await hub.ambassadors.identity_active(ident) is True


async def test_community_sync_keeps_ids_and_counters(hub: Hub) -> None:
    from bot.community.communities import CommunityDirectory

    await register(hub, who(hub, "1"))
    again = await CommunityDirectory.sync(hub.db, hub.settings, hub.clock)
    assert again.by_key("ama") == hub.communities.by_key("ama")
    assert await register(hub, who(hub, "2")) == 2
