"""Settlement report parsing: XML and CSV layouts, values, states and hostile files."""
