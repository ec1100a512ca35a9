"""Programme import jobs: check and apply one large spreadsheet (import.requested).

Thin on purpose: it passes the id to events/importing, which loads the import, records its
progress (the console's progress bar reads it) and is safe to run twice.
"""
from events.importing import programme


def run_import(import_id):
    """RQ job for `import.requested {import_id}`."""
    programme.run_import(import_id)
