"""Credits: a ledger of every balance change, reservations for running jobs."""
