"""The longest inputs staff and members can give and the largest lists, on Discord: every answer stays within
Discord's limits (the autouse check in conftest.py fails a test on any request Discord would refuse), is a
clear reply or refusal, and shows what it must by paging or shortening with "…", never by failing."""

from __future__ import annotations

from typing import Any

import discord

from bot.community.events import EventDraft
from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI, OPTION_MAX, QUESTION_MAX
from bot.config import settings_from_mapping
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import BEACH, cid, member, setup_events
from tests.discord.test_projects import LOGO, setup_projects
from tests.discord.test_registration import GOOD, register, who
from tests.discord.test_subcommittees import setup_subcommittees

UNEXPECTED = ("Something went wrong", "うまく処理できませんでした")
STRING_OPTION_MAX = 6000  # what Discord lets a person type into a string option without a max_length


def long_text(size: int, seed: str = "海士町の未来🌊") -> str:
    """Japanese with an emoji, ``size`` code points long."""
    return (seed * (size // len(seed) + 1))[:size]


def shown(result: Any) -> str:
    """Everything the member was shown: the reply and any follow-ups, text and embeds."""
    messages = [m for m in [result.response, *result.followups] if m is not None]
    parts: list[str] = []
    for message in messages:
        parts.append(message.content or "")
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(parts)


def answered_clearly(result: Any) -> str:
    """The reply was given and was not the error handler's "something went wrong"."""
    text = shown(result)
    assert result.acknowledged and text.strip(), result
    assert not any(u in text for u in UNEXPECTED), text[:500]
    return text


def embed_size(embed: discord.Embed) -> int:
    return len(embed)  # discord.py counts what Discord counts: title, description, fields, footer, author


# --- known defects --------------------------------------------------------------------------------------
async def test_event_cancel_with_a_long_reason_is_refused_before_the_confirmation(world: World) -> None:
    staff, _ = await setup_events(world)
    await staff.slash(world.channel, "event create", **BEACH)
    [event] = await world.hub.events.search(cid(world))
    result = await staff.slash(
        world.channel, "event cancel", event=str(event.id), reason=long_text(STRING_OPTION_MAX)
    )
    text = answered_clearly(result)
    assert "The reason can be at most 300 characters." in text
    assert world.last_ephemeral(result).components == []  # no Confirm button for a reason that cannot be kept
    assert not (await world.hub.events.get(cid(world), event.id)).cancelled


async def test_vote_create_with_a_long_unparseable_quorum_does_not_echo_it(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    typed = long_text(STRING_OPTION_MAX, "定足数はたくさん")
    result = await staff.slash(
        world.channel, "vote create", question="港の桟橋", options="直す|直さない", closes="3日", quorum=typed
    )
    text = answered_clearly(result)
    assert "Could not read the quorum" in text and len(text) < 400
    assert announce.history() == []


async def test_votes_with_five_long_approval_votes_all_chosen_are_all_shown(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = await member(world, "Alice")
    for n in range(5):
        options = [f"{i}{long_text(OPTION_MAX - 1, '港と島の暮らし🚢')}" for i in range(10)]
        await staff.slash(
            world.channel, "vote create", question=f"{n}{long_text(QUESTION_MAX - 1)}",
            options="|".join(options), closes="3日", approval=True,
        )  # fmt: skip
    votes = await world.hub.votes.search(cid(world))
    assert len(votes) == 5
    for vote in votes:
        for option in range(10):
            await world.hub.votes.cast(who(world, alice), vote.id, option, "button")
    result = await alice.slash(world.channel, "votes")
    answered_clearly(result)
    pages = await every_page(alice, world.last_ephemeral(result))
    assert sum(len(p.fields) for p in pages) == 5  # every vote, each on some page
    assert all(embed_size(p) <= 6000 for p in pages)
    assert all(NUMBER_EMOJI[9] in str(f.value) for p in pages for f in p.fields)  # all ten choices shown


async def test_project_review_with_twelve_long_applications_stays_usable(world: World) -> None:
    staff, _, _ = await setup_projects(world)
    await staff.slash(world.channel, "project create", **LOGO)
    [project] = await world.hub.projects.search(cid(world))
    for n in range(12):
        actor = world.member(f"m{n}")
        await register(world, actor, {**GOOD, "profile:display_name": long_text(32, f"応募者{n}🌱")})
        await world.hub.projects.apply(
            who(world, actor), project.id, long_text(500, f"{n}番です。島で働きたい🌊")
        )
    result = await staff.slash(world.channel, "project review", project=str(project.id))
    answered_clearly(result)
    panel = world.last_ephemeral(result)
    assert embed_size(panel.embeds[0]) <= 6000
    assert len(panel.embeds[0].fields) == 12
    accepted = await staff.click(panel, custom_id="project-review:accept")  # the same embed, after a decision
    after = answered_clearly(accepted)
    assert "Accepted No.1" in after


async def test_subcommittee_list_with_ten_long_subcommittees_shows_them_all(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    for n in range(10):
        tags = ", ".join(long_text(30, f"{n}{t}タグ🌿") for t in range(10))
        made = await staff.slash(
            world.channel, "subcommittee create", name=long_text(40, f"{n}分科会🌾"),
            description=long_text(500, f"{n}の説明です。"), tags=tags,
        )  # fmt: skip
        answered_clearly(made)
    result = await staff.slash(world.channel, "subcommittee list")
    answered_clearly(result)
    pages = await every_page(staff, world.last_ephemeral(result))
    assert sum(len(p.fields) for p in pages) == 10
    assert all(embed_size(p) <= 6000 for p in pages)


async def test_subcommittee_channels_get_discord_style_names_and_keep_the_name_in_the_topic(
    world: World,
) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await staff.slash(
        world.channel, "subcommittee create", name="Food And Farming Club", description="島の食"
    )
    await staff.slash(world.channel, "subcommittee create", name="食と農 Club", description="")
    names = {c.name: c for c in world.env.bot.get_guild(world.guild.id).text_channels}
    assert "food-and-farming-club" in names and "食と農-club" in names
    assert names["food-and-farming-club"].topic == "Food And Farming Club — 島の食"
    assert names["食と農-club"].topic == "食と農 Club"


async def test_a_long_time_zone_is_refused_clearly_on_create_and_edit(world: World) -> None:
    staff, _ = await setup_events(world)
    zone = "Asia/" + "x" * 251  # a file name too long for the operating system
    created = await staff.slash(world.channel, "event create", **BEACH, timezone=zone)
    assert "was not recognised as a time zone" in answered_clearly(created)
    assert await world.hub.events.search(cid(world)) == []
    await staff.slash(world.channel, "event create", **BEACH)
    [event] = await world.hub.events.search(cid(world))
    for typed in (zone, long_text(STRING_OPTION_MAX), "../../etc/passwd", "Asia/Tokyo\x00"):
        edited = await staff.slash(world.channel, "event edit", event=str(event.id), timezone=typed)
        assert "was not recognised as a time zone" in answered_clearly(edited), typed[:40]


# --- the largest lists ------------------------------------------------------------------------------------
def staff_identity(world: World, staff: Any) -> Identity:
    return Identity(cid(world), "discord", str(staff.id))


async def test_thirty_long_events_are_all_listed_in_pages(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = await member(world, "Alice")
    for n in range(30):
        draft = EventDraft(
            title=f"{n:02d}{long_text(98)}", start=f"2026-12-{n % 28 + 1:02d} 19:00",
            place=long_text(200, "中央公民館🏯"), online_url="https://example.jp/" + "x" * 280,
            capacity=10, description=long_text(1000),
        )  # fmt: skip
        await world.hub.events.create(cid(world), staff_identity(world, staff), draft)
    result = await alice.slash(world.channel, "events")
    answered_clearly(result)
    pages = await every_page(alice, world.last_ephemeral(result))
    titles = [str(f.name) for p in pages for f in p.fields]
    assert len(titles) == 30 and all(t.endswith(long_text(98)[-5:]) for t in titles)  # whole titles
    assert all(embed_size(p) <= 6000 and len(p.fields) <= 25 for p in pages)


async def test_an_event_with_many_long_named_attendees_lists_them_all(world: World) -> None:
    staff, _ = await setup_events(world)
    await staff.slash(world.channel, "event create", **BEACH, capacity=40)
    [event] = await world.hub.events.search(cid(world))
    for n in range(60):
        actor = world.member(f"m{n}")
        await register(world, actor, {**GOOD, "profile:display_name": long_text(32, f"参加者{n}🌊")})
        await world.hub.rsvps.answer(who(world, actor), event.id, "going" if n % 3 else "maybe")
    result = await staff.slash(world.channel, "event attendees", event=str(event.id))
    answered_clearly(result)
    pages = await every_page(staff, world.last_ephemeral(result))
    listed = "\n".join(str(f.value) for p in pages for f in p.fields)
    assert all(f"No.{n} " in listed for n in range(1, 61))  # nobody left out
    assert all(embed_size(p) <= 6000 for p in pages)


async def test_a_ten_option_vote_with_the_longest_options_posts_counts_and_closes(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    options = [f"{i}{long_text(OPTION_MAX - 1, '港と島の暮らし🚢')}" for i in range(10)]
    for hidden in (False, True):
        made = await staff.slash(
            world.channel, "vote create", question=long_text(QUESTION_MAX), options="|".join(options),
            closes="3日", weighted=True, approval=True, quorum="30%", hidden=hidden,
        )  # fmt: skip
        assert "Opened vote" in answered_clearly(made)
    votes = sorted(await world.hub.votes.search(cid(world)), key=lambda v: v.id)
    for vote in votes:
        for option in range(10):
            await world.hub.votes.cast(who(world, alice), vote.id, option, "button")
    live = await alice.slash(world.channel, "vote results", vote=str(votes[0].id))
    assert len(world.last_ephemeral(live).embeds[0].fields) >= 10
    hidden_post = next(m for m in announce.history() if m.id == votes[1].discord_message_id)
    labels = [str(c.label) for row in hidden_post.components for c in getattr(row, "children", [])]
    assert len(labels) == 11 and all(len(label) <= 80 for label in labels)
    clicked = await alice.click(hidden_post, custom_id=f"vote:{votes[1].id}:9")
    answered_clearly(clicked)
    for vote in votes:
        closing = await staff.slash(world.channel, "vote close", vote=str(vote.id))
        panel = world.last_ephemeral(closing)
        confirmed = await staff.click(panel, custom_id="vote-action:confirm")
        answered_clearly(confirmed)
    final = await alice.slash(world.channel, "vote results", vote=str(votes[0].id))
    assert answered_clearly(final)


async def test_a_long_review_queue_is_reviewed_one_claim_at_a_time(world: World) -> None:
    staff, _ = await setup_events(world)
    members = [await member(world, long_text(32, f"会員{n}🌱")) for n in range(3)]
    for n in range(30):
        await world.hub.contributions.log(
            who(world, members[n % 3]), "knowledge", long_text(500, f"{n}：島の高校で授業をしました。"),
            "", "https://example.jp/" + "y" * 280,
        )  # fmt: skip
    shown_queue = await staff.slash(world.channel, "review")
    answered_clearly(shown_queue)
    panel = world.last_ephemeral(shown_queue)
    assert "30" in str(panel.embeds[0].title)
    approved = await staff.click(panel, custom_id="review:approve")
    answered_clearly(approved)
    rejecting = await staff.click(panel, custom_id="review:reject")
    assert rejecting.modal is not None
    rejected = await staff.submit_modal(rejecting, {"review:reason": long_text(300, "根拠が足りません。")})
    answered_clearly(rejected)
    assert "28" in str(panel.embeds[0].title)


async def test_audit_pages_of_long_reasons(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = await member(world, "Alice")
    for n in range(30):
        action = world.hub.moderation.suspend if n % 2 == 0 else world.hub.moderation.reinstate
        await action(
            cid(world), who(world, alice), staff_identity(world, staff), long_text(300, f"{n}理由🌊")
        )
    for page in (1, 2, 3):  # 12 lines a page: the 30 entries and the registration
        result = await staff.slash(world.channel, "audit", page=page)
        answered_clearly(result)
        embed = world.last_ephemeral(result).embeds[0]
        assert embed_size(embed) <= 6000 and str(embed.description).count("\n") == (11 if page < 3 else 6)


async def test_a_full_profile_is_shown_to_staff_whole(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = world.member("alice")
    interests, skills = ([long_text(30, f"{n}{kind}") for n in range(10)] for kind in ("関心🌿", "技能🛠"))
    full = {
        "profile:display_name": long_text(32, "海士町花子🌸"),
        "profile:residence": "島根",
        "profile:interests": "、".join(interests),
        "profile:skills": "、".join(skills),
    }
    answered_clearly(await register(world, alice, full))
    await world.hub.moderation.suspend(cid(world), who(world, alice), staff_identity(world, staff), "理由")
    result = await staff.slash(world.channel, "ambassador show", member=alice)
    answered_clearly(result)
    embed = world.last_ephemeral(result).embeds[0]
    values = "\n".join(str(f.value) for f in embed.fields)
    assert embed_size(embed) <= 6000 and interests[9] in values and skills[9] in values
    found = await staff.slash(world.channel, "ambassador search", text="関心")
    answered_clearly(found)


async def test_a_leaderboard_of_long_names(world: World) -> None:
    staff, _ = await setup_events(world)
    for n in range(12):
        actor = await member(world, long_text(32, f"{n}番の会員🌊"))
        view = await world.hub.ambassadors.get(who(world, actor))
        await world.hub.contributions.record_automatic(
            cid(world), view.id, "knowledge", "seed", points=100 - n
        )
    for options in ({}, {"period": "month"}, {"category": "knowledge"}):
        result = await staff.slash(world.channel, "leaderboard", **options)
        text = answered_clearly(result)
        assert long_text(32, "0番の会員🌊") in text


async def test_the_welcome_card_keeps_long_suggestions_within_one_field(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    tags = [long_text(30, f"{n}食と農🌾") for n in range(10)]
    for n in range(3):
        await staff.slash(
            world.channel, "subcommittee create", name=long_text(40, f"{n}分科会"),
            description=long_text(500), tags=", ".join(tags),
        )  # fmt: skip
    alice = world.member("alice")
    result = await register(world, alice, {**GOOD, "profile:interests": "、".join(tags)})
    text = answered_clearly(result)
    assert long_text(40, "2分科会")[:20] in text and "/subcommittee join" in text


# --- helpers --------------------------------------------------------------------------------------------
async def every_page(actor: Any, message: Any) -> list[discord.Embed]:
    """The embeds of a paged reply, page by page: the first, then each one the Next button shows (the
    message is edited in place, so each page is read before the next click)."""
    pages = [message.embeds[0]]
    while True:
        buttons = [c for row in message.components for c in row.get("components", [])]
        following = [c for c in buttons if str(c.get("custom_id", "")).endswith(":next")]
        if not following or following[0].get("disabled"):
            return pages
        clicked = await actor.click(message, custom_id=following[0]["custom_id"])
        assert clicked.response is not None and clicked.response.id == message.id
        assert message.embeds[0].footer.text != pages[-1].footer.text
        pages.append(message.embeds[0])


async def test_register_with_the_longest_privacy_notice_url_the_config_accepts(world: World) -> None:
    data = settings_data(world.hub.settings.database.url)
    url = "https://example.jp/ama/privacy?" + "x" * 481
    data["communities"][0]["privacy_notice_url"] = url
    data["communities"][0]["discord"]["ambassador_role_id"] = world.role.id
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    alice = world.member("alice")
    shown = await alice.slash(world.channel, "register")
    answered_clearly(shown)
    buttons = [c for row in shown.response.components for c in row["components"] if c.get("url")]
    assert [b["url"] for b in buttons] == [url] and len(url) == 512
    answered_clearly(await register(world, alice))
