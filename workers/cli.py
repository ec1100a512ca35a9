"""Worker-side commands (the outbox sweep and schedules arrive with the workers issue)."""


def register_commands(app):
    return app
