"""Reading the events outbox for consumers, with each consumer's offset."""
