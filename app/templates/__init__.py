"""The template file the city issues: reading and checking a document, storing it in the database, writing it
back, and signing and verifying it with the city's key."""
