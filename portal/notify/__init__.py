"""Messages to people: an outbox written with the change that caused it, drained over SMTP."""
