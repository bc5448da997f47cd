"""The pump that sends event reminders when they fall due (see ``due_pump``)."""

from __future__ import annotations

from bot.community.reminders import ReminderService
from bot.notify.reminder_sender import ReminderRun, ReminderSender
from bot.schedule.due_pump import DuePump
from bot.schedule.scheduler import Scheduler

POLL_JOB = "reminders-poll"
WAKE_JOB = "reminders-wake"


class ReminderPump(DuePump[ReminderRun]):
    def __init__(self, scheduler: Scheduler, reminders: ReminderService, sender: ReminderSender) -> None:
        super().__init__(scheduler, "reminders", reminders, reminders.next_due, sender.run_due)
