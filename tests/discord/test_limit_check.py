"""The Discord limit check itself (bot/discord_check), kept honest: it sees the routes the bot uses, it
refuses a payload over each limit the way Discord does (400, code 50035, an errors tree discord.py reads)
while one at the limit passes, and a refusal the bot swallows still fails the test that caused it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.http import Route

from bot.community.identity import Identity
from bot.config import settings_from_mapping
from bot.discord_check import DiscordRequestCheck
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import BEACH, cid
from tests.discord.test_projects import LOGO
from tests.discord.test_registration import GOOD, register

A = "あ"  # one code point: Discord counts characters, not bytes


def button(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "参加", "custom_id": "event:1:going", **fields}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def select(**fields: Any) -> dict[str, Any]:
    options = fields.pop("options", [{"label": "食と農", "value": "1"}])
    return {"type": 3, "custom_id": "subcommittee:pick", "options": options, **fields}


def option(**fields: Any) -> dict[str, Any]:
    return {"label": "食と農", "value": "1", **fields}


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "お知らせ", **fields}


def field(n: int = 1, name: str = "日時", value: str = "12月5日") -> list[dict[str, Any]]:
    return [{"name": name, "value": value}] * n


def command(**fields: Any) -> dict[str, Any]:
    return {"name": "event", "description": "イベント", "type": 1, **fields}


def string_option(**fields: Any) -> dict[str, Any]:
    return {"type": 3, "name": "title", "description": "タイトル", **fields}


def text_input(**fields: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "profile:display_name", "style": 1, "label": "名前", **fields}


def modal(**fields: Any) -> dict[str, Any]:
    data = {"custom_id": "form", "title": "登録", "components": [row(text_input())], **fields}
    return {"type": 9, "data": data}


MESSAGE = ("POST", "/channels/{channel_id}/messages")
CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
FOLLOW_UP = ("POST", "/webhooks/{webhook_id}/{webhook_token}")
SYNC = ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
CHANNEL = ("POST", "/guilds/{guild_id}/channels")
ROLE = ("POST", "/guilds/{guild_id}/roles")
THREAD = ("POST", "/channels/{channel_id}/threads")
ROLE_GIVEN = ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")


@dataclass(frozen=True)
class Limit:
    """A payload of size ``n`` on a route; ``limit`` is the largest Discord accepts; ``where`` is the part
    of the body Discord's answer names."""

    name: str
    route: tuple[str, str]
    body: Callable[[int], Any]
    limit: int
    where: tuple[str | int, ...]
    reason: Callable[[int], str | None] = lambda n: None


