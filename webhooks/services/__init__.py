"""Webhooks' services: endpoints (endpoints.py), events owed to them (events.py), their delivery
(delivery.py) over a guarded HTTP client (transport.py, addresses.py)."""
