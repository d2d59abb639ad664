"""Settlement reports as data: the canonical frame, the XML and CSV parsers (bytes in, rows
out), exact value readers, report states, the review summary and the booking rules. No I/O.
"""
