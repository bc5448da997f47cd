"""The pump that sends event reminders when they fall due (see ``due_pump``)."""

from __future__ import annotations

from functools import partial

from bot.community.due import Scope
from bot.community.reminders import ReminderService
from bot.notify.reminder_sender import ReminderRun, ReminderSender
from bot.schedule.due_pump import DuePump
from bot.schedule.scheduler import Scheduler

POLL_JOB = "reminders-poll"
WAKE_JOB = "reminders-wake"


class ReminderPump(DuePump[ReminderRun]):
    def __init__(
        self,
        scheduler: Scheduler,
        reminders: ReminderService,
        sender: ReminderSender,
        scope: Scope = None,
    ) -> None:
        next_due = partial(reminders.next_due, scope)
        super().__init__(scheduler, "reminders", reminders, next_due, partial(sender.run_due, scope))
