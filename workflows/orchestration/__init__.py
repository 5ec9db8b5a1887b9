"""Flow instances on Temporal: one workflow per instance, its stages run inside it."""
