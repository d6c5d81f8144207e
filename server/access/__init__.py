"""The per-user view of the field database: what each user may read and
write (:mod:`.view`), their filtered changes feed (:mod:`.seqs`), and the
quarantine of every refused write (:mod:`.quarantine`)."""
