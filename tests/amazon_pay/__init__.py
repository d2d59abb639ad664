"""The Amazon Pay client: signing, typed answers, errors, retries, pacing and its commands."""
