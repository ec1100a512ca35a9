"""The team's rules and work: who may invite whom, one-time links, members, phones, passwords."""
