"""Payments on Temporal: the install workflow creates a Schedule per connector and capability;
each schedule runs the fetch workflow, which pages through the provider; the uninstall workflow
removes schedules, running workflows and data."""
