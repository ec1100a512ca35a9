"""Pages: the organiser's webhooks console (/organiser/cities/{slug}/webhooks)."""
