"""Webhook retries: one workflow per failed delivery, on the Formance schedule."""
