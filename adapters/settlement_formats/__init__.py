"""Amazon's settlement report formats read into the domain's canonical frame: the XML and Amazon
Pay CSV parsers (bytes or a binary stream in, `domain.settlement.model` chunks out), the exact
value readers they share, the one entry point `parse.iter_report`, and the running tally of what
a report says about itself (`tally.ReportTally`). No files opened, no store.
"""
