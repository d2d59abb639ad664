"""Amazon's settlement report formats read into the domain's canonical frame: the XML and Amazon
Pay CSV parsers (bytes or a binary stream in, `domain.settlement.model` chunks out), the exact
value readers they share, and the one entry point `parse.iter_report`. No files opened, no store.
"""
