"""The clerk's values sheet: the CSV/Excel a clerk keeps numbers in, read and written, and its text encodings."""
