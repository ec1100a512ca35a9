"""The demo network: its content (network), loaded through the organisers' own services (loading), and
`flask demo load` (cli)."""
