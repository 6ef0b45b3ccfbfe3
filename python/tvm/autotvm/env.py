"""Global switches of AutoTVM (upstream's ``autotvm.GLOBAL_SCOPE``)."""


class AutotvmGlobalScope:
    """Process-wide AutoTVM settings.

    Attributes
    ----------
    silent : bool
        When True, the fallback context does not warn about workloads that have
        no tuned config (upstream ``GLOBAL_SCOPE.silent``).
    in_tuning : bool
        True while a tuner is measuring candidates.
    """

    current = None

    def __init__(self):
        self._old = AutotvmGlobalScope.current
        AutotvmGlobalScope.current = self
        self.silent = False
        self.in_tuning = False


GLOBAL_SCOPE = AutotvmGlobalScope()
