"""Keys and certificates: the city CA, each unit's key pair and certificate, encrypted private keys, fingerprints and
the pinned trust anchors every signature is checked against."""
