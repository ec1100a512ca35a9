"""Mail's services: what each mail says (content), how it is put together (compose), sent exactly once
(ledger) and handed to SMTP or the development Maildir (transport)."""
