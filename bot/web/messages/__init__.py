"""Messages: the outbox and invitation log, cancel or resend one."""
