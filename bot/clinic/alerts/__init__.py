"""Alerts to staff: clinical flags raised when scores are stored, and notices on staff channels.

A staff message carries the alert number, the study id and the alert kind only; the detail is
read in pathbot (`pathbot alerts list`), never in a chat or an e-mail inbox.
"""
