"""Fuzz tests: every loader ends each hostile input as success or an AccordError naming the file."""
