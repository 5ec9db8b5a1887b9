"""Orchestration (Formance Flows): workflow definitions, their stages and validation, `${var}`
interpolation, triggers and the expression language their filters and variables are written
in (expr/)."""
