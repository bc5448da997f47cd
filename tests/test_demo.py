"""`python -m bot demo` runs the whole hub offline and tells the story."""

from __future__ import annotations

import contextlib
from typing import Any

import discord
import pytest

from bot import demo as demo_module
from bot.demo import run_demo


async def test_demo_runs_offline_and_prints_the_transcript() -> None:
    lines: list[str] = []
    assert await run_demo(out=lines.append) == 0
    text = "\n".join(lines)
    for expected in (
        "Your member number is **No. 1**",  # Aiko on Discord
        "海士町オフィシャルアンバサダー の会員番号は No. 2 です。",  # 花子 on LINE
        "⚠️ 日本にお住まいの場合は、都道府県名を入力してください",  # the wrong answer, explained
        "Your 海士町オフィシャルアンバサダー member number is No. 3.",  # Sam in English
        "Aiko is one ambassador (No. 1) on discord + line",
        "HTTP 400; nothing stored, nothing sent",
        # A group chat: one greeting, then silence (no profile shown to the group).
        "[LINE group] bot › 海士町オフィシャルアンバサダー の公式アカウントです。招待ありがとうございます。",
        "[LINE group] 花子 › プロフィール\n   · nothing is said in the group",
        "You have left (No. 4).",
        "Bob still has the role: False",
        "the next one will be No. 5",
        "」は未来の日付です。",  # a contribution with a future date, explained
        "運営スタッフの確認後にポイントが加算されます。",  # 花子's claim waits for review
        "[LINE] bot (push to 花子) › おめでとうございます！ 関わりの段階が「関わる」",
        "累計 11ポイント",  # 1 for the thanks + 10 approved
        "ledger verify: ok, 7 entries",
        "Logged (#4). Hometown tax: 5 points",  # Aiko's /contribute on Discord
        "[LINE] bot (push to 花子) › 貢献記録 #1（知見の提供）が承認されました。+10ポイント",  # /review
        "[Discord] bot (DM to aiko) › Your contribution #4 (Hometown tax) was approved. +5 points",
        "ledger verify: BROKEN at entry #1 (changed)",
        "the row put back as it was: ledger verify ok",
        # Events: posted on Discord, offered on LINE, answered on both, a waiting list, reminders, check-in.
        'Created event #1 "島の国際交流祭".',
        "LINE: sent to 2 members who asked for event news.",
        "[LINE] bot (multicast to 花子) › [Flex card] 新しいイベント：島の国際交流祭",
        "「島の国際交流祭」はすでに「参加」で受け付けています。",  # a double tap
        "is full, so you are on the waiting list (number 1).",
        '[LINE] bot (push to Sam) › A place opened up: you are now going to "島の国際交流祭"',
        "[LINE] bot (push to 花子) › ⏰ リマインダー：「島の国際交流祭」",
        "run again: 0 sent (none twice)",
        "「島の国際交流祭」にチェックインしました。",
        "That check-in code was not found.",
        'Checked No.1 Aiko in to "島の国際交流祭".',
        # Votes: weighted, ballots from both apps, a moved ballot, a stranger ignored, the result posted.
        'Opened vote #1 "港の桟橋の修理に島の予算を使う".',
        "[LINE] bot (multicast to 花子) › [Flex card] 新しい投票：港の桟橋の修理に島の予算を使う",
        "Weight = min(cap 5, 1 + 0.2 × √10) = 1.63",
        "reactions now (the bot's own count one each): 1️⃣×1, 2️⃣×2, 3️⃣×1",  # Aiko's 1️⃣ taken off
        "いまの選択：1. 賛成",  # 花子 on LINE
        "[Discord] bot (DM to visitor) › 投票 #1「港の桟橋の修理に島の予算を使う」へのリアクションは"
        "票として数えられませんでした。",
        "ballots counted: 3 of 3 eligible",
        "1 vote closed, 1 result posted",
        "1️⃣ 賛成 🏆: 2票・重みの合計 3.2",
        "attached: vote-1.png",
        # Subcommittees and projects: made on Discord, joined from both apps, a lead's scoped vote, a match.
        'Created the subcommittee "食と農": the role',
        "分科会「食と農」に参加しました",  # 花子 on LINE
        'You joined "食と農".',  # Aiko on Discord
        "Who may vote: the 2 members at stage 1 or above",  # the lead's vote: its members only
        "This command is for the programme's staff.",  # the lead without a subcommittee
        '[LINE] bot (push to Sam) › 📣 A project needs skills you have: "観光サイトの英語化"',
        'You applied to "観光サイトの英語化".',
        "Accepted No.3 Sam; they were told.",
        # The staff console: a segment broadcast within budget, a digest, the numbers, an export, a statement.
        "LINE: 1 members who have not linked Discord (1 pushes)",
        "[LINE] bot (multicast to 花子) › 📣 海士町オフィシャルアンバサダーからのお知らせ",
        "3 digests sent, 0 had nothing new",
        "[LINE] bot (push to 花子) › 📬 海士町オフィシャルアンバサダー 今週のダイジェスト",
        "attached: ama-stats.png",
        "UTF-8 with BOM; first lines:",
        "Issued the 2026 activity statement of No. 2 はなこ",
        "the statement checked against the ledger: ok, 2 activities",
        "routes checked, 0 refused.",  # every request to the simulated Discord within its limits
        "Demo finished.",
    ):
        assert expected in text, expected


async def test_the_demo_fails_when_discord_would_refuse_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo checks every request to the simulated Discord like the tests do: one over a limit (here a
    scene that posts 2,001 characters, the bot shrugging off Discord's 400) makes it exit 1 and say why."""

    async def oversized(demo: Any, env: Any, guild: Any, channel: Any, role: Any) -> None:
        posted = env.bot.get_channel(channel.id)
        with contextlib.suppress(discord.HTTPException):  # the bot shrugs off Discord's answer
            await posted.send("あ" * 2001)

    monkeypatch.setattr(demo_module, "_scenes", oversized)
    lines: list[str] = []
    assert await run_demo(out=lines.append) == 1
    text = "\n".join(lines)
    assert "Discord limit check: " in text and "1 refused." in text
    assert "content: Must be 2000 or fewer in length. (sent: 2001 characters)" in text
    assert "Demo finished." not in text
