"""Datasets a run uses: ``aiomlflow.data``'s logic (digests, schemas, profiles, sources,
the dataset classes) and the dataset inputs ``log_input`` records.  No I/O here."""
