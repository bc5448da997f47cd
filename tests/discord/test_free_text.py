"""Every free-text input on Discord, at its longest: each string option of every slash command (found in the
bot's own command tree, so a new one cannot be missed) and each field of every form.

A string option carries up to 6,000 characters unless the command declares a max_length (Discord then stops
the member at it: that is the longest); a form field up to its max_length (4,000 by default). Japanese and
emoji included. The answer must be a clear reply or refusal: never the error handler's "something went
wrong", never a request Discord would refuse (the autouse check in conftest.py fails the test on any).
Options with choices are not free text (Discord sends one of the choices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord import app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import settings_from_mapping
from bot.discord_check import DiscordRequestCheck
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import BEACH, cid
from tests.discord.test_projects import LOGO
from tests.discord.test_registration import GOOD, register
from tests.discord.test_worst_cases import UNEXPECTED, answered_clearly, long_text

STRING_OPTION_MAX = 6000  # Discord's limit for a string option without a max_length
TEXT_INPUT_MAX = 4000  # and for a form field without one
EXAMPLES = settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Japanese, emoji (one and several code points), full-width forms NFKC changes, a combining mark, new lines.
TRICKY = "海士町の未来🌊👨‍👩‍👧ＡＢＣ１２３ｶﾀｶﾅ㍻é\n\t"


@dataclass(repr=False)
class Stage:
    """The world every free-text input is tried in: staff (also a member), a second member, and one of each
    thing a command can name."""

    world: World
    staff: Any
    alice: Any
    event: str
    vote: str
    project: str
    subcommittee: str
    announce: Any

    def __repr__(self) -> str:  # hypothesis prints the fixtures of a failing example
        return "Stage(staff, alice, an event, a vote, a project, a subcommittee)"


async def stage(world: World) -> Stage:
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("お知らせ")
    category = world.guild.create_category("分科会")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(
        ambassador_role_id=world.role.id, staff_role_id=staff_role.id, announcement_channel_id=announce.id
    )
    community["subcommittees"] = {"discord_category_id": category.id}
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    alice = world.member("alice")
    await register(world, staff, {**GOOD, "profile:display_name": "Staff"})
    await register(world, alice, {**GOOD, "profile:display_name": "Alice"})
    await staff.slash(world.channel, "event create", **BEACH)
    await staff.slash(
        world.channel, "vote create", question="港の桟橋", options="直す|直さない", closes="3日"
    )
    await staff.slash(world.channel, "project create", **LOGO)
    await staff.slash(world.channel, "subcommittee create", name="食と農", tags="food")
    [event] = await world.hub.events.search(cid(world))
    [vote] = await world.hub.votes.search(cid(world))
    [project] = await world.hub.projects.search(cid(world))
    [sub] = await world.hub.subcommittees.all(cid(world))
    return Stage(world, staff, alice, str(event.id), str(vote.id), str(project.id), f"#{sub.id}", announce)


# What each command needs besides the option under test (valid values, so the option is what is tried).
BASELINE: dict[str, Callable[[Stage], dict[str, Any]]] = {
    "link": lambda s: {},
    "contribute": lambda s: {"category": "knowledge", "what": "島の高校で授業"},
    "thanks": lambda s: {"member": s.alice, "reason": "ありがとう"},
    "leaderboard": lambda s: {},
    "stage set": lambda s: {"member": s.alice, "stage": 2, "reason": "手動で"},
    "stage auto": lambda s: {"member": s.alice, "reason": "ルールに戻す"},
    "event create": lambda s: dict(BEACH),
    "event edit": lambda s: {"event": s.event},
    "event cancel": lambda s: {"event": s.event, "reason": "台風のため"},
    "event checkin": lambda s: {"event": s.event, "member": s.alice},
    "event code": lambda s: {"event": s.event},
    "event attendees": lambda s: {"event": s.event},
    "checkin": lambda s: {"code": "ABC234"},
    "calendar": lambda s: {},
    "vote create": lambda s: {"question": "港の桟橋", "options": "直す|直さない", "closes": "3日"},
    "vote close": lambda s: {"vote": s.vote},
    "vote cancel": lambda s: {"vote": s.vote},
    "vote results": lambda s: {"vote": s.vote},
    "vote weight": lambda s: {},
    "subcommittee create": lambda s: {"name": "観光"},
    "subcommittee join": lambda s: {},
    "subcommittee leave": lambda s: {},
    "subcommittee lead": lambda s: {"name": s.subcommittee, "member": s.alice},
    "subcommittee archive": lambda s: {"name": s.subcommittee},
    "subcommittee restore": lambda s: {"name": s.subcommittee},
    "project create": lambda s: dict(LOGO),
    "project apply": lambda s: {"project": s.project},
    "project review": lambda s: {"project": s.project},
    "project close": lambda s: {"project": s.project},
    "announce": lambda s: {"text": "お知らせです"},
    "ambassador search": lambda s: {"text": "Alice"},
    "ambassador suspend": lambda s: {"reason": "確認のため", "member": s.alice},
    "ambassador reinstate": lambda s: {"reason": "確認が済んだ", "member": s.alice},
    "contribution remove": lambda s: {"seq": 1, "reason": "重複"},
    "audit": lambda s: {},
}


@dataclass(frozen=True)
class FreeText:
    command: str
    option: str
    longest: int
    autocomplete: bool


def free_text_options() -> list[FreeText]:
    """Every string option without choices of every command the cogs define (read from their classes)."""
    from bot.discord_bot import COGS

    found: list[FreeText] = []
    for name in COGS:
        module = __import__(name, fromlist=["setup"])
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and hasattr(value, "__cog_app_commands__")
            ):
                for command in value.__cog_app_commands__:
                    found += _strings(command, "")
    return found


def _strings(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group, prefix: str
) -> list[FreeText]:
    if isinstance(command, app_commands.Group):
        return [x for sub in command.commands for x in _strings(sub, f"{prefix}{command.name} ")]
    out = []
    for p in command.parameters:
        if p.type == discord.AppCommandOptionType.string and not p.choices:
            longest = int(p.max_value) if p.max_value is not None else STRING_OPTION_MAX
            out.append(FreeText(f"{prefix}{command.name}", p.name, longest, p.autocomplete))
    return out


OPTIONS = free_text_options()


def test_every_command_with_free_text_has_a_baseline_here() -> None:
    assert len(OPTIONS) > 50
    assert sorted({o.command for o in OPTIONS} - set(BASELINE)) == []


async def attempt(s: Stage, item: FreeText, value: str, check: DiscordRequestCheck) -> None:
    """The command with ``value`` in the option: a clear answer, nothing Discord would refuse."""
    options = {**BASELINE[item.command](s), item.option: value}
    result = await s.staff.slash(s.world.channel, item.command, **options)
    text = answered_clearly(result)
    assert not any(u in text for u in UNEXPECTED)
    refused = check.take_refusals()
    assert refused == [], "\n".join(r.describe() for r in refused)
    if item.autocomplete:  # what the member typed, offered to the autocomplete as they type it
        await s.staff.autocomplete(s.world.channel, item.command, item.option, value)
        assert check.take_refusals() == []


@pytest.fixture
async def staged(world: World) -> Stage:
    return await stage(world)


@pytest.mark.parametrize("command", sorted({o.command for o in OPTIONS}))
async def test_each_free_text_option_at_its_longest(
    staged: Stage, discord_limits: DiscordRequestCheck, command: str
) -> None:
    for item in (o for o in OPTIONS if o.command == command):
        for seed in ("海士町の未来🌊", "👨‍👩‍👧", "ａ", "9", "#1²", "\x00\u200b\x7f"):
            await attempt(staged, item, long_text(item.longest, seed), discord_limits)


@pytest.mark.parametrize("command", sorted({o.command for o in OPTIONS}))
@EXAMPLES
@given(data=st.data())
async def test_each_free_text_option_with_generated_text(
    staged: Stage, discord_limits: DiscordRequestCheck, command: str, data: st.DataObject
) -> None:
    for item in (o for o in OPTIONS if o.command == command):
        value = data.draw(text_of(item.longest), label=item.option)
        await attempt(staged, item, value, discord_limits)


def text_of(longest: int) -> st.SearchStrategy[str]:
    return st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from(TRICKY), min_size=1, max_size=longest
    )


# --- the forms (modals) ------------------------------------------------------------------------------------
def text_inputs(modal: dict[str, Any]) -> dict[str, int]:
    """Each text input of a form shown to the member, with the longest text it takes."""
    found: dict[str, int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == 4:
                found[str(node["custom_id"])] = int(node.get("max_length") or TEXT_INPUT_MAX)
            for child in (*node.get("components", ()), node.get("component")):
                walk(child)

    for component in modal.get("components", []):
        walk(component)
    return found


VALID = {
    **GOOD,
    "profile:timezone": "Asia/Tokyo",
    "review:reason": "根拠の資料が見つかりませんでした。",
    "project:message": "ロゴ制作の経験があります。",
}


async def open_form(s: Stage, form: str, n: int) -> tuple[Any, Any]:
    """(who, the form shown to them) for ``form``; a new member or claim for each try where it is used up."""
    world = s.world
    if form == "register":
        actor = world.member(f"newcomer{n}")
        shown = await actor.slash(world.channel, "register")
        panel = shown.response.message
        await actor.select(panel, ["fan"], custom_id="register:connection")
        return actor, await actor.click(panel, custom_id="register:agree")
    if form == "profile":
        shown = await s.alice.slash(world.channel, "profile")
        return s.alice, await s.alice.click(shown.response.message, custom_id="profile:edit")
    if form == "reject":
        await s.alice.slash(world.channel, "contribute", category="knowledge", what=f"授業 {n}")
        shown = await s.staff.slash(world.channel, "review")
        return s.staff, await s.staff.click(world.last_ephemeral(shown), custom_id="review:reject")
    actor = world.member(f"applicant{n}")
    await register(world, actor, {**GOOD, "profile:display_name": f"Applicant{n}"})
    post = next(m for m in s.announce.history() if m.embeds and m.embeds[0].title == LOGO["title"])
    return actor, await actor.click(post, custom_id=f"project:{s.project}:apply")


FORMS = ("register", "profile", "reject", "apply")


async def submit(
    s: Stage, form: str, field: str | None, value: str, n: int, check: DiscordRequestCheck
) -> int:
    """Fill ``form`` with valid answers and ``value`` in ``field`` (None: just list the fields)."""
    actor, shown = await open_form(s, form, n)
    assert shown.modal is not None, shown
    fields = text_inputs(shown.modal)
    if field is None:
        return len(fields)
    result = await actor.submit_modal(shown, {**{k: VALID[k] for k in fields}, field: value[: fields[field]]})
    answered_clearly(result)
    refused = check.take_refusals()
    assert refused == [], "\n".join(r.describe() for r in refused)
    return len(fields)


@pytest.mark.parametrize("form", FORMS)
async def test_each_form_field_at_its_longest(
    staged: Stage, discord_limits: DiscordRequestCheck, form: str
) -> None:
    _, shown = await open_form(staged, form, 0)
    fields = text_inputs(shown.modal)
    assert fields and set(fields) <= set(VALID)
    n = 1
    for field, longest in fields.items():
        for seed in ("海士町の未来🌊", "👨‍👩‍👧", "ａ、", "9", "\x00\u200b、"):
            await submit(staged, form, field, long_text(longest, seed), n, discord_limits)
            n += 1


@pytest.mark.parametrize("form", FORMS)
@EXAMPLES
@given(data=st.data())
async def test_each_form_field_with_generated_text(
    staged: Stage, discord_limits: DiscordRequestCheck, form: str, data: st.DataObject
) -> None:
    n = data.draw(st.integers(min_value=100, max_value=10**6), label="try")
    _, shown = await open_form(staged, form, n)
    for field, longest in text_inputs(shown.modal).items():
        value = data.draw(text_of(longest), label=field)
        await submit(staged, form, field, value, n := n + 1, discord_limits)
