"""Sign-in, the second factor (TOTP and recovery codes), MFA set-up, the account page."""
