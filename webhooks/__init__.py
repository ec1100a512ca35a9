"""Webhooks: partners' endpoints, the deliveries of committed outbox events to them, and their signing."""
