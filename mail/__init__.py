"""Mail: confirmations, notices and reminders, each sent exactly once."""
