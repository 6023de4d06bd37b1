"""The runtime: SpiffWorkflow glue with state in a database. Knows nothing of Flask."""
