"""Units (province, commune/ward), people, roles, invitations and API tokens."""
