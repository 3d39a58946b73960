"""The rules, pure: exact numbers, periods, formulas, the catalog, computed values, aggregation, progress against
targets, validation, the summary sentence and the self-check. No database, no files: everything here is a function
of the values it is given, so the grid, the exports and the city report share one truth."""
