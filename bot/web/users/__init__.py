"""Users and roles (administrators): the role table, accounts, MFA resets, lock-outs."""
