"""The platform core: settings, storage, identity, classification, audit, jobs and plugins."""
