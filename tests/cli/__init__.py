"""The command line: lazy start-up, the orders commands, hostile input files and the demo."""
