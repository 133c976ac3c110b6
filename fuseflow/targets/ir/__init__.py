"""The IR target: the workflow as JSON."""
