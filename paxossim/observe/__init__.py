"""Watching a run: the safety checker, the counters and the optional event trace."""
