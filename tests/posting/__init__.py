"""Settlement posting: booking rules, imports (also concurrent), sources, flows and commands."""
