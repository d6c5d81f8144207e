"""The JSON API under ``/api`` (:mod:`.endpoints`): tablets' login and devices,
administration of accounts and grids, quarantine and resolutions."""
