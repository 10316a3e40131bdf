"""The event budget of a run: a run stops, marked truncated, once it has processed
`max_events` events (message deliveries and timer expiries), so that no scenario can run
for hours or fill memory without a word, and its rows depend only on the scenario."""


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
