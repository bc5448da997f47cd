"""The ledger's hash chain, checked by tampering with rows directly in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select, update

from bot.community.identity import Identity
from bot.hub import Hub
from storage.models import Ambassador, Community, LedgerEntry
from tests.services.test_ambassadors import register, who


async def filled(hub: Hub, n: int = 6) -> Identity:
    alice, bob = who(hub, "alice"), who(hub, "bob")
    await register(hub, alice, "Alice")
    await register(hub, bob, "Bob")
    for i in range(n):
        await hub.contributions.log(alice if i % 2 else bob, "promotion", f"SNSで紹介 {i}")
    return alice


async def test_an_untouched_chain_verifies_and_survives_a_departure(hub: Hub) -> None:
    alice = await filled(hub)
    report = await hub.ledger.verify(alice.community_id)
    assert report.ok and report.checked == 6
    await hub.ambassadors.leave(alice)  # personal fields erased, entries stay pseudonymous
    assert (await hub.ledger.verify(alice.community_id)).ok
    other = who(hub, "x", key="tabayama").community_id
    assert (await hub.ledger.verify(other)).checked == 0


async def _tamper(hub: Hub, statement: object) -> None:
    async with hub.db.transaction() as s:
        await s.execute(statement)  # type: ignore[call-overload]


async def test_a_changed_entry_is_named(hub: Hub) -> None:
    alice = await filled(hub)
    await _tamper(hub, update(LedgerEntry).where(LedgerEntry.seq == 3).values(points=500))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq, report.checked) == ("changed", 3, 2)


async def test_a_changed_entry_with_a_recomputed_hash_breaks_the_next_link(hub: Hub) -> None:
    from bot.community.ledger import HASHED_FIELDS, entry_hash

    alice = await filled(hub)
    async with hub.db.transaction() as s:
        row = await s.scalar(select(LedgerEntry).where(LedgerEntry.seq == 2))
        assert row is not None
        row.description = "書き換え"
        row.hash = entry_hash(row.prev_hash, {f: getattr(row, f) for f in HASHED_FIELDS})
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq) == ("unlinked", 3)


async def test_a_removed_entry_is_named(hub: Hub) -> None:
    alice = await filled(hub)
    await _tamper(hub, delete(LedgerEntry).where(LedgerEntry.seq == 4))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq) == ("removed", 4)


async def test_a_removed_last_entry_is_noticed_from_the_head(hub: Hub) -> None:
    alice = await filled(hub)
    await _tamper(hub, delete(LedgerEntry).where(LedgerEntry.seq == 6))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq) == ("removed", 6)


async def test_reordered_entries_are_named(hub: Hub) -> None:
    alice = await filled(hub)
    await _tamper(hub, update(LedgerEntry).where(LedgerEntry.seq == 2).values(seq=-2))
    await _tamper(hub, update(LedgerEntry).where(LedgerEntry.seq == 5).values(seq=2))
    await _tamper(hub, update(LedgerEntry).where(LedgerEntry.seq == -2).values(seq=5))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq) == ("unlinked", 2)


async def test_concurrent_appends_keep_one_unbroken_chain(hub: Hub) -> None:
    alice, bob = who(hub, "alice"), who(hub, "bob")
    await register(hub, alice, "Alice")
    await register(hub, bob, "Bob")
    await asyncio.gather(
        *(hub.contributions.log(alice if i % 2 else bob, "promotion", f"post {i}") for i in range(20))
    )
    report = await hub.ledger.verify(alice.community_id)
    assert report.ok and report.checked == 20
    async with hub.db.transaction() as s:
        head = await s.scalar(select(Community.ledger_seq).where(Community.id == alice.community_id))
    assert head == 20


async def test_with_two_problems_the_earlier_one_is_named(hub: Hub) -> None:
    alice = await filled(hub)
    await _tamper(hub, update(LedgerEntry).where(LedgerEntry.seq == 2).values(description="x"))
    await _tamper(hub, delete(LedgerEntry).where(LedgerEntry.seq == 5))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq, report.checked) == ("changed", 2, 1)
    await _tamper(hub, delete(LedgerEntry).where(LedgerEntry.seq == 1))
    report = await hub.ledger.verify(alice.community_id)
    assert (report.problem, report.seq, report.checked) == ("removed", 1, 0)


async def test_appends_during_a_verify_are_not_half_seen(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.community.ledger import LedgerVerifier

    alice = await filled(hub)
    monkeypatch.setattr(LedgerVerifier, "BATCH", 2)
    pages = LedgerVerifier._pages

    async def pages_with_an_append_in_between(
        self: LedgerVerifier, *args: object
    ) -> AsyncIterator[list[object]]:
        first = True
        async for page in pages(self, *args):  # type: ignore[arg-type]
            yield page
            if first:  # someone logs a contribution while the walk is under way
                await hub.contributions.log(alice, "promotion", "during the verify")
                first = False

    monkeypatch.setattr(LedgerVerifier, "_pages", pages_with_an_append_in_between)
    report = await hub.ledger.verify(alice.community_id)
    assert report.ok and report.checked == 6  # the head read at the start
    monkeypatch.setattr(LedgerVerifier, "_pages", pages)
    assert (await hub.ledger.verify(alice.community_id)).checked == 7


async def test_a_bulk_append_makes_the_chain_and_totals_one_append_each_would(hub: Hub) -> None:
    """The ballot points of a vote go in with ``append_many``: same hashes, same totals, same promotions."""
    one_by_one, bulk = who(hub, "a"), who(hub, "a", key="tabayama")
    members = []
    for ident in (one_by_one, bulk):
        await register(hub, ident, "A")
        await register(hub, Identity(ident.community_id, "discord", "b"), "B")
    async with hub.db.transaction() as s:
        for cid in (one_by_one.community_id, bulk.community_id):
            members.append(
                list(
                    (
                        await s.scalars(
                            select(Ambassador).where(Ambassador.community_id == cid).order_by(Ambassador.id)
                        )
                    ).all()
                )
            )
        singles = [
            await hub.contributions.append_automatic(s, m, "local_activity", "祭り") for m in members[0]
        ]
        promotions = await hub.contributions.append_automatic_many(s, members[1], "local_activity", "祭り")
    assert [p.promotion.new for p in singles if p.promotion] == [c.new for c in promotions] == [2, 2]
    async with hub.db.transaction() as s:
        chains = [
            (
                await s.execute(
                    select(LedgerEntry.seq, LedgerEntry.ambassador_id, LedgerEntry.points)
                    .where(LedgerEntry.community_id == cid)
                    .order_by(LedgerEntry.seq)
                )
            ).all()
            for cid in (one_by_one.community_id, bulk.community_id)
        ]
    assert (
        [(seq, pts) for seq, _, pts in chains[0]]
        == [(seq, pts) for seq, _, pts in chains[1]]
        == [(1, 5), (2, 5)]
    )
    for ident in (one_by_one, bulk):
        assert (await hub.ledger.verify(ident.community_id)).ok
        assert await hub.contributions.points(ident) == 5
    board = await hub.contributions.leaderboard(bulk.community_id, "all", "local_activity")
    assert [(r.display_name, r.points) for r in board] == [("A", 5), ("B", 5)]
