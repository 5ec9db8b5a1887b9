"""Auth persistence: clients, hashed secrets, users, signing keys."""
