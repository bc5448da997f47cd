"""``python -m bot demo``: the whole hub offline, on a fresh SQLite file, with a readable transcript.

Discord is simulated by SimCord (the real discord.py machinery against an in-memory Discord); LINE by
signed webhook requests over loopback HTTP and a stand-in of the Messaging API that records the replies.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.statements import verify_statement
from bot.config import Settings, settings_from_mapping
from bot.discord_bot import create_discord_bot
from bot.discord_check import DiscordRequestCheck
from bot.hub import Hub, open_hub
from bot.line.standin import (
    LineStandIn,
    follow_event,
    in_group,
    join_event,
    postback_event,
    text_event,
    webhook_body,
    webhook_headers,
)
from bot.line.webhook import LINE_FACE, create_line_app
from bot.logging_setup import configure_logging
from storage.migrate import upgrade
from storage.models import Ambassador, LedgerEntry

DEMO_GUILD = 1_180_000_000_000_000_001
DEMO_SECRET = "demo-channel-secret"
DEMO_TOKEN = "demo-channel-token"
JST = ZoneInfo("Asia/Tokyo")


def demo_settings(
    db_url: str,
    line_api: str,
    role_id: int | None = None,
    staff_role_id: int | None = None,
    announcement_channel_id: int | None = None,
) -> Settings:
    return settings_from_mapping(
        {
            "database": {"url": db_url},
            "discord": {"enabled": True, "token": "demo-discord-token"},
            "line": {"enabled": True, "host": "127.0.0.1", "port": 0, "api_base": line_api},
            "logging": {"level": "WARNING", "format": "text"},
            "communities": [
                {
                    "key": "ama",
                    "name": "海士町オフィシャルアンバサダー",
                    "privacy_notice_version": "2026-04",
                    "privacy_notice_url": "https://example.jp/ama/privacy",
                    "discord": {
                        "guild_id": DEMO_GUILD,
                        "ambassador_role_id": role_id,
                        "staff_role_id": staff_role_id,
                        "announcement_channel_id": announcement_channel_id,
                    },
                    "line": {"channel_secret": DEMO_SECRET, "channel_access_token": DEMO_TOKEN},
                }
            ],
        },
        env={},
    )


class Transcript:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.scene = 0

    def title(self, text: str) -> None:
        self.scene += 1
        self.out(f"\n== {self.scene}. {text} ==")

    def say(self, where: str, who: str, text: str) -> None:
        lines = text.strip().splitlines() or [""]
        prefix = f"[{where}] {who} › "
        self.out(prefix + lines[0])
        for line in lines[1:]:
            self.out(" " * len(prefix) + line)

    def note(self, text: str) -> None:
        self.out(f"   · {text}")


def _embed_text(embed: Any) -> str:
    parts = [embed.title or ""]
    if embed.description:
        parts.append(embed.description)
    parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(p for p in parts if p)


def _discord_reply(result: Any) -> str:
    message = result.followups[-1] if result.followups else result.response
    if message is None:
        return "(the panel was updated)"
    text = "\n".join([message.content or ""] + [_embed_text(e) for e in message.embeds]).strip()
    return ("(only you can see this) " if message.ephemeral else "") + _local_times(text)


class LineUser:
    def __init__(self, demo: Demo, user_id: str, name: str) -> None:
        self.demo, self.user_id, self.name = demo, user_id, name

    async def _post(self, event: dict[str, Any], shown: str) -> None:
        self.demo.t.say("LINE", self.name, shown)
        api = self.demo.api
        before, pushed, multicast = len(api.replies()), len(api.pushes()), len(api.multicasts())
        await self.demo.post_line([event])
        for reply in api.replies()[before:]:
            for message in reply.messages:
                self.demo.t.say("LINE", "bot", _line_text(message))
        self.demo.show_pushes(pushed, multicast)

    async def follow(self) -> None:
        await self._post(follow_event(self.user_id), "(adds the official account as a friend / 友だち追加)")

    async def send(self, text: str) -> None:
        await self._post(text_event(self.user_id, text), text)

    async def tap(self, data: str, label: str) -> None:
        await self._post(postback_event(self.user_id, data), f"taps [{label}]")


def _line_text(message: dict[str, Any]) -> str:
    if message.get("type") == "flex":
        buttons = _flex_buttons(message.get("contents", {}))
        shown = f"[Flex card] {message.get('altText', '')}"
        return shown + ("\n" + " ".join(f"[{b}]" for b in buttons) if buttons else "")
    text = str(message.get("text", ""))
    items = message.get("quickReply", {}).get("items", [])
    if items:
        text += "\n" + " ".join(f"[{i['action']['label']}]" for i in items)
    return text


def _flex_buttons(node: Any) -> list[str]:
    """The button labels of a Flex card (a bubble or a carousel), in order."""
    if isinstance(node, list):
        return [label for item in node for label in _flex_buttons(item)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "button":
        return [str(node.get("action", {}).get("label", ""))]
    return [label for value in node.values() for label in _flex_buttons(value)]


class Demo:
    def __init__(
        self,
        hub: Hub,
        api: LineStandIn,
        app: web.Application,
        base_url: str,
        http: aiohttp.ClientSession,
        transcript: Transcript,
    ) -> None:
        self.hub, self.api, self.app, self.base_url, self.http, self.t = (
            hub,
            api,
            app,
            base_url,
            http,
            transcript,
        )

    announce: Any = None  # the Discord announcement channel (SimCord)

    def show_pushes(self, since: int, multicasts_since: int | None = None) -> None:
        """Pushes (paid messages) sent since ``since``, with their recipient; multicasts likewise."""
        names = {"U-hanako": "花子", "U-sam": "Sam", "U-aiko": "あいこ"}
        for push in self.api.pushes()[since:]:
            to = str((push.body or {}).get("to", ""))
            for message in push.messages:
                self.t.say("LINE", f"bot (push to {names.get(to, to)})", _line_text(message))
        for multicast in (
            self.api.multicasts()[multicasts_since or 0 :] if multicasts_since is not None else []
        ):
            to = ", ".join(names.get(str(u), str(u)) for u in (multicast.body or {}).get("to", []))
            for message in multicast.messages:
                self.t.say("LINE", f"bot (multicast to {to})", _line_text(message))

    async def show_line_replies(self, events: list[dict[str, Any]], where: str) -> None:
        """Post ``events`` and show what the account answered (a group's events have no LineUser)."""
        before = len(self.api.replies())
        await self.post_line(events)
        for reply in self.api.replies()[before:]:
            for message in reply.messages:
                self.t.say(where, "bot", _line_text(message))

    async def post_line(self, events: list[dict[str, Any]], secret: str = DEMO_SECRET) -> int:
        body = webhook_body(events)
        async with self.http.post(
            f"{self.base_url}/line/ama/webhook",
            data=body.encode(),
            headers=webhook_headers(secret, body),  # checked against LINE's webhook.yml, then signed
        ) as resp:
            status = resp.status
        await self.app[LINE_FACE].drain()
        return status


async def _discord_register(
    demo: Demo, env: Any, channel: Any, member: Any, name: str, connection: str, values: dict[str, str]
) -> None:
    t = demo.t
    t.say("Discord", name, "/register")
    shown = await member.slash(channel, "register")
    t.say("Discord", "bot", _discord_reply(shown))
    panel = shown.response.message
    await member.select(panel, [connection], custom_id="register:connection")
    modal = await member.click(panel, custom_id="register:agree")
    t.say(
        "Discord",
        name,
        f"chooses “{connection}”, presses “Agree and continue”, fills the form:\n"
        + ", ".join(f"{k.split(':')[1]}={v}" for k, v in values.items()),
    )
    result = await member.submit_modal(modal, values)
    t.say("Discord", "bot", _discord_reply(result))


async def _scenes(demo: Demo, env: Any, guild: Any, channel: Any, role: Any) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None

    t.title("Discord: Aiko registers with /register (consent, then a form)")
    aiko = guild.add_member(env.create_user("aiko"))
    await _discord_register(
        demo,
        env,
        channel,
        aiko,
        "aiko",
        "roots",
        {
            "profile:display_name": "Aiko",
            "profile:residence": "Tokyo",
            "profile:interests": "food, education",
            "profile:skills": "photography",
        },
    )
    t.note(f"Aiko has the role “{role.name}”: {role.id in [r.id for r in aiko.member.roles]}")

    t.title("LINE: 花子 adds the official account and registers step by step (one wrong answer)")
    demo.api.profiles["U-hanako"] = {"displayName": "花子", "language": "ja"}
    hanako = LineUser(demo, "U-hanako", "花子")
    await hanako.follow()
    await hanako.tap("action=answer&step=consent&value=agree", "同意する")
    await hanako.send("はなこ")
    await hanako.send("日本")
    await hanako.send("島根")
    await hanako.tap("action=answer&step=connection&value=former_resident", "以前住んでいた")
    await hanako.send("食、祭り、教育")
    await hanako.send("スキップ")

    t.title("LINE: Sam (English LINE app) registers in English")
    demo.api.profiles["U-sam"] = {"displayName": "Sam", "language": "en"}
    sam = LineUser(demo, "U-sam", "Sam")
    await sam.follow()
    await sam.send("I agree")
    await sam.send("Sam")
    await sam.send("France")
    await sam.send("Fan")
    await sam.send("surfing, sake")
    await sam.send("web design, translation")

    t.title("Linking: Aiko joins her LINE account to her Discord registration with a one-time code")
    t.say("Discord", "aiko", "/link")
    shown = await aiko.slash(channel, "link")
    t.say("Discord", "bot", _discord_reply(shown))
    shown_code = re.search(r"\*\*([A-Z0-9]{4}-[A-Z0-9]{4})\*\*", _discord_reply(shown))
    assert shown_code is not None, "the /link reply shows no code"
    demo.api.profiles["U-aiko"] = {"displayName": "あいこ", "language": "ja"}
    aiko_line = LineUser(demo, "U-aiko", "あいこ")
    await aiko_line.follow()
    await aiko_line.send(shown_code.group(1))
    who_aiko = Identity(ref.id, "discord", str(aiko.id))
    view = await demo.hub.ambassadors.get(who_aiko)
    t.note(f"Aiko is one ambassador (No. {view.member_number}) on {' + '.join(view.platforms)}")

    t.title("A forged LINE request is refused")
    status = await demo.post_line([text_event("U-mallory", "退会")], secret="guessed-secret")
    t.note(f"HTTP {status}; nothing stored, nothing sent")

    t.title(
        "LINE: 花子 invites the account to her friends' group chat: it greets once, then stays quiet there"
    )
    group = "C" + "a1" * 16
    t.say("LINE group", "花子", "(invites the official account to the group)")
    await demo.show_line_replies([join_event(group)], "LINE group")
    t.say("LINE group", "花子", "プロフィール")
    await demo.show_line_replies([in_group(text_event("U-hanako", "プロフィール"), group)], "LINE group")
    t.note("nothing is said in the group: no profile, no command, no button works there (one-to-one only)")

    t.title("Discord: Bob registers, then leaves with /leave (asked to confirm first)")
    bob = guild.add_member(env.create_user("bob"))
    await _discord_register(
        demo,
        env,
        channel,
        bob,
        "bob",
        "work",
        {
            "profile:display_name": "Bob",
            "profile:residence": "Osaka",
            "profile:interests": "",
            "profile:skills": "accounting",
        },
    )
    t.say("Discord", "bob", "/leave")
    shown = await bob.slash(channel, "leave")
    t.say("Discord", "bot", _discord_reply(shown))
    t.say("Discord", "bob", "presses “Leave”")
    await bob.click(shown.response.message, custom_id="leave:confirm")
    t.say("Discord", "bot", "(panel) " + (env_last_content(shown) or ""))
    t.note(f"Bob still has the role: {role.id in [r.id for r in bob.member.roles]}")

    staff = guild.add_member(env.create_user("yakuba"), roles=[guild.roles["運営スタッフ"]])
    await _contribution_scenes(demo, channel, aiko, staff, hanako, sam)
    await _event_scenes(demo, guild, channel, aiko, staff, hanako, sam)
    await _vote_scenes(demo, env, guild, channel, aiko, staff, hanako, sam)
    await _subcommittee_scenes(demo, guild, channel, aiko, staff, hanako, sam)
    await _console_scenes(demo, channel, staff, hanako)

    t.title("The register, as staff would see it")
    async with demo.hub.db.transaction() as s:
        rows = (
            await s.scalars(
                select(Ambassador).where(Ambassador.community_id == ref.id).order_by(Ambassador.member_number)
            )
        ).all()
    for a in rows:
        t.out(
            f"   No. {a.member_number:<3} {a.display_name or '(erased)':<10} {a.status:<7} "
            f"interests={', '.join(a.interests) or '-'}"
        )
    t.note(
        f"member numbers are never reused: the next one will be No. {max(a.member_number for a in rows) + 1}"
    )


async def _contribution_scenes(
    demo: Demo, channel: Any, aiko: Any, staff: Any, hanako: LineUser, sam: LineUser
) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None

    t.title("LINE: 花子 logs a contribution step by step (it waits for staff review)")
    await hanako.send("貢献")
    await hanako.tap("action=answer&step=category&value=knowledge", "知見の提供")
    await hanako.send("島の中学校でデザインの出前授業をしました")
    future = (demo.hub.clock.now().astimezone(JST) + timedelta(days=30)).strftime("%Y-%m-%d")
    await hanako.send(future)  # a future date: explained, asked again
    await hanako.tap("action=answer&step=occurred_on&value=yesterday", "昨日")
    await hanako.send("https://example.jp/report/123")

    t.title("LINE: Sam logs a visit and thanks 花子 by her member number (her first point: a new stage)")
    await sam.send("contribute")
    await sam.send("Visiting again")
    await sam.send("Came back for the Kinnyamoniya festival")
    await sam.send("today")
    await sam.send("skip")
    await sam.send("thanks No.2 for the design lesson")

    t.title("Discord: Aiko logs a contribution with /contribute")
    t.say("Discord", "aiko", "/contribute category:furusato_tax what:ふるさと納税で島の学校を応援 when:昨日")
    logged = await aiko.slash(
        channel, "contribute", category="furusato_tax", what="ふるさと納税で島の学校を応援", when="昨日"
    )
    t.say("Discord", "bot", _discord_reply(logged))

    t.title("Staff review the queue on Discord with /review; each member is told on their own app")
    t.say("Discord", "yakuba (staff)", "/review")
    panel = await staff.slash(channel, "review")
    t.say("Discord", "bot", _discord_reply(panel))
    for _ in range(3):
        pushed = len(demo.api.pushes())
        t.say("Discord", "yakuba (staff)", "presses “Approve”")
        await staff.click(panel.response.message, custom_id="review:approve")
        t.say("Discord", "bot", "(panel) " + (env_last_content(panel) or ""))
        demo.show_pushes(pushed)
    for dm in aiko.user.dm_channel.history():
        t.say("Discord", "bot (DM to aiko)", dm.content)
    await hanako.send("段階")
    await hanako.send("ランキング")

    t.title("The ledger is checked, then a row is tampered with behind the hub's back (and put back)")
    report = await demo.hub.ledger.verify(ref.id)
    t.note(f"ledger verify: {'ok' if report.ok else report.problem}, {report.checked} entries")
    first = (LedgerEntry.community_id == ref.id) & (LedgerEntry.seq == 1)
    async with demo.hub.db.transaction() as s:
        honest = await s.scalar(select(LedgerEntry.claimed_points).where(first))
        await s.execute(update(LedgerEntry).where(first).values(claimed_points=1000))
    report = await demo.hub.ledger.verify(ref.id)
    t.note(f"ledger verify: {'ok' if report.ok else 'BROKEN'} at entry #{report.seq} ({report.problem})")
    async with demo.hub.db.transaction() as s:
        await s.execute(update(LedgerEntry).where(first).values(claimed_points=honest))
    report = await demo.hub.ledger.verify(ref.id)
    t.note(f"the row put back as it was: ledger verify {'ok' if report.ok else 'BROKEN'}")


async def _event_scenes(
    demo: Demo, guild: Any, channel: Any, aiko: Any, staff: Any, hanako: LineUser, sam: LineUser
) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None and isinstance(demo.hub.clock, ManualClock)
    clock = demo.hub.clock
    announce = demo.announce

    t.title("LINE: 花子 and Sam turn on event news (event cards arrive on LINE)")
    await hanako.send("イベント通知オン")
    await sam.send("event news on")

    day = (clock.now().astimezone(JST) + timedelta(days=5)).strftime("%Y-%m-%d")
    t.title("Discord: staff post an event with /event create (capacity 2); it is offered on LINE")
    options = {
        "title": "島の国際交流祭",
        "start": f"{day} 19:00",
        "end": "21:00",
        "place": "海士町 中央公民館",
        "capacity": 2,
        "description": "島の食と音楽で交流しましょう。",
    }
    t.say("Discord", "yakuba (staff)", "/event create " + " ".join(f"{k}:{v}" for k, v in options.items()))
    pushed, multicast = len(demo.api.pushes()), len(demo.api.multicasts())
    created = await staff.slash(channel, "event create", **options)
    t.say("Discord", "bot", _discord_reply(created))
    assert announce is not None, "no announcement channel"
    post = announce.last_message
    assert post is not None, "the event was not announced"
    t.say("Discord", "bot (in #お知らせ)", _message_text(post, clock.now()))
    demo.show_pushes(pushed, multicast)
    [event] = await demo.hub.events.upcoming(ref.id)

    t.title("RSVPs from both apps land in one place; the third person waits")
    t.say("Discord", "aiko", "presses “参加”")
    shown = await aiko.click(post, custom_id=f"event:{event.event.id}:going")
    t.say("Discord", "bot", _discord_reply(shown))
    await hanako.tap(f"action=rsvp&e={event.event.id}&c=going", "参加")
    await hanako.tap(f"action=rsvp&e={event.event.id}&c=going", "参加")  # a double tap changes nothing
    await sam.tap(f"action=rsvp&e={event.event.id}&c=going", "Going")
    t.say("Discord", "bot (in #お知らせ, updated)", _message_text(announce.last_message, clock.now()))

    t.title("Aiko cannot come after all: Sam moves up from the waiting list and is told")
    t.say("Discord", "aiko", "presses “不参加”")
    pushed = len(demo.api.pushes())
    shown = await aiko.click(post, custom_id=f"event:{event.event.id}:declined")
    t.say("Discord", "bot", _discord_reply(shown))
    demo.show_pushes(pushed)

    t.title("Reminders fire in simulated time (24 hours and 1 hour before), once each")
    for before in (timedelta(hours=24), timedelta(hours=1)):
        clock.advance(event.event.starts_at - before - clock.now())
        pushed = len(demo.api.pushes())
        run = await demo.hub.reminder_sender.run_due()
        t.note(f"clock moved to {clock.now().astimezone(JST):%Y-%m-%d %H:%M} JST: {run.sent} reminders sent")
        demo.show_pushes(pushed)
    again = await demo.hub.reminder_sender.run_due()
    t.note(f"run again: {again.sent} sent (none twice)")

    t.title("At the venue: 花子 checks in with the code on LINE; staff check Aiko in on Discord")
    clock.advance(event.event.starts_at - clock.now() + timedelta(minutes=10))
    await hanako.send(f"チェックイン {event.event.checkin_code}")
    await sam.send("check in ZZZ999")  # a wrong code is explained
    t.say("Discord", "yakuba (staff)", f"/event checkin event:{event.event.id} member:@aiko")
    done = await staff.slash(channel, "event checkin", event=str(event.event.id), member=aiko)
    t.say("Discord", "bot", _discord_reply(done))
    t.say("Discord", "yakuba (staff)", f"/event attendees event:{event.event.id}")
    listed = await staff.slash(channel, "event attendees", event=str(event.event.id))
    t.say("Discord", "bot", _discord_reply(listed))


async def _vote_scenes(
    demo: Demo, env: Any, guild: Any, channel: Any, aiko: Any, staff: Any, hanako: LineUser, sam: LineUser
) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None and isinstance(demo.hub.clock, ManualClock)
    clock, announce = demo.hub.clock, demo.announce

    t.title("LINE: 花子 turns on vote news; staff open a weighted vote on a local proposal on Discord")
    await hanako.send("投票通知オン")
    options = {
        "question": "港の桟橋の修理に島の予算を使う",
        "options": "賛成|反対|保留",
        "closes": "3日",
        "weighted": True,
    }
    t.say("Discord", "yakuba (staff)", "/vote create " + " ".join(f"{k}:{v}" for k, v in options.items()))
    pushed, multicast = len(demo.api.pushes()), len(demo.api.multicasts())
    opened = await staff.slash(channel, "vote create", **options)
    t.say("Discord", "bot", _discord_reply(opened))
    post = announce.last_message
    t.say("Discord", "bot (in #お知らせ)", _message_text(post, clock.now()))
    t.note("the bot added the number reactions: " + " ".join(str(r.emoji) for r in post.reactions))
    demo.show_pushes(pushed, multicast)
    [vote] = await demo.hub.votes.search(ref.id)

    t.title("Each member's weight comes from their contribution points (fixed when the vote opened)")
    t.say("Discord", "aiko", "/vote weight")
    t.say("Discord", "bot", _discord_reply(await aiko.slash(channel, "vote weight", vote=str(vote.id))))

    t.title("Ballots from both apps: Aiko reacts, then changes her mind; 花子 and Sam tap on LINE")
    t.say("Discord", "aiko", "reacts 1️⃣")
    await aiko.react(post, "1️⃣")
    t.say("Discord", "aiko", "reacts 2️⃣ (single choice: the bot takes her 1️⃣ off)")
    await aiko.react(post, "2️⃣")
    counts = ", ".join(f"{r.emoji}×{r.count}" for r in announce.last_message.reactions)
    t.note(f"reactions now (the bot's own count one each): {counts}")
    await hanako.tap(f"action=ballot&v={vote.id}&o=0", "1 賛成")
    await sam.send("votes")
    await sam.tap(f"action=ballot&v={vote.id}&o=0", "1 賛成")

    t.title("A stranger's reaction is not counted, and they are told once")
    stranger = guild.add_member(env.create_user("visitor"))
    t.say("Discord", "visitor (not registered)", "reacts 1️⃣, then 3️⃣")
    await stranger.react(post, "1️⃣")
    await stranger.react(post, "3️⃣")
    for dm in stranger.user.dm_channel.history():
        t.say("Discord", "bot (DM to visitor)", dm.content)
    ballots = await demo.hub.votes.get(ref.id, vote.id)
    t.note(f"ballots counted: {ballots.voters} of {ballots.eligible} eligible")

    t.title("Three days later the vote closes by itself: the result is posted with a chart")
    clock.advance(vote.closes_at - clock.now() + timedelta(seconds=1))
    run = await demo.hub.vote_closer.run_due()
    t.note(f"the scheduler's job ran: {run.closed} vote closed, {run.published} result posted")
    result = announce.last_message
    t.say("Discord", "bot (in #お知らせ)", _message_text(result))
    t.note("attached: " + ", ".join(f"{a.filename} ({a.size} bytes)" for a in result.attachments))
    await hanako.send("投票結果")


async def _subcommittee_scenes(
    demo: Demo, guild: Any, channel: Any, aiko: Any, staff: Any, hanako: LineUser, sam: LineUser
) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None and isinstance(demo.hub.clock, ManualClock)
    clock = demo.hub.clock

    t.title("Discord: staff make a subcommittee; the bot creates its role and private channel")
    t.say(
        "Discord",
        "yakuba (staff)",
        "/subcommittee create name:食と農 description:島の食と農業を考える tags:食、農業、料理",
    )
    made = await staff.slash(
        channel,
        "subcommittee create",
        name="食と農",
        description="島の食と農業を考える",
        tags="食、農業、料理",
    )
    t.say("Discord", "bot", _discord_reply(made))
    [food] = await demo.hub.subcommittees.all(ref.id)
    t.note(f"on Discord now: role {food.discord_role_id}, private channel {food.discord_channel_id}")

    t.title("Members join from both apps; staff name Aiko its lead")
    await hanako.send("分科会")
    await hanako.tap(f"action=sub_join&s={food.id}", "参加する")
    t.say("Discord", "aiko", "/subcommittee join name:食と農")
    t.say("Discord", "bot", _discord_reply(await aiko.slash(channel, "subcommittee join", name="食と農")))
    t.say("Discord", "yakuba (staff)", "/subcommittee lead name:食と農 member:@aiko")
    t.say(
        "Discord",
        "bot",
        _discord_reply(await staff.slash(channel, "subcommittee lead", name="食と農", member=aiko)),
    )

    t.title("Aiko, as its lead (not staff), opens a vote for the subcommittee's members only")
    options = {
        "question": "収穫祭はどこで",
        "options": "港|学校|公民館",
        "closes": "2日",
        "subcommittee": "食と農",
    }
    t.say("Discord", "aiko", "/vote create " + " ".join(f"{k}:{v}" for k, v in options.items()))
    t.say("Discord", "bot", _discord_reply(await aiko.slash(channel, "vote create", **options)))
    other = {"question": "島全体の議案", "options": "A|B", "closes": "2日"}
    t.say("Discord", "aiko", "/vote create question:島全体の議案 options:A|B closes:2日 (no subcommittee)")
    t.say("Discord", "bot", _discord_reply(await aiko.slash(channel, "vote create", **other)))

    t.title("A project needing skills: Sam (web design, translation) is told and applies on LINE")
    await sam.send("project news on")
    deadline = (clock.now().astimezone(JST) + timedelta(days=14)).strftime("%Y-%m-%d 18:00")
    project = {
        "title": "観光サイトの英語化",
        "needs": "町の観光サイトを英語にして、海外の人に届けたい",
        "skills": "翻訳、web design",
        "deadline": deadline,
        "online": True,
    }
    t.say("Discord", "yakuba (staff)", "/project create " + " ".join(f"{k}:{v}" for k, v in project.items()))
    pushed = len(demo.api.pushes())
    t.say("Discord", "bot", _discord_reply(await staff.slash(channel, "project create", **project)))
    demo.show_pushes(pushed)
    [call] = await demo.hub.projects.open_projects(ref.id)
    await sam.send("projects")
    await sam.tap(f"action=project_apply&p={call.id}", "Apply")
    t.say("Discord", "yakuba (staff)", f"/project review project:{call.id}, presses “Accept”")
    shown = await staff.slash(channel, "project review", project=str(call.id))
    pushed = len(demo.api.pushes())
    await staff.click(shown.response.message, custom_id="project-review:accept")
    t.say("Discord", "bot", "(panel) " + (env_last_content(shown) or ""))
    demo.show_pushes(pushed)


async def _console_scenes(demo: Demo, channel: Any, staff: Any, hanako: LineUser) -> None:
    t = demo.t
    ref = demo.hub.communities.by_key("ama")
    assert ref is not None and isinstance(demo.hub.clock, ManualClock)
    clock = demo.hub.clock

    t.title("Staff send news to a segment (members interested in 食): a preview with the LINE cost first")
    t.say("Discord", "yakuba (staff)", "/announce text:来月、港で朝市を開きます。 interest:食")
    shown = await staff.slash(channel, "announce", text="来月、港で朝市を開きます。", interest="食")
    t.say("Discord", "bot", _discord_reply(shown))
    pushed, multicast = len(demo.api.pushes()), len(demo.api.multicasts())
    t.say("Discord", "yakuba (staff)", "presses “Send”")
    await staff.click(shown.response.message, custom_id="announce:confirm")
    t.say("Discord", "bot", "(panel) " + (env_last_content(shown) or ""))
    demo.show_pushes(pushed, multicast)
    t.say("Discord", "yakuba (staff)", "/budget")
    t.say("Discord", "bot", _discord_reply(await staff.slash(channel, "budget")))

    t.title("The weekly digest: one message per member, on their own app")
    day = (clock.now().astimezone(JST) + timedelta(days=10)).strftime("%Y-%m-%d")
    await staff.slash(channel, "event create", title="冬の朝市", start=f"{day} 09:00", place="菱浦港")
    t.note("staff posted one more event, 冬の朝市; nobody has answered it yet")
    due = demo.hub.weekly_digest.next_at(ref.id)
    assert due is not None
    clock.advance(max(due - clock.now(), timedelta(0)))
    pushed, multicast = len(demo.api.pushes()), len(demo.api.multicasts())
    run = await demo.hub.weekly_digest.run()
    when = clock.now().astimezone(JST)
    t.note(f"{when:%Y-%m-%d %H:%M} JST: {run.sent} digests sent, {run.nothing} had nothing new")
    demo.show_pushes(pushed, multicast)

    t.title("The numbers for the mayor, an export for the spreadsheet, an activity statement")
    t.say("Discord", "yakuba (staff)", "/stats")
    stats = await staff.slash(channel, "stats")
    t.say("Discord", "bot", _discord_reply(stats))
    reply = stats.followups[-1] if stats.followups else stats.response
    t.note("attached: " + ", ".join(f"{a.filename} ({a.size} bytes)" for a in reply.attachments))
    t.say("Discord", "yakuba (staff)", "/export kind:ambassadors")
    exported = await staff.slash(channel, "export", kind="ambassadors")
    reply = exported.followups[-1] if exported.followups else exported.response
    [csv_file] = reply.attachments
    text = (await csv_file.read()).decode("utf-8-sig")
    t.note(f"{csv_file.filename}: UTF-8 with BOM; first lines:")
    for line in text.splitlines()[:3]:
        t.out("     " + line)
    t.say("Discord", "yakuba (staff)", "/statement issue member:2 year:2026")
    issued = await staff.slash(channel, "statement issue", member=2, year=2026)
    reply = issued.followups[-1] if issued.followups else issued.response
    t.say("Discord", "bot", _discord_reply(issued))
    files = {a.filename: await a.read() for a in reply.attachments}
    t.note("attached: " + ", ".join(f"{name} ({len(data)} bytes)" for name, data in files.items()))
    [document] = [data for name, data in files.items() if name.endswith(".json")]
    check = await verify_statement(document, demo.hub.db)
    verdict = "ok" if check.ok else check.problems
    t.note(f"the statement checked against the ledger: {verdict}, {check.activities} activities")


def _message_text(message: Any, now: datetime | None = None) -> str:
    text = "\n".join([message.content or ""] + [_embed_text(e) for e in message.embeds]).strip()
    buttons = [c.label for row in message.components for c in getattr(row, "children", []) if c.label]
    text = _local_times(text, now)
    return text + ("\n" + " ".join(f"[{b}]" for b in buttons) if buttons else "")


def _local_times(text: str, now: datetime | None = None) -> str:
    """Discord shows <t:UNIX:style> in each reader's own time; the transcript shows Japan time."""

    def shown(m: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(m.group(1)), JST)
        style = m.group(2)
        if style == "R":  # relative to the reader's now: the demo's simulated clock
            days = round((moment - now).total_seconds() / 86400) if now else 0
            return f"in {days} days" if days > 0 else "soon"
        return moment.strftime("%H:%M JST" if style == "t" else "%Y-%m-%d %H:%M JST")

    return re.sub(r"<t:(\d+):([tTdDfFR])>", shown, text)


def env_last_content(result: Any) -> str | None:
    """The content of the ephemeral panel after it was edited by a button press."""
    message = result.response.message
    return getattr(message, "content", None)


async def run_demo(keep: str | None = None, out: Callable[[str], None] = print) -> int:
    try:
        import simcord
    except ImportError:
        print("the demo needs SimCord: pip install -e '.[demo]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hub-demo-") as tmp:
        path = Path(keep) if keep else Path(tmp) / "demo.sqlite3"
        if path.exists():
            path.unlink()
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        configure_logging("ERROR", "text", [DEMO_SECRET, DEMO_TOKEN])
        transcript = Transcript(out)
        out(
            "関係人口 ambassador hub: offline demo (simulated Discord + LINE, SQLite at "
            f"{path if keep else 'a temporary file'})"
        )
        check = DiscordRequestCheck()  # Discord's limits (bot/discord_check)
        async with LineStandIn() as api:
            settings = demo_settings(url, api.base_url)
            # Simulated time: reminders fire when the demo moves the clock, not after real days.
            clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
            hub = await open_hub(settings, clock=clock)
            try:
                bot = create_discord_bot(settings, hub)
                app = create_line_app(settings, hub)
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                await web.TCPSite(runner, "127.0.0.1", 0).start()
                base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
                try:
                    with check.installed():  # every request to the simulated Discord is checked
                        async with simcord.run(bot) as env, aiohttp.ClientSession() as http:
                            guild = env.create_guild("海士町アンバサダー", id=DEMO_GUILD)
                            channel = guild.create_text_channel("ひろば")
                            role = guild.create_role("アンバサダー")
                            staff_role = guild.create_role("運営スタッフ")
                            announce = guild.create_text_channel("お知らせ")
                            await hub.reconfigure(
                                demo_settings(url, api.base_url, role.id, staff_role.id, announce.id)
                            )
                            demo = Demo(hub, api, app, base_url, http, transcript)
                            demo.announce = announce
                            await _scenes(demo, env, guild, channel, role)
                finally:
                    await runner.cleanup()
            finally:
                await hub.close()
            refused = api.take_violations()  # said below, and the demo fails (the stand-in would raise)
        out(
            f"\nLINE Messaging API stand-in received {len(api.requests)} requests "
            f"({len(api.replies())} replies, {len(api.pushes())} pushes), each checked against LINE's "
            f"OpenAPI files."
        )
        out(check.summary())
    logging.getLogger().handlers.clear()
    if refused:
        out(f"\nLINE would have refused {len(refused)} request(s) the hub sent:")
        for violation in refused:
            out(str(violation))
    if check.refusals:  # Discord would have refused these: the demo is not clean
        out(check.report())
    if refused or check.refusals:
        return 1
    out("Demo finished.")
    return 0
