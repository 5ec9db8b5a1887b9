"""Webhook configs, deliveries and attempts in PostgreSQL."""
