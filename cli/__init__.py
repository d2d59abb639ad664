"""The `amazon-payments` command line: an edge that builds resources and calls services."""
