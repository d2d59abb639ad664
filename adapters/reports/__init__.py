"""Where settlement reports come from (the Amazon Pay Reports API, an inbox folder) and how one
import is summed up.
"""
