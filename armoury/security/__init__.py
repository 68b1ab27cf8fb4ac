"""Who may do what: the acting user, roles and permissions."""
