"""The notifier and LINE's push budget."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.community.identity import Platform
from bot.config import settings_from_mapping
from bot.hub import Hub
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who


@dataclass
class RecordingSink:
    platform: Platform
    works: bool = True
    sent: list[tuple[str, str]] = field(default_factory=list)

    roles: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        self.sent.append((external_id, text))
        return self.works

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        self.roles.append((external_id, add, remove))
        return True


async def with_budget(hub: Hub, budget: int) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["line"]["monthly_push_budget"] = budget
    await hub.reconfigure(settings_from_mapping(data, env={}))


async def test_concurrent_claims_never_pass_the_budget(hub: Hub) -> None:
    await with_budget(hub, 3)
    cid = who(hub, "x").community_id
    results = await asyncio.gather(*(hub.notifier.budget.claim(cid) for _ in range(6)))
    assert sorted(results) == [False, False, False, True, True, True]
    assert await hub.notifier.budget.used(cid) == 3
    await hub.notifier.budget.release(cid)
    assert await hub.notifier.budget.claim(cid)
    other = who(hub, "x", key="tabayama").community_id
    assert await hub.notifier.budget.claim(other)  # each community has its own budget


async def test_discord_first_then_line_within_budget(hub: Hub) -> None:
    await with_budget(hub, 1)
    discord_sink, line_sink = RecordingSink("discord"), RecordingSink("line")
    hub.notifier.attach(discord_sink)
    hub.notifier.attach(line_sink)
    both, line_only = who(hub, "d1"), who(hub, "U1", "line")
    await register(hub, both, "Both")
    await hub.links.redeem(who(hub, "U0", "line"), (await hub.links.issue(both)).code)
    await register(hub, line_only, "LineOnly")
    a = await hub.ambassadors.get(both)
    b = await hub.ambassadors.get(line_only)
    assert await hub.notifier.tell(a.community_id, a.id, "discord.profile.saved") == "discord"
    assert await hub.notifier.tell(b.community_id, b.id, "discord.profile.saved") == "line"
    assert line_sink.sent == [("U1", "保存しました。")]  # in the member's language
    assert await hub.notifier.tell(b.community_id, b.id, "discord.profile.saved") is None  # budget spent
    assert await hub.notifier.budget.used(b.community_id) == 1


async def test_a_refused_push_gives_the_budget_back(hub: Hub) -> None:
    await with_budget(hub, 5)
    hub.notifier.attach(RecordingSink("discord", works=False))
    hub.notifier.attach(RecordingSink("line", works=False))
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    a = await hub.ambassadors.get(ident)
    assert await hub.notifier.tell(a.community_id, a.id, "discord.profile.saved") is None
    assert await hub.notifier.budget.used(a.community_id) == 0
    await hub.ambassadors.leave(ident)
    assert await hub.notifier.tell(a.community_id, a.id, "discord.profile.saved") is None


async def test_a_stage_change_syncs_discord_roles_and_tells_the_member_in_their_language(hub: Hub) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["contributions"] = {
        "stages": [
            {"stage": 2, "min_points": 1, "role_id": 222},
            {"stage": 3, "min_points": 5, "role_id": 333},
        ]
    }
    await hub.reconfigure(settings_from_mapping(data, env={}))
    sink = RecordingSink("discord")
    hub.notifier.attach(sink)
    ident = who(hub, "d1")
    view = await hub.ambassadors.register(
        ident,
        __import__("bot.community.profile_rules", fromlist=["x"]).validate_profile(
            "Ann", "Tokyo", "fan", "", ""
        ),
        notice_version="1",
        language="en",
        timezone="Asia/Tokyo",
    )
    result = await hub.contributions.record_automatic(view.community_id, view.id, "knowledge", "x", points=6)
    assert result.promotion is not None
    assert await hub.notifier.stage_changed(view.community_id, result.promotion) == "discord"
    assert sink.roles == [("d1", (222, 333), ())]
    assert sink.sent[-1][1] == 'Congratulations! Your stage of involvement is now "Lending a hand" (stage 3).'
    _, down = await hub.stages.set_stage(view.community_id, view.member_number, 1, "test", "discord:9")
    await hub.notifier.stage_changed(view.community_id, down)
    assert sink.roles[-1] == ("d1", (), (222, 333))
    assert "The staff set your stage" in sink.sent[-1][1]
