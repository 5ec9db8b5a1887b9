"""The legacy payments API (v1, served at the root of /api/payments) as a translation of the v3
core: names, statuses and shapes only. Every rule and every write stays in domain/payments."""
