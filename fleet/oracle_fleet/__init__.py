"""oracle-fleet: oracle-monitor queries over a fleet, on Dask distributed (docs/fleet.md)."""
