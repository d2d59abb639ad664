"""The data-quality checks of settlement reports, on built frames and real samples."""
