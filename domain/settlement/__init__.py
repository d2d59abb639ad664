"""Settlement reports as data: the canonical frame and header (what every report format is read
into, by `adapters.settlement_formats`), report states, the review summary and the booking
rules. No I/O.
"""
