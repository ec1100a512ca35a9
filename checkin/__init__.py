"""Check-in: checkpoints, scans, QR verification, the scanner page and its offline bundle."""
