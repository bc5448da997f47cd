"""Joining a Discord and a LINE account into one ambassador with a one-time code.

Either side may issue the code; it is redeemed from the other platform. Exactly one of the two accounts
must already be registered (or both, as the same ambassador). Only a hash of the code is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import AmbassadorView, ambassador_for, platforms_of, view_of
from bot.community.errors import DomainError
from bot.community.identity import Identity
from storage.database import Database
from storage.models import LinkCode, PlatformIdentity

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone
CODE_LENGTH = 8
_CODE_TEXT = re.compile(r"^[A-Z0-9]{4}-?[A-Z0-9]{4}$")


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown as "ABCD-EFGH"
    expires_at: datetime


def normalise_code(text: str) -> str:
    return re.sub(r"[\s\-ー－]", "", unicodedata.normalize("NFKC", text)).upper()


def looks_like_code(text: str) -> bool:
    """Whether a chat message is probably a link code (so LINE can route it without a command word)."""
    return bool(_CODE_TEXT.match(unicodedata.normalize("NFKC", text).strip().upper()))


def _hash(community_id: int, code: str) -> str:
    return hashlib.sha256(f"{community_id}:{code}".encode()).hexdigest()


class LinkService:
    def __init__(self, db: Database, clock: Clock, valid_for: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.valid_for = valid_for

    async def issue(self, who: Identity) -> IssuedCode:
        """A fresh code for this account; any earlier unused code of the same account stops working."""
        now = self.clock.now()
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        async with self.db.transaction() as s:
            await s.execute(
                delete(LinkCode).where(
                    LinkCode.community_id == who.community_id,
                    LinkCode.platform == who.platform,
                    LinkCode.external_id == who.external_id,
                    LinkCode.used_at.is_(None),
                )
            )
            s.add(
                LinkCode(
                    community_id=who.community_id,
                    code_hash=_hash(who.community_id, raw),
                    platform=who.platform,
                    external_id=who.external_id,
                    created_at=now,
                    expires_at=now + self.valid_for,
                    used_at=None,
                )
            )
        return IssuedCode(f"{raw[:4]}-{raw[4:]}", now + self.valid_for)

    async def redeem(self, who: Identity, code_text: str) -> AmbassadorView:
        """Link ``who`` with the account that issued the code. Returns the joined ambassador."""
        try:
            return await self._redeem(who, code_text)
        except IntegrityError:
            # The account without an ambassador registered on its own while the code was being redeemed.
            raise DomainError("link.error.both_registered") from None

    async def _redeem(self, who: Identity, code_text: str) -> AmbassadorView:
        code = normalise_code(code_text)
        if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
            raise DomainError("link.error.invalid")
        now = self.clock.now()
        async with self.db.transaction() as s:
            row = await s.scalar(
                select(LinkCode).where(
                    LinkCode.community_id == who.community_id,
                    LinkCode.code_hash == _hash(who.community_id, code),
                )
            )
            if row is None:
                raise DomainError("link.error.invalid")
            if row.used_at is not None:
                raise DomainError("link.error.used")
            if row.expires_at <= now:
                raise DomainError("link.error.expired")
            if row.platform == who.platform:
                raise DomainError("link.error.same_platform")
            issuer = Identity(who.community_id, row.platform, row.external_id)  # type: ignore[arg-type]
            a_issuer = await ambassador_for(s, issuer)
            a_redeemer = await ambassador_for(s, who)
            if a_issuer is None and a_redeemer is None:
                raise DomainError("link.error.not_registered")
            if a_issuer is not None and a_redeemer is not None:
                if a_issuer.id == a_redeemer.id:
                    raise DomainError("link.error.already_linked")
                raise DomainError("link.error.both_registered")
            target = a_issuer or a_redeemer
            newcomer = who if a_issuer is not None else issuer
            assert target is not None
            taken = await s.scalar(
                select(PlatformIdentity.id).where(
                    PlatformIdentity.community_id == who.community_id,
                    PlatformIdentity.ambassador_id == target.id,
                    PlatformIdentity.platform == newcomer.platform,
                )
            )
            if taken is not None:
                raise DomainError("link.error.platform_taken")
            # Claim the code: only one redemption can flip used_at, even if two race.
            claimed = await s.execute(
                update(LinkCode).where(LinkCode.id == row.id, LinkCode.used_at.is_(None)).values(used_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError("link.error.used")
            s.add(
                PlatformIdentity(
                    community_id=who.community_id,
                    ambassador_id=target.id,
                    platform=newcomer.platform,
                    external_id=newcomer.external_id,
                    active=True,
                    linked_at=now,
                )
            )
            audit.record(
                s,
                community_id=who.community_id,
                action="identity.linked",
                at=now,
                ambassador_id=target.id,
                platform=newcomer.platform,
                actor=audit.actor_of(who),
            )
            await s.flush()
            return view_of(target, await platforms_of(s, target))
