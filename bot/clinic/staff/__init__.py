"""Staff accounts for the console: roles and what each may do, passwords, MFA, sessions, sign-in.

Store functions like the rest of `bot/clinic/`: they take an open session and never commit, so
the CLI (`pathbot staff ...`) and the console (`bot/web/`) share one copy of every rule.
"""
