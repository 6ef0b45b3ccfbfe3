"""Callbacks of the task scheduler and its per-task table (upstream 0.8 names).

:class:`PrintTableInfo` prints the table that :func:`format_task_table` makes;
:class:`LogEstimatedLatency` appends the estimated total latency after every
round to a TSV file. ``tvm.auto_scheduler.task_scheduler`` re-exports them
under upstream's paths.
"""
import logging
import time

logger = logging.getLogger("auto_scheduler")


class TaskSchedulerCallback:
    """Callback of the task scheduler, around each round.

    Optional hooks (fork addition): ``on_start(task_scheduler)`` once the
    baselines are measured, before the first search round, and
    ``on_end(task_scheduler)`` after the last round.
    """

    def pre_tune(self, task_scheduler, task_id):
        pass

    def post_tune(self, task_scheduler, task_id):
        pass

    def on_start(self, task_scheduler):
        pass

    def on_end(self, task_scheduler):
        pass


def latency_text(cost):
    """Milliseconds with 3 decimals, '-' for an unknown cost."""
    return "%.3f" % (cost * 1e3) if cost is not None and cost < 1e9 else "-"


def format_task_table(sched, next_id=None):
    """The per-task table of a task scheduler, as text.

    One row per task: its description (op, shapes, epilogue), the latency of
    its baseline (TOPI) schedule, its best latency, speed, trials and
    weighted latency; a footer with the estimated totals.
    """
    descs = list(sched.task_descriptions)
    width = max([len("Task")] + [len(d) for d in descs])
    header = "| %3s | %-*s | %8s | %8s | %7s | %6s | %8s | %9s |" % (
        "ID", width, "Task", "Baseline", "Latency", "GFLOPS", "Trials", "Weight", "Weighted")
    units = "| %3s | %-*s | %8s | %8s | %7s | %6s | %8s | %9s |" % (
        "", width, "", "(ms)", "(ms)", "", "", "", "(ms)")
    rule = "-" * len(header)
    lines = [rule, header, units, rule]
    for i, desc in enumerate(descs):
        cost = sched.best_costs[i]
        speed = "%.1f" % (sched.flop_cts[i] / cost / 1e9) if cost < 1e9 and sched.flop_cts[i] > 0 else "-"
        weighted = latency_text(cost * sched.task_weights[i]) if cost < 1e9 else "-"
        lines.append("| %3d | %-*s | %8s | %8s | %7s | %6d | %8g | %9s |" % (
            i, width, desc, "failed" if i in getattr(sched, "baseline_errors", {}) else
            latency_text(sched.baseline_costs[i]), latency_text(cost), speed,
            sched.task_trials[i], sched.task_weights[i], weighted))
    lines.append(rule)
    footer = "Estimated total latency: %s ms" % latency_text(sched.cur_score)
    untuned = sched.baseline_score()
    if untuned < 1e9:
        footer += " (untuned %s ms)" % latency_text(untuned)
    footer += "   Trials: %d   Used time: %.0f s" % (sched.ct, time.time() - sched.tic)
    if next_id is not None:
        footer += "   Next ID: %d" % next_id
    lines.append(footer)
    return "\n".join(lines)


class PrintTableInfo(TaskSchedulerCallback):
    """Print the per-task table.

    At ``verbose`` 1 (the default) the table is printed when the search
    starts (after the baselines are measured, so their latencies show) and
    when it ends; at ``verbose`` >= 2 also before every round.
    """

    def on_start(self, task_scheduler):
        if task_scheduler.verbose >= 1:
            task_scheduler.write(format_task_table(task_scheduler))

    def pre_tune(self, task_scheduler, task_id):
        if task_scheduler.verbose >= 2:
            text = format_task_table(task_scheduler, next_id=task_id)
            task_scheduler.write(text)
            logger.info("task scheduler round\n%s", text)

    def on_end(self, task_scheduler):
        if task_scheduler.verbose >= 1:
            task_scheduler.write(format_task_table(task_scheduler))


class LogEstimatedLatency(TaskSchedulerCallback):
    """Append the estimated total latency after each round to a TSV file."""

    def __init__(self, log_file):
        self.log_file = log_file

    def post_tune(self, task_scheduler, task_id):
        total = task_scheduler.cur_score
        with open(self.log_file, "a", encoding="utf-8") as fout:
            fout.write("ElapsedTime(s)\t%.0f\tEstimatedLatency(ms)\t%s\tTrials\t%d\n" % (
                time.time() - task_scheduler.tic, latency_text(total) if total < 1e9 else "N/A",
                task_scheduler.ct))
            fout.flush()
