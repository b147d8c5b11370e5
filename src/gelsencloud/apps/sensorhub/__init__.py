"""Sensor hub: device registry, LoRaWAN ingestion and payload decoders."""
