"""The simulated organisation: a moto server in-process, seeded the way AWS would look."""
