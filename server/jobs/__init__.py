"""Work that runs outside a request: replication and the nightly hub jobs
(:mod:`.nightly`), and the record of every run (:mod:`.runs`)."""
