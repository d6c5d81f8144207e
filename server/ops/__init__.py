"""Running a community server for years: its certificates and the CA page
tablets install it from (:mod:`.tls`, :mod:`.capage`), what the connection
says behind a proxy (:mod:`.transport`), health and metrics (:mod:`.health`,
:mod:`.metrics`), one log line per request (:mod:`.requestlog`), backups
(:mod:`.backup`), layout migrations (:mod:`.migrations`) and
``gridvisit doctor`` (:mod:`.doctor`)."""
