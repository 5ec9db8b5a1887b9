"""The payments activities: connector calls (each fetch page stored with its state in one
transaction) and the Temporal Schedules of installed connectors."""
