"""The intake service (the city) and its client (the districts): uploads, receipts, notices over HTTP; and the
district's outbox that uploads through the client.

The district side (``outbox``, ``inbox``, ``uploader``, ``receipt_pdf``) knows nothing of Qt or threads: the window
runs :class:`app.transport.uploader.Uploader` rounds off the UI thread, the CLI runs one pass in the foreground.
"""
