"""A city's team: invitations by e-mail, members and their roles, removal, and password reset links."""
