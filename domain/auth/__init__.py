"""Auth: OAuth2 clients, their secrets, users, and the client_credentials grant."""
