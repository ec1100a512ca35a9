"""RQ jobs: dispatch of outbox topics, mail, iCalendar feeds and reports. Domains never import this."""
