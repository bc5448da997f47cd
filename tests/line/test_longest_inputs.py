"""Every free-text LINE step at its longest: the 5,000 characters a person may send in one LINE message.

For each conversation step and command that reads what a member types (registration and profile edits,
the contribution log, thanks, weight, statements, check-in, link codes, commands, anything else), the
longest text, with Japanese, emoji (surrogate pairs, ZWJ sequences, flags), combining marks and newlines,
must get a clear refusal or a valid reply: never an unhandled error ("LINE event failed"), never a request
LINE would refuse (the stand-in checks each one), and never anything stored half-way. Hypothesis varies the
mix of characters; the explicit example is the longest, worst text: every piece, to 5,000 characters.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.profile_rules import clean_tags
from bot.line.standin import postback_event, text_event
from storage.models import Conversation, LedgerEntry
from tests.line.conftest import LineWorld
from tests.line.test_webhook import register_on_line, who
from tests.services.test_ambassadors import register as register_directly

LONGEST = 5000  # characters in one LINE text message
FAMILY = "👨\u200d👩\u200d👧\u200d👦"
PIECES = (
    "島の暮らし",  # kana and kanji
    "𠮷野家",  # a kanji beyond the BMP (a surrogate pair)
    "😀",  # an emoji (a surrogate pair)
    FAMILY,  # a ZWJ sequence
    "🇯🇵",  # a flag (two regional indicators)
    "👍🏽",  # a skin tone
    "か\u3099",  # a combining mark (が decomposed)
    "\n",
    "ｱｲｳ",  # half-width kana
    "１２３",  # full-width digits
    "No.",
    " ",
    "、",
    "abc",
)
MIX = "".join(PIECES)


def longest(prefix: str, mix: str) -> str:
    """``prefix`` then ``mix`` over and over, to exactly 5,000 characters."""
    body = prefix + mix * (LONGEST // max(1, len(mix)) + 1)
    return body[:LONGEST]


# A mix of pieces with something in it besides spaces, separators and newlines (5,000 spaces as "interests"
# are no interests: a valid answer, not the longest text).
mixes = (
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8)
    .filter(lambda pieces: any(p.strip(" 、\n") for p in pieces))
    .map("".join)
)
HYPOTHESIS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Snapshot:
    """What a member has stored: their profile, the dialogue step they are at, and the whole ledger."""

    profile: tuple[Any, ...] | None
    step: tuple[str, str] | None
    ledger: int


async def snapshot(line: LineWorld, user: str) -> Snapshot:
    view = await line.hub.ambassadors.peek(who(line, user))
    profile: tuple[Any, ...] | None = None
    if view is not None:
        profile = (view.display_name, view.residence_code, view.interests, view.skills, view.connection)
        profile += (view.language, view.timezone, view.stage)
    async with line.hub.db.transaction() as s:
        row = (
            await s.execute(
                select(Conversation.flow, Conversation.step).where(Conversation.external_id == user)
            )
        ).first()
        ledger = await s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    return Snapshot(profile, (row[0], row[1]) if row else None, ledger)


async def send_longest(
    line: LineWorld, caplog: pytest.LogCaptureFixture, user: str, text: str
) -> tuple[list[str], Snapshot, Snapshot]:
    """Send ``text``; check the answer was a reply LINE takes and nothing failed. Returns the reply's texts
    and what was stored before and after."""
    assert len(text) == LONGEST
    before = await snapshot(line, user)
    replies = len(line.api.replies())
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert await line.post([text_event(user, text)]) == 200
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert failed == [], failed  # no "LINE event failed", no "LINE reply refused"
    assert line.api.violations == [], line.api.report()
    assert len(line.api.replies()) == replies + 1
    said = line.last_reply()
    assert said and all(t.strip() for t in said)
    return said, before, await snapshot(line, user)


# --- registration: each step that takes text, and the ones that take a choice ---------------------------
async def at_registration_step(line: LineWorld, user: str, step: str) -> None:
    """Bring ``user`` (not registered) to the registration question ``step``, unless they are there."""
    prompt = await line.hub.conversations.current_prompt(who(line, user))
    if prompt is not None and prompt.step == step:
        return
    answers = {  # each step's answer
        "consent": "action=answer&step=consent&value=agree",
        "display_name": "はなこ",
        "residence": "島根",
        "connection": "action=answer&step=connection&value=roots",
        "interests": "食、教育",
    }
    line.api.profiles.setdefault(user, {"language": "ja"})
    await line.post([postback_event(user, "action=register")])
    for name, answer in answers.items():
        if name == step:
            break
        event = postback_event(user, answer) if answer.startswith("action=") else text_event(user, answer)
        await line.post([event])
    prompt = await line.hub.conversations.current_prompt(who(line, user))
    assert prompt is not None and prompt.step == step


async def guest(line: LineWorld) -> str:
    """A LINE user who is not registered: U9, else U9-1, U9-2…"""
    n = 0
    while (await snapshot(line, user := f"U9-{n}" if n else "U9")).profile is not None:
        n += 1
    return user


REGISTRATION_STEPS = ["consent", "display_name", "residence", "connection", "interests", "skills"]


def tags_taken(step: str, text: str) -> tuple[str, ...] | None:
    """The tags a member's interests or skills answer stands for, by the profile rules; None if refused
    (or not a tag step). 5,000 characters of one short tag repeated ("食、食、…") are that tag."""
    if step not in ("interests", "skills"):
        return None
    try:
        return clean_tags(text, step)
    except DomainError:
        return None


@pytest.mark.parametrize("step", REGISTRATION_STEPS)
@HYPOTHESIS
@given(mix=mixes)
@example(mix=MIX)
async def test_registration_answers_at_their_longest_are_refused_or_taken_whole(
    line: LineWorld, caplog: pytest.LogCaptureFixture, step: str, mix: str
) -> None:
    user = await guest(line)  # an earlier example may have finished registering
    await at_registration_step(line, user, step)
    text = longest("", mix)
    said, before, after = await send_longest(line, caplog, user, text)
    tags = tags_taken(step, text)
    if tags is None:
        assert said[0].startswith("⚠️ ")  # the refusal, then the same question again
        assert before == after and after.step == ("register", step) and after.profile is None
    elif step == "interests":
        assert not said[0].startswith("⚠️ ") and after.step == ("register", "skills")
    else:  # the last answer: registered, with exactly those skills
        assert after.step is None and after.profile is not None and after.profile[3] == tags


# --- profile edits (each field's button; the time zone's is a forged postback) ---------------------------
EDIT_FIELDS = ["display_name", "residence", "connection", "interests", "skills", "language", "timezone"]


@pytest.mark.parametrize("field", EDIT_FIELDS)
@HYPOTHESIS
@given(mix=mixes)
@example(mix=MIX)
async def test_profile_edits_at_their_longest_are_refused_or_taken_whole(
    line: LineWorld, caplog: pytest.LogCaptureFixture, field: str, mix: str
) -> None:
    if (await snapshot(line, "U1")).profile is None:
        await register_on_line(line, "U1")
    if (await snapshot(line, "U1")).step != ("edit", field):
        await line.post([postback_event("U1", f"action=edit&field={field}")])
    text = longest("", mix)
    said, before, after = await send_longest(line, caplog, "U1", text)
    tags = tags_taken(field, text)
    if tags is None:
        assert said[0].startswith("⚠️ ")
        assert before == after and after.step == ("edit", field)
    else:
        assert said[0] == "保存しました。" and after.step is None and after.profile is not None
        assert after.profile[2 if field == "interests" else 3] == tags


# --- the contribution log --------------------------------------------------------------------------------
CONTRIBUTE_STEPS = {"category": [], "description": ["継続的な来訪"], "occurred_on": ["継続的な来訪", "再訪"]}
CONTRIBUTE_STEPS["link"] = [*CONTRIBUTE_STEPS["occurred_on"], "今日"]


@pytest.mark.parametrize("step", list(CONTRIBUTE_STEPS))
@HYPOTHESIS
@given(mix=mixes)
@example(mix=MIX)
async def test_contribution_answers_at_their_longest_are_refused_clearly(
    line: LineWorld, caplog: pytest.LogCaptureFixture, step: str, mix: str
) -> None:
    if (await snapshot(line, "U1")).profile is None:
        await register_on_line(line, "U1")
    if (await snapshot(line, "U1")).step != ("contribute", step):
        await line.post([text_event("U1", "貢献")])
        for answer in CONTRIBUTE_STEPS[step]:
            await line.post([text_event("U1", answer)])
    said, before, after = await send_longest(line, caplog, "U1", longest("", mix))
    assert said[0].startswith("⚠️ ")
    assert before == after and after.step == ("contribute", step)


# --- commands that take free text after their word -------------------------------------------------------
async def two_members(line: LineWorld) -> None:
    if (await snapshot(line, "U1")).profile is None:
        await register_on_line(line, "U1")
        await register_on_line(line, "U2", "たろう")


Check = Callable[[LineWorld, list[str], Snapshot, Snapshot], Awaitable[None]]


async def refused_and_nothing_stored(
    line: LineWorld, said: list[str], before: Snapshot, after: Snapshot
) -> None:
    assert before == after


async def thanks_not_recorded(line: LineWorld, said: list[str], before: Snapshot, after: Snapshot) -> None:
    assert before == after  # no thanks entry in the ledger
    assert said[0].startswith("理由は200文字以内で書いてください")
    assert await line.hub.contributions.points(who(line, "U2")) == 0


COMMANDS: dict[str, tuple[str, Check]] = {
    "thanks with the longest reason": ("ありがとう No.2 ", thanks_not_recorded),
    "weight of a vote": ("重み ", refused_and_nothing_stored),
    "an activity statement's year": ("活動証明 ", refused_and_nothing_stored),
    "a check-in code": ("チェックイン ", refused_and_nothing_stored),
    "a command word and more": ("プロフィール", refused_and_nothing_stored),
    "anything else (help)": ("", refused_and_nothing_stored),
    "a link code and more": ("ABCD-EFGH", refused_and_nothing_stored),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@HYPOTHESIS
@given(mix=mixes)
@example(mix=MIX)
async def test_commands_with_the_longest_text_answer_clearly(
    line: LineWorld, caplog: pytest.LogCaptureFixture, command: str, mix: str
) -> None:
    await two_members(line)
    prefix, check = COMMANDS[command]
    said, before, after = await send_longest(line, caplog, "U1", longest(prefix, mix))
    await check(line, said, before, after)


@HYPOTHESIS
@given(mix=mixes)
@example(mix=MIX)
async def test_a_guest_sending_the_longest_text_gets_help(
    line: LineWorld, caplog: pytest.LogCaptureFixture, mix: str
) -> None:
    line.api.profiles["U7"] = {"language": "ja"}
    said, before, after = await send_longest(line, caplog, "U7", longest("", mix))
    assert "「登録」と送ると" in said[0]
    assert before == after == Snapshot(None, None, before.ledger)


async def test_a_long_text_that_starts_with_a_link_code_links_nothing(
    line: LineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """At the first question a pasted link code links at once; 5,000 characters that begin with one are
    not a code: asked again, nothing linked, and the code itself still works."""
    discord_user = Identity(who(line, "x").community_id, "discord", "321")
    await register_directly(line.hub, discord_user)
    code = (await line.hub.links.issue(discord_user)).code
    await at_registration_step(line, "U8", "consent")
    said, before, after = await send_longest(line, caplog, "U8", longest(code + " ", MIX))
    assert said[0].startswith("⚠️ ") and before == after
    assert (await line.hub.ambassadors.get(discord_user)).platforms == ("discord",)
    await line.post([text_event("U8", code)])
    assert (await line.hub.ambassadors.get(discord_user)).platforms == ("discord", "line")
