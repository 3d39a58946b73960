"""The city's side: importing signed submissions, completeness, the city report, return notices and the matrix
export."""
