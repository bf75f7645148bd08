"""Alliance: a conversational FAQ assistant about the therapist-client relationship."""
