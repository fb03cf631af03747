"""Cohorts: list and create, the calendar, moving and cancelling sessions, attendance, alumni."""
