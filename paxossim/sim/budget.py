"""The event budget of a run: a run stops, marked truncated, once it has processed
`max_events` events (message copies arriving, timers waking up, also a cancelled timer's
one wake-up), so that no scenario can run for hours without a word, and its rows depend
only on the scenario."""


class BudgetExhausted(Exception):
    """Raised inside the event loop when the budget is spent; the world ends the run."""


class Budget:
    __slots__ = ("limit", "used")

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def spend(self) -> None:
        self.used += 1
        if self.used > self.limit:
            raise BudgetExhausted
