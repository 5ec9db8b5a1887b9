"""Webhook side effects: signed HTTP deliveries and their recording."""
