"""What the clinic reads: exports, the cohort report, paper forms, alerts, audit.

Works on the database through `bot/db/` and scores through `surveys/`; never sends to patients
and never imports the service, channels or CLI. May import `db`, `conversation`, `surveys`.
"""
