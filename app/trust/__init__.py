"""Keys and certificates: the city CA, each unit's key pair and certificate, encrypted private keys, fingerprints and
the pinned trust anchors every signature is checked against."""


class KeysError(ValueError):
    """A key operation that cannot be done; the message says why in Chinese.

    Defined here, without the cryptography library, so that the command line can catch it without loading that
    library for commands that never touch a key; :mod:`app.trust.keys` and :mod:`app.trust.certificates` export
    it as well."""
