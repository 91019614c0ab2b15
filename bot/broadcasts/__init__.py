"""Broadcasts, seasonal campaigns, scheduling and paced delivery from the outbox."""
