"""One-time codes that join a Discord and a LINE account into one ambassador."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.community.errors import DomainError
from bot.community.linking import looks_like_code
from bot.hub import Hub
from tests.services.test_ambassadors import register, who


async def expect(key: str, coro: object) -> None:
    with pytest.raises(DomainError) as err:
        await coro  # type: ignore[misc]
    assert err.value.key == key


async def test_code_from_discord_links_a_new_line_account(hub: Hub) -> None:
    d, line = who(hub, "d1"), who(hub, "U1", "line")
    await register(hub, d)
    issued = await hub.links.issue(d)
    assert looks_like_code(issued.code) and issued.expires_at == hub.clock.now() + timedelta(minutes=10)
    view = await hub.links.redeem(line, issued.code.lower().replace("-", " "))
    assert view.platforms == ("discord", "line") and view.member_number == 1
    assert (await hub.ambassadors.get(line)).id == (await hub.ambassadors.get(d)).id


async def test_code_from_line_links_a_new_discord_account(hub: Hub) -> None:
    d, line = who(hub, "d1"), who(hub, "U1", "line")
    await register(hub, line)
    issued = await hub.links.issue(line)
    view = await hub.links.redeem(d, issued.code)
    assert view.platforms == ("discord", "line")


async def test_codes_are_single_use_expire_and_must_cross_platforms(hub: Hub, clock: ManualClock) -> None:
    d, line, line2 = who(hub, "d1"), who(hub, "U1", "line"), who(hub, "U2", "line")
    await register(hub, d)
    issued = await hub.links.issue(d)
    await expect("link.error.same_platform", hub.links.redeem(who(hub, "d2"), issued.code))
    await hub.links.redeem(line, issued.code)
    await expect("link.error.used", hub.links.redeem(line2, issued.code))
    fresh = await hub.links.issue(d)
    clock.advance(timedelta(minutes=10, seconds=1))
    await expect("link.error.expired", hub.links.redeem(line2, fresh.code))
    await expect("link.error.invalid", hub.links.redeem(line2, "ZZZZ-ZZZZ"))
    await expect("link.error.invalid", hub.links.redeem(line2, "hello"))


async def test_a_new_code_replaces_the_previous_one(hub: Hub) -> None:
    d = who(hub, "d1")
    await register(hub, d)
    first = await hub.links.issue(d)
    await hub.links.issue(d)
    await expect("link.error.invalid", hub.links.redeem(who(hub, "U1", "line"), first.code))


async def test_linking_refusals(hub: Hub) -> None:
    d, line = who(hub, "d1"), who(hub, "U1", "line")
    code = await hub.links.issue(d)
    await expect("link.error.not_registered", hub.links.redeem(line, code.code))
    await register(hub, d)
    await register(hub, line)
    code = await hub.links.issue(d)
    await expect("link.error.both_registered", hub.links.redeem(line, code.code))
    # An ambassador who already has a LINE account cannot take a second one.
    d3, l3, l4 = who(hub, "d3"), who(hub, "U3", "line"), who(hub, "U4", "line")
    await register(hub, d3)
    await hub.links.redeem(l3, (await hub.links.issue(d3)).code)
    await expect("link.error.already_linked", hub.links.redeem(l3, (await hub.links.issue(d3)).code))
    await expect("link.error.platform_taken", hub.links.redeem(l4, (await hub.links.issue(d3)).code))


async def test_codes_belong_to_their_community(hub: Hub) -> None:
    d = who(hub, "d1")
    await register(hub, d)
    code = await hub.links.issue(d)
    await expect("link.error.invalid", hub.links.redeem(who(hub, "U1", "line", key="tabayama"), code.code))


async def test_leaving_unlinks_every_account(hub: Hub) -> None:
    d, line = who(hub, "d1"), who(hub, "U1", "line")
    await register(hub, d)
    await hub.links.redeem(line, (await hub.links.issue(d)).code)
    left = await hub.ambassadors.leave(line)
    assert left.platforms == ("discord", "line")
    assert await hub.ambassadors.find(d) is None and await hub.ambassadors.find(line) is None
