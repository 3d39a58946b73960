"""The intake service (the city) and its client (the districts): uploads, receipts, notices over HTTP."""
