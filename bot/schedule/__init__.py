"""Cohort calendars, survey plans, reminders and RSVPs (DESIGN.md §4).

Everything due is a row: events, assignments and outbox messages. `due.materialise_due_work`
turns what has come due into outbox rows; the scheduler only calls it and wakes the dispatcher.
May import `bot/db/`, `bot/conversation/` and `surveys/`; never the service, channels or CLI.
"""