LIMITS = [
    Limit("message content", MESSAGE, lambda n: {"content": A * n}, 2000, ("content",)),
    Limit("embeds in a message", MESSAGE, lambda n: {"embeds": [embed()] * n}, 10, ("embeds",)),
    Limit("embed title", MESSAGE, lambda n: {"embeds": [embed(title=A * n)]}, 256, ("embeds", 0, "title")),
    Limit(
        "embed description",
        MESSAGE,
        lambda n: {"embeds": [embed(description=A * n)]},
        4096,
        ("embeds", 0, "description"),
    ),
    Limit(
        "embed fields", MESSAGE, lambda n: {"embeds": [embed(fields=field(n))]}, 25, ("embeds", 0, "fields")
    ),
    Limit(
        "field name",
        MESSAGE,
        lambda n: {"embeds": [embed(fields=field(name=A * n))]},
        256,
        ("embeds", 0, "fields", 0, "name"),
    ),
    Limit(
        "field value",
        MESSAGE,
        lambda n: {"embeds": [embed(fields=field(value=A * n))]},
        1024,
        ("embeds", 0, "fields", 0, "value"),
    ),
    Limit(
        "footer",
        MESSAGE,
        lambda n: {"embeds": [embed(footer={"text": A * n})]},
        2048,
        ("embeds", 0, "footer", "text"),
    ),
    Limit(
        "author",
        MESSAGE,
        lambda n: {"embeds": [embed(author={"name": A * n})]},
        256,
        ("embeds", 0, "author", "name"),
    ),
    Limit(  # every part within its own limit, the embed over 6,000 in all
        "one embed's text",
        MESSAGE,
        lambda n: {
            "embeds": [
                {
                    "description": A * 4096,
                    "fields": [*field(1, A * 256, A * 1024), *field(1, "x", A * (n - 5377))],
                }
            ]
        },
        6000,
        ("embeds",),
    ),
    Limit(  # each embed far below 6,000, the message's embeds over it together
        "all embeds of a message",
        MESSAGE,
        lambda n: {"embeds": [{"description": A * 3000}, {"description": A * (n - 3000)}]},
        6000,
        ("embeds",),
    ),
    Limit(
        "action rows",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(button())] * n},
        5,
        ("components",),
    ),
    Limit(
        "buttons in a row",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(*(button(custom_id=f"b{i}") for i in range(n)))]},
        5,
        ("components", 0, "components"),
    ),
    Limit(
        "button label",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(button(label=A * n))]},
        80,
        ("components", 0, "components", 0, "label"),
    ),
    Limit(
        "custom id",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(button(custom_id="c" * n))]},
        100,
        ("components", 0, "components", 0, "custom_id"),
    ),
    Limit(
        "link button URL",
        MESSAGE,
        lambda n: {
            "content": "x",
            "components": [
                row({"type": 2, "style": 5, "label": "規約", "url": "https://example.jp/" + "p" * (n - 19)})
            ],
        },
        512,
        ("components", 0, "components", 0, "url"),
    ),
    Limit(
        "select options",
        MESSAGE,
        lambda n: {
            "content": "x",
            "components": [row(select(options=[option(value=str(i)) for i in range(n)]))],
        },
        25,
        ("components", 0, "components", 0, "options"),
    ),
    Limit(
        "select option label",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(select(options=[option(label=A * n)]))]},
        100,
        ("components", 0, "components", 0, "options", 0, "label"),
    ),
    Limit(
        "select option value",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(select(options=[option(value="v" * n)]))]},
        100,
        ("components", 0, "components", 0, "options", 0, "value"),
    ),
    Limit(
        "select option description",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(select(options=[option(description=A * n)]))]},
        100,
        ("components", 0, "components", 0, "options", 0, "description"),
    ),
    Limit(
        "select placeholder",
        MESSAGE,
        lambda n: {"content": "x", "components": [row(select(placeholder=A * n))]},
        150,
        ("components", 0, "components", 0, "placeholder"),
    ),
    Limit("modal title", CALLBACK, lambda n: modal(title=A * n), 45, ("data", "title")),
    Limit(
        "modal components",
        CALLBACK,
        lambda n: modal(components=[row(text_input(custom_id=f"f{i}")) for i in range(n)]),
        5,
        ("data", "components"),
    ),
    Limit(
        "text input label",
        CALLBACK,
        lambda n: modal(components=[row(text_input(label=A * n))]),
        45,
        ("data", "components", 0, "components", 0, "label"),
    ),
    Limit(
        "interaction reply content",
        CALLBACK,
        lambda n: {"type": 4, "data": {"content": A * n}},
        2000,
        ("data", "content"),
    ),
    Limit("follow-up content", FOLLOW_UP, lambda n: {"content": A * n}, 2000, ("content",)),
    Limit(
        "autocomplete results",
        CALLBACK,
        lambda n: {"type": 8, "data": {"choices": [{"name": f"#{i}", "value": str(i)} for i in range(n)]}},
        25,
        ("data", "choices"),
    ),
    Limit("command name", SYNC, lambda n: [command(name="e" * n)], 32, (0, "name")),
    Limit("command description", SYNC, lambda n: [command(description=A * n)], 100, (0, "description")),
    Limit(
        "command options",
        SYNC,
        lambda n: [command(options=[string_option(name=f"o{i}") for i in range(n)])],
        25,
        (0, "options"),
    ),
    Limit(
        "option choices",
        SYNC,
        lambda n: [
            command(options=[string_option(choices=[{"name": f"c{i}", "value": f"{i}"} for i in range(n)])])
        ],
        25,
        (0, "options", 0, "choices"),
    ),
    Limit(
        "option description",
        SYNC,
        lambda n: [command(options=[string_option(description=A * n)])],
        100,
        (0, "options", 0, "description"),
    ),
    Limit(  # names and descriptions short, two choice values long: 8,000 in all
        "a command's text in all",
        SYNC,
        lambda n: [
            {
                "name": "e",
                "description": "d",
                "options": [
                    {
                        "type": 3,
                        "name": "o",
                        "description": "d",
                        "choices": [
                            {"name": "a", "value": "v" * 4000},
                            {"name": "b", "value": "v" * (n - 4006)},
                        ],
                    }
                ],
            }
        ],
        8000,
        (0,),
    ),
    Limit("channel name", CHANNEL, lambda n: {"name": "c" * n, "type": 0}, 100, ("name",)),
    Limit("role name", ROLE, lambda n: {"name": A * n}, 100, ("name",)),
    Limit("thread name", THREAD, lambda n: {"name": A * n, "type": 12}, 100, ("name",)),
    Limit("audit log reason", ROLE_GIVEN, lambda n: None, 512, ("X-Audit-Log-Reason",), lambda n: A * n),
]


