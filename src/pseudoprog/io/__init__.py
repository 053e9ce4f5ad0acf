"""Reading and writing files: tabular input with validation reports, result export."""
