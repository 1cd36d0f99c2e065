"""What every app's API shares: the error format, optimistic concurrency, pagination and the schema."""
