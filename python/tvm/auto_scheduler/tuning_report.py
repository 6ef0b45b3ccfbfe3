"""A static HTML report of an auto-scheduler tuning run.

One self-contained page (no server, no scripts; the plots are PNG images made
by matplotlib and embedded as data URIs):

* the per-task weighted latency before tuning (each task's baseline, i.e. its
  TOPI schedule) and after, as a bar chart and a table with each task's share
  of the end-to-end estimate,
* the tuning curve: the estimated end-to-end latency (the weighted sum of the
  tasks' best latencies) over trials and over time,
* the final measured latencies of the network (e.g. untuned, tuned, ONNX
  Runtime), as given by the caller.

matplotlib is an optional dependency (``pip install tvmfork[report]``);
without it the page holds the tables only and says so.

Example::

    report = TuningReport.from_scheduler(task_scheduler, title="resnet-18")
    report.latencies_ms = {"untuned": 38.1, "tuned": 30.2, "onnxruntime": 28.0}
    report.write("report.html")
"""
import base64
import datetime
import html
import io

__all__ = ["TuningReport", "write_report"]


def _ms(seconds):
    return None if seconds is None or seconds >= 1e9 else seconds * 1e3


def _fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


class TuningReport:
    """The data of a tuning report and its HTML rendering.

    Attributes
    ----------
    title : str
    tasks : List[dict]
        Per task: ``description``, ``weight``, ``baseline_ms`` (None if
        unknown), ``best_ms`` (None if unknown), ``trials``.
    history : List[Tuple[int, float, float]]
        ``(trials, seconds, estimated latency ms)`` points of the tuning curve.
    latencies_ms : Dict[str, float]
        Final measured latencies of the network by build name.
    info : Dict[str, str]
        Extra lines for the header (network, target, log file, ...).
    """

    def __init__(self, title="Tuning report", tasks=None, history=None, latencies_ms=None, info=None):
        self.title = title
        self.tasks = list(tasks or [])
        self.history = list(history or [])
        self.latencies_ms = dict(latencies_ms or {})
        self.info = dict(info or {})

    @classmethod
    def from_scheduler(cls, sched, title="Tuning report", info=None):
        """The report data of a :class:`TaskScheduler` after ``tune``."""
        tasks = []
        for i, desc in enumerate(sched.task_descriptions):
            tasks.append({
                "description": desc,
                "weight": float(sched.task_weights[i]),
                "baseline_ms": _ms(sched.baseline_costs[i]),
                "best_ms": _ms(float(sched.best_costs[i])),
                "trials": int(sched.task_trials[i]),
            })
        history = [(ct, secs, _ms(score)) for ct, secs, score in sched.history if _ms(score) is not None]
        return cls(title, tasks, history, info=info)

    # ---- derived numbers -----------------------------------------------------

    def weighted(self, key):
        """Weighted latency (ms) of each task for ``key`` ("baseline_ms" or "best_ms")."""
        return [None if t[key] is None else t[key] * t["weight"] for t in self.tasks]

    def totals(self):
        """``(estimated total before, estimated total after)`` in ms (None if unknown)."""
        before, after = self.weighted("baseline_ms"), self.weighted("best_ms")
        total_before = None if not before or None in before else sum(before)
        total_after = None if not after or None in after else sum(after)
        return total_before, total_after

    # ---- plots ---------------------------------------------------------------

    @staticmethod
    def _png(fig):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
        return base64.b64encode(buf.getvalue()).decode("ascii")

    def _plots(self):
        """``{name: base64 PNG}``; empty when matplotlib is missing."""
        try:
            import matplotlib  # pylint: disable=import-outside-toplevel

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        except ImportError:
            return {}
        plots = {}
        if self.tasks:
            before = [v or 0.0 for v in self.weighted("baseline_ms")]
            after = [v or 0.0 for v in self.weighted("best_ms")]
            labels = [f"{i}: {t['description']}" for i, t in enumerate(self.tasks)]
            fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.2))
            ys = list(range(len(labels)))
            ax.barh([y - 0.2 for y in ys], before, height=0.4, label="before (baseline)", color="#bbbbbb")
            ax.barh([y + 0.2 for y in ys], after, height=0.4, label="after tuning", color="#1f77b4")
            ax.set_yticks(ys)
            ax.set_yticklabels(labels, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel("weighted latency (ms)")
            ax.set_title("Per-task share of the end-to-end latency")
            ax.legend(loc="lower right")
            ax.grid(axis="x", alpha=0.3)
            plots["tasks"] = self._png(fig)
            plt.close(fig)
        if self.history:
            trials = [h[0] for h in self.history]
            secs = [h[1] for h in self.history]
            lat = [h[2] for h in self.history]
            fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
            total_before, _ = self.totals()
            for ax, xs, xlabel in ((ax1, trials, "trials"), (ax2, secs, "time (s)")):
                ax.step(xs, lat, where="post", color="#1f77b4", marker=".", label="estimated (best so far)")
                if total_before is not None:
                    ax.axhline(total_before, color="#888888", linestyle="--", label="untuned (baselines)")
                ax.legend(fontsize=8)
                ax.set_xlabel(xlabel)
                ax.set_ylabel("estimated latency (ms)")
                ax.grid(alpha=0.3)
            ax1.set_title("Tuning curve over trials")
            ax2.set_title("Tuning curve over time")
            plots["curve"] = self._png(fig)
            plt.close(fig)
        if self.latencies_ms:
            names = list(self.latencies_ms)
            values = [self.latencies_ms[n] for n in names]
            colors = ["#bbbbbb", "#1f77b4", "#ff7f0e", "#2ca02c"]
            fig, ax = plt.subplots(figsize=(6, 2.8))
            bars = ax.bar(names, values, color=[colors[i % len(colors)] for i in range(len(names))])
            for bar, value in zip(bars, values):
                ax.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=9)
            ax.set_ylabel("latency (ms)")
            ax.set_title("Measured end-to-end latency")
            ax.grid(axis="y", alpha=0.3)
            plots["final"] = self._png(fig)
            plt.close(fig)
        return plots

    # ---- HTML ----------------------------------------------------------------

    def to_html(self):
        """The page as a string."""
        esc = html.escape
        plots = self._plots()
        total_before, total_after = self.totals()
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(self.title)}</title>",
            "<style>body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}"
            "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "td.l,th.l{text-align:left}img{max-width:100%;margin:0.5em 0}"
            ".note{color:#666;font-size:13px}</style>",
            "</head><body>",
            f"<h1>{esc(self.title)}</h1>",
            f'<p class="note">Generated {esc(datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))}'
            " by tvm.auto_scheduler.tuning_report.</p>",
        ]
        if self.info:
            out.append("<ul>")
            for key, value in self.info.items():
                out.append(f"<li><b>{esc(str(key))}</b>: {esc(str(value))}</li>")
            out.append("</ul>")
        if not plots:
            out.append('<p class="note">matplotlib is not installed (pip install tvmfork[report]): '
                       "no plots, tables only.</p>")

        out.append("<h2>Final latency</h2>")
        if self.latencies_ms:
            if "final" in plots:
                out.append(f'<img alt="final latencies" src="data:image/png;base64,{plots["final"]}">')
            out.append('<table id="final-latency"><tr><th class="l">build</th><th>latency (ms)</th>'
                       "<th>vs untuned</th></tr>")
            untuned = self.latencies_ms.get("untuned")
            for name, value in self.latencies_ms.items():
                ratio = f"{untuned / value:.2f}x" if untuned and value else "-"
                out.append(f'<tr><td class="l">{esc(name)}</td><td>{value:.2f}</td><td>{ratio}</td></tr>')
            out.append("</table>")
        else:
            out.append('<p class="note">No end-to-end measurement.</p>')

        out.append("<h2>Per-task latency before and after tuning</h2>")
        out.append(f"<p>Estimated end-to-end latency (weighted sum of the task latencies): "
                   f"before <b>{_fmt(total_before)} ms</b>, after <b>{_fmt(total_after)} ms</b>.</p>")
        if "tasks" in plots:
            out.append(f'<img alt="per-task latency" src="data:image/png;base64,{plots["tasks"]}">')
        out.append('<table id="tasks"><tr><th>ID</th><th class="l">task</th><th>weight</th><th>trials</th>'
                   "<th>baseline (ms)</th><th>tuned (ms)</th><th>speed-up</th>"
                   "<th>share before</th><th>share after</th></tr>")
        before, after = self.weighted("baseline_ms"), self.weighted("best_ms")
        for i, task in enumerate(self.tasks):
            share_b = f"{100 * before[i] / total_before:.1f}%" if total_before and before[i] is not None else "-"
            share_a = f"{100 * after[i] / total_after:.1f}%" if total_after and after[i] is not None else "-"
            speedup = (f"{task['baseline_ms'] / task['best_ms']:.2f}x"
                       if task["baseline_ms"] and task["best_ms"] else "-")
            out.append(f'<tr><td>{i}</td><td class="l">{esc(task["description"])}</td><td>{task["weight"]:g}</td>'
                       f'<td>{task["trials"]}</td><td>{_fmt(task["baseline_ms"])}</td>'
                       f'<td>{_fmt(task["best_ms"])}</td><td>{speedup}</td><td>{share_b}</td><td>{share_a}</td></tr>')
        out.append("</table>")

        out.append("<h2>Tuning curve</h2>")
        if self.history:
            if "curve" in plots:
                out.append(f'<img alt="tuning curve" src="data:image/png;base64,{plots["curve"]}">')
            first, last = self.history[0], self.history[-1]
            out.append(f"<p>Estimated latency {first[2]:.3f} ms after {first[0]} trials, "
                       f"{last[2]:.3f} ms after {last[0]} trials ({last[1]:.0f} s).</p>")
        else:
            out.append('<p class="note">No tuning round recorded.</p>')
        out.append("</body></html>")
        return "\n".join(out) + "\n"

    def write(self, path):
        """Write the page to ``path``; returns the path."""
        with open(path, "w", encoding="utf-8") as fout:
            fout.write(self.to_html())
        return path


def write_report(path, task_scheduler, title="Tuning report", latencies_ms=None, info=None):
    """Write the report of ``task_scheduler`` (after ``tune``) to ``path``."""
    report = TuningReport.from_scheduler(task_scheduler, title=title, info=info)
    report.latencies_ms = dict(latencies_ms or {})
    return report.write(path)
