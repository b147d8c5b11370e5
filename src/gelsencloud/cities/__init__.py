"""City profiles shipped with the platform (one TOML file per city)."""
