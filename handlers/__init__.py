"""Python functions the processes call: service-task operators and script helpers."""
