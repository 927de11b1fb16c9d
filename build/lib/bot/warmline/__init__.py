"""warmline."""
