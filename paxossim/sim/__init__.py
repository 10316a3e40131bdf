"""The simulated world: the only part of paxossim that knows about SimPy and time."""
