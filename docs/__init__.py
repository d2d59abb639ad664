"""The README's pictures and the scripts that take them (run from the repository root)."""
