"""City applications, each a plugin."""
