"""The desktop program: PySide6 widgets and Qt models, thin adapters over the services in ``app``."""
