"""The reports' seeded festival (passes, bookings, booths, checkpoints, scans) serves the Thai walk too."""
from tests.reports.conftest import people, seed  # noqa: F401  (fixtures)
