"""The report's figures, each an aggregate query over one festival's rows (see docs/reports.md)."""
