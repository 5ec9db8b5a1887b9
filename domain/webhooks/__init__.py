"""Webhooks: configs, signed deliveries and the Formance retry schedule."""
