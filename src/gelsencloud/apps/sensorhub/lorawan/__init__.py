"""LoRaWAN frames and network-server (ChirpStack v4, The Things Stack v3) uplink formats."""
