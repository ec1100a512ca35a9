"""Writers: the same tables as CSV (zip), XLSX and PDF."""