def concrete() -> dict[str, Any]:
    return {
        name: 1_456_074_443_980_800_000 + i
        for i, name in enumerate(
            ("channel_id", "interaction_id", "webhook_id", "application_id", "guild_id", "user_id", "role_id")
        )
    } | {"interaction_token": "token", "webhook_token": "token"}


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
async def test_a_payload_over_each_limit_is_refused_as_discord_does(
    world: World, discord_limits: DiscordRequestCheck, limit: Limit
) -> None:
    method, template = limit.route
    values = concrete()
    path = template.format(**values)
    at_limit = discord_limits.check(method, path, limit.body(limit.limit), limit.reason(limit.limit))
    assert at_limit is None, at_limit.describe() if at_limit else ""
    over = limit.body(limit.limit + 1)
    route = Route(method, template, **{k: v for k, v in values.items() if "{" + k + "}" in template})
    with pytest.raises(discord.HTTPException) as refused:  # through discord.py, as the bot would send it
        await world.env.bot.http.request(route, json=over, reason=limit.reason(limit.limit + 1))
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert "Invalid Form Body" in refused.value.text
    [recorded] = discord_limits.take_refusals()
    assert recorded.route == f"{method} {template}"
    assert limit.where in [v.where for v in recorded.violations], recorded.describe()
    dotted = ".".join(str(p) for p in limit.where)
    assert (f"In {dotted}: " if dotted else "") in refused.value.text  # discord.py reads the errors tree


# --- it sees what the bot sends ------------------------------------------------------------------------
ROUTES_USED = (
    "PUT /applications/{application_id}/guilds/{guild_id}/commands",  # command sync
    "POST /interactions/{interaction_id}/{interaction_token}/callback",  # replies, panels, forms
    "POST /webhooks/{webhook_id}/{webhook_token}",  # follow-ups after a deferred reply
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",  # a panel edited after Confirm
    "POST /channels/{channel_id}/messages",  # announcements and DMs
    "PATCH /channels/{channel_id}/messages/{message_id}",  # an announcement kept current
    "POST /users/@me/channels",  # opening a DM
    "POST /guilds/{guild_id}/roles",  # a subcommittee's role
    "POST /guilds/{guild_id}/channels",  # and its private channel
    "POST /channels/{channel_id}/threads",  # a project's private thread
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}",  # the Ambassador role
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",  # a vote's numbers
    "POST /guilds/{guild_id}/scheduled-events",  # an event's Discord scheduled event
)


async def test_the_check_sees_every_route_the_bot_uses(
    world: World, discord_limits: DiscordRequestCheck
) -> None:
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("お知らせ")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(
        ambassador_role_id=world.role.id, staff_role_id=staff_role.id, announcement_channel_id=announce.id
    )
    community["events"] = {"discord_scheduled_events": True}
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    alice = world.member("alice")
    await register(world, alice, GOOD)
    await staff.slash(world.channel, "event create", **BEACH)
    [event] = await world.hub.events.search(cid(world))
    post = next(m for m in announce.history() if m.id == event.discord_message_id)
    await alice.click(post, custom_id=f"event:{event.id}:going")
    await staff.slash(
        world.channel, "vote create", question="港の桟橋", options="直す|直さない", closes="3日"
    )
    await staff.slash(world.channel, "subcommittee create", name="食と農")
    await staff.slash(world.channel, "project create", **LOGO)
    [project] = await world.hub.projects.search(cid(world))
    await world.hub.projects.apply(Identity(cid(world), "discord", str(alice.id)), project.id, "")
    review = await staff.slash(world.channel, "project review", project=str(project.id))
    await staff.click(world.last_ephemeral(review), custom_id="project-review:accept")  # a thread, a DM
    cancelling = await staff.slash(world.channel, "event cancel", event=str(event.id), reason="台風のため")
    await staff.click(world.last_ephemeral(cancelling), custom_id="event-cancel:confirm")
    assert {r: discord_limits.counts[r] for r in ROUTES_USED if discord_limits.counts[r] == 0} == {}
    unknown = [r for r in discord_limits.counts if "not in the spec" in r]
    assert unknown == [], "requests the spec has no route for were not checked against a schema"


# --- a refusal the bot swallows still fails the test ---------------------------------------------------
def test_a_refusal_the_bot_swallows_fails_the_test_that_caused_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(
        "HUB_TEST_DATABASE_URL", raising=False
    )  # the inner run never touches the real database
    pytester.makeconftest(
        "from tests.conftest import *  # noqa: F403\n"
        "from tests.conftest import _migrated_template  # noqa: F401\n"
        "from tests.discord.conftest import *  # noqa: F403\n"
    )
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_swallowing="""
import discord

async def test_the_bot_swallows_discords_answer(world):
    channel = world.env.bot.get_channel(world.channel.id)
    try:
        await channel.send("あ" * 2001)
    except discord.HTTPException as refused:
        assert (refused.status, refused.code) == (400, 50035)  # the bot goes on as if nothing happened

async def test_a_clean_one(world):
    await world.env.bot.get_channel(world.channel.id).send("あ" * 2000)
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)  # the first test's teardown fails it; the second is clean
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_the_bot_swallows_discords_answer*",
            "*Discord would refuse 1 request(s):*",
            "*content: Must be 2000 or fewer in length. (sent: 2001 characters)*",
        ]
    )
