"""The headless command line: everything a clerk or the city does in the window, as commands."""
