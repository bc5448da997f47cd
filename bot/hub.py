"""The services of one running hub, built from settings (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, SystemClock
from bot.community.ambassadors import AmbassadorService
from bot.community.checkins import CheckinService
from bot.community.communities import CommunityDirectory
from bot.community.contributions import ContributionService
from bot.community.conversations import ConversationService
from bot.community.events import EventService
from bot.community.exports import ExportService
from bot.community.housekeeping import Housekeeping
from bot.community.ledger import LedgerVerifier
from bot.community.linking import LinkService
from bot.community.moderation import ModerationService
from bot.community.privacy import PrivacyService
from bot.community.projects import ProjectService
from bot.community.reminders import ReminderService
from bot.community.rsvps import RsvpService
from bot.community.segments import Segments
from bot.community.stages import StageService
from bot.community.statements import StatementService
from bot.community.stats import StatsService
from bot.community.subcommittees import SubcommitteeService
from bot.community.votes import VoteService
from bot.community.webhook_events import WebhookEventLog
from bot.config import Settings
from bot.i18n import Translator
from bot.notify.broadcasts import Broadcasts
from bot.notify.budget import PushBudget
from bot.notify.digests import Digests
from bot.notify.held import HeldMessages
from bot.notify.notifier import Notifier
from bot.notify.offers import Offers
from bot.notify.reminder_sender import ReminderSender
from bot.notify.vote_closer import VoteCloser
from bot.notify.weekly_digest import WeeklyDigest
from storage.database import Database


@dataclass
class Hub:
    settings: Settings
    db: Database
    clock: Clock
    tr: Translator
    communities: CommunityDirectory
    ambassadors: AmbassadorService
    links: LinkService
    conversations: ConversationService
    webhook_events: WebhookEventLog
    housekeeping: Housekeeping
    stages: StageService
    contributions: ContributionService
    ledger: LedgerVerifier
    notifier: Notifier
    reminders: ReminderService
    events: EventService
    rsvps: RsvpService
    checkins: CheckinService
    offers: Offers
    reminder_sender: ReminderSender
    votes: VoteService
    vote_closer: VoteCloser
    subcommittees: SubcommitteeService
    projects: ProjectService
    digests: Digests
    segments: Segments
    held: HeldMessages
    broadcasts: Broadcasts
    weekly_digest: WeeklyDigest
    stats: StatsService
    exports: ExportService
    statements: StatementService
    moderation: ModerationService
    privacy: PrivacyService

    async def reconfigure(self, settings: Settings) -> None:
        """Apply new community settings (names, Discord ids, notice versions) without a restart."""
        self.communities.adopt(await CommunityDirectory.sync(self.db, settings, self.clock))
        self.settings = settings

    async def close(self) -> None:
        await self.db.dispose()


async def open_hub(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Hub:
    """Connect to the (already migrated) database, sync the communities, and build every service."""
    clock = clock or SystemClock()
    db = db or Database(settings.database.url)
    tr = Translator()
    directory = await CommunityDirectory.sync(db, settings, clock)
    ambassadors = AmbassadorService(db, clock)
    stages = StageService(db, clock, directory)
    contributions = ContributionService(db, clock, directory, stages)
    budget = PushBudget(db, clock, directory)
    notifier = Notifier(db, tr, budget)
    held = HeldMessages(db, clock, directory, budget, tr, notifier.boards)
    notifier.fallback = held  # a push the budget stops is held for the weekly digest
    segments = Segments(db, budget)
    lease = timedelta(seconds=settings.jobs.lease_seconds)
    reminders = ReminderService(db, clock, directory, lease)
    events = EventService(db, clock, directory, reminders)
    votes = VoteService(db, clock, directory, contributions, lease)
    subcommittees = SubcommitteeService(db, clock, directory)
    return Hub(
        settings=settings,
        db=db,
        clock=clock,
        tr=tr,
        communities=directory,
        ambassadors=ambassadors,
        links=LinkService(db, clock, timedelta(minutes=settings.registration.link_code_minutes)),
        conversations=ConversationService(db, clock, tr, directory, ambassadors, contributions),
        webhook_events=WebhookEventLog(db, clock),
        housekeeping=Housekeeping(db, clock),
        stages=stages,
        contributions=contributions,
        ledger=LedgerVerifier(db),
        notifier=notifier,
        reminders=reminders,
        events=events,
        rsvps=RsvpService(db, clock, reminders),
        checkins=CheckinService(db, clock, directory, contributions),
        offers=Offers(db, clock, budget, notifier),
        reminder_sender=ReminderSender(reminders, events, notifier),
        votes=votes,
        vote_closer=VoteCloser(votes, notifier),
        subcommittees=subcommittees,
        projects=ProjectService(db, clock, directory, contributions),
        digests=Digests(directory, subcommittees, notifier),
        segments=segments,
        held=held,
        broadcasts=Broadcasts(db, clock, directory, tr, budget, segments, notifier),
        weekly_digest=WeeklyDigest(db, clock, directory, tr, budget, held, notifier),
        stats=StatsService(db, clock, directory),
        exports=ExportService(db, clock, directory, tr, votes),
        statements=StatementService(db, clock, directory),
        moderation=ModerationService(db, clock),
        privacy=PrivacyService(db, clock, directory),
    )
